import { test } from "node:test";
import assert from "node:assert/strict";
import * as f from "../js/format.js";

test("rates keep at least 4 significant digits", () => {
  assert.equal(f.formatRate("3.5", "en"), "3.500");
  assert.equal(f.formatRate("476.12", "en"), "476.12");
  assert.equal(f.formatRate("12110.62", "en"), "12,110.62");
  assert.equal(f.formatRate("0.000082572156", "en"), "0.000082572156");
  assert.equal(f.formatRate("0.0021003108123", "en"), "0.0021003108");
  assert.equal(f.formatRate("9.3367", "ru"), "9,3367");
});

test("conversions show every digit the API gave", () => {
  assert.equal(f.significantDigits("150000"), 2);
  assert.equal(f.significantDigits("0.000082572156"), 8);
  assert.equal(f.significantDigits("0"), 1);
  assert.equal(f.formatDecimal("150000", "en"), "150,000");
  assert.equal(f.formatDecimal("3815410.05", "ru"), "3\u00a0815\u00a0410,05");
  assert.equal(f.formatDecimal("0.000082572156", "en"), "0.000082572156");
  assert.equal(f.formatDecimal("0.21003108", "en"), "0.21003108");
});

test("change is signed, zero never negative", () => {
  assert.deepEqual(f.formatChange("0.00", "en"), { dir: "flat", text: "0.00%" });
  assert.deepEqual(f.formatChange("-0.00", "en"), { dir: "flat", text: "0.00%" });
  assert.deepEqual(f.formatChange("-0.001", "en"), { dir: "flat", text: "0.00%" });
  assert.deepEqual(f.formatChange("-0.26", "en"), { dir: "down", text: "−0.26%" });
  assert.deepEqual(f.formatChange("0.02", "en"), { dir: "up", text: "+0.02%" });
  assert.equal(f.formatChange(null, "en").dir, "none");
  assert.match(f.formatChange("-0.26", "ru").text, /^−0,26\s%$/u);
});

test("result range is exact", () => {
  assert.deepEqual(f.resultRange(37, 1, 10), { first: 1, last: 10, total: 37 });
  assert.deepEqual(f.resultRange(37, 4, 10), { first: 31, last: 37, total: 37 });
  assert.equal(f.resultRange(37, 5, 10), null);
  assert.equal(f.resultRange(0, 1, 10), null);
  assert.equal(f.pageCount(37, 10), 4);
  assert.equal(f.pageCount(0, 10), 1);
});

test("page window", () => {
  assert.deepEqual(f.pageWindow(1, 1), [1]);
  assert.deepEqual(f.pageWindow(5, 10), [1, null, 3, 4, 5, 6, 7, null, 10]);
  assert.deepEqual(f.pageWindow(1, 4), [1, 2, 3, 4]);
});

test("typed query drops the trailing space", () => {
  assert.equal(f.typedQuery("  almaty  sm "), "almaty sm");
});

test("amounts in both locales", () => {
  assert.equal(f.parseAmount("150 000"), "150000");
  assert.equal(f.parseAmount("1\u00a0500,5"), "1500.5");
  assert.equal(f.parseAmount("1,500.5"), "1500.5");
  assert.equal(f.parseAmount("0"), null);
  assert.equal(f.parseAmount("-3"), null);
  assert.equal(f.parseAmount("1e5"), null);
});

test("search state round-trips through the URL", () => {
  const s = f.stateFromParams(new URLSearchParams("q=tenge&lang=ru&page=2&x=1"));
  assert.deepEqual(s, { q: "tenge", lang: "ru", category: "", country: "", page: 2 });
  assert.equal(f.paramsFromState(s).toString(), "q=tenge&lang=ru&page=2");
  assert.equal(f.paramsFromState({ ...s, page: 1 }).toString(), "q=tenge&lang=ru");
  assert.equal(f.stateFromParams(new URLSearchParams("page=-1")).page, 1);
});

test("chart geometry", () => {
  const g = f.chartGeometry(
    [{ date: "a", value: 2 }, { date: "b", value: 4 }, { date: "c", value: 3 }], 100, 50, 5);
  assert.equal(g.d, "M5.0,45.0 L50.0,5.0 L95.0,25.0");
  assert.equal(g.min.date, "a");
  assert.equal(g.max.date, "b");
  assert.equal(f.chartGeometry([], 100, 50, 5), null);
  assert.equal(f.chartGeometry([{ date: "a", value: 1 }], 100, 50, 5).d, "M5.0,25.0");
});

test("language tags", () => {
  assert.equal(f.supportedLang("ru-KZ", ["en", "ru"]), "ru");
  assert.equal(f.supportedLang("kk", ["en", "ru"]), null);
});
