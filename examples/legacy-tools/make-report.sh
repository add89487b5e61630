#!/bin/sh
# Regenerates coverage.xml (Cobertura) with coverage.py, line coverage only.
# Run from anywhere; needs coverage and pytest (PYTHON may name the interpreter).
set -eu
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m coverage run -m pytest
"$PYTHON" -m coverage xml -o coverage.xml
"$PYTHON" -m coverage report --precision=2
rm -f .coverage
