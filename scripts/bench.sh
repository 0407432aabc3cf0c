#!/usr/bin/env bash
# npm run bench: checks the machine, builds dist/multus and dist/multus-shim, then measures them
# (scripts/bench.mjs): start-up, ADD+DEL against the delegates called directly, thin and thick
# (the shim with a `dist/multus daemon` the bench starts), the Kubernetes source, peak RSS, node
# churn and the daemon's memory, beside Go Multus v4.1.4 thin and thick when its reference
# binaries are there (../shared/reference/go-multus-v4.1.4; skipped with a note otherwise).
# Writes docs/performance.md and dist/bench.json. Not part of npm test. Needs root; takes ~20 min.
# BENCH_RUNS=<n> changes the rounds per variant (default 30); see scripts/bench.mjs for the rest.
# To measure binaries built elsewhere (`node scripts/build.mjs --out DIR/multus`), run
# `MULTUS_BENCH_DIR=DIR node scripts/bench.mjs` instead: this script always builds dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh # root, CNI plugins, iproute2, node_modules, then builds dist/multus
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time with apt-get (peak RSS of dist/multus)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
command -v openssl >/dev/null 2>&1 || { echo "bench: needs the openssl CLI (the test API server's certificates)" >&2; exit 1; }
# The Go rows are optional: the bench says why they are missing, this only says it early.
for t in xz python3 curl unshare; do
  command -v "$t" >/dev/null 2>&1 || echo "bench: no $t here: the Go Multus rows may be skipped" >&2
done
# The delegates (bridge isGateway, ptp) turn on IP forwarding: put it back however the bench ends.
fwd="$(cat /proc/sys/net/ipv4/ip_forward)"
trap 'echo "$fwd" > /proc/sys/net/ipv4/ip_forward' EXIT
# The bench cleans up (netns, links, temp dirs, API server) on SIGTERM: pass Ctrl-C on as that.
node scripts/bench.mjs &
bench=$!
trap 'kill -TERM "$bench" 2>/dev/null; wait "$bench"; exit 130' INT TERM
wait "$bench"
