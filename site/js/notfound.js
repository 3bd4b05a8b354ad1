// The 404 page: only the interface language.
import { t } from "./i18n.js";
import { startPage } from "./page.js";

startPage(() => {
  document.title = `${t("notfound.title")} · Steppe Wire`;
});
