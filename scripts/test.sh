#!/usr/bin/env bash
# npm test: every test, unit and integration (real network namespaces, the compiled binary,
# Debian's reference plugins). Extra arguments go to jest (e.g. a path to run one file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
npx jest --ci --json --outputFile="$report" "$@" || status=$?
[ -s "$report" ] && node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || true
exit "$status"
