#!/usr/bin/env bash
# npm run bench: builds, then measures (see scripts/bench.mjs). Not part of npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
fwd="$(cat /proc/sys/net/ipv4/ip_forward)"
trap 'echo "$fwd" > /proc/sys/net/ipv4/ip_forward' EXIT
node scripts/bench.mjs
