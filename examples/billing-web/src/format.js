// Display helpers for amounts and invoice numbers.

const SYMBOLS = { EUR: "€", USD: "$", GBP: "£" };

export function formatCents(cents, currency = "EUR") {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100);
  const rest = String(abs % 100).padStart(2, "0");
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  return `${sign}${symbol}${units}.${rest}`;
}

export function invoiceNumber(year, sequence) {
  return `INV-${year}-${String(sequence).padStart(5, "0")}`;
}

export function parseInvoiceNumber(text) {
  // Untested: used only by the CSV import screen.
  const match = /^INV-(\d{4})-(\d{5})$/.exec(text.trim());
  if (match === null) {
    return null;
  }
  return { year: Number(match[1]), sequence: Number(match[2]) };
}

export function dueDate(issued, days = 30) {
  const due = new Date(issued.getTime());
  due.setUTCDate(due.getUTCDate() + days);
  if (due.getUTCDay() === 6) {
    due.setUTCDate(due.getUTCDate() + 2);
  } else if (due.getUTCDay() === 0) {
    due.setUTCDate(due.getUTCDate() + 1);
  }
  return due;
}
