"""Normalise the CSV exports that the old accounting system writes."""

import csv
import io


def clean_cell(value):
    value = value.strip()
    if value.upper() in ("N/A", "NULL", "-"):
        return ""
    return value


def clean_row(row):
    return [clean_cell(cell) for cell in row]


def clean_csv(text, delimiter=";"):
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", lineterminator="\n")
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        writer.writerow(clean_row(row))
    return out.getvalue()


def parse_amount(text):
    text = text.strip().replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".")
    amount = float(text)
    return -amount if negative else amount


def dedupe(rows, key=0):
    seen = set()
    result = []
    for row in rows:
        if row[key] in seen:
            continue
        seen.add(row[key])
        result.append(row)
    return result
