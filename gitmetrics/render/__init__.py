"""Renderers: the same data as terminal tables, JSON, markdown, CSV, HTML and SVG."""

#: what ``--format`` accepts on every command that prints data
FORMATS = ("table", "json", "markdown", "csv")
