"""The search analyzer as readers see it: what matches what, and where a highlight lands in the original text."""

import random
import time

import pytest

from steppewire.search import analysis, names, stopwords
from steppewire.search.analysis import MAX_TOKEN, index_terms, normalize, prefix_key, terms, token_spans

# --- names fold across scripts, spellings and Russian inflections -------------------------------------------------


def test_almaty_in_four_spellings_is_one_term() -> None:
    assert terms("Almaty") == terms("Алматы") == terms("Alma-Ata") == terms("Алма-Ате") == ["@almaty"]


@pytest.mark.parametrize(
    ("canonical", "variant"),
    [(canonical, variant) for canonical, variants in names.NAMES.items() for variant in variants],
)
def test_every_listed_variant_folds_to_its_group(canonical: str, variant: str) -> None:
    assert terms(variant) == [canonical]
    assert terms(variant.upper()) == [canonical]


# Written by hand, independent of names.py: inflected and respelled forms a reader would type or an article contain.
INFLECTED = [
    ("@almaty", ["в Алмате", "Алма-Атой", "из Алма-Аты", "алматинского", "Almaty's", "ALMA-ATA", "Алма́ты"]),
    ("@astana", ["в Астане", "Нур-Султане", "из Нур-Султана", "Акмолы", "Целинограде", "Nur-Sultan's", "Астаной"]),
    ("@bishkek", ["в Бишкеке", "Бишкека", "Фрунзе", "Bishkek's", "бишкекских"]),
    ("@tashkent", ["Ташкента", "в Ташкенте", "Toshkent", "ташкентском"]),
    ("@dushanbe", ["в Душанбе", "Dushanbe's", "Сталинабада"]),
    ("@ashgabat", ["в Ашхабаде", "Aşgabat", "ASHGABAT", "Ашхабада"]),
    ("@osh", ["в Оше", "из Оша", "Osh", "ошской"]),
    ("@samarkand", ["в Самарканде", "Samarqand", "Самарканда"]),
    ("@bukhara", ["в Бухаре", "Бухары", "Buxoro"]),
    ("@shymkent", ["Чимкента", "в Шымкенте", "Chimkent"]),
    ("@karaganda", ["Караганды", "в Караганде", "Qaraghandy", "карагандинской"]),
    ("@kazakhstan", ["Казахстана", "казахстанского", "казахи", "казахов", "Kazakhs", "Kazakhstan's", "казахстанцы"]),
    ("@kyrgyzstan", ["Киргизии", "кыргызской", "Kyrgyzstan's", "киргизов", "Кыргызстане"]),
    ("@tajikistan", ["Таджикистана", "таджикского", "таджиков", "Tajiks"]),
    ("@uzbekistan", ["Узбекистане", "узбекских", "узбеки", "O‘zbekiston", "Oʻzbekiston", "O`zbekiston", "Uzbeks"]),
    ("@turkmenistan", ["Туркмении", "туркменского", "туркмены", "Türkmenistan", "Turkmens"]),
    ("@tenge", ["тенге", "KZT", "теңге"]),
    ("@som", ["сомов", "сома", "soms", "KGS"]),
    ("@sum", ["сумов", "so‘m", "UZS", "сумом"]),
    ("@somoni", ["сомони", "somonis", "TJS"]),
    ("@manat", ["манатов", "manats", "TMT"]),
    ("@tokayev", ["Токаева", "о Токаеве", "Токаевым", "Tokayev's", "Tokaev"]),
    ("@nazarbayev", ["Назарбаева", "Назарбаевым", "Nazarbaev"]),
    ("@japarov", ["Жапарова", "Жапаровым", "Zhaparov", "Japarov's"]),
    ("@mirziyoyev", ["Мирзиёева", "Мирзиееву", "Mirziyoyev's"]),
    ("@rahmon", ["Рахмона", "Рахмоном", "Rakhmon"]),
    ("@berdimuhamedov", ["Бердымухамедова", "Berdymukhamedov", "Бердымухамедовым"]),
]


@pytest.mark.parametrize(("canonical", "text"), [(canonical, text) for canonical, texts in INFLECTED for text in texts])
def test_inflected_and_respelled_forms_fold(canonical: str, text: str) -> None:
    assert canonical in terms(text)


@pytest.mark.parametrize(("canonical", "texts"), INFLECTED)
def test_a_query_in_either_script_finds_the_other(canonical: str, texts: list[str]) -> None:
    # Whichever form is the query and whichever is in the article, they share the canonical term.
    found = [set(terms(text)) for text in [*names.NAMES[canonical], *texts]]
    for query in found:
        for document in found:
            assert query & document == {canonical}


def test_same_story_in_two_languages_shares_its_name_terms() -> None:
    ru = terms("Президент Казахстана Токаев прибыл в Бишкек, где обсудил курс тенге и сома")
    en = terms("Kazakhstan's President Tokayev arrived in Bishkek to discuss the tenge and the som")
    name_terms = {"@kazakhstan", "@tokayev", "@bishkek", "@tenge", "@som"}
    assert {t for t in ru if t.startswith("@")} == name_terms
    assert {t for t in en if t.startswith("@")} == name_terms


@pytest.mark.parametrize(
    "text",
    [
        "sum",  # English "sum" is an ordinary word: not the Uzbek currency
        "sums",
        "summary",
        "some",
        "сумы",  # Sumy (Ukraine) and a plural of "сума": not folded
        "в Сумах",
        "сумем",  # "we will manage"
        "с сумой",  # with a bag
        "казы",  # horse sausage: its stem "каз" is also the stem of "казах", too short to fold on
        "сумка",
        "сумма",
        "ошибка",
        "тока",  # electric current, not Tokayev
        "ток",
        "казак",  # Cossack, not Kazakh
        "Бухарест",
        "Бухарин",
        "Самара",
        "алмаз",
        "manatee",
        "Turkey",
        "Turkish",
        "Somalia",
        "Oshkosh",
        "Kazakova",
        "Astra",
        "astatine",
        "Tashkentov",
        "tengu",
        "somnolent",
    ],
)
def test_ordinary_words_do_not_fold_into_names(text: str) -> None:
    assert not [t for t in terms(text) if t.startswith("@")]


def test_name_tables_are_consistent() -> None:
    # No name form is a stop word, no form folds to two groups (checked at import), and "sum" stays English.
    assert not (set(analysis._EXACT_NAMES) & stopwords.ALL)
    assert "sum" not in analysis._EXACT_NAMES and "sum" not in analysis._STEM_NAMES
    assert all(canonical.startswith("@") for canonical in names.NAMES)


# --- stemming, stop words, normalization ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("elections", "election"),
        ("Presidents", "president"),
        ("voting", "voted"),
        ("президента", "президентом"),
        ("выборы", "выборах"),
        ("экономики", "экономике"),
    ],
)
def test_word_forms_share_a_stem(a: str, b: str) -> None:
    assert terms(a) == terms(b)
    assert len(terms(a)) == 1


def test_stemming_is_chosen_by_script_not_by_language() -> None:
    assert terms("elections выборы") == ["elect", "выбор"]
    assert terms("2024") == ["2024"]
    assert terms("G20") == ["g20"]


def test_stop_words_are_dropped_in_both_languages() -> None:
    assert terms("The President and the people of this country") == ["presid", "peopl", "countri"]
    assert terms("И вот он уже в Москве, но ещё не дома") == ["москв", "дом"]
    assert terms("don't it's she’ll") == []
    assert terms("the of а и в") == []


def test_stop_word_lists_are_in_normal_form() -> None:
    for word in stopwords.ALL:
        assert normalize(word) == word
        assert "ё" not in word


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ёлка", "елка"),
        ("Ёж", "еж"),
        ("ещё", "еще"),
        ("café", "cafe"),
        ("Cafe\u0301", "cafe"),
        ("naïve", "naive"),
        ("Ærø", "aero"),
        ("İstanbul", "istanbul"),
        ("STRAẞE", "strasse"),
        ("ﬁnance", "finance"),
        ("Ａｌｍａｔｙ", "almaty"),
        ("Ал\u00adматы", "алматы"),
        ("Алм\u200bаты", "алматы"),
        ("каза́хский", "казахский"),
    ],
)
def test_normalization_matches_what_readers_consider_the_same_word(a: str, b: str) -> None:
    assert terms(a) == terms(b)


def test_cyrillic_letters_keep_their_marks() -> None:
    assert normalize("Йод") == "йод"
    assert normalize("И\u0306од") == "йод"  # decomposed й recomposes
    assert terms("йод") != terms("иод")
    assert normalize("Ўзбекистон ӣ ӯ") == "ўзбекистон ӣ ӯ"
    assert normalize("Ёлка") == "елка"


def test_apostrophes() -> None:
    assert normalize("O‘zbekiston Tokayev’s") == "o'zbekiston tokayev's"
    assert terms("Tokayev's") == terms("Tokayev") == ["@tokayev"]
    assert terms("Kazakhstan’s exports") == ["@kazakhstan", "export"]
    assert terms("'Almaty'") == ["@almaty"]  # quotes around a word are not part of it
    assert terms("rock'n'roll") == terms("rocknroll")


def test_hyphenated_words_stay_whole() -> None:  # as query terms; documents also get the parts (test_search_hyphens)
    assert [text for _, s, e, _ in token_spans("Нур-Султан") for text in ["Нур-Султан"[s:e]]] == ["Нур-Султан"]
    assert terms("COVID-19") == ["covid-19"]
    assert terms("северо-западе") == terms("северо-запад") == ["северо-запад"]  # only the last part is stemmed
    assert terms("Kazakh-Russian") == ["kazakh-russian"]
    assert terms("x--y") == ["x", "y"]  # a double hyphen does not join


# --- token_spans: offsets into the original text ----------------------------------------------------------------


def spans_text(text: str) -> list[tuple[str | None, str]]:
    return [(term, text[start:end]) for term, start, end, _ in token_spans(text)]


def test_token_spans_point_at_the_original_text() -> None:
    text = "В Алма-Ате — «Tokayev’s» визит"
    assert spans_text(text) == [
        (None, "В"),
        ("@almaty", "Алма-Ате"),
        ("@tokayev", "Tokayev’s"),
        ("виз", "визит"),
    ]


def test_token_spans_survive_text_that_normalization_reshapes() -> None:
    text = "ﬁnance Cafe\u0301 Ал\u00adматы Ａｌｍａｔｙ ß ½ е\u0308лка"
    assert spans_text(text) == [
        ("financ", "ﬁnance"),
        ("cafe", "Cafe\u0301"),
        ("@almaty", "Ал\u00adматы"),
        ("@almaty", "Ａｌｍａｔｙ"),
        ("ss", "ß"),
        ("1", "½"),
        ("2", "½"),
        ("елк", "е\u0308лка"),
    ]


def test_token_spans_agree_with_terms() -> None:
    text = "The Президент Kazakhstan's don't ёлка\u00a0COVID-19\tнур-султане ﬁ"
    assert [t for t, _, _, _ in token_spans(text) if t is not None] == terms(text)


POOL = (
    "abcxyz ABC Almaty Алматы йёЁе\u0308и\u0306 -'’`´ \u0301\u0308\u0306\u0304 ﬁﬂ½ß İı ø ÆŒ\u00ad\u200b"
    "\u00a0\u2009\n\t,.!?«»<>&;/ 0123 Ａ１ 한\u1100\u1161\u11a8 ﷺ 😀\u200d🙂 ع\u064e ह\u093f \ud800 _"
)


@pytest.mark.parametrize("seed", range(40))
def test_random_unicode_spans_are_consistent(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(POOL) for _ in range(rng.randrange(1, 400)))
    spans = list(token_spans(text))
    assert [t for t, _, _, _ in spans if t is not None] == terms(text)
    assert [t for s in spans if s.term is not None for t in (s.term, *(p.term for p in s.parts))] == index_terms(text)
    previous = (0, 0)
    for term, start, end, _ in spans:
        assert 0 <= start < end <= len(text)
        assert start >= previous[0] and end >= previous[1]  # in text order
        previous = (start, end)
        if term is not None:
            # the highlighted original text, analyzed again, contains the term it was marked for
            assert term in [t for t, _, _, _ in token_spans(text[start:end])]
            assert len(term) <= MAX_TOKEN or term.startswith("@")
            assert not term.startswith("@") or term in names.NAMES


# --- hostile input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "a-" * 500_000,
        "x'" * 300_000,
        "ﷺ" * 50_000,
        "\u0301" * 200_000,
        "<script>alert('Almaty')</script>&amp;&#x41;" * 10_000,
        "\x00\ud800\ufffe\U0010ffff" * 50_000,
        "Алма-Ата " * 100_000,
    ],
    ids=["long-word", "hyphen-chain", "apostrophe-chain", "expanding", "marks", "markup", "control", "repeated"],
)
def test_hostile_input_is_fast_and_bounded(text: str) -> None:
    started = time.perf_counter()
    result = terms(text)
    spans = sum(1 for _ in token_spans(text[:20_000]))
    assert time.perf_counter() - started < 5
    assert spans >= 0
    assert all(0 < len(term) <= MAX_TOKEN for term in result)
    assert not any(set(term) & set("<>&;") for term in result)


def test_markup_characters_are_not_part_of_terms() -> None:
    assert terms("<b>Almaty</b> &amp; [caption]Bishkek[/caption]") == [
        "b",
        "@almaty",
        "b",
        "amp",
        "caption",
        "@bishkek",
        "caption",
    ]


def test_long_tokens_are_cut() -> None:
    assert terms("q" * 1000) == ["q" * MAX_TOKEN]
    ((term, start, end, _),) = token_spans("q" * 1000)
    assert (term, start, end) == ("q" * MAX_TOKEN, 0, 1000)


# --- as-you-type prefix --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("ПРЕЗИДЕ", "президе"),
        ("election", "election"),  # normalized, never stemmed
        ("Алма-А", "алма-а"),
        ("Tokayev’s", "tokayev"),
        ("Ёл", "ел"),
        ("Cafe\u0301", "cafe"),
        ("Kazakhstan Tok", "tok"),
        ("almaty-", "almaty"),
        ("  ", ""),
        ("«»", ""),
    ],
)
def test_prefix_key(typed: str, key: str) -> None:
    assert prefix_key(typed) == key


def test_throughput_is_fit_for_bulk_indexing() -> None:
    text = "Президент Казахстана Токаев провёл переговоры в Бишкеке. Elections in Kyrgyzstan's capital. " * 10_000
    started = time.perf_counter()
    count = len(terms(text))
    assert count == 90_000
    assert time.perf_counter() - started < 3  # ~0.1 s here; generous for slow CI
