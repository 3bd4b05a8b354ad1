// Search as you type; the URL holds the query, the filters and the page, so Back restores them.
import { getJSON, seg } from "./api.js";
import { $, h } from "./dom.js";
import { formatInteger, pageCount, pageWindow, paramsFromState, resultRange, stateFromParams, typedQuery } from "./format.js";
import { formatDate, lang, languageName, t } from "./i18n.js";
import { startPage } from "./page.js";

const DEBOUNCE_MS = 250;
const FACETS = ["lang", "category", "country"];

let state = stateFromParams(new URLSearchParams(location.search));
let answer = null; // the last answer shown (or an Error), kept to re-render on a language change
let inflight = null;
let timer = 0;
// Typing replaces one history entry; the first change after a navigation gets its own, so Back returns to it.
let typing = false;

const href = (next) => {
  const q = paramsFromState(next).toString();
  return q ? `/search.html?${q}` : "/search.html";
};

// A link that changes the state without reloading the page (and stays a real link for new tabs).
function stateLink(next, attrs, ...children) {
  const a = h("a", { href: href(next), ...attrs }, ...children);
  a.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    typing = false;
    navigate(next, true);
    if (next.q !== $("q").value) $("q").value = next.q;
    $("count").focus(); // the links are redrawn: reading goes on from the new count
  });
  return a;
}

function navigate(next, push) {
  state = next;
  const url = href(state);
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  run();
}

async function run() {
  clearTimeout(timer);
  inflight?.abort();
  if (!state.q) {
    answer = null;
    render();
    return;
  }
  const controller = new AbortController();
  inflight = controller;
  // Only the first search says so: the live count is not rewritten on every keystroke.
  if (answer === null) $("count").textContent = t("search.loading");
  $("results").setAttribute("aria-busy", "true");
  const params = { q: state.q, page: state.page };
  for (const f of FACETS) params[f] = state[f];
  try {
    answer = await getJSON("/search", params, controller.signal);
  } catch (err) {
    if (err.name === "AbortError") return;
    answer = err;
  }
  if (inflight !== controller) return;
  inflight = null;
  $("results").removeAttribute("aria-busy");
  render();
}

function facetGroups(facets) {
  const groups = [];
  for (const f of FACETS) {
    const values = Object.entries(facets[f] || {});
    if (values.length === 0 && !state[f]) continue;
    const label = (v) => (f === "lang" ? languageName(v) : v);
    const items = [
      h("li", {}, stateLink({ ...state, [f]: "", page: 1 }, { "aria-current": state[f] ? null : "true" }, t("facet.any"))),
      ...values.map(([value, n]) =>
        h(
          "li",
          {},
          stateLink(
            { ...state, [f]: state[f] === value ? "" : value, page: 1 },
            { "aria-current": state[f] === value ? "true" : null, lang: f === "lang" ? value : null },
            `${label(value)} (${formatInteger(n, lang())})`,
          ),
        ),
      ),
    ];
    groups.push(h("fieldset", {}, h("legend", {}, t(`facet.${f}`)), h("ul", {}, items)));
  }
  if (FACETS.some((f) => state[f])) {
    const cleared = { ...state, page: 1 };
    for (const f of FACETS) cleared[f] = "";
    groups.push(h("p", {}, stateLink(cleared, {}, t("search.clear"))));
  }
  return groups;
}

function hit(r) {
  const title = h("a", { href: `/article.html?slug=${seg(r.slug)}` });
  title.innerHTML = r.title_highlighted; // server-escaped, only <mark> inside
  const snippet = h("p", { lang: r.lang });
  snippet.innerHTML = r.snippet; // server-escaped, only <mark> inside
  const meta = [formatDate(r.date, { timeZone: "Asia/Almaty" }), languageName(r.lang), r.category, r.country].filter(Boolean);
  return h(
    "li",
    {},
    h("h3", { lang: r.lang }, title),
    h("p", { class: "meta" }, h("time", { datetime: r.date }, meta[0]), ` · ${meta.slice(1).join(" · ")}`),
    snippet,
    r.missing.length > 0 && h("p", { class: "meta missing" }, `${t("search.missing")} `, ...r.missing.map((w, i) => [i ? ", " : "", h("s", {}, w)])),
  );
}

function notices(a) {
  const out = [];
  if (a.did_you_mean) {
    out.push(h("p", { class: "notice" }, `${t("search.dym")} `, stateLink({ ...state, q: a.did_you_mean, page: 1 }, {}, h("strong", {}, a.did_you_mean))));
  }
  const pairs = Object.entries(a.corrections || {});
  if (pairs.length > 0) out.push(h("p", { class: "notice" }, t("search.corrected", { pairs: pairs.map(([from, to]) => `${from} → ${to}`).join(", ") })));
  if (a.matched === "partial" && a.optional.length > 0) {
    out.push(h("p", { class: "notice" }, t("search.partial", { words: a.optional.join(", ") })));
  }
  return out;
}

function pager(a) {
  const pages = pageCount(a.total, a.per_page);
  if (pages <= 1) return [];
  const items = [];
  const locale = lang();
  if (a.page > 1) items.push(stateLink({ ...state, page: Math.min(a.page - 1, pages) }, { rel: "prev" }, t("search.prev")));
  for (const p of pageWindow(Math.min(a.page, pages), pages)) {
    items.push(
      p === null
        ? h("span", { "aria-hidden": "true" }, "…")
        : stateLink({ ...state, page: p }, { "aria-current": p === a.page ? "page" : null, "aria-label": t("search.page", { n: p }) }, formatInteger(p, locale)),
    );
  }
  if (a.page < pages) items.push(stateLink({ ...state, page: a.page + 1 }, { rel: "next" }, t("search.next")));
  return [h("ul", {}, items.map((i) => h("li", {}, i)))];
}

function emptyState(a) {
  if (a.total > 0) {
    return [h("p", {}, t("search.pastEnd", { page: formatInteger(a.page, lang()) }), " ", stateLink({ ...state, page: 1 }, {}, t("search.firstPage")))];
  }
  const tips = [h("li", {}, t("search.tipSpelling")), h("li", {}, t("search.tipFewer"))];
  if (FACETS.some((f) => state[f])) {
    const cleared = { ...state, page: 1 };
    for (const f of FACETS) cleared[f] = "";
    tips.push(h("li", {}, stateLink(cleared, {}, t("search.tipFilters"))));
  }
  tips.push(h("li", {}, h("a", { href: "/" }, t("search.tipLatest"))));
  return [h("p", {}, t("search.none", { q: state.q })), h("ul", {}, tips)];
}

function render() {
  document.title = state.q ? `${state.q} · ${t("search.doctitle")}` : t("search.doctitle");
  const count = $("count");
  const results = $("results");
  const facets = $("facets");
  const pagerEl = $("pager");
  $("notices").replaceChildren();
  $("empty").replaceChildren();
  if (answer === null) {
    count.textContent = "";
    results.replaceChildren();
    facets.hidden = true;
    pagerEl.hidden = true;
    $("empty").replaceChildren(h("p", { class: "hint" }, t("search.intro")));
    return;
  }
  if (answer instanceof Error) {
    count.textContent = t("search.error", { msg: answer.message });
    results.replaceChildren();
    pagerEl.hidden = true;
    return;
  }
  const a = answer;
  const locale = lang();
  const range = resultRange(a.total, a.page, a.per_page);
  count.textContent = range
    ? t("search.range", { first: formatInteger(range.first, locale), last: formatInteger(range.last, locale), total: formatInteger(range.total, locale) })
    : t("search.zero");
  $("notices").replaceChildren(...notices(a));
  results.replaceChildren(...a.results.map(hit));
  if (a.results.length === 0) $("empty").replaceChildren(...emptyState(a));
  $("facet-groups").replaceChildren(...facetGroups(a.facets || {}));
  facets.hidden = a.total === 0 && !FACETS.some((f) => state[f]);
  pagerEl.replaceChildren(...pager(a));
  pagerEl.hidden = pagerEl.childElementCount === 0;
}

let started = false;

startPage(() => {
  if (started) return render();
  started = true;
  const input = $("q");
  input.value = state.q;
  $("count").tabIndex = -1;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = typedQuery(input.value);
      if (q === state.q) return;
      navigate({ ...state, q, page: 1 }, !typing);
      typing = true;
    }, DEBOUNCE_MS);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = typedQuery(input.value);
    if (q !== state.q) navigate({ ...state, q, page: 1 }, !typing);
    else run();
    typing = false;
  });
  window.addEventListener("popstate", () => {
    state = stateFromParams(new URLSearchParams(location.search));
    input.value = state.q;
    typing = false;
    run();
  });
  run();
});
