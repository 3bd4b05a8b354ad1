// What every page shares besides the language: the footer's feed link, in the reader's language.
import { apiUrl } from "./api.js";
import { start } from "./i18n.js";

export function startPage(render) {
  const feed = document.getElementById("footer-feed");
  start(async (lang) => {
    render(lang);
    if (feed) feed.href = await apiUrl(`/feeds/${lang}.rss`);
  });
}
