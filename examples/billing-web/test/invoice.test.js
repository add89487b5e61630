import assert from "node:assert/strict";
import { test } from "node:test";

import { applyDiscount, lineTotal, subtotal } from "../src/invoice.js";

test("line total multiplies unit price by quantity", () => {
  assert.equal(lineTotal({ sku: "A", unitCents: 250, quantity: 4 }), 1000);
  assert.equal(lineTotal({ sku: "B", unitCents: 99 }), 99);
});

test("subtotal adds the lines", () => {
  assert.equal(subtotal([{ sku: "A", unitCents: 100, quantity: 2 }, { sku: "B", unitCents: 50 }]), 250);
});

test("discount codes", () => {
  assert.equal(applyDiscount(1000, undefined), 1000);
  assert.equal(applyDiscount(1000, "WELCOME10"), 900);
});
