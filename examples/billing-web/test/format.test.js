import assert from "node:assert/strict";
import { test } from "node:test";

import { dueDate, formatCents, invoiceNumber } from "../src/format.js";

test("formats cents with a currency symbol", () => {
  assert.equal(formatCents(123456), "€1234.56");
  assert.equal(formatCents(-5, "USD"), "-$0.05");
});

test("invoice numbers are zero-padded", () => {
  assert.equal(invoiceNumber(2024, 42), "INV-2024-00042");
});

test("a due date that falls on a Saturday moves to Monday", () => {
  const due = dueDate(new Date(Date.UTC(2024, 0, 6)), 28);
  assert.equal(due.toISOString().slice(0, 10), "2024-02-05");
});
