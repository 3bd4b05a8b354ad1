"""Central Asian names that fold to one canonical term, whatever the script, spelling or Russian inflection.

``NAMES`` maps a canonical term (it starts with ``@``, which no token can contain) to its variants, written as they
appear in text: any case, ``ё``, typographic apostrophes and Latin diacritics are fine, ``analysis`` normalizes them.
List base forms only: ``analysis`` adds the Russian case forms of Cyrillic variants (``Бишкек`` → ``Бишкеке``,
``Токаев`` → ``Токаевым``, ``казахский`` → ``казахского``) and matches every token on its exact form first and then on
its Snowball stem, so ``Алмате``, ``Ташкента``, ``Kazakhs`` and ``Uzbekistan's`` fold too. A stem shorter than four
letters is never used for matching (``сом``, ``ош``, ``osh``): such names fold only on their listed or generated forms.

Decisions on ambiguous words:
- English ``sum``/``sums`` do not fold (an everyday English word); the Uzbek currency folds on ``UZS``, ``so'm``,
  Russian ``сум`` and its case forms, except the forms in ``NEVER_FOLD``.
- ``сумы``, ``сумах`` (also the Ukrainian city Sumy) and ``сумем`` (the verb "we will manage") never fold.
- Latin ``som`` is the Kyrgyz som; the Uzbek currency written without its apostrophe (``som``) folds there too.
- ``сом`` is also a fish (catfish); folding it with the currency is accepted.
- ``osh``/``ош`` fold: on a Central Asia desk it is the city; the Uzbek dish is spelled the same in both cases.
- ``KGS`` folds although it is also an informal plural of "kg": the rates ticker uses ISO codes.
- Region adjectives fold to their city (``Алматинская область`` → ``@almaty``); a compound is a term of its
  own (``Kazakh-Russian``), also indexed under its parts (``analysis.index_terms``: ``@kazakhstan``, ``russian``).
"""

NAMES: dict[str, tuple[str, ...]] = {
    # cities
    "@almaty": ("Almaty", "Alma-Ata", "Almaata", "Алматы", "Алма-Ата", "Алмаата", "алматинский"),
    "@astana": (
        "Astana",
        "Nur-Sultan",
        "Nursultan",
        "Akmola",
        "Aqmola",
        "Akmolinsk",
        "Tselinograd",
        "Астана",
        "Нур-Султан",
        "Акмола",
        "Ақмола",
        "Акмолинск",
        "Целиноград",
        "астанинский",
    ),
    "@bishkek": ("Bishkek", "Frunze", "Pishpek", "Бишкек", "Фрунзе", "Пишпек", "бишкекский"),
    "@tashkent": ("Tashkent", "Toshkent", "Ташкент", "Тошкент", "ташкентский"),
    "@dushanbe": ("Dushanbe", "Stalinabad", "Душанбе", "Сталинабад", "душанбинский"),
    "@ashgabat": ("Ashgabat", "Ashkhabad", "Ashgabad", "Aşgabat", "Ашхабад", "Ашгабат", "ашхабадский"),
    "@osh": ("Osh", "Ош", "ошский"),
    "@samarkand": ("Samarkand", "Samarqand", "Самарканд", "Самарқанд", "самаркандский"),
    "@bukhara": ("Bukhara", "Buxoro", "Bukhoro", "Бухара", "Бухоро", "бухарский"),
    "@shymkent": ("Shymkent", "Chimkent", "Шымкент", "Чимкент", "шымкентский", "чимкентский"),
    "@karaganda": ("Karaganda", "Qaraghandy", "Karagandy", "Qarağandy", "Караганда", "Қарағанды", "карагандинский"),
    # countries, their adjectives and demonyms
    "@kazakhstan": (
        "Kazakhstan",
        "Kazakstan",
        "Qazaqstan",
        "Kazakh",
        "Kazakhstani",
        "Qazaq",
        "Казахстан",
        "Қазақстан",
        "казахстанский",
        "казахский",
        "казах",
        "казашка",
        "казахстанец",
    ),
    "@kyrgyzstan": (
        "Kyrgyzstan",
        "Kyrgyz",
        "Kyrgyzstani",
        "Kirghizia",
        "Kirgizia",
        "Kirghiz",
        "Kirgiz",
        "Кыргызстан",
        "Киргизия",
        "кыргызский",
        "киргизский",
        "кыргызстанский",
        "кыргыз",
        "киргиз",
        "кыргызстанец",
    ),
    "@tajikistan": (
        "Tajikistan",
        "Tajik",
        "Tajikistani",
        "Tadjik",
        "Tadzhik",
        "Tojikiston",
        "Таджикистан",
        "Тоҷикистон",
        "таджикский",
        "таджикистанский",
        "таджик",
        "таджичка",
    ),
    "@uzbekistan": (
        "Uzbekistan",
        "Uzbek",
        "Uzbekistani",
        "O'zbekiston",
        "Ozbekiston",
        "Узбекистан",
        "Ўзбекистон",
        "узбекский",
        "узбекистанский",
        "узбек",
        "узбечка",
    ),
    "@turkmenistan": (
        "Turkmenistan",
        "Turkmen",
        "Turkmenia",
        "Türkmenistan",
        "Туркменистан",
        "Туркмения",
        "туркменский",
        "туркменистанский",
        "туркмен",
        "туркменка",
    ),
    # currencies
    "@tenge": ("tenge", "KZT", "тенге", "теңге"),
    "@som": ("som", "soms", "KGS", "сом"),
    "@sum": ("so'm", "UZS", "сум", "сўм"),
    "@somoni": ("somoni", "somonis", "TJS", "сомони"),
    "@manat": ("manat", "manats", "TMT", "манат"),
    # leaders
    "@tokayev": ("Tokayev", "Tokaev", "Toqayev", "Toqaev", "Токаев", "Тоқаев"),
    "@nazarbayev": ("Nazarbayev", "Nazarbaev", "Nazarbayeva", "Назарбаев"),
    "@japarov": ("Japarov", "Zhaparov", "Dzhaparov", "Жапаров", "Джапаров"),
    "@mirziyoyev": ("Mirziyoyev", "Mirziyoev", "Mirziyaev", "Мирзиёев", "Мирзияев"),
    "@rahmon": ("Rahmon", "Rakhmon", "Rahmonov", "Rakhmonov", "Рахмон", "Раҳмон", "Рахмонов"),
    "@berdimuhamedov": (
        "Berdimuhamedov",
        "Berdymukhamedov",
        "Berdimuhamedow",
        "Berdymukhammedov",
        "Berdimukhamedov",
        "Бердымухамедов",
        "Бердимухамедов",
    ),
}

# Forms that look like a name's case form but mostly mean something else; never folded.
NEVER_FOLD: frozenset[str] = frozenset({"sum", "sums", "сумы", "сумах", "сумем"})
