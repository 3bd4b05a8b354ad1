// The interface in English and Russian: one dictionary, the choice kept in localStorage.
import { supportedLang } from "./format.js";

const STORE = "steppewire.lang";
const LANGS = ["en", "ru"];
const NAMES = { en: "English", ru: "Русский" };
// Links to another language version are written in that language.
const READ_IN = { en: "Read in English", ru: "Читать на русском" };

const DICT = {
  en: {
    skip: "Skip to content",
    "nav.label": "Main",
    "nav.home": "Front page",
    "nav.search": "Search",
    "lang.switch": "Interface language",
    tagline: "News and rates of Central Asia",
    "footer.feed": "RSS feed",
    "footer.data": "Official rates of the national banks of Kazakhstan, Kyrgyzstan, Tajikistan, Uzbekistan and Turkmenistan.",
    loading: "Loading…",
    "home.title": "Steppe Wire: news and rates of Central Asia",
    "rates.title": "Exchange rates",
    "rates.hint": "Units of each currency per 1 US dollar. Select a rate for its date and source.",
    "rates.stale": "stale",
    "rates.up": "up",
    "rates.down": "down",
    "rates.flat": "unchanged",
    "rates.nochange": "no earlier rate to compare",
    "rates.detail": "Rate of {date}, source: {source}",
    "rates.since": "change since {date}",
    "rates.staleReason": "not confirmed by the latest run: {reason}",
    "rates.peg": "official peg",
    "rates.error": "Rates are unavailable right now ({msg}).",
    "rates.perUsd": "per US dollar",
    "src.NBK": "National Bank of Kazakhstan",
    "src.NBKR": "National Bank of the Kyrgyz Republic",
    "src.NBT": "National Bank of Tajikistan",
    "src.CBU": "Central Bank of Uzbekistan",
    "src.CBT": "Central Bank of Turkmenistan",
    "src.CBR": "Bank of Russia cross rate",
    "src.PEG": "official peg of 3.5 per US dollar",
    "chart.heading": "The last 30 days",
    "chart.title": "{cur} per US dollar",
    "chart.desc": "From {from} to {to}: lowest {min} on {minDate}, highest {max} on {maxDate}, latest {last}.",
    "chart.min": "min {value}",
    "chart.max": "max {value}",
    "chart.empty": "No history yet.",
    "chart.error": "History unavailable ({msg}).",
    "conv.title": "Converter",
    "conv.amount": "Amount",
    "conv.from": "From",
    "conv.to": "To",
    "conv.submit": "Convert",
    "conv.swap": "Swap",
    "conv.swapLabel": "Swap the currencies",
    "conv.bad": "Enter a positive amount, for example 1500 or 1 500.50.",
    "conv.rate": "1 {from} = {rate} {to} · rate of {date}",
    "conv.carried": "The latest official rate on or before the requested day.",
    "conv.error": "Conversion failed: {msg}",
    "latest.title": "Latest articles",
    "latest.empty": "No articles yet.",
    "latest.error": "Articles are unavailable right now ({msg}).",
    "latest.more": "Search all articles",
    "search.title": "Search",
    "search.doctitle": "Search · Steppe Wire",
    "search.label": "Search the articles",
    "search.submit": "Search",
    "search.placeholder": "tenge, Алматы, national bank…",
    "search.intro": "Type to search every article, in English and Russian. Names match across spellings and scripts: Almaty = Алматы.",
    "search.range": "{first}–{last} of {total}",
    "search.loading": "Searching…",
    "search.none": "Nothing found for “{q}”.",
    "search.zero": "No results",
    "search.results": "Results",
    "search.tipSpelling": "Check the spelling, or try another form of the word.",
    "search.tipFewer": "Use fewer or more general words.",
    "search.tipFilters": "Remove the filters",
    "search.tipLatest": "Browse the latest articles",
    "search.pastEnd": "There are no results on page {page}.",
    "search.firstPage": "Go to the first page",
    "search.partial": "Not every result contains all your words. Optional: {words}.",
    "search.missing": "Missing:",
    "search.dym": "Did you mean:",
    "search.corrected": "Typos corrected: {pairs}.",
    "search.filters": "Filters",
    "search.clear": "Clear all filters",
    "facet.lang": "Language",
    "facet.category": "Category",
    "facet.country": "Country",
    "facet.any": "Any",
    "search.pages": "Result pages",
    "search.prev": "Previous",
    "search.next": "Next",
    "search.page": "Page {n}",
    "search.error": "Search failed: {msg}",
    "article.by": "By {author}",
    "article.almaty": "{date} in Almaty",
    "article.local": "{date} your time ({tz})",
    "article.published": "Published",
    "article.feed": "RSS feed of the articles in {language}",
    "article.tags": "Tags",
    "article.notFound": "Article not found",
    "article.notFoundText": "There is no published article at this address. It may have been withdrawn, or it is not public yet.",
    "article.error": "The article could not be loaded ({msg}).",
    "notfound.title": "Page not found",
    "notfound.text": "There is nothing at this address.",
    "notfound.home": "Go to the front page",
    "notfound.search": "Search the articles",
  },
  ru: {
    skip: "Перейти к содержанию",
    "nav.label": "Основное",
    "nav.home": "Главная",
    "nav.search": "Поиск",
    "lang.switch": "Язык интерфейса",
    tagline: "Новости и курсы Центральной Азии",
    "footer.feed": "RSS-лента",
    "footer.data": "Официальные курсы национальных банков Казахстана, Кыргызстана, Таджикистана, Узбекистана и Туркменистана.",
    loading: "Загрузка…",
    "home.title": "Steppe Wire: новости и курсы Центральной Азии",
    "rates.title": "Курсы валют",
    "rates.hint": "Единиц каждой валюты за 1 доллар США. Выберите курс, чтобы увидеть его дату и источник.",
    "rates.stale": "устарел",
    "rates.up": "рост",
    "rates.down": "снижение",
    "rates.flat": "без изменений",
    "rates.nochange": "нет более раннего курса для сравнения",
    "rates.detail": "Курс на {date}, источник: {source}",
    "rates.since": "изменение к {date}",
    "rates.staleReason": "не подтверждён последним обновлением: {reason}",
    "rates.peg": "официальная привязка",
    "rates.error": "Курсы сейчас недоступны ({msg}).",
    "rates.perUsd": "за доллар США",
    "src.NBK": "Национальный банк Казахстана",
    "src.NBKR": "Национальный банк Кыргызской Республики",
    "src.NBT": "Национальный банк Таджикистана",
    "src.CBU": "Центральный банк Узбекистана",
    "src.CBT": "Центральный банк Туркменистана",
    "src.CBR": "кросс-курс Банка России",
    "src.PEG": "официальная привязка 3,5 за доллар США",
    "chart.heading": "За 30 дней",
    "chart.title": "{cur} за доллар США",
    "chart.desc": "С {from} по {to}: минимум {min} ({minDate}), максимум {max} ({maxDate}), последний {last}.",
    "chart.min": "мин. {value}",
    "chart.max": "макс. {value}",
    "chart.empty": "Истории пока нет.",
    "chart.error": "История недоступна ({msg}).",
    "conv.title": "Конвертер",
    "conv.amount": "Сумма",
    "conv.from": "Из",
    "conv.to": "В",
    "conv.submit": "Пересчитать",
    "conv.swap": "Поменять",
    "conv.swapLabel": "Поменять валюты местами",
    "conv.bad": "Введите положительную сумму, например 1500 или 1 500,50.",
    "conv.rate": "1 {from} = {rate} {to} · курс на {date}",
    "conv.carried": "Последний официальный курс на запрошенный день или раньше.",
    "conv.error": "Не удалось пересчитать: {msg}",
    "latest.title": "Последние статьи",
    "latest.empty": "Статей пока нет.",
    "latest.error": "Статьи сейчас недоступны ({msg}).",
    "latest.more": "Искать по всем статьям",
    "search.title": "Поиск",
    "search.doctitle": "Поиск · Steppe Wire",
    "search.label": "Поиск по статьям",
    "search.submit": "Найти",
    "search.placeholder": "тенге, Almaty, нацбанк…",
    "search.intro": "Начните вводить запрос: поиск идёт по всем статьям на русском и английском. Названия совпадают в любом написании: Алматы = Almaty.",
    "search.range": "{first}–{last} из {total}",
    "search.loading": "Ищем…",
    "search.none": "По запросу «{q}» ничего не найдено.",
    "search.zero": "Ничего не найдено",
    "search.results": "Результаты",
    "search.tipSpelling": "Проверьте написание или попробуйте другую форму слова.",
    "search.tipFewer": "Используйте меньше слов или более общие слова.",
    "search.tipFilters": "Снимите фильтры",
    "search.tipLatest": "Посмотрите последние статьи",
    "search.pastEnd": "На странице {page} результатов нет.",
    "search.firstPage": "Перейти на первую страницу",
    "search.partial": "Не во всех результатах есть все слова запроса. Необязательные: {words}.",
    "search.missing": "Нет слов:",
    "search.dym": "Возможно, вы имели в виду:",
    "search.corrected": "Исправлены опечатки: {pairs}.",
    "search.filters": "Фильтры",
    "search.clear": "Снять все фильтры",
    "facet.lang": "Язык",
    "facet.category": "Рубрика",
    "facet.country": "Страна",
    "facet.any": "Все",
    "search.pages": "Страницы результатов",
    "search.prev": "Назад",
    "search.next": "Вперёд",
    "search.page": "Страница {n}",
    "search.error": "Поиск не удался: {msg}",
    "article.by": "Автор: {author}",
    "article.almaty": "{date} по времени Алматы",
    "article.local": "{date} по вашему времени ({tz})",
    "article.published": "Опубликовано",
    "article.feed": "RSS-лента статей на языке: {language}",
    "article.tags": "Теги",
    "article.notFound": "Статья не найдена",
    "article.notFoundText": "По этому адресу нет опубликованной статьи. Возможно, её сняли с публикации или она ещё не вышла.",
    "article.error": "Не удалось загрузить статью ({msg}).",
    "notfound.title": "Страница не найдена",
    "notfound.text": "По этому адресу ничего нет.",
    "notfound.home": "Перейти на главную",
    "notfound.search": "Искать по статьям",
  },
};

function initialLang() {
  try {
    const stored = supportedLang(localStorage.getItem(STORE), LANGS);
    if (stored) return stored;
  } catch {
    // storage blocked: fall back to the browser's languages
  }
  for (const tag of navigator.languages || [navigator.language]) {
    const lang = supportedLang(tag, LANGS);
    if (lang) return lang;
  }
  return "en";
}

let current = initialLang();
const listeners = [];

export const lang = () => current;
export const languageName = (code) => NAMES[code] || code;
export const readIn = (code) => READ_IN[code] || code;

export function t(key, vars) {
  const text = DICT[current][key] ?? DICT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars && name in vars ? String(vars[name]) : `{${name}}`));
}

export function formatDate(iso, options) {
  // A bare date is a calendar day: format it at noon UTC so no time zone moves it to another day.
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00Z`) : new Date(iso);
  const style = options && (options.day || options.month) ? {} : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(current, { timeZone: "UTC", ...style, ...options }).format(d);
}

// Texts and attributes of the static markup: data-i18n="key", data-i18n-attr="attr:key,attr:key".
function applyStatic() {
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr, t(key));
    }
  }
  for (const el of document.querySelectorAll("[data-lang-choice]")) {
    el.setAttribute("aria-pressed", String(el.dataset.langChoice === current));
  }
}

export function setLang(code) {
  if (!LANGS.includes(code) || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORE, code);
  } catch {
    // not remembered, still switched
  }
  applyStatic();
  for (const fn of listeners) fn(current);
}

// Each page calls this once with its render function; it runs now and on every language change.
export function start(render) {
  applyStatic();
  for (const el of document.querySelectorAll("[data-lang-choice]")) {
    el.textContent = NAMES[el.dataset.langChoice];
    el.lang = el.dataset.langChoice;
    el.addEventListener("click", () => setLang(el.dataset.langChoice));
  }
  listeners.push(render);
  render(current);
}
