#!/usr/bin/env bash
# Checks what `npm test` and `npm run demo` need on this machine and installs what is missing,
# saying so: root (they make network namespaces), the CNI reference plugins and iproute2 from
# Debian, a C compiler and libc's static library (for dist/multus-shim), node_modules from
# package-lock.json, and a fresh dist/multus and dist/multus-shim.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "needs root: the tests and the demo create network namespaces (ip netns add). Run as root."
  exit 1
fi
missing=()
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null | grep -q '^install ok installed$' || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} with apt-get (the real CNI reference plugins go to /usr/lib/cni)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "ok: CNI reference plugins in /usr/lib/cni, iproute2, openssl, a C compiler and libc6-dev (the shim)"
fi
# The real-runtime tests (test/integration/runtime-*.test.ts): podman with its CNI backend,
# containerd/ctr, busybox-static for their image, iptables for portmap. --no-install-recommends
# keeps netavark out. scripts/runtime-setup.sh (run by those tests) checks the rest.
runtime_missing=()
for p in podman runc conmon containerd busybox-static iptables; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || runtime_missing+=("$p")
done
if [ ${#runtime_missing[@]} -gt 0 ]; then
  say "installing ${runtime_missing[*]} with apt-get --no-install-recommends (for the podman/containerd tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${runtime_missing[@]}" >/dev/null
else
  say "ok: podman, runc, conmon, containerd, busybox-static, iptables"
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund >&2
else
  say "ok: node_modules up to date"
fi
say "building dist/multus and dist/multus-shim"
node scripts/build.mjs
