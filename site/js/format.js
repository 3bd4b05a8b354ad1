// Pure helpers (no DOM, no fetch): unit-tested with `node --test site/tests/`.

// Significant digits of a decimal string: "0.000082572156" -> 8, "150000" -> 2, "3.50" -> 2.
export function significantDigits(value) {
  const digits = String(value).replace(/^[-+]/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.max(1, digits.length);
}

// A rate as its source quotes it, with at least 4 significant digits (TMT 3.5 shows as 3.500), at most 8.
export function formatRate(value, locale) {
  return new Intl.NumberFormat(locale, {
    minimumSignificantDigits: 4,
    maximumSignificantDigits: Math.min(8, Math.max(4, significantDigits(value))),
  }).format(Number(value));
}

// An exact decimal string from the API (a conversion), every digit shown and nothing invented.
export function formatDecimal(value, locale) {
  return new Intl.NumberFormat(locale, {
    maximumSignificantDigits: Math.min(21, significantDigits(value)),
  }).format(Number(value));
}

export function formatInteger(value, locale) {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

// change_pct ("-0.06", "0.00", null) -> {dir: "up"|"down"|"flat"|"none", text}; zero is never signed.
export function formatChange(pct, locale) {
  if (pct === null || pct === undefined || pct === "") return { dir: "none", text: "—" };
  let n = Number(pct);
  if (!Number.isFinite(n)) return { dir: "none", text: "—" };
  const fmt = new Intl.NumberFormat(locale, {
    style: "percent",
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  const rounded = Math.round(Math.abs(n) * 100) / 100;
  if (rounded === 0) return { dir: "flat", text: fmt.format(0) };
  const dir = n > 0 ? "up" : "down";
  return { dir, text: (dir === "up" ? "+" : "−") + fmt.format(rounded / 100) };
}

// "1–10 of 37": the first and last result shown on a page; null when the page is empty.
export function resultRange(total, page, perPage) {
  const first = (page - 1) * perPage + 1;
  if (total <= 0 || first > total) return null;
  return { first, last: Math.min(total, page * perPage), total };
}

export function pageCount(total, perPage) {
  return Math.max(1, Math.ceil(total / perPage));
}

// Pages to link around the current one: first, last and a window of 2; null marks a gap.
export function pageWindow(page, pages) {
  const out = [];
  for (let p = 1; p <= pages; p++) {
    if (p === 1 || p === pages || Math.abs(p - page) <= 2) out.push(p);
    else if (out[out.length - 1] !== null) out.push(null);
  }
  return out;
}

// What is sent while typing: no trailing space, so the API also matches the last word as a prefix.
export function typedQuery(text) {
  return text.replace(/\s+/g, " ").trim();
}

// "150 000", "1 500,5", "1,500.5" -> "150000", "1500.5"; null when not a positive decimal.
export function parseAmount(text) {
  let s = String(text).replace(/[\s\u00a0\u202f']/g, "");
  if (s.includes(",") && s.includes(".")) s = s.replace(/,/g, "");
  else s = s.replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(s)) return null;
  return Number(s) > 0 ? s : null;
}

export const SEARCH_KEYS = ["q", "lang", "category", "country", "page"];

// URL query <-> search state; page 1 and empty values are left out of the URL.
export function stateFromParams(params) {
  const state = {};
  for (const key of SEARCH_KEYS) state[key] = params.get(key) || "";
  const page = Number.parseInt(state.page, 10);
  state.page = Number.isFinite(page) && page >= 1 ? page : 1;
  return state;
}

export function paramsFromState(state) {
  const params = new URLSearchParams();
  for (const key of SEARCH_KEYS) {
    const v = state[key];
    if (v && !(key === "page" && Number(v) === 1)) params.set(key, String(v));
  }
  return params;
}

// Points [{date, value}] -> an SVG polyline path in a w x h box with `pad` inside, and the extremes.
export function chartGeometry(points, w, h, pad) {
  if (points.length === 0) return null;
  const values = points.map((p) => p.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = points.length > 1 ? (w - 2 * pad) / (points.length - 1) : 0;
  const xy = points.map((p, i) => ({
    x: pad + i * step,
    y: max === min ? h / 2 : pad + ((max - p.value) / span) * (h - 2 * pad),
  }));
  const d = xy.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
  const iMin = values.indexOf(min);
  const iMax = values.indexOf(max);
  return {
    d,
    min: { ...points[iMin], ...xy[iMin] },
    max: { ...points[iMax], ...xy[iMax] },
    first: { ...points[0], ...xy[0] },
    last: { ...points[points.length - 1], ...xy[points.length - 1] },
  };
}

// "en-US" -> "en", "ru-KZ" -> "ru", anything else -> null.
export function supportedLang(tag, supported) {
  const base = String(tag || "").toLowerCase().split("-")[0];
  return supported.includes(base) ? base : null;
}
