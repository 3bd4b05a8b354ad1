// One article: article.html?slug=…; a 404 from the API is a "not found" page.
import { apiUrl, getJSON, seg } from "./api.js";
import { $, h } from "./dom.js";
import { formatDate, languageName, readIn, t } from "./i18n.js";
import { startPage } from "./page.js";

const NEWSROOM_TZ = "Asia/Almaty";
// article.html?slug=…, or /articles/<slug> (the API's public links) where the server maps it to this page.
const slug =
  new URLSearchParams(location.search).get("slug") ||
  decodeURIComponent(location.pathname.match(/^\/articles\/([^/]+)\/?$/)?.[1] || "");
let article = null; // the answer, an Error, or null while loading
let feedHref = "";

function when(iso) {
  const options = { dateStyle: "long", timeStyle: "short" };
  const reader = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const parts = [t("article.almaty", { date: formatDate(iso, { ...options, timeZone: NEWSROOM_TZ }) })];
  if (reader && reader !== NEWSROOM_TZ) {
    parts.push(t("article.local", { date: formatDate(iso, { ...options, timeZone: reader }), tz: reader }));
  }
  return h("p", { class: "meta" }, `${t("article.published")}: `, h("time", { datetime: iso }, parts[0]), parts[1] ? ` · ${parts[1]}` : "");
}

function notFound() {
  document.title = `${t("article.notFound")} · Steppe Wire`;
  if (!document.querySelector('meta[name="robots"]')) document.head.append(h("meta", { name: "robots", content: "noindex" }));
  return [
    h("h1", {}, t("article.notFound")),
    h("p", {}, t("article.notFoundText")),
    h("ul", {}, h("li", {}, h("a", { href: "/" }, t("notfound.home"))), h("li", {}, h("a", { href: "/search.html" }, t("notfound.search")))),
  ];
}

function view(a) {
  document.title = `${a.title} · Steppe Wire`;
  const body = h("div", { class: "body", lang: a.lang });
  body.innerHTML = a.body_html; // sanitized by the publishing service (allow-list)
  const tags = a.tags.length > 0 && h("p", { class: "meta" }, `${t("article.tags")}: `, h("span", { lang: a.lang }, a.tags.join(", ")));
  return [
    h("header", {},
      a.category && h("p", { class: "meta", lang: a.lang }, [a.category, a.country].filter(Boolean).join(" · ")),
      h("h1", { lang: a.lang }, a.title),
      a.summary && h("p", { class: "lead", lang: a.lang }, a.summary),
      a.author && h("p", { class: "meta" }, t("article.by", { author: a.author })),
      when(a.published_at),
      a.translations.length > 0 && h("ul", { class: "translations" },
        a.translations.map((tr) => h("li", {}, h("a", { href: `/article.html?slug=${seg(tr.slug)}`, hreflang: tr.lang, lang: tr.lang }, readIn(tr.lang))))),
    ),
    a.image && h("figure", { class: "lead-image" }, h("img", { src: a.image, alt: a.image_alt || "" })),
    body,
    tags,
    h("footer", {}, h("p", {}, h("a", { href: feedHref, type: "application/rss+xml" }, t("article.feed", { language: languageName(a.lang) })))),
  ];
}

function render() {
  if (article === null) return;
  const el = $("article");
  const status = $("article-status");
  status.removeAttribute("data-i18n");
  if (article instanceof Error && article.status !== 404) {
    status.textContent = t("article.error", { msg: article.message });
    el.hidden = true;
    return;
  }
  status.textContent = "";
  if (article instanceof Error) {
    el.replaceChildren(...notFound());
  } else {
    el.replaceChildren(...view(article).filter(Boolean));
  }
  el.hidden = false;
}

async function load() {
  try {
    if (!slug) throw Object.assign(new Error("no slug"), { status: 404 });
    article = await getJSON(`/articles/${seg(slug)}`);
    feedHref = await apiUrl(`/feeds/${seg(article.lang)}.rss`);
    document.head.append(h("link", { rel: "alternate", type: "application/rss+xml", href: feedHref, title: "Steppe Wire" }));
    for (const tr of article.translations) {
      document.head.append(h("link", { rel: "alternate", hreflang: tr.lang, href: `/article.html?slug=${seg(tr.slug)}` }));
    }
  } catch (err) {
    article = err;
  }
  render();
}

let started = false;
startPage(() => {
  if (started) return render();
  started = true;
  load();
});
