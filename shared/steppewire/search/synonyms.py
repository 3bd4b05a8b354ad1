"""Editor-owned synonyms: `config/synonyms.yaml` read, checked and compiled into the table that search consults
at query time (the file's format and its rules: docs/search.md, "Synonyms").

An entry is compiled the way the engine reads a query: each whitespace-separated word of it becomes the first
term the analyzer gives that word (words that are only stop words drop out), so `Нацбанка` and `нацбанком` find
`Нацбанк` by their stem and `Alma-Ata` is `Almaty`. Every problem with the file is collected and reported at once,
each naming its place (`ru.groups[2]`, with the line); nothing of an invalid file is used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, Literal, NoReturn, get_args

import yaml
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, ValidationError

from steppewire.editor_yaml import YAML_HINT, EditorYamlLoader, Refused, kind_of
from steppewire.newsroom import Lang
from steppewire.search.analysis import terms
from steppewire.search.synonym_store import NOT_MODIFIED, SYNONYMS_TTL_SECONDS, NotModified

SectionName = Literal["all", Lang]  # "all": any language
SECTIONS: tuple[str, ...] = get_args(SectionName)
ANY_LANGUAGE: Final = SECTIONS[0]
MAX_FILE_BYTES = 256 * 1024
MAX_ENTRIES = 2_000  # every entry of every group and one-way rule: bounds the work of checking a file
MAX_GROUP_ENTRIES = 20  # a group of n entries gives each entry n - 1 alternatives
MAX_ENTRY_CHARS = 100
MAX_PHRASE_WORDS = 6
FORMAT = 1  # of the compiled form; a stored table of another format is not read
BUILT_IN = "built-in"
_log = logging.getLogger(__name__)
_ARROW = re.compile(r"\s*(?:->|→)\s*")

Phrase = tuple[str, ...]
Problem = tuple[str, str]  # (where: "ru.groups[2] (line 7)", what is wrong)


class SynonymsRejected(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Expansion:
    start: int  # index of the first query word it covers
    stop: int  # one past the last
    alternatives: tuple[Phrase, ...]  # term sequences that may stand in for words[start:stop], each a phrase


@dataclass(frozen=True)
class Section:
    """One language's (or every language's) rules, compiled: phrases of terms."""

    groups: tuple[tuple[Phrase, ...], ...] = ()
    one_way: tuple[tuple[Phrase, Phrase], ...] = ()


class SynonymTable:
    def __init__(self, sections: Mapping[str, Section], *, source: str, warnings: Sequence[str] = ()) -> None:
        self.sections = {name: sections[name] for name in SECTIONS if name in sections}
        self.source = source
        self.warnings = tuple(warnings)
        self.etag = hashlib.sha256(json.dumps(_sections_json(self.sections)).encode()).hexdigest()[:16]
        self._lookups: dict[str | None, tuple[dict[Phrase, tuple[Phrase, ...]], int]] = {}

    @classmethod
    def empty(cls) -> SynonymTable:
        return cls({}, source="none")

    @property
    def counts(self) -> dict[str, int]:
        return {
            "groups": sum(len(section.groups) for section in self.sections.values()),
            "one_way": sum(len(section.one_way) for section in self.sections.values()),
        }

    def expansions(self, words: Sequence[str], lang: str | None) -> list[Expansion]:
        """Left to right, the longest phrase of the table starting at each word, never overlapping.
        `lang=None` applies every section; a language applies `all` and its own."""
        lookup, longest = self._lookup(lang)
        found = []
        start = 0
        while start < len(words):
            for stop in range(min(len(words), start + longest), start, -1):
                alternatives = lookup.get(tuple(words[start:stop]))
                if alternatives:
                    found.append(Expansion(start, stop, alternatives))
                    start = stop
                    break
            else:
                start += 1
        return found

    def _lookup(self, lang: str | None) -> tuple[dict[Phrase, tuple[Phrase, ...]], int]:
        if lang not in self._lookups:
            names = SECTIONS if lang is None else (ANY_LANGUAGE, lang)
            merged: dict[Phrase, dict[Phrase, None]] = {}  # dicts as ordered sets: the file's order
            for name in names:
                section = self.sections.get(name, Section())
                for group in section.groups:
                    for phrase in group:
                        merged.setdefault(phrase, {}).update(dict.fromkeys(p for p in group if p != phrase))
                for left, right in section.one_way:
                    merged.setdefault(left, {})[right] = None
            lookup = {phrase: tuple(others) for phrase, others in merged.items() if others}
            self._lookups[lang] = lookup, max(map(len, lookup), default=0)
        return self._lookups[lang]

    def to_json(self) -> str:
        """The compact stored form: each phrase as its terms joined by spaces (terms never contain one)."""
        sections = _sections_json(self.sections)
        document = {"format": FORMAT, "etag": self.etag, "source": self.source, "sections": sections}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes) -> SynonymTable:
        """Raises ValueError (pydantic's ValidationError is one) when `data` is not a table of this format."""
        stored = _StoredTable.model_validate_json(data)
        if stored.format != FORMAT:
            raise ValueError(f"synonym table format {stored.format}, not {FORMAT}")
        sections: dict[str, Section] = {
            name: Section(
                tuple(tuple(_phrase(text) for text in group) for group in section.groups),
                tuple((_phrase(left), _phrase(right)) for left, right in section.one_way),
            )
            for name, section in stored.sections.items()
        }
        return cls(sections, source=stored.source)


def _phrase(text: str) -> Phrase:
    phrase = tuple(text.split(" "))
    if not all(phrase):
        raise ValueError(f"a stored phrase has an empty term: {text!r}")
    return phrase


def _sections_json(sections: Mapping[str, Section]) -> dict[str, Any]:
    return {
        name: {
            "groups": [[" ".join(phrase) for phrase in group] for group in section.groups],
            "one_way": [[" ".join(left), " ".join(right)] for left, right in section.one_way],
        }
        for name, section in sections.items()
    }


class _StoredSection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    groups: list[list[str]]
    one_way: list[tuple[str, str]]


class _StoredTable(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    format: int
    etag: str
    source: str
    sections: dict[SectionName, _StoredSection]


# --- the editors' file ---------------------------------------------------------------------------------


class _FileSection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    groups: list[list[str]] = []
    one_way: list[str] = []


def parse_synonyms(data: bytes, *, source: str) -> SynonymTable:
    """The table of an editor's file; raises SynonymsRejected naming every problem."""
    if len(data) > MAX_FILE_BYTES:
        _reject("file", f"the file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (256 KiB)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        _reject("file", f"the file is not UTF-8 text (byte {error.start:,} is not UTF-8): save it as UTF-8")
    loader = None
    try:
        loader = EditorYamlLoader(text)  # its reader already refuses some characters
        node = loader.get_single_node()
        lines: dict[tuple[str | int, ...], int] = {}
        if node is not None:
            _walk(node, (), lines)
        content = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        hint = "" if isinstance(error, Refused) else f"; {YAML_HINT}"
        _reject(where, f"not valid YAML: {error.problem or error.context}{hint}")
    except yaml.YAMLError as error:  # e.g. a control character the reader refuses
        _reject("file", f"not valid YAML ({error})")
    finally:
        if loader is not None:
            loader.dispose()
    if content is None:
        return SynonymTable({}, source=source, warnings=["the file is empty: no synonyms apply"])
    problems: list[Problem] = []
    return _compile(_validated(content, lines, problems), lines, source, problems)


def _walk(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int], line: int | None = None
) -> None:
    """Each value's line, by its path; refuses a key written twice (YAML would keep the last silently)."""
    lines[path] = line or node.start_mark.line + 1  # a key's value is where its key is
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            if name in seen:
                where = _where((*path, name), {(*path, name): key.start_mark.line + 1})
                _reject(where, f"'{name}' is written twice; merge the two into one")
            seen.add(name)
            _walk(value, (*path, name), lines, key.start_mark.line + 1)


def _where(path: Sequence[str | int], lines: Mapping[tuple[str | int, ...], int]) -> str:
    place = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".") or "file"
    for length in range(len(path), -1, -1):
        if (line := lines.get(tuple(path[:length]))) is not None:
            return f"{place} (line {line})"
    return place


def _validated(
    content: object, lines: Mapping[tuple[str | int, ...], int], problems: list[Problem]
) -> dict[str, _FileSection]:
    """The sections whose shape is right; the problems of the others join `problems`."""
    if not isinstance(content, dict):
        _reject("file", f"the file must hold sections ({', '.join(SECTIONS)}) as 'name:' lines")
    sections = {}
    for name, value in content.items():
        if name not in SECTIONS:
            problems.append(
                (_where((str(name),), lines), f"unknown section '{name}': the sections are {', '.join(SECTIONS)}")
            )
            continue
        if value is None:  # a section with nothing under it yet
            continue
        try:
            sections[name] = _FileSection.model_validate(value)
        except ValidationError as error:
            for detail in error.errors():
                path = (name, *(part for part in detail["loc"] if isinstance(part, str | int)))
                if detail["type"] == "extra_forbidden":
                    message = f"unknown key '{path[-1]}': a section holds groups and one_way"
                elif detail["type"] == "string_type":
                    message = f"expected text, not {kind_of(detail['input'])}: put it in quotes"
                elif detail["type"] == "model_type":
                    message = f"expected groups and one_way under it, not {kind_of(detail['input'])}"
                else:
                    message = detail["msg"]
                problems.append((_where(path, lines), message))
    return sections


def _compile(
    sections: Mapping[str, _FileSection],
    lines: Mapping[tuple[str | int, ...], int],
    source: str,
    problems: list[Problem],
) -> SynonymTable:
    warnings: list[str] = []
    entries = sum(len(group) for s in sections.values() for group in s.groups) + sum(
        len(s.one_way) for s in sections.values()
    )
    if entries > MAX_ENTRIES:
        _reject("file", f"{entries:,} entries; at most {MAX_ENTRIES:,} are allowed")

    def phrase(text: str, path: tuple[str | int, ...]) -> Phrase | None:
        words = text.split()
        if not words:
            problems.append((_where(path, lines), "an empty entry"))
            return None
        if len(text) > MAX_ENTRY_CHARS or len(words) > MAX_PHRASE_WORDS:
            limit = f"at most {MAX_PHRASE_WORDS} words and {MAX_ENTRY_CHARS} characters"
            problems.append((_where(path, lines), f"'{_shown(text)}' is too long for an entry ({limit})"))
            return None
        found = tuple(word_terms[0] for word in words if (word_terms := terms(word)))
        if not found:
            problems.append((_where(path, lines), f"'{text}' has only words search ignores (stop words)"))
            return None
        return found

    compiled: dict[str, Section] = {}
    for name, section in sections.items():
        groups = []
        for number, group in enumerate(section.groups):
            path = (name, "groups", number)
            if len(group) > MAX_GROUP_ENTRIES:
                problems.append((_where(path, lines), f"{len(group)} entries; at most {MAX_GROUP_ENTRIES}"))
                continue
            phrases = [phrase(text, (*path, index)) for index, text in enumerate(group)]
            distinct = list(dict.fromkeys(p for p in phrases if p is not None))
            if None in phrases:
                continue
            if len(group) < 2:
                problems.append((_where(path, lines), "a group needs at least two entries"))
            elif len(distinct) < 2:
                problems.append((_where(path, lines), "its entries are already the same word for search"))
            else:
                if len(distinct) < len(group):
                    warnings.append(f"{_where(path, lines)}: some entries are the same word for search already")
                groups.append(tuple(distinct))
        rules = []
        for number, rule in enumerate(section.one_way):
            path = (name, "one_way", number)
            sides = _ARROW.split(rule.strip())
            if len(sides) != 2 or not all(sides):
                problems.append((_where(path, lines), f"expected \"A -> B\", not '{_shown(rule)}'"))
                continue
            left, right = phrase(sides[0], path), phrase(sides[1], path)
            if left is None or right is None:
                continue
            if left == right:
                problems.append((_where(path, lines), "both sides are already the same word for search"))
                continue
            rules.append((left, right))
        compiled[name] = Section(tuple(groups), tuple(rules))
    if problems:
        raise SynonymsRejected(problems)
    return SynonymTable(compiled, source=source, warnings=warnings)


def _shown(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _reject(where: str, message: str) -> NoReturn:
    raise SynonymsRejected([(where, message)])


@cache
def seed() -> SynonymTable:
    """The built-in synonyms, in force while no editor's file is (and after it is deleted)."""
    data = resources.files(__package__).joinpath("synonyms_seed.yaml").read_bytes()
    return parse_synonyms(data, source=BUILT_IN)


# Reads the stored table: (its ETag, its bytes); NOT_MODIFIED if it still has the ETag given; None if none is stored.
ReadStored = Callable[[str | None], tuple[str, bytes] | NotModified | None]


class SynonymSource:
    """The table in force, as a search container sees it: the stored one, re-read (conditionally) when it is
    older than `ttl` seconds; the built-in seed while none is stored. A failed read keeps the table it had."""

    def __init__(
        self, read: ReadStored, *, ttl: float = SYNONYMS_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._table = seed()
        self._etag: str | None = None
        self._read_at: float | None = None

    def current(self) -> SynonymTable:
        now = self._clock()
        if self._read_at is not None and now - self._read_at < self._ttl:
            return self._table
        self._read_at = now  # a failed read is retried after the same interval, not at every query
        try:
            stored = self._read(self._etag)
            if stored == NOT_MODIFIED:
                return self._table
            if stored is None:
                self._table, self._etag = seed(), None
                return self._table
            etag, data = stored
            table = SynonymTable.from_json(data)
        except (BotoCoreError, ClientError, ValueError):
            _log.exception("could not read the stored synonyms; keeping those of %s", self._table.source)
            return self._table
        self._table, self._etag = (seed() if table.source == BUILT_IN else table), etag
        return self._table
