#!/usr/bin/env bash
# npm run demo: the seed's multi-homed pod, for real. Builds dist/multus, makes a throwaway
# network namespace, and runs the seed's three-delegate config through the compiled binary with
# Debian's reference plugins (the seed's flannel master is a bridge here: no flannel binary
# exists on a plain Debian machine). Prints the master's result and the pod's interfaces,
# deletes the pod, shows nothing is left, and cleans up whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

ns="multus-demo-$$"
work="$(mktemp -d /tmp/multus-demo.XXXXXX)"
forward="$(cat /proc/sys/net/ipv4/ip_forward)"
cleanup() {
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
cni() {
  CNI_COMMAND="$1" CNI_CONTAINERID=demo-pod CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 \
    CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=demo" \
    dist/multus < "$work/multus.conf"
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
leases=$(find "$work/ipam" -type f -name '10.*' | wc -l)
entries=$(find "$work/cache" -type f | wc -l)
echo "host-local leases left: $leases; multus cache entries left: $entries"
