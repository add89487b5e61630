"""Renderers: the same data as terminal tables, JSON, markdown, CSV, HTML and SVG."""
