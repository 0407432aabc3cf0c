#!/usr/bin/env bash
# Prepares this machine for the real-runtime tests (test/integration/runtime-*.test.ts): podman
# 4.3 with its CNI backend and containerd 1.6 with ctr, from Debian 12. Idempotent: it checks
# first, installs only what is missing, and says what it does on stderr. The tests call it from
# their beforeAll; .ci/run installs the same packages up front.
#
# What it installs (apt, --no-install-recommends so netavark and aardvark-dns stay out: podman
# then has only its CNI backend, which the tests select anyway):
#   podman runc conmon    the podman runtime (conmon is a podman dependency)
#   containerd            containerd 1.6 and ctr (its containerd-shim-runc-v2 uses runc)
#   busybox-static        one static binary: the tests build their container image from it
#   iptables              the portmap plugin (the PascalCase portMappings test) runs iptables
#   containernetworking-plugins iproute2 util-linux mount   (normally present already)
#
# What it prepares (empty directories, the standard CNI locations): /etc/cni/net.d,
# /opt/cni/bin and /var/lib/cni. `ctr run --cni` reads its configs and plugins only from the
# first two (containerd 1.6's ctr has no flag for them) and caches results in the third; the
# containerd test bind-mounts temp dirs over all three in a private mount namespace that only
# its ctr process sees, so the tests never write into the host's. A bind mount needs an existing
# target, hence the empty dirs. Nothing is started: each test runs its own containerd.
set -euo pipefail
say() { printf 'runtime-setup: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "needs root (podman and containerd run rootful here, the tests make links and namespaces)"
  exit 1
fi

# Both runtime test files run this from their beforeAll, possibly at once (jest workers): one
# at a time (a lock on this script file itself, bounded), so apt never meets its own lock.
exec 9<"$0"
if ! flock -w 900 9; then
  say "another runtime-setup.sh held the lock for 15 minutes; giving up"
  exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

packages=(podman runc conmon containerd busybox-static iptables containernetworking-plugins iproute2 util-linux mount)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get, --no-install-recommends)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "ok: packages ${packages[*]}"
fi

if installed netavark; then
  say "note: netavark is installed; the tests still select podman's CNI backend (network_backend = \"cni\")"
fi

for d in /etc/cni/net.d /opt/cni/bin /var/lib/cni; do
  if [ -d "$d" ]; then
    say "ok: $d exists"
  else
    say "creating $d (empty; the containerd test bind-mounts a temp dir over it for its ctr only)"
    mkdir -p "$d"
  fi
done

problems=()
command -v podman >/dev/null || problems+=("podman not found")
command -v ctr >/dev/null || problems+=("ctr not found")
command -v containerd >/dev/null || problems+=("containerd not found")
command -v containerd-shim-runc-v2 >/dev/null || problems+=("containerd-shim-runc-v2 not found")
command -v runc >/dev/null || problems+=("runc not found")
[ -x /bin/busybox ] || problems+=("/bin/busybox not found (busybox-static)")
command -v iptables >/dev/null || problems+=("iptables not found")
command -v unshare >/dev/null || problems+=("unshare not found (util-linux)")
[ -x /usr/lib/cni/portmap ] || problems+=("/usr/lib/cni/portmap not found (containernetworking-plugins)")
if [ ${#problems[@]} -gt 0 ]; then
  say "not ready: ${problems[*]}"
  exit 1
fi
say "ready: $(podman --version), $(containerd --version | awk '{print $1, $3}'), $(runc --version | head -1), $(/bin/busybox | head -1 | awk '{print $1, $2}')"
