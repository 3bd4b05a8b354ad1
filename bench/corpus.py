"""Benchmark corpora of any size: real news text where it is saved, recombined by a seeded generator.

Source: `../shared/data/wikinews-en-ru/wikinews_{en,ru}.jsonl` beside the repository (293 English and 933
Russian Wikinews articles, CC BY 2.5, see the SOURCES.md there). Without it, a small built-in seed written
for this benchmark (sentences about Central Asian places, people and currencies in both languages, filled
from templates) plus pseudo-word filler drawn from a Zipf distribution, so that the term statistics keep
a long tail; figures from that fallback are not comparable with the real-text ones (`Corpus.source` says
which one ran).

Enlarging to N articles (`generate`): each article draws its language (half English, half Russian), then a
seed article in it, and keeps that article's lead and most of its other paragraphs, sometimes with one
paragraph of another article; articles given a country also get one or two sentences about it (from the
built-in templates), as a Central Asia newsroom's would. Staying on the seed's topic keeps the document
frequencies of terms close to the real corpus's (measured: "president" in 40 % of the English Wikinews
articles; bodies of randomly recombined sentences put it in 70 %), and with them the size of posting
lists. Titles come from the seed's title or from one of the article's sentences; dates are spread over
2019-2026 in publication order with a few backdated; category, country, 0-3 tags and an optional summary
are drawn per article. The output items are shaped like the articles table's `ARTICLE#` items
(`steppewire.articles.store._article_item`), without body_html and bookkeeping attributes. The corpus is a
function of its size and the seed: every run sees the same articles (the 1k corpus is not a prefix of the
10k one, both spread over the same years).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "data" / "wikinews-en-ru"
SEED = 20261125
FIRST_DAY = datetime(2019, 1, 1, tzinfo=UTC)
LAST_DAY = datetime(2026, 11, 30, tzinfo=UTC)

CATEGORIES = ("Economy", "Politics", "Society", "Culture", "Sport", "Science", "World", "Technology")
CATEGORY_WEIGHTS = (22, 24, 16, 10, 10, 6, 8, 4)
COUNTRIES = ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan", "Turkmenistan")
COUNTRY_WEIGHTS = (30, 15, 10, 25, 5)  # the rest (15 %) have no country: none in 40 % of articles, see below
NO_COUNTRY_SHARE = 0.4
KEEP_PARAGRAPH = 0.8
BORROW_PARAGRAPH = 0.3
TAGS = {
    "Economy": ("tenge", "inflation", "central-bank", "oil", "gas", "cotton", "remittances", "budget", "trade"),
    "Politics": ("elections", "parliament", "president", "government", "protests", "diplomacy", "border"),
    "Society": ("education", "health", "migration", "water", "covid-19", "housing"),
    "Culture": ("cinema", "music", "heritage", "literature", "festival"),
    "Sport": ("football", "boxing", "olympics", "wrestling", "chess"),
    "Science": ("space", "climate", "energy", "medicine"),
    "World": ("russia", "china", "afghanistan", "united-nations", "eu"),
    "Technology": ("internet", "startups", "telecom", "ai"),
}


@dataclass(frozen=True)
class SeedArticle:
    lang: str
    title: str
    paragraphs: tuple[tuple[str, ...], ...]  # paragraphs as sentences


@dataclass(frozen=True)
class Corpus:
    source: str  # "wikinews" or "built-in"
    seeds: int
    articles: list[dict[str, Any]]  # in publication order (doc ids follow it)


# --- the built-in seed: Central Asia in both languages -------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    en_country: str
    en_cities: tuple[str, ...]
    en_currency: str
    ru_country: tuple[str, str, str]  # nominative, genitive, prepositional
    ru_cities: tuple[tuple[str, str], ...]  # nominative, prepositional
    ru_currency: tuple[str, str]  # nominative, genitive plural
    en_leader: str
    ru_leader: str
    en_adjective: str
    ru_adjective: str  # masculine nominative


_PLACES = {
    "Kazakhstan": _Place(
        "Kazakhstan",
        ("Almaty", "Astana", "Shymkent", "Karaganda", "Aktobe"),
        "tenge",
        ("Казахстан", "Казахстана", "Казахстане"),
        (("Алматы", "Алматы"), ("Астана", "Астане"), ("Шымкент", "Шымкенте"), ("Караганда", "Караганде")),
        ("тенге", "тенге"),
        "President Kassym-Jomart Tokayev",
        "президент Касым-Жомарт Токаев",
        "Kazakh",
        "казахстанский",
    ),
    "Kyrgyzstan": _Place(
        "Kyrgyzstan",
        ("Bishkek", "Osh", "Karakol", "Jalal-Abad"),
        "som",
        ("Кыргызстан", "Кыргызстана", "Кыргызстане"),
        (("Бишкек", "Бишкеке"), ("Ош", "Оше"), ("Каракол", "Караколе")),
        ("сом", "сомов"),
        "President Sadyr Japarov",
        "президент Садыр Жапаров",
        "Kyrgyz",
        "кыргызский",
    ),
    "Tajikistan": _Place(
        "Tajikistan",
        ("Dushanbe", "Khujand", "Bokhtar", "Khorog"),
        "somoni",
        ("Таджикистан", "Таджикистана", "Таджикистане"),
        (("Душанбе", "Душанбе"), ("Худжанд", "Худжанде"), ("Хорог", "Хороге")),
        ("сомони", "сомони"),
        "President Emomali Rahmon",
        "президент Эмомали Рахмон",
        "Tajik",
        "таджикский",
    ),
    "Uzbekistan": _Place(
        "Uzbekistan",
        ("Tashkent", "Samarkand", "Bukhara", "Namangan", "Andijan"),
        "sum",
        ("Узбекистан", "Узбекистана", "Узбекистане"),
        (("Ташкент", "Ташкенте"), ("Самарканд", "Самарканде"), ("Бухара", "Бухаре"), ("Наманган", "Намангане")),
        ("сум", "сумов"),
        "President Shavkat Mirziyoyev",
        "президент Шавкат Мирзиёев",
        "Uzbek",
        "узбекский",
    ),
    "Turkmenistan": _Place(
        "Turkmenistan",
        ("Ashgabat", "Turkmenabat", "Mary", "Dashoguz"),
        "manat",
        ("Туркменистан", "Туркменистана", "Туркменистане"),
        (("Ашхабад", "Ашхабаде"), ("Туркменабат", "Туркменабате"), ("Мары", "Мары")),
        ("манат", "манатов"),
        "President Serdar Berdimuhamedov",
        "президент Сердар Бердымухамедов",
        "Turkmen",
        "туркменский",
    ),
}

# Slots: {country} {city} {currency} {leader} {adj} {n} {pct} {year}; Russian: {country_gen} {country_prep}
# {city_prep} {currency_gen}.
_EN_TEMPLATES = (
    "The National Bank of {country} kept its base rate at {pct} percent on Thursday, citing slowing inflation.",
    "The {currency} weakened by {pct} percent against the dollar in {city} after oil prices fell.",
    "{leader} signed a decree on a new programme of road construction worth {n} billion {currency}.",
    "Residents of {city} complained about air pollution as the heating season began.",
    "The {adj} football team beat its rivals 2-1 in front of {n} thousand spectators in {city}.",
    "Parliament in {country} approved amendments to the budget for {year} in the second reading.",
    "Water shortages in the south of {country} hit cotton and wheat farmers hardest this summer.",
    "Remittances from migrant workers to {country} reached {n} billion dollars, the central bank said.",
    "A new railway line will link {city} with the Chinese border by {year}, officials announced.",
    "The election commission of {country} registered {n} candidates for the parliamentary vote.",
    "An earthquake of magnitude {pct} shook {city} early on Sunday; no casualties were reported.",
    "Prices for bread and vegetables in {city} rose by {pct} percent over the month.",
    "The {adj} government plans to privatise stakes in {n} state companies before {year}.",
    "Exporters in {country} welcomed the decision to simplify customs rules at the border.",
    "Students in {city} protested against higher tuition fees outside the ministry of education.",
    "A film festival in {city} showed {n} films from across Central Asia this week.",
    "The ministry of energy of {country} said gas exports to China grew by {pct} percent.",
    "Doctors in {city} reported a rise in cases of influenza among children.",
    "{leader} met the foreign minister of Russia to discuss trade and security in Central Asia.",
    "The stock exchange in {city} listed shares of a {adj} telecom operator for the first time.",
    "Farmers near {city} started the harvest two weeks early because of the heat.",
    "The {adj} boxer won gold at the Asian championships, the first such medal for {country} since {year}.",
    "Inflation in {country} slowed to {pct} percent in annual terms, according to the statistics agency.",
    "Authorities in {city} opened {n} new schools ahead of the academic year.",
    "A delegation from {country} arrived in Brussels for talks on investment and critical minerals.",
    "Tourists spent {n} million {currency} in {city} during the spring holidays.",
    "Heavy snowfall closed the mountain pass between {city} and the regional centre for two days.",
    "The central bank of {country} sold {n} million dollars from its reserves to support the {currency}.",
    "Scientists in {city} presented a new seismic map of {country} at an international conference.",
    "The {adj} chess player drew with the world champion in the fifth round of the tournament.",
)
_RU_TEMPLATES = (
    "Национальный банк {country_gen} сохранил базовую ставку на уровне {pct}% годовых.",
    "Курс {currency_gen} к доллару снизился на {pct}% после падения цен на нефть.",
    "Жители города {city} пожаловались на загрязнение воздуха с началом отопительного сезона.",
    "В {city_prep} открылся новый мост через реку, строительство обошлось в {n} млрд {currency_gen}.",
    "{leader_cap} подписал указ о программе строительства дорог до {year} года.",
    "Парламент {country_gen} одобрил поправки в бюджет на {year} год во втором чтении.",
    "Нехватка воды на юге {country_gen} сильнее всего ударила по фермерам, выращивающим хлопок.",
    "Денежные переводы трудовых мигрантов в {country} достигли {n} млрд долларов.",
    "Новая железная дорога соединит {city} с границей Китая к {year} году, сообщили в министерстве.",
    "Центральная избирательная комиссия {country_gen} зарегистрировала {n} кандидатов на выборах.",
    "Землетрясение магнитудой {pct} произошло в {city_prep} в воскресенье утром, пострадавших нет.",
    "Цены на хлеб и овощи в {city_prep} выросли за месяц на {pct}%.",
    "Правительство {country_gen} планирует приватизировать доли в {n} государственных компаниях.",
    "Студенты в {city_prep} вышли на акцию протеста против повышения платы за обучение.",
    "В {city_prep} прошёл кинофестиваль, на котором показали {n} фильмов из Центральной Азии.",
    "Министерство энергетики {country_gen} сообщило, что экспорт газа в Китай вырос на {pct}%.",
    "Врачи в {city_prep} отмечают рост заболеваемости гриппом среди детей.",
    "{leader_cap} обсудил с министром иностранных дел России торговлю и безопасность в Центральной Азии.",
    "Инфляция в {country_prep} замедлилась до {pct}% в годовом выражении, сообщило бюро статистики.",
    "Фермеры под городом {city} начали уборку урожая на две недели раньше из-за жары.",
    "{adj_cap} боксёр завоевал золото чемпионата Азии, впервые для {country_gen} с {year} года.",
    "Власти в {city_prep} открыли {n} новых школ к началу учебного года.",
    "Туристы потратили в {city_prep} {n} млн {currency_gen} за весенние праздники.",
    "Сильный снегопад на два дня закрыл перевал между городом {city} и областным центром.",
    "Центральный банк {country_gen} продал {n} млн долларов из резервов для поддержки курса {currency_gen}.",
    "Учёные в {city_prep} представили новую сейсмическую карту {country_gen} на международной конференции.",
    "{adj_cap} шахматист сыграл вничью с чемпионом мира в пятом туре турнира.",
    "Биржа в {city_prep} впервые разместила акции {adj_gen} телекоммуникационного оператора.",
    "Делегация {country_gen} прибыла в Брюссель на переговоры об инвестициях.",
    "Футбольная сборная {country_gen} обыграла соперников со счётом 2:1 на стадионе в {city_prep}.",
)
_RU_ADJ_GEN = {"ий": "ого", "ой": "ого"}


def _ru_adjective_genitive(adjective: str) -> str:
    return adjective[:-2] + _RU_ADJ_GEN.get(adjective[-2:], "ого")


def central_asia_sentence(rng: random.Random, lang: str, country: str) -> str:
    """One sentence about `country` in `lang`, from the built-in templates."""
    place = _PLACES[country]
    n, pct, year = rng.randint(2, 900), f"{rng.randint(1, 19)}.{rng.randint(0, 9)}", rng.randint(2019, 2030)
    if lang == "ru":
        city, city_prep = rng.choice(place.ru_cities)
        return rng.choice(_RU_TEMPLATES).format(
            country=place.ru_country[0],
            country_gen=place.ru_country[1],
            country_prep=place.ru_country[2],
            city=city,
            city_prep=city_prep,
            currency_gen=place.ru_currency[1],
            leader_cap=place.ru_leader[0].upper() + place.ru_leader[1:],
            adj_cap=place.ru_adjective[0].upper() + place.ru_adjective[1:],
            adj_gen=_ru_adjective_genitive(place.ru_adjective),
            n=n,
            pct=pct.replace(".", ","),
            year=year,
        )
    return rng.choice(_EN_TEMPLATES).format(
        country=place.en_country,
        city=rng.choice(place.en_cities),
        currency=place.en_currency,
        leader=place.en_leader,
        adj=place.en_adjective,
        n=n,
        pct=pct,
        year=year,
    )


def _pseudo_words(rng: random.Random, syllables: Sequence[str], count: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    return sorted(words)


def builtin_seed(articles_per_lang: int = 300) -> list[SeedArticle]:
    """Seed articles when the saved news text is absent: template sentences about Central Asia between
    sentences of Zipf-distributed pseudo-words (a vocabulary of 6,000 per language)."""
    rng = random.Random(SEED)
    syllables = {
        "en": [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ar", "en", "ol")],
        "ru": [c + v for c in "бвгдклмнпрстз" for v in ("а", "е", "и", "о", "у", "ар", "ен", "ол")],
    }
    seeds: list[SeedArticle] = []
    for lang in ("en", "ru"):
        vocabulary = _pseudo_words(rng, syllables[lang], 6000)
        rng.shuffle(vocabulary)  # Zipf ranks independent of spelling
        cumulative = list(accumulate(1.0 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))))
        for _ in range(articles_per_lang):
            country = rng.choice(COUNTRIES)
            paragraphs: list[tuple[str, ...]] = []
            for _ in range(rng.randint(3, 8)):
                sentences = []
                for _ in range(rng.randint(2, 5)):
                    if rng.random() < 0.3:
                        sentences.append(central_asia_sentence(rng, lang, country))
                    else:
                        words = rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(6, 22))
                        sentences.append(" ".join(words).capitalize() + ".")
                paragraphs.append(tuple(sentences))
            title = paragraphs[0][0].rstrip(".")
            seeds.append(SeedArticle(lang, title, tuple(paragraphs)))
    return seeds


# --- the saved news text -----------------------------------------------------------------------------------

_DATELINE = re.compile(r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \w+ \d{1,2}, \d{4}\s*$")
_WIKI_LINK = re.compile(r"\[https?://\S+\s*([^\]]*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«(]?[A-ZА-ЯЁ0-9])")


def split_sentences(paragraph: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip())


def _paragraphs(text: str) -> tuple[tuple[str, ...], ...]:
    text = _WIKI_LINK.sub(r"\1", text).replace("\xa0", " ")
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for line in lines if line and not _DATELINE.match(line)]
    # A first line without a full stop is a photo caption (the RU texts start with one): not prose.
    while kept and not kept[0].rstrip().endswith((".", "!", "?", "»", '"')):
        kept.pop(0)
    return tuple(split for line in kept if len(line) > 20 and (split := split_sentences(line)))


def load_wikinews(directory: Path | None = None) -> list[SeedArticle]:
    """The saved Wikinews articles as seeds, or [] when the directory is absent."""
    directory = DATA_DIR if directory is None else directory
    seeds: list[SeedArticle] = []
    for lang in ("en", "ru"):
        path = directory / f"wikinews_{lang}.jsonl"
        if not path.is_file():
            return []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            paragraphs = _paragraphs(str(row.get("text") or ""))
            if paragraphs and row.get("title"):
                seeds.append(SeedArticle(str(row.get("lang") or lang), str(row["title"]).strip(), paragraphs))
    return seeds


# --- the generator -----------------------------------------------------------------------------------------

_SLUG_WORD = re.compile(r"[a-z0-9]+")


def _slug(title: str, lang: str, number: int) -> str:
    words = _SLUG_WORD.findall(title.lower())[:6] or [lang, "story"]  # Cyrillic titles: no transliteration here
    return "-".join([*words, f"{number:06d}"])


def _title_from(sentence: str, rng: random.Random) -> str:
    words = sentence.split()[: rng.randint(6, 11)]
    return " ".join(words).rstrip(".,;:—-–") or sentence


def _timestamps(rng: random.Random, count: int) -> list[str]:
    """Publication times in publication order over 2019-2026; about 3 % backdated by up to a year (late
    uploads of older stories), as a newsroom's archive has."""
    span = int((LAST_DAY - FIRST_DAY).total_seconds() // 60)
    minutes = sorted(rng.randrange(span) for _ in range(count))
    out = []
    for minute in minutes:
        if rng.random() < 0.03:
            minute = max(0, minute - rng.randrange(525_600))
        moment = FIRST_DAY + timedelta(minutes=minute)
        out.append(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return out


def generate(count: int, seeds: Sequence[SeedArticle], seed: int = SEED) -> list[dict[str, Any]]:
    """`count` article items in publication order, a deterministic function of (`count`, `seeds`, `seed`)."""
    rng = random.Random(f"{seed}:{count}")
    by_lang: dict[str, list[SeedArticle]] = {}
    for article in seeds:
        by_lang.setdefault(article.lang, []).append(article)
    languages = sorted(by_lang)
    times = _timestamps(rng, count)
    items: list[dict[str, Any]] = []
    for number, published_at in enumerate(times, start=1):
        lang = rng.choice(languages)  # as many English as Russian articles, whatever the seed's mix
        base = rng.choice(by_lang[lang])
        category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
        country = None if rng.random() < NO_COUNTRY_SHARE else rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0]
        # Body: the seed article itself, thinned (each paragraph after the lead kept with p = 0.8), and now and
        # then one paragraph of another article in the same language. Keeping each article on its seed's topic
        # keeps the terms' document frequencies near the real corpus's; bodies of random sentences would
        # spread common words over 2-3 times as many documents, and inflate every posting list with them.
        paragraphs: list[list[str]] = [list(base.paragraphs[0])]
        paragraphs += [list(p) for p in base.paragraphs[1:] if rng.random() < KEEP_PARAGRAPH]
        if rng.random() < BORROW_PARAGRAPH:
            borrowed = list(rng.choice(rng.choice(by_lang[lang]).paragraphs))
            paragraphs.insert(rng.randint(1, len(paragraphs)), borrowed)
        lead_extra = ""
        if country is not None:
            extra = [central_asia_sentence(rng, lang, country) for _ in range(rng.randint(1, 2))]
            paragraphs[0] = paragraphs[0] + extra[:1]
            if len(extra) > 1:
                paragraphs.insert(min(len(paragraphs), 2), extra[1:])
            lead_extra = extra[0]
        text = "\n\n".join(" ".join(p) for p in paragraphs)
        choice = rng.random()
        if lead_extra and choice < 0.4:
            title = _title_from(lead_extra, rng)
        elif choice < 0.65:
            title = base.title
        else:
            title = _title_from(rng.choice([s for p in paragraphs for s in p]), rng)
        summary = None
        if rng.random() < 0.6:
            summary = next((s for p in paragraphs for s in p if 40 <= len(s) <= 280), None)
        tag_pool = TAGS[category] + TAGS["Politics" if category != "Politics" else "Economy"][:2]
        tags = sorted(rng.sample(tag_pool, rng.choice((0, 1, 1, 2, 2, 3))))
        slug = _slug(title, lang, number)
        items.append(
            {
                "pk": f"ARTICLE#{slug}",
                "sk": "ARTICLE",
                "slug": slug,
                "title": title,
                "published_at": published_at,
                "lang": lang,
                "author": None,
                "category": category,
                "tags": tags,
                "country": country,
                "summary": summary,
                "text": text,
                "revision": 1,
            }
        )
    return items


def build(count: int, directory: Path | None = None) -> Corpus:
    """A corpus of `count` articles from the saved news text, or from the built-in seed without it."""
    seeds = load_wikinews(directory)
    source = "wikinews"
    if not seeds:
        seeds, source = builtin_seed(), "built-in"
    return Corpus(source, len(seeds), generate(count, seeds))
