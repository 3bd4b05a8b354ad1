// The 404 page: only the interface language.
import { start, t } from "./i18n.js";

start(() => {
  document.title = `${t("notfound.title")} · Steppe Wire`;
});
