import { test } from "node:test";
import assert from "node:assert/strict";
import { formatAgo, formatBytes, formatCelsius, formatCount, formatPercent, formatTime, formatUnit, formatWatts, level } from "../src/format";

test("bytes use binary units with sensible precision", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(37 * 2 ** 30), "37.0 GiB");
  assert.equal(formatBytes(200 * 2 ** 30), "200 GiB");
  assert.equal(formatBytes(3.5 * 2 ** 40), "3.50 TiB");
  assert.equal(formatBytes(null), "—");
  assert.equal(formatBytes(Number.NaN), "—");
});

test("percent, degrees, watts and counts", () => {
  assert.equal(formatPercent(12.345), "12.3 %");
  assert.equal(formatPercent(99.96, 0), "100 %");
  assert.equal(formatPercent(undefined), "—");
  assert.equal(formatCelsius(61.4), "61 °C");
  assert.equal(formatWatts(312.5), "313 W");
  assert.equal(formatWatts(45.25), "45.3 W");
  assert.equal(formatCount(1200000), "1,200,000");
  assert.equal(formatUnit("bytes", 1024), "1.00 KiB");
  assert.equal(formatUnit("celsius", null), "—");
});

test("last seen reads like a person would say it", () => {
  assert.equal(formatAgo(null, 100), "never");
  assert.equal(formatAgo(100, 101), "just now");
  assert.equal(formatAgo(100, 112), "12 s ago");
  assert.equal(formatAgo(100, 100 + 5 * 60 + 3), "5 min ago");
  assert.equal(formatAgo(0, 3 * 3600), "3 h ago");
  assert.equal(formatAgo(0, 2 * 86400 + 5), "2 d ago");
  assert.equal(formatAgo(110, 100), "just now"); // a host clock slightly ahead
});

test("times print in the given zone", () => {
  assert.equal(formatTime(0, 0), "1970-01-01 00:00:00");
  assert.equal(formatTime(3600, -120), "1970-01-01 03:00:00");
});

test("levels colour percentages", () => {
  assert.equal(level(10), "ok");
  assert.equal(level(75), "warn");
  assert.equal(level(90), "crit");
  assert.equal(level(null), "none");
});
