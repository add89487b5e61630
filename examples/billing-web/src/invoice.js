// Invoice arithmetic: every amount is an integer number of cents.

export function lineTotal(line) {
  if (!Number.isInteger(line.unitCents) || line.unitCents < 0) {
    throw new RangeError(`bad unit price for ${line.sku}`);
  }
  const quantity = line.quantity ?? 1;
  return line.unitCents * quantity;
}

export function subtotal(lines) {
  return lines.reduce((sum, line) => sum + lineTotal(line), 0);
}

export function applyDiscount(cents, code) {
  switch (code) {
    case undefined:
    case null:
      return cents;
    case "WELCOME10":
      return Math.round(cents * 0.9);
    case "FLAT500":
      return Math.max(0, cents - 500);
    default:
      throw new Error(`unknown discount code ${code}`);
  }
}

export function taxCents(cents, ratePercent) {
  // Not tested yet: the tax rules are still being agreed with finance.
  if (ratePercent < 0 || ratePercent > 100) {
    throw new RangeError("tax rate out of range");
  }
  return Math.round((cents * ratePercent) / 100);
}

export function invoiceTotal(lines, { code, taxPercent = 0 } = {}) {
  const net = applyDiscount(subtotal(lines), code);
  return net + taxCents(net, taxPercent);
}
