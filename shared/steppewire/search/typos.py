# TEMPORARY local stub (untracked) until the typo-index branch lands.
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steppewire.search.index_store import Key


@dataclass(frozen=True)
class Correction:
    surface: str
    term: str
    edits: int


def allowed_edits(word: str) -> int:
    letters = len(word.replace("-", "").replace("'", ""))
    if any(c.isdigit() for c in word):
        return 0
    return 0 if letters < 5 else 1 if letters < 9 else 2


def query_typo_keys(word: str) -> list[Key]:
    return []


def corrections(word: str, found: Mapping[Key, Mapping[str, Any]]) -> list[Correction]:
    return []
