"""Typo-correction candidates: which indexed words a misspelt query word may have meant, read from items the
indexer maintains (never a Scan).

Words are compared in the form `analysis.prefix_key` gives (normalized, unstemmed; the surfaces of the prefix
vocabularies) by optimal-string-alignment distance (insert, delete, substitute, or swap two neighbours: 1 each).
A word may be corrected by `allowed_edits`: 1 edit from 5 letters, 2 from 9, none for shorter words or words
with a digit. Only words of 4+ letters without digits are candidates ("correctable").

Typo items (`Y#<variant>`/`Y`, `schema.typo_key`), SymSpell-style on a word's first `TYPO_PREFIX` characters:
an indexed correctable word is listed under each deletion of one character of its prefix, and a word shorter
than the prefix under itself too (`typo_keys`). The query word reads its prefix and the same deletions
(`query_typo_keys`); a word allowed 2 edits also reads its prefix vocabulary (`P#<first 3>`, the words sharing
its first 3 characters).

Recall, by cases on where the edits lie (positions in the first `TYPO_PREFIX` = 6 characters or beyond):
- Distance 1: always found. An edit beyond the prefix leaves both prefixes equal (the same deletions). A
  substitution at i < 6: deleting i from both prefixes gives one string. An insertion at i < 6 (the query is
  the longer): deleting it from the query's prefix gives the word's prefix less its 6th character, which the
  word is listed under (a word under 6 characters: the word itself). A deletion (the query is the shorter):
  the word's prefix less that character is the query's prefix less its 6th character, or, for a query under 6
  characters, the query itself. A swap at i, i + 1 < 6: deleting i from one prefix and i + 1 from the other
  gives one string; a swap of the 6th and 7th characters: deleting the 6th from both.
- Distance 2: found when the two words share their first 3 characters (the prefix vocabulary: any two edits
  after them), or when both edits lie beyond the 6th character, or one beyond it and one anywhere (the prefixes
  are then one edit apart, as above). Missed: both edits within the first 6 characters (a swap of the 6th and
  7th counts as within), one of them within the first 3 (``izganhsin`` is not offered ``ziganshin``), unless
  the two prefixes' deletions happen to meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from steppewire.search.index_store import Key
from steppewire.search.schema import (
    PREFIX_PK,
    TYPO_PK,
    prefix_item_key,
    prefix_tail_key,
    typo_key,
    typo_words,
    vocabulary_of,
    with_changes,
)

TYPO_PREFIX: Final = 6
_MIN_CANDIDATE_LETTERS: Final = 4  # a 5-letter word one edit away from a 4-letter one
_NOT_LETTERS: Final = "-'"


@dataclass(frozen=True)
class Correction:
    surface: str  # the indexed word as typed (normalized)
    term: str  # its index term
    edits: int


def _letters(word: str) -> int:
    return len(word) - sum(word.count(mark) for mark in _NOT_LETTERS)


def _has_digit(word: str) -> bool:
    return any(char.isnumeric() for char in word)


def allowed_edits(word: str) -> int:
    """How many edits a query word may be corrected by: 0 under 5 letters or with a digit, 1 up to 8, then 2."""
    letters = _letters(word)
    if letters < 5 or _has_digit(word):
        return 0
    return 1 if letters < 9 else 2


def _correctable(surface: str) -> bool:
    return _letters(surface) >= _MIN_CANDIDATE_LETTERS and not _has_digit(surface)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of `a` and `b`, or `limit + 1` as soon as it is known to exceed `limit`
    (only the cells within `limit` of the diagonal are computed)."""
    over = limit + 1
    if a == b:
        return 0
    if limit < 0 or abs(len(a) - len(b)) > limit:
        return over
    width = len(b)
    before: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        current = [over] * (width + 1)
        current[0] = i if i <= limit else over
        best = current[0]
        char = a[i - 1]
        for j in range(max(1, i - limit), min(width, i + limit) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != b[j - 1]))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = min(value, over)
            best = min(best, current[j])
        if best > limit:
            return over
        before, previous = previous, current
    return previous[width]


def _variants(word: str, *, whole: bool) -> list[Key]:
    """The keys of the word's prefix (if `whole`) and of each deletion of one of its characters, without repeats."""
    prefix = word[:TYPO_PREFIX]
    deletions = (prefix[:i] + prefix[i + 1 :] for i in range(len(prefix)))
    return [typo_key(variant) for variant in dict.fromkeys([prefix, *deletions] if whole else deletions)]


def typo_keys(surface: str) -> list[Key]:
    """The typo items that list an indexed word (none for a word that is never a candidate). A word of
    `TYPO_PREFIX` characters or more is not listed under its prefix itself: the query's deletions meet its own."""
    if not _correctable(surface):
        return []
    return _variants(surface, whole=len(surface) < TYPO_PREFIX)


def query_typo_keys(word: str) -> list[Key]:
    """What to read for the corrections of a query word (nothing for a word that is not corrected)."""
    edits = allowed_edits(word)
    if not edits:
        return []
    keys = _variants(word, whole=True)
    return keys + [prefix_item_key(word), prefix_tail_key(word)] if edits == 2 else keys


def corrections(word: str, found: Mapping[Key, Mapping[str, Any]]) -> list[Correction]:
    """The indexed words within `allowed_edits(word)` of `word` (not `word` itself) among the typo items and
    prefix vocabularies read (`found`, as `get_many` answers `query_typo_keys`), the closest first, then by word."""
    limit = allowed_edits(word)
    if not limit:
        return []
    candidates: dict[str, str] = {}
    for pk, sk in found:
        if pk.startswith(TYPO_PK):
            candidates |= typo_words(found[(pk, sk)])
    for pk in {pk for pk, _ in found if pk.startswith(PREFIX_PK)}:
        vocabulary = with_changes(vocabulary_of(found.get((pk, "P"))), vocabulary_of(found.get((pk, "T"))))
        candidates |= {surface: term for surface, (term, _) in vocabulary.items()}
    result = []
    for surface, term in candidates.items():
        if surface != word and _correctable(surface):
            edits = edit_distance(word, surface, limit)
            if edits <= limit:
                result.append(Correction(surface, term, edits))
    return sorted(result, key=lambda c: (c.edits, c.surface))
