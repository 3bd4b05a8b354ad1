// What every page shares besides its content: skip link, header (navigation, language switch) and
// footer, built here once; the page's markup holds only its <main>.
import { apiUrl } from "./api.js";
import { h } from "./dom.js";
import { start } from "./i18n.js";

const NAV = [
  ["home", "/", "nav.home"],
  ["search", "/search.html", "nav.search"],
];

function chrome() {
  const current = document.body.dataset.page;
  const header = h(
    "header",
    { class: "site-header" },
    h(
      "div",
      { class: "wrap bar" },
      h("a", { class: "brand", href: "/" }, "Steppe Wire"),
      h(
        "nav",
        { "data-i18n-attr": "aria-label:nav.label" },
        h("ul", { class: "nav" }, NAV.map(([page, href, key]) => h("li", {}, h("a", { href, "data-i18n": key, "aria-current": page === current ? "page" : null })))),
      ),
      h(
        "div",
        { class: "langs", role: "group", "data-i18n-attr": "aria-label:lang.switch" },
        ["en", "ru"].map((code) => h("button", { type: "button", "data-lang-choice": code })),
      ),
    ),
  );
  const feed = h("a", { href: "#", type: "application/rss+xml", "data-i18n": "footer.feed" });
  const footer = h(
    "footer",
    { class: "site-footer" },
    h("div", { class: "wrap" }, h("p", { "data-i18n": "tagline" }), h("p", { class: "small" }, feed), h("p", { class: "small", "data-i18n": "footer.data" })),
  );
  document.body.prepend(h("a", { class: "skip", href: "#main", "data-i18n": "skip" }), header);
  document.body.append(footer);
  return feed;
}

export function startPage(render) {
  const feed = chrome();
  start(async (lang) => {
    render(lang);
    feed.href = await apiUrl(`/feeds/${lang}.rss`);
  });
}
