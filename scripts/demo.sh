#!/usr/bin/env bash
# npm run demo: the seed's multi-homed pod, for real. Builds dist/multus and dist/multus-shim,
# makes a throwaway network namespace, and runs the seed's three-delegate config through the
# compiled binary with Debian's reference plugins (the seed's flannel master is a bridge here: no
# flannel binary exists on a plain Debian machine). Prints the master's result and the pod's
# interfaces, deletes the pod, and shows nothing is left. Then thick mode: it starts a daemon
# (temp socket dir, temp daemon config holding the same multus config), runs the same pod through
# the shim, times a few ADD+DEL rounds of each path, prints their medians side by side, and stops
# the daemon. Cleans up whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

ns="multus-demo-$$"
work="$(mktemp -d /tmp/multus-demo.XXXXXX)"
forward="$(cat /proc/sys/net/ipv4/ip_forward)"
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  ip netns del "$ns" 2>/dev/null || true
  ip link del mdemo0 2>/dev/null || true
  ip link del mdemo1 2>/dev/null || true
  echo "$forward" > /proc/sys/net/ipv4/ip_forward
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/multus.conf" <<JSON
{
  "name": "multus-demo",
  "type": "multus",
  "cniVersion": "1.0.0",
  "log_level": "info",
  "logFile": "$work/multus.log",
  "logToStderr": false,
  "cniDir": "$work/cache",
  "delegates": [
    { "name": "demo-master", "type": "bridge", "bridge": "mdemo0", "isDefaultGateway": true, "masterplugin": true,
      "ipam": { "type": "host-local", "subnet": "10.250.0.0/24", "dataDir": "$work/ipam" } },
    { "type": "ptp",
      "ipam": { "type": "host-local", "subnet": "10.250.1.0/24", "gateway": "10.250.1.1", "dataDir": "$work/ipam",
                "routes": [ { "dst": "10.251.0.0/16", "gw": "10.250.1.1" } ] } },
    { "type": "bridge", "bridge": "mdemo1",
      "ipam": { "type": "host-local", "subnet": "10.250.2.0/24", "rangeStart": "10.250.2.10", "rangeEnd": "10.250.2.20",
                "gateway": "10.250.2.1", "dataDir": "$work/ipam" } }
  ]
}
JSON

ip netns add "$ns"
# One CNI call, as a runtime makes it: cni COMMAND [PLUGIN [CONFIG]] (default: the thin binary).
cni() {
  CNI_COMMAND="$1" CNI_CONTAINERID=demo-pod CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 \
    CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=demo" \
    "${2:-dist/multus}" < "${3:-$work/multus.conf}"
}
leftovers() {
  local leases entries
  leases=$(find "$work/ipam" -type f -name '10.*' | wc -l)
  # The pod's records (<container>-<ifname>.json); the lock file and the plugins' VERSION cache stay.
  entries=$(find "$work/cache" -type f -name 'demo-pod-*.json' | wc -l)
  echo "host-local leases left: $leases; multus cache entries left: $entries"
}

echo "== multus config (stdin of dist/multus)"
cat "$work/multus.conf"
echo
echo "== CNI_COMMAND=ADD: the master's result, as the runtime receives it"
cni ADD | node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0,"utf8")), null, 2) + "\n")'
echo
echo "== ip a, inside the pod's network namespace"
ip -n "$ns" addr
echo
echo "== CNI_COMMAND=CHECK"
cni CHECK && echo "CHECK passed"
echo
echo "== CNI_COMMAND=DEL"
cni DEL && echo "DEL done; the pod now has:"
ip -n "$ns" -br addr
leftovers

# Thick mode. The daemon config holds the multus config's keys (the daemon gives them to every
# call as defaults); the shim's stdin, the runtime's conflist entry, says where the daemon is.
# daemonFallback "fail": a call the daemon does not get fails instead of running the thin binary,
# so the timings below are the daemon's.
node -e '
  const [conf, socketDir] = process.argv.slice(1);
  const { name, type, cniVersion, ...keys } = JSON.parse(require("fs").readFileSync(conf, "utf8"));
  process.stdout.write(JSON.stringify({ socketDir, ...keys }, null, 2) + "\n");
' "$work/multus.conf" "$work/run" > "$work/daemon-config.json"
cat > "$work/shim.conf" <<JSON
{ "cniVersion": "1.0.0", "name": "multus-demo", "type": "multus-shim",
  "daemonSocketDir": "$work/run", "daemonFallback": "fail" }
JSON
echo
echo "== thick mode: the daemon config ($work/daemon-config.json)"
cat "$work/daemon-config.json"
echo "== the shim's stdin (the runtime's conflist entry)"
cat "$work/shim.conf"
dist/multus daemon --config "$work/daemon-config.json" 2> "$work/daemon.err" &
daemon_pid=$!
for _ in $(seq 100); do
  [ -S "$work/run/multus.sock" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.err"; echo "the daemon did not start" >&2; exit 1; }
  sleep 0.1
done
[ -S "$work/run/multus.sock" ] || { cat "$work/daemon.err"; echo "no socket after 10 s" >&2; exit 1; }
head -n 1 "$work/daemon.err"
printf 'GET /readyz: '
node -e '
  require("http").get({ socketPath: process.argv[1], path: "/readyz" }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (d) => process.stdout.write(`${res.statusCode} ${d}\n`));
  });
' "$work/run/multus.sock"
echo
echo "== CNI_COMMAND=ADD through dist/multus-shim (request id demo-add), then the pod's interfaces"
MULTUS_REQUEST_ID=demo-add cni ADD dist/multus-shim "$work/shim.conf" > "$work/out.json" ||
  { cat "$work/out.json"; exit 1; }
ip -n "$ns" -br addr
echo "the daemon's log line for request demo-add:"
grep '"requestId":"demo-add"' "$work/multus.log" | grep -m 1 'ADD done' || true
echo
echo "== CNI_COMMAND=DEL through the shim"
cni DEL dist/multus-shim "$work/shim.conf" && echo "DEL done"
leftovers

rounds=5
echo
echo "== timing: the seed pod's ADD+DEL, $rounds rounds of each path, alternating"
declare -a thin_add thin_del thick_add thick_del
# One ADD+DEL through PLUGIN with CONFIG; sets add_us and del_us (EPOCHREALTIME: no fork to read the clock).
timed() {
  local t0 t1 t2
  t0=${EPOCHREALTIME//[.,]/}
  cni ADD "$1" "$2" > "$work/out.json" || { cat "$work/out.json"; exit 1; }
  t1=${EPOCHREALTIME//[.,]/}
  cni DEL "$1" "$2" > "$work/out.json" || { cat "$work/out.json"; exit 1; }
  t2=${EPOCHREALTIME//[.,]/}
  add_us=$((t1 - t0)); del_us=$((t2 - t1))
}
for _ in $(seq "$rounds"); do
  timed dist/multus "$work/multus.conf"; thin_add+=("$add_us"); thin_del+=("$del_us")
  timed dist/multus-shim "$work/shim.conf"; thick_add+=("$add_us"); thick_del+=("$del_us")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
sums() { local -n adds=$1 dels=$2; local i; for i in "${!adds[@]}"; do echo $((adds[i] + dels[i])); done; }
ms() { awk -v us="$1" 'BEGIN { printf "%7.1f", us / 1000 }'; }
row() { # row LABEL ADDS DELS
  local -a total; mapfile -t total < <(sums "$2" "$3")
  local -n adds=$2 dels=$3
  printf '%-36s %s %s %s\n' "$1" "$(ms "$(median "${total[@]}")")" "$(ms "$(median "${adds[@]}")")" \
    "$(ms "$(median "${dels[@]}")")"
}
printf '%-36s %7s %7s %7s\n' "median of $rounds, ms" "ADD+DEL" "ADD" "DEL"
row "thin: dist/multus" thin_add thin_del
row "thick: dist/multus-shim -> daemon" thick_add thick_del
leftovers

echo
echo "== stopping the daemon (SIGTERM)"
kill -TERM "$daemon_pid"
code=0; wait "$daemon_pid" || code=$?
daemon_pid=""
tail -n 1 "$work/daemon.err"
echo "daemon exit code: $code; socket left: $([ -e "$work/run/multus.sock" ] && echo yes || echo no)"
