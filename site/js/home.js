// Front page: ticker, 30-day charts, converter, latest articles.
import { getJSON, seg } from "./api.js";
import { $, h, s } from "./dom.js";
import { chartGeometry, formatChange, formatDecimal, formatRate, parseAmount } from "./format.js";
import { formatDate, lang, t } from "./i18n.js";
import { startPage } from "./page.js";

let ticker = null; // the last /rates answer, kept to re-render on a language change
const histories = new Map(); // currency -> /rates/{currency}/history answer or an Error

function tickItem(item, locale) {
  const change = formatChange(item.change_pct, locale);
  const detailId = `tick-${item.currency}-detail`;
  const source = t(`src.${item.source}`);
  const details = [t("rates.detail", { date: formatDate(item.date), source })];
  if (item.previous_date && change.dir !== "none") details.push(t("rates.since", { date: formatDate(item.previous_date) }));
  details.push(`1 ${item.currency} = ${formatRate(item.rate, locale)} USD`);
  if (item.peg) details.push(t("rates.peg"));
  if (item.stale) details.push(t("rates.staleReason", { reason: item.stale_reason || "" }));
  const arrow = { up: "▲", down: "▼", flat: "", none: "" }[change.dir];
  const word = { up: t("rates.up"), down: t("rates.down"), flat: t("rates.flat"), none: t("rates.nochange") }[change.dir];
  const detail = h("p", { id: detailId, class: "tick-detail", hidden: true }, details.join(" · "));
  const button = h(
    "button",
    { type: "button", class: "tick-btn", "aria-expanded": "false", "aria-controls": detailId, "aria-describedby": detailId, title: details.join(" · ") },
    h("span", { class: "code" }, item.currency),
    h("span", { class: "value" }, formatRate(item.local_per_usd, locale), h("span", { class: "sr-only" }, ` ${t("rates.perUsd")},`)),
    h(
      "span",
      { class: `chg ${change.dir}` },
      arrow && h("span", { "aria-hidden": "true" }, `${arrow} `),
      change.dir === "none" ? h("span", { class: "sr-only" }, word) : [h("span", { class: "sr-only" }, `${word} `), change.text],
    ),
    item.stale && h("span", { class: "stale-flag" }, t("rates.stale")),
  );
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    detail.hidden = !open;
  });
  return h("li", { class: `tick${item.stale ? " stale" : ""}` }, button, detail);
}

function renderTicker() {
  const list = $("ticker");
  if (ticker instanceof Error) {
    list.replaceChildren();
    $("ticker-status").textContent = t("rates.error", { msg: ticker.message });
    return;
  }
  $("ticker-status").textContent = "";
  list.replaceChildren(...ticker.items.map((item) => tickItem(item, lang())));
}

const W = 300;
const H = 130;
const PAD = 18;
const SHORT_DATE = { day: "numeric", month: "short" };
const PLOT_H = H - 16; // the line's box; the dates go below it

function chartFigure(currency, history) {
  const titleId = `chart-${currency}-title`;
  const descId = `chart-${currency}-desc`;
  const caption = t("chart.title", { cur: currency });
  if (history instanceof Error || history.items.length === 0) {
    const msg = history instanceof Error ? t("chart.error", { msg: history.message }) : t("chart.empty");
    return h("figure", { class: "chart" }, h("figcaption", {}, caption), h("p", { class: "hint" }, msg));
  }
  const locale = lang();
  const points = history.items.map((p) => ({ date: p.date, value: Number(p.local_per_usd) }));
  const g = chartGeometry(points, W, PLOT_H, PAD);
  const fmt = (v) => formatRate(v, locale);
  const desc = t("chart.desc", {
    from: formatDate(g.first.date),
    to: formatDate(g.last.date),
    min: fmt(g.min.value),
    minDate: formatDate(g.min.date),
    max: fmt(g.max.value),
    maxDate: formatDate(g.max.date),
    last: fmt(g.last.value),
  });
  // Labels sit above the maximum and below the minimum, kept inside the box.
  const anchor = (x) => (x < W / 3 ? "start" : x > (2 * W) / 3 ? "end" : "middle");
  const svg = s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${titleId} ${descId}` },
    s("title", { id: titleId }, caption),
    s("desc", { id: descId }, desc),
    s("line", { class: "axis", x1: PAD, x2: W - PAD, y1: PLOT_H - PAD + 6, y2: PLOT_H - PAD + 6 }),
    s("path", { class: "line", d: g.d }),
    s("circle", { class: "dot-max", cx: g.max.x, cy: g.max.y, r: 3.5 }),
    s("circle", { class: "dot-min", cx: g.min.x, cy: g.min.y, r: 3.5 }),
    s("text", { x: g.max.x, y: Math.max(10, g.max.y - 6), "text-anchor": anchor(g.max.x) }, t("chart.max", { value: fmt(g.max.value) })),
    s("text", { x: g.min.x, y: g.min.y + 16, "text-anchor": anchor(g.min.x) }, t("chart.min", { value: fmt(g.min.value) })),
    s("text", { class: "date", x: PAD, y: H - 2, "text-anchor": "start" }, formatDate(g.first.date, SHORT_DATE)),
    s("text", { class: "date", x: W - PAD, y: H - 2, "text-anchor": "end" }, formatDate(g.last.date, SHORT_DATE)),
  );
  return h("figure", { class: "chart" }, h("figcaption", { "aria-hidden": "true" }, caption), svg);
}

function renderCharts() {
  if (!ticker || ticker instanceof Error) return;
  $("charts").replaceChildren(
    ...ticker.items.filter((i) => histories.has(i.currency)).map((i) => chartFigure(i.currency, histories.get(i.currency))),
  );
}

async function loadRates() {
  try {
    ticker = await getJSON("/rates");
  } catch (err) {
    ticker = err;
  }
  renderTicker();
  if (ticker instanceof Error) return;
  await Promise.all(
    ticker.items.map(async (item) => {
      try {
        histories.set(item.currency, await getJSON(`/rates/${seg(item.currency)}/history`));
      } catch (err) {
        histories.set(item.currency, err);
      }
    }),
  );
  renderCharts();
}

// Converter: currencies named in the reader's language; the choice survives a language switch.
async function fillCurrencies() {
  const from = $("conv-from");
  const to = $("conv-to");
  const keep = [from.value || "USD", to.value || "KZT"];
  let items;
  try {
    items = (await getJSON("/currencies", { lang: lang() })).items;
  } catch {
    items = (ticker && !(ticker instanceof Error) ? ticker.items : []).map((i) => ({ code: i.currency, name: "" }));
    if (!items.some((i) => i.code === "USD")) items.unshift({ code: "USD", name: "" });
  }
  for (const [select, value] of [[from, keep[0]], [to, keep[1]]]) {
    select.replaceChildren(...items.map((c) => h("option", { value: c.code }, c.name ? `${c.code} · ${c.name}` : c.code)));
    select.value = value;
  }
}

let lastConversion = null;

function renderConversion() {
  const box = $("conv-result");
  if (!lastConversion) return box.replaceChildren();
  const c = lastConversion;
  const locale = lang();
  box.replaceChildren(
    ...[
    h("p", { class: "big" }, `${formatDecimal(c.amount, locale)} ${c.from} = ${formatDecimal(c.result, locale)} ${c.to}`),
    h("p", { class: "meta" }, t("conv.rate", { from: c.from, to: c.to, rate: formatDecimal(c.rate, locale), date: formatDate(c.date) })),
    c.carried_forward && h("p", { class: "meta" }, t("conv.carried")),
    ].filter(Boolean),
  );
}

async function convert(event) {
  event.preventDefault();
  const input = $("conv-amount");
  const error = $("conv-error");
  const amount = parseAmount(input.value);
  if (!amount) {
    input.setAttribute("aria-invalid", "true");
    error.textContent = t("conv.bad");
    return;
  }
  input.removeAttribute("aria-invalid");
  error.textContent = "";
  try {
    lastConversion = await getJSON("/rates/convert", { from: $("conv-from").value, to: $("conv-to").value, amount });
  } catch (err) {
    lastConversion = null;
    error.textContent = t("conv.error", { msg: err.message });
  }
  renderConversion();
}

function articleCard(a) {
  const href = `/article.html?slug=${seg(a.slug)}`;
  return h(
    "li",
    {},
    h("h3", { lang: a.lang }, h("a", { href }, a.title)),
    h("p", { class: "meta" }, h("time", { datetime: a.published_at }, formatDate(a.published_at, { timeZone: "Asia/Almaty" })), a.category ? ` · ${a.category}` : ""),
    a.excerpt && h("p", { lang: a.lang }, a.excerpt),
  );
}

let latestRequest = 0;

async function loadLatest() {
  const mine = ++latestRequest;
  const status = $("latest-status");
  let items = [];
  let message = "";
  try {
    items = (await getJSON("/articles", { lang: lang(), limit: 8 })).items;
    if (items.length === 0) message = t("latest.empty");
  } catch (err) {
    message = t("latest.error", { msg: err.message });
  }
  if (mine !== latestRequest) return; // a newer language's answer wins
  $("latest").replaceChildren(...items.map(articleCard));
  status.textContent = message;
}

let started = false;

startPage(() => {
  document.title = t("home.title");
  if (!started) {
    started = true;
    $("converter").addEventListener("submit", convert);
    $("conv-swap").addEventListener("click", () => {
      const from = $("conv-from");
      const to = $("conv-to");
      [from.value, to.value] = [to.value, from.value];
    });
    loadRates();
  } else {
    if (ticker) renderTicker();
    renderCharts();
    renderConversion();
  }
  fillCurrencies();
  loadLatest();
});
