"""One analyzer for documents and queries: normalization, tokens, stop words, stemming and name folding.

``terms`` gives the query terms of a text (one per word); ``index_terms`` what a document's text is indexed under
(those terms plus the parts of hyphenated words); ``token_spans`` gives every token of the original text with its
offsets, its term and its parts' terms, for highlighting; ``prefix_key`` shapes a partial last query word for prefix
matching.

Pipeline (the same for every caller, so documents and queries always agree):
1. ``normalize``: typographic apostrophes → ``'``, invisible characters (soft hyphen, zero-width, bidi marks) dropped,
   NFKC, case folding, ``ё`` → ``е``, diacritical marks dropped except the breve, macron and diaeresis of Cyrillic
   letters (``й``, ``ў``, ``ӣ`` stay; Russian stress marks go), stroke letters folded (``ø`` → ``o``, ``ı`` → ``i``).
2. Tokens: runs of letters and digits; one hyphen or apostrophe between two runs joins them (``alma-ata``,
   ``covid-19``, ``o'zbekiston``). Tokens longer than ``MAX_TOKEN`` characters are cut to that length.
3. Each token → term: an exact name variant folds to its ``@`` term; a stop word gives ``None``; a trailing ``'s``
   is dropped and inner apostrophes removed (``tokayev's`` → ``tokayev``, ``o'zbekiston`` → ``ozbekiston``); then the
   token is stemmed by script (Cyrillic: Russian Snowball, Latin: English Snowball, anything else as is; in a
   hyphenated token only the last part is stemmed: ``нур-султане`` → ``нур-султан``) and the stem folds to a name's
   ``@`` term if it is the stem of one of the name's forms.
4. Documents only (``index_terms``): after a hyphenated token's term come its parts' terms, each part analyzed as a
   word (``Kazakh-Russian`` → ``kazakh-russian``, ``@kazakhstan``, ``russian``; ``mother-in-law`` → ``mother-in-law``,
   ``mother``, ``law``), so ``biologist`` finds ``Cell-Biologist`` and ``Султан`` finds ``Нур-Султане``. A query word
   keeps its one whole term (``Нур-Султан`` is ``@astana``, ``Kazakh-Russian`` only ``kazakh-russian``), so the whole
   form finds the documents that have it, not every document with its parts. A part counts as a word does (term
   frequency and field length): a document is then exactly the bag of its ``index_terms``, which is what the BM25
   reference indexes. Word pairs (quoted phrases) are built from ``terms``, so parts never come between two words.

``token_spans`` maps every normalized character back to the letter (with its combining marks)
it came from; in the rare chunk where normalization composes across letters (conjoining Hangul jamo) every token of
that whitespace-separated chunk gets the chunk's span. Name data and the folding decisions: ``names``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

import Stemmer  # type: ignore[import-not-found,import-untyped,unused-ignore]

from steppewire.search import names, stopwords

MAX_TOKEN = 64  # characters; longer tokens (hostile input, run-on scripts) are cut to this length
_MIN_NAME_STEM = 4  # shorter stems (сом, ош) are too ambiguous to fold on: such names fold on their forms only

# Before NFKC: every apostrophe-like character becomes "'" (U+00B4 would otherwise decompose to a space and an
# accent); "‐" and "‑" become "-"; invisible characters that split words in pasted text are dropped.
_PRE_MAP: dict[str, str] = {
    **dict.fromkeys("\u2019\u2018\u02bc\u02bb\u02b9\u02bd\u00b4\u0060\u2032\uff07", "'"),
    **dict.fromkeys("\u2010\u2011", "-"),
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e", ""),
    **dict.fromkeys("\u2066\u2067\u2068\u2069", ""),
}
# Latin letters without a canonical decomposition, folded like accented ones.
_STROKE_MAP: dict[str, str] = {
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "ƀ": "b",
    "ɨ": "i",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}
_CYRILLIC = "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_CYRILLIC_KEEPS = frozenset("\u0304\u0306\u0308")  # macron, breve, diaeresis: ӣ ӯ й ў ї (but ё → е)
_IS_MARK = re.compile(f"[{_MARKS}]")
_IS_CYRILLIC = re.compile(f"[{_CYRILLIC}]+")
_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_CHUNK = re.compile(r"\S+")
_PRE = re.compile("[" + "".join(_PRE_MAP) + "]")


def _fold_run(previous: str, run: str) -> str:
    """Diacritics off a run of letters and combining marks; ``previous`` is the character before a bare mark."""
    out: list[str] = []
    base = previous
    for char in unicodedata.normalize("NFD", run):
        if _IS_MARK.match(char) is None:
            base = char
            out.append(_STROKE_MAP.get(char, char))
        elif char in _CYRILLIC_KEEPS and _IS_CYRILLIC.match(base) and not (char == "\u0308" and base == "е"):
            out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _foldable_letters() -> str:
    """The precomposed letters (Latin, Greek, Cyrillic blocks) that ``_fold_run`` changes, plus the stroke letters."""
    blocks = (range(0x00C0, 0x0250), range(0x0370, 0x0530), range(0x1E00, 0x2000))
    return "".join(sorted({chr(cp) for block in blocks for cp in block if _fold_run("", chr(cp)) != chr(cp)}))


# One pass finds the rare characters that need work; str.translate or per-character Python would touch them all.
_FOLD = re.compile(f"[{re.escape(_foldable_letters())}{_MARKS}]+")
_fold_cached = lru_cache(maxsize=1 << 12)(_fold_run)


def _pre_sub(match: re.Match[str]) -> str:
    return _PRE_MAP[match.group()]


def _fold_sub(match: re.Match[str]) -> str:
    run = match.group()
    start = match.start()
    previous = match.string[start - 1] if start and _IS_MARK.match(run) else ""
    return _fold_cached(previous, run)


_RUSSIAN = Stemmer.Stemmer("russian")
_ENGLISH = Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """Normal form for matching: NFKC, case-folded, ``ё`` → ``е``, diacritics gone, Cyrillic letters kept.

    Diacritical marks are dropped from Latin (and Greek) letters and from Cyrillic ones except the breve, macron and
    diaeresis of ``й``, ``ў``, ``ӣ``, ``ӯ``, ``ї`` (Russian stress marks go). Stroke letters fold (``ø`` → ``o``,
    ``ı`` → ``i``), apostrophe-like characters become ``'``, soft hyphens and zero-width characters vanish.
    Works per letter (with its combining marks), so the normal form of a text is the concatenation of the normal
    forms of its whitespace-separated pieces.
    """
    text = unicodedata.normalize("NFKC", _PRE.sub(_pre_sub, text)).casefold()
    if not text.isascii():
        text = _FOLD.sub(_fold_sub, text)
    return text


@lru_cache(maxsize=1 << 16)
def _stem_word(word: str) -> str:
    if word.isascii():
        return str(_ENGLISH.stemWord(word)) if word.isalpha() else word
    if _IS_CYRILLIC.fullmatch(word):
        return str(_RUSSIAN.stemWord(word))
    return word


def _stem(token: str) -> str:
    head, hyphen, last = token.rpartition("-")
    return head + hyphen + _stem_word(last)


def _shape(token: str) -> str:
    """A token without its possessive ``'s`` and inner apostrophes."""
    if token.endswith("'s"):
        token = token[:-2]
    return token.replace("'", "")


def _russian_forms(word: str) -> Iterable[str]:
    """The case forms of a Russian (or Russian-declined) name, adjective or demonym; the word itself if indeclinable."""
    head, hyphen, last = word.rpartition("-")
    prefix = head + hyphen
    base: str
    endings: tuple[str, ...]
    if last.endswith(("ский", "цкий")):
        base, endings = last[:-2], ("ий", "ого", "ому", "им", "ом", "ая", "ой", "ую", "ое", "ие", "их", "ими")
    elif last.endswith("ия"):
        base, endings = last[:-2], ("ия", "ии", "ию", "ией")
    elif last.endswith("ец"):
        base, endings = last[:-2], ("ец", "ца", "цу", "цем", "це", "цы", "цев", "цам", "цами", "цах")
    elif last.endswith(("ка", "ча")) and len(last) > 4:
        base, endings = last[:-1], ("а", "и", "е", "у", "ой", "ам", "ами", "ах", "")
    elif last.endswith(("а", "я")):
        base, endings = last[:-1], ("а", "ы", "и", "е", "у", "ой", "ою")
    elif last.endswith(("ов", "ев")):
        base, endings = last, ("", "а", "у", "ым", "е", "ой", "ы", "ых", "ыми", "ом")
    elif last[-1:] in set("еиоуыэюь"):
        base, endings = last, ("",)
    else:
        base, endings = last, ("", "а", "у", "ом", "ем", "е", "ы", "и", "ов", "ам", "ами", "ах")
    return [prefix + base + ending for ending in endings]


def _build_name_maps() -> tuple[dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    by_stem: dict[str, str] = {}

    def put(table: dict[str, str], key: str, canonical: str) -> None:
        if key in names.NEVER_FOLD:
            return
        if table.setdefault(key, canonical) != canonical:
            raise ValueError(f"name key {key!r} folds to both {table[key]} and {canonical}")
        if key in stopwords.ALL:
            raise ValueError(f"name key {key!r} is a stop word")

    for canonical, variants in names.NAMES.items():
        for variant in variants:
            token = normalize(variant)
            if _TOKEN.fullmatch(token) is None:
                raise ValueError(f"name variant {variant!r} is not a single token")
            put(exact, token, canonical)
            if "'" in token:  # o'zbekiston, so'm: without the apostrophe they may mean something else (som)
                continue
            forms = list(_russian_forms(token)) if _IS_CYRILLIC.search(token) else [token]
            for form in forms:
                put(exact, form, canonical)
                stem = _stem(form)
                if len(stem.replace("-", "")) >= _MIN_NAME_STEM:
                    put(by_stem, stem, canonical)
    return exact, by_stem


_EXACT_NAMES, _STEM_NAMES = _build_name_maps()
_STOP = stopwords.ALL


@lru_cache(maxsize=1 << 17)
def _term(token: str) -> str | None:
    """The term of one normalized token (at most ``MAX_TOKEN`` long), or ``None`` for a stop word."""
    name = _EXACT_NAMES.get(token)
    if name is not None:
        return name
    if token in _STOP:
        return None
    if "'" in token:
        token = _shape(token)
        name = _EXACT_NAMES.get(token)
        if name is not None:
            return name
        if token in _STOP:
            return None
    stem = _stem(token)
    return _STEM_NAMES.get(stem, stem) if token not in names.NEVER_FOLD else stem


def written_tokens(text: str) -> list[str]:
    """The tokens of a text as written (not normalized): a word shown back to a reader without its
    punctuation or markup."""
    return _TOKEN.findall(text)


def is_name(term: str) -> bool:
    """Whether a term is a name the name table folds (``@almaty``): no token can start with ``@``."""
    return term.startswith("@")


class Part(NamedTuple):
    """A part of a hyphenated token that is indexed on its own."""

    surface: str  # normalized and unstemmed, as ``prefix_key`` shapes a typed word
    term: str


@lru_cache(maxsize=1 << 16)
def _parts(token: str) -> tuple[Part, ...]:
    """The parts of a hyphenated token (at most ``MAX_TOKEN`` long) with a term of their own: stop words have none,
    and a part whose term is the token's adds nothing. A stop word's parts are not indexed either."""
    whole = _term(token)
    if whole is None:
        return ()
    return tuple(
        Part(_shape(part), found)
        for part in token.split("-")
        if part and (found := _term(part)) is not None and found != whole
    )


def _terms(text: str, with_parts: bool) -> list[str]:
    term, parts = _term, _parts
    out: list[str] = []
    append = out.append
    for token in _TOKEN.findall(normalize(text)):
        if len(token) > MAX_TOKEN:
            token = token[:MAX_TOKEN]
        t = term(token)
        if t is not None:
            append(t)
            if with_parts and "-" in token:
                out += [part.term for part in parts(token)]
    return out


def terms(text: str) -> list[str]:
    """Query terms of a text, one per word, in order: normalized, stop words dropped, stemmed, names folded."""
    return _terms(text, False)


def index_terms(text: str) -> list[str]:
    """What a document's text is indexed under: ``terms(text)`` with each hyphenated word's term followed by its
    parts' terms. Its length is the field length; the reference BM25 indexes this same list."""
    return _terms(text, True)


def word_pairs(sequence: Sequence[str]) -> list[str]:
    """The terms of every two neighbouring words (stop words skipped), each pair an index term of its own:
    a quoted phrase matches the documents that have all its pairs. No term has a space, so no pair can be
    mistaken for a word."""
    return [f"{first} {second}" for first, second in zip(sequence, sequence[1:], strict=False)]


def _mapped_normal_form(chunk: str) -> tuple[str, list[int], list[int]] | None:
    """The normal form of a chunk with, per normalized character, the start and end of its source in the chunk.

    ``None`` when the chunk's normal form is not the concatenation of its letters' normal forms (a rare
    composition across letters, such as conjoining Hangul jamo): offsets are then only known for the whole chunk.
    """
    if chunk.isascii():
        offsets = list(range(len(chunk)))
        return normalize(chunk), offsets, [i + 1 for i in offsets]
    pieces: list[str] = []
    bounds: list[int] = []
    for i, char in enumerate(chunk):
        if i and unicodedata.category(char)[0] == "M":
            continue
        bounds.append(i)
    bounds.append(len(chunk))
    starts: list[int] = []
    ends: list[int] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        piece = _normalize_piece(chunk[a:b])
        pieces.append(piece)
        starts.extend([a] * len(piece))
        ends.extend([b] * len(piece))
    normal = "".join(pieces)
    if normal != normalize(chunk):
        return None
    return normal, starts, ends


@lru_cache(maxsize=1 << 12)
def _normalize_piece(piece: str) -> str:
    return normalize(piece)


class TokenSpan(NamedTuple):
    term: str | None  # None: a stop word
    start: int
    end: int
    parts: tuple[Part, ...]  # a hyphenated token's parts indexed on their own (``index_terms``)


def _span(token: str, start: int, end: int) -> TokenSpan:
    token = token[:MAX_TOKEN]
    return TokenSpan(_term(token), start, end, _parts(token) if "-" in token else ())


def token_spans(text: str) -> Iterator[TokenSpan]:
    """Every token of the ORIGINAL text with its start/end offsets, its term and its parts, so a highlighter can
    mark in the original text exactly the tokens whose term, or one of whose parts' terms, matches.

    Yields the same terms, in the same order, as ``terms(text)`` (plus ``None`` for stop words), and with the parts'
    terms those of ``index_terms(text)``. ``text[start:end]`` is the token as written, including any combining marks
    or compatibility characters it was normalized from.
    """
    for chunk_match in _CHUNK.finditer(text):
        base = chunk_match.start()
        for term, start, end, parts in _chunk_spans(chunk_match.group()):
            yield _new_span(TokenSpan, (term, base + start, base + end, parts))


_new_span = tuple.__new__  # a TokenSpan without the Python-level __new__ of a NamedTuple, once per token


@lru_cache(maxsize=1 << 17)  # a chunk is a word with its punctuation: 10,000 articles have ~150,000
def _chunk_spans(chunk: str) -> tuple[TokenSpan, ...]:
    """The token spans of one whitespace-free chunk, offsets within it: a chunk's spans depend on it alone, and
    the words of a corpus repeat, so the indexer maps most chunks' characters once."""
    mapped = _mapped_normal_form(chunk)
    if mapped is None:
        return tuple(_span(token, 0, len(chunk)) for token in _TOKEN.findall(normalize(chunk)))
    normal, starts, ends = mapped
    return tuple(
        _span(token_match.group(), starts[token_match.start()], ends[token_match.end() - 1])
        for token_match in _TOKEN.finditer(normal)
    )


@lru_cache(maxsize=1 << 16)  # the indexer asks it of every word of every article
def prefix_key(token: str) -> str:
    """Normalized, unstemmed form of a partial last query word, for as-you-type prefix matching ("" if none)."""
    found = _TOKEN.findall(normalize(token))
    if not found:
        return ""
    return _shape(found[-1][:MAX_TOKEN])
