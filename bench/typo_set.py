"""Labelled queries generated from news articles for `bench/search_eval.py`, each naming its intended article.

Kinds (every query ends with a space: its words are complete, none is expanded as a prefix):
- ``typo``: one distinctive title word of the article (5+ letters, a single term that is no name and no number,
  the rarest in the collection first) misspelled by a seeded random edit in its own script (insert, delete,
  substitute, adjacent transposition; a word of 9+ letters gets two edits in `TWO_EDIT_SHARE` of the cases),
  kept only when the misspelling's term is no indexed term (so it cannot match as typed) and it is still long
  enough for its distance (5+ letters for one edit, 9+ for two: the issue's rule), with 0-2 other
  title words spelled correctly;
- ``short``: the same words correctly spelled (the control: what the typo costs);
- ``lacking``: 1-2 title words and one real word of the collection that the article does not contain;
- ``long``: a ~300-character question made of the article's first sentences.

Deterministic: a function of the articles, the seed and the sizes (articles are sampled in slug order).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypeGuard

from steppewire.search.analysis import normalize, terms, token_spans
from steppewire.search.typos import edit_distance

LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"  # ё is folded to е by the analyzer: not a letter of its own
ALPHABETS = {"en": LATIN, "ru": CYRILLIC}
MIN_LETTERS = 5  # the threshold for one corrected edit
TWO_EDITS_FROM = 9  # and for two
TWO_EDIT_SHARE = 0.3
ATTEMPTS = 20  # misspellings tried per word before it is given up
LONG_CHARS = 300
LEAD_MIN_CHARS = 60  # shorter paragraphs are datelines and captions
_FRAMES = {
    "en": "What do we know about the news that {}?",
    "ru": "Что известно о новости: {}?",
}

Kind = Literal["typo", "short", "lacking", "long"]


@dataclass(frozen=True)
class SourceArticle:
    slug: str
    lang: str  # a key of ALPHABETS
    title: str
    text: str


@dataclass(frozen=True)
class LabeledQuery:
    kind: Kind
    q: str
    lang: str
    target: str  # slug of the article the query is meant to find
    word: str = ""  # typo/short: the distinctive word as written; lacking: the word the article lacks
    edited: str = ""  # typo: its misspelling


def edit_once(word: str, alphabet: str, rng: random.Random) -> str:
    """`word` with one random edit that changes it (letters from `alphabet`)."""
    while True:
        kind = rng.choice(("insert", "delete", "substitute", "transpose"))
        at = rng.randrange(len(word))
        if kind == "insert":
            out = word[:at] + rng.choice(alphabet) + word[at:]
        elif kind == "delete":
            out = word[:at] + word[at + 1 :]
        elif kind == "substitute":
            out = word[:at] + rng.choice(alphabet.replace(word[at], "")) + word[at + 1 :]
        elif at + 1 < len(word):
            out = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            continue
        if out != word:
            return out


def edit_budget(word: str) -> int:
    """The edits the issue corrects in a word of this length: 1 from 5 letters, 2 from 9."""
    return 2 if len(word) >= TWO_EDITS_FROM else 1 if len(word) >= MIN_LETTERS else 0


def correctable(meant: str, typed: str) -> bool:
    """Within both words' budgets: a misspelling shorter than the word may fall under a smaller one."""
    return 1 <= edit_distance(meant, typed, 2) <= min(edit_budget(meant), edit_budget(typed))


def misspell(word: str, alphabet: str, rng: random.Random) -> str:
    """One edit, or two for a word of `TWO_EDITS_FROM`+ letters now and then; never `word` itself."""
    edits = 2 if len(word) >= TWO_EDITS_FROM and rng.random() < TWO_EDIT_SHARE else 1
    out = word
    # Two edits in a row can come to three by the distance (an edit inside a swapped pair): drawn again then.
    while out == word or edit_distance(word, out, edits) > edits:
        out = word
        for _ in range(edits):
            out = edit_once(out, alphabet, rng)
    return out


def as_cased(written: str, normal: str) -> str:
    """`normal` (an edit of `written`'s normalized form) capitalized as `written` is, as a typist's slip keeps it."""
    return normal[:1].upper() + normal[1:] if written[:1].isupper() else normal


@lru_cache(maxsize=200_000)
def term_of(word: str) -> str | None:
    """The single term of a word, or None for a stop word or a word that is several tokens."""
    found = terms(word)
    return found[0] if len(found) == 1 else None


def plain(term: str | None) -> TypeGuard[str]:
    """A term of an ordinary word: not a stop word, not a name of the name table (its terms start with "@")."""
    return term is not None and not term.startswith("@")


def words_in(text: str, lang: str) -> list[str]:
    """The tokens of `text` (as the analyzer splits it, as written) whose normalized form is wholly letters of
    `lang`'s alphabet: no numbers, no hyphenated or apostrophized compounds."""
    letters = re.compile(f"[{ALPHABETS[lang]}]+")
    return [word for _, start, end, _ in token_spans(text) if letters.fullmatch(normalize(word := text[start:end]))]


class CollectionTerms:
    """The articles' vocabulary: document frequency per term, and real words per language."""

    def __init__(self, articles: Sequence[SourceArticle]) -> None:
        self.articles = sorted(articles, key=lambda article: article.slug)
        self.df: Counter[str] = Counter()
        self.article_terms: dict[str, frozenset[str]] = {}
        words: dict[str, set[str]] = {lang: set() for lang in ALPHABETS}
        for article in self.articles:
            found = set(terms(f"{article.title} {article.text}"))
            self.article_terms[article.slug] = frozenset(found)
            self.df.update(found)
            words[article.lang].update(
                normal for w in words_in(article.text, article.lang) if len(normal := normalize(w)) >= MIN_LETTERS
            )
        self.words = {lang: sorted(found) for lang, found in words.items()}

    def indexed(self, word: str) -> bool:
        return any(term in self.df for term in terms(word))

    def distinctive(self, article: SourceArticle) -> list[str]:
        """Title words that can carry a typo: 5+ letters, one term that is no name, rarest first."""
        seen: set[str] = set()
        out: list[tuple[int, str]] = []
        for word in words_in(article.title, article.lang):
            term = term_of(word)
            if len(normalize(word)) < MIN_LETTERS or not plain(term) or term in seen:
                continue
            seen.add(term)
            out.append((self.df[term], word))
        return [word for _, word in sorted(out)]


def _companions(collection: CollectionTerms, article: SourceArticle, skip: str, rng: random.Random) -> list[str]:
    """0-2 other title words with a term of their own (3+ letters), in title order."""
    skip_term = term_of(skip)
    pool = list(
        dict.fromkeys(
            word
            for word in words_in(article.title, article.lang)
            if len(normalize(word)) >= 3 and (term := term_of(word)) is not None and term != skip_term
        )
    )
    chosen = set(rng.sample(pool, min(len(pool), rng.randint(0, 2))))
    return [word for word in pool if word in chosen]


def _query(words: Iterable[str]) -> str:
    return " ".join(words) + " "


def typo_queries(collection: CollectionTerms, sample: int, seed: int) -> list[LabeledQuery]:
    """Per sampled article, 1-3 of its distinctive words, each as a ``typo`` query and its ``short`` twin."""
    rng = random.Random(seed)
    out: list[LabeledQuery] = []
    for article in rng.sample(collection.articles, min(sample, len(collection.articles))):
        alphabet = ALPHABETS[article.lang]
        for word in collection.distinctive(article)[: rng.randint(1, 3)]:
            edited = next(
                (
                    candidate
                    for candidate in (as_cased(word, misspell(normalize(word), alphabet, rng)) for _ in range(ATTEMPTS))
                    if correctable(normalize(word), normalize(candidate))
                    and plain(term_of(candidate))
                    and not collection.indexed(candidate)
                ),
                None,
            )
            if edited is None:
                continue
            companions = _companions(collection, article, word, rng)
            position = rng.randint(0, len(companions))
            words = [*companions[:position], word, *companions[position:]]
            typed = [*companions[:position], edited, *companions[position:]]
            out.append(LabeledQuery("typo", _query(typed), article.lang, article.slug, word, edited))
            out.append(LabeledQuery("short", _query(words), article.lang, article.slug, word))
    return out


def lacking_queries(collection: CollectionTerms, sample: int, seed: int) -> list[LabeledQuery]:
    """1-2 distinctive title words and one real word of the same language that the article lacks."""
    rng = random.Random(seed)
    out: list[LabeledQuery] = []
    for article in rng.sample(collection.articles, min(sample, len(collection.articles))):
        words = collection.distinctive(article)[: rng.randint(1, 2)]
        if not words:
            continue
        own = collection.article_terms[article.slug]
        vocabulary = collection.words[article.lang]
        while True:  # the article has a few hundred terms of the collection's thousands: this ends fast
            other = rng.choice(vocabulary)
            term = term_of(other)
            if plain(term) and term in collection.df and term not in own:
                break
        words.insert(rng.randint(0, len(words)), other)
        out.append(LabeledQuery("lacking", _query(words), article.lang, article.slug, other))
    return out


def lead(text: str) -> str:
    """The text from its first real paragraph on (English Wikinews opens with a dateline paragraph)."""
    paragraphs = [p for p in text.split("\n") if len(p.strip()) >= LEAD_MIN_CHARS]
    return " ".join(" ".join(paragraphs).split())


def long_queries(collection: CollectionTerms, sample: int, seed: int) -> list[LabeledQuery]:
    """A question of about `LONG_CHARS` characters from each sampled article's lead."""
    rng = random.Random(seed)
    out: list[LabeledQuery] = []
    for article in rng.sample(collection.articles, min(sample, len(collection.articles))):
        frame = _FRAMES[article.lang]
        room = LONG_CHARS - len(frame.format(""))
        text = lead(article.text)
        if len(text) > room:
            text = text[:room].rsplit(" ", 1)[0]
        out.append(LabeledQuery("long", frame.format(text.rstrip(".,;:")) + " ", article.lang, article.slug))
    return out
