#!/bin/sh
# Regenerates coverage/lcov.info with c8 over node's built-in test runner.
# Run from anywhere; needs node >= 20 and npm (c8 is a devDependency, pinned in package-lock.json).
set -eu
cd "$(dirname "$0")"
[ -d node_modules/c8 ] || npm ci --no-audit --no-fund
rm -rf coverage
npx c8 --reporter=lcov --reporter=text-summary node --test
# The lcov reporter also writes an HTML report next to lcov.info; only lcov.info is kept.
find coverage -mindepth 1 ! -name lcov.info -exec rm -rf {} +
