#!/bin/sh
# pve-gitops simulator: a stand-in for https://get.k3s.io. It honours the real installer's
# contract (INSTALL_K3S_VERSION, INSTALL_K3S_EXEC and arguments, K3S_URL, K3S_TOKEN,
# K3S_TOKEN_FILE and --token-file (the token in a file, docs.k3s.io/cli/agent),
# INSTALL_K3S_SKIP_DOWNLOAD, INSTALL_K3S_SKIP_START, INSTALL_K3S_BIN_DIR, K3S_NODE_NAME,
# K3S_KUBECONFIG_MODE) and writes the files k3s writes, but instead of running k3s it asks the
# simulator's cluster manager for a simulated API server and registers this host as a node.
# K3S_SIM_ROOT prefixes every path (tests); K3S_SIM_MANAGER is filled in when served.
set -eu

K3S_SIM_MANAGER="${K3S_SIM_MANAGER:-@@MANAGER_URL@@}"
ROOT="${K3S_SIM_ROOT:-}"
VERSION="${INSTALL_K3S_VERSION:-@@DEFAULT_VERSION@@}"
BIN_DIR="${ROOT}${INSTALL_K3S_BIN_DIR:-/usr/local/bin}"
DATA_DIR="${ROOT}/var/lib/rancher/k3s"
CONF_DIR="${ROOT}/etc/rancher/k3s"
umask 077

info() { echo "[INFO]  $*"; }
fatal() {
  echo "[ERROR]  $*" >&2
  exit 1
}

# The command: INSTALL_K3S_EXEC then the arguments, as the real installer combines them.
set -- ${INSTALL_K3S_EXEC:-} "$@"
CMD=""
case "${1:-}" in
  server | agent) CMD="$1"; shift ;;
esac
SERVER_URL="${K3S_URL:-}"
NODE_NAME="${K3S_NODE_NAME:-}"
NODE_IP="${K3S_NODE_IP:-}"
TOKEN_FILE="${K3S_TOKEN_FILE:-}"
CLUSTER_INIT=false
while [ $# -gt 0 ]; do
  case "$1" in
    --cluster-init) CLUSTER_INIT=true ;;
    --node-name) NODE_NAME="$2"; shift ;;
    --node-name=*) NODE_NAME="${1#*=}" ;;
    --node-ip) NODE_IP="$2"; shift ;;
    --node-ip=*) NODE_IP="${1#*=}" ;;
    --server | -s) SERVER_URL="$2"; shift ;;
    --server=*) SERVER_URL="${1#*=}" ;;
    --token-file) TOKEN_FILE="$2"; shift ;;
    --token-file=*) TOKEN_FILE="${1#*=}" ;;
    *) ;;
  esac
  shift
done
if [ -z "$CMD" ]; then
  if [ -n "$SERVER_URL" ]; then CMD=agent; else CMD=server; fi
fi
if [ "$CMD" = agent ] && [ -z "$SERVER_URL" ]; then
  fatal "k3s agent needs a server: set K3S_URL or pass --server."
fi
if [ -n "$SERVER_URL" ] && [ -z "${K3S_TOKEN:-}" ] && [ -z "$TOKEN_FILE" ]; then
  fatal "Defaulted k3s exec command to '$CMD' because K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined."
fi
# The token from its file, read here as k3s reads it (first line, whitespace trimmed); the
# value itself never becomes an argument of any command.
JOIN_TOKEN="${K3S_TOKEN:-}"
if [ -z "$JOIN_TOKEN" ] && [ -n "$TOKEN_FILE" ]; then
  [ -r "$TOKEN_FILE" ] || fatal "failed to read token file $TOKEN_FILE"
  IFS= read -r JOIN_TOKEN <"$TOKEN_FILE" || [ -n "$JOIN_TOKEN" ] || fatal "token file $TOKEN_FILE is empty"
  JOIN_TOKEN="$(printf '%s' "$JOIN_TOKEN" | tr -d ' \t\r')"
fi
[ -n "$NODE_NAME" ] || NODE_NAME="$(hostname)"
# The node's address: --node-ip, K3S_NODE_IP, the address this SSH session came in on; else
# the cluster manager looks the name up.
if [ -z "$NODE_IP" ] && [ -n "${SSH_CONNECTION:-}" ]; then
  NODE_IP="$(echo "$SSH_CONNECTION" | cut -d' ' -f3)"
fi
case "$NODE_NAME" in *[!a-z0-9.-]* | "") fatal "Invalid node name '$NODE_NAME'." ;; esac
case "$NODE_IP" in *[!0-9.]*) fatal "Invalid node IP '$NODE_IP'." ;; esac

info "Using ${VERSION} as release"
mkdir -p "$BIN_DIR" "$DATA_DIR" "$CONF_DIR"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

install_binary() {
  if [ "${INSTALL_K3S_SKIP_DOWNLOAD:-}" = true ] && [ -x "$BIN_DIR/k3s" ]; then
    info "Skipping k3s download and verify"
    return
  fi
  info "Installing k3s to $BIN_DIR/k3s"
  cat >"$BIN_DIR/k3s" <<STUB
#!/bin/sh
# Simulated k3s ${VERSION}: answers 'k3s kubectl get nodes' and '--version'.
set -eu
if [ "\$(basename "\$0")" = kubectl ]; then set -- kubectl "\$@"; fi
case "\${1:-}" in
  --version | -v) echo "k3s version ${VERSION} (simulated)"; echo "go version go1.22.9"; exit 0 ;;
  kubectl)
    if [ "\${2:-}" != get ] || [ "\${3:-}" != nodes ]; then echo "k3s (simulated): only 'kubectl get nodes' is available" >&2; exit 1; fi
    [ -r "${DATA_DIR}/server/node-token" ] || { echo "The connection to the server localhost:8080 was refused - did you specify the right host or port?" >&2; exit 1; }
    . "${DATA_DIR}/sim.env"
    h="\$(mktemp)"; trap 'rm -f "\$h"' EXIT
    chmod 600 "\$h"; printf 'Authorization: Bearer %s\n' "\$(cat "${DATA_DIR}/server/node-token")" >"\$h"
    exec curl -fsS --cacert "${DATA_DIR}/server/tls/server-ca.crt" -H @"\$h" "\$K3S_SIM_API/_sim/nodes.txt" ;;
  *) echo "k3s (simulated): '\${1:-}' is not simulated" >&2; exit 1 ;;
esac
STUB
  chmod 755 "$BIN_DIR/k3s"
  for l in kubectl crictl ctr; do
    [ -e "$BIN_DIR/$l" ] || ln -s k3s "$BIN_DIR/$l"
  done
  cat >"$BIN_DIR/k3s-uninstall.sh" <<UNINSTALL
#!/bin/sh
rm -rf "${DATA_DIR}" "${CONF_DIR}" "$BIN_DIR/k3s" "$BIN_DIR/kubectl" "$BIN_DIR/crictl" "$BIN_DIR/ctr" "$BIN_DIR/k3s-uninstall.sh"
UNINSTALL
  chmod 755 "$BIN_DIR/k3s-uninstall.sh"
}

# Authorization header in a 0600 file: the token never reaches curl's argv.
auth_header() {
  printf 'Authorization: Bearer %s\n' "$1" >"$TMP/auth"
}

install_binary
if [ "${INSTALL_K3S_SKIP_START:-}" = true ]; then
  info "Skipping k3s start"
  exit 0
fi

if [ "$CMD" = server ] && [ -z "$SERVER_URL" ]; then
  info "Starting k3s server (simulated API server via $K3S_SIM_MANAGER)"
  printf '{"name":"%s","ip":"%s","version":"%s","clusterInit":%s}' "$NODE_NAME" "$NODE_IP" "$VERSION" "$CLUSTER_INIT" >"$TMP/req"
  code="$(curl -sS -o "$TMP/cluster" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/req" "$K3S_SIM_MANAGER/clusters")" ||
    fatal "Cannot reach the simulator's cluster manager at $K3S_SIM_MANAGER."
  [ "$code" = 201 ] || [ "$code" = 200 ] || fatal "The simulator refused to start a cluster: $(head -c 300 "$TMP/cluster")"
  API="$(sed -n 1p "$TMP/cluster")"
  TOKEN="$(sed -n 2p "$TMP/cluster")"
else
  API="$SERVER_URL"
  TOKEN="$JOIN_TOKEN"
fi
API="${API%/}"

# Like k3s: fetch the CA bundle unauthenticated and check it against the token's hash.
curl -fsSk -o "$TMP/ca.crt" "$API/cacerts" || fatal "failed to get CA certs from $API/cacerts"
case "$TOKEN" in
  K10*::*)
    want="$(echo "$TOKEN" | sed 's/^K10\([0-9a-f]*\)::.*/\1/')"
    have="$(sha256sum "$TMP/ca.crt" | cut -d' ' -f1)"
    [ "$want" = "$have" ] || fatal "token CA hash does not match the Cluster CA certificate hash: $have != $want"
    ;;
esac
auth_header "$TOKEN"
ROLE="$CMD"
printf '{"name":"%s","ip":"%s","role":"%s","clusterInit":%s}' "$NODE_NAME" "$NODE_IP" "$ROLE" "$CLUSTER_INIT" >"$TMP/node"
code="$(curl -sS --cacert "$TMP/ca.crt" -o "$TMP/reg" -w '%{http_code}' -X POST -H @"$TMP/auth" -H 'Content-Type: application/json' --data-binary @"$TMP/node" "$API/_sim/register")" ||
  fatal "Cannot reach the k3s server at $API."
if [ "$code" = 401 ]; then
  fatal "Node password rejected or token invalid: the server at $API refused K3S_TOKEN (401 Unauthorized)."
fi
[ "$code" = 201 ] || fatal "The server at $API refused to register $NODE_NAME: $(head -c 300 "$TMP/reg")"

if [ "$CMD" = server ]; then
  mkdir -p "$DATA_DIR/server/tls"
  cp "$TMP/ca.crt" "$DATA_DIR/server/tls/server-ca.crt"
  printf '%s\n' "$TOKEN" >"$DATA_DIR/server/node-token"
  printf '%s\n' "$TOKEN" >"$DATA_DIR/server/token"
  chmod 600 "$DATA_DIR/server/node-token" "$DATA_DIR/server/token"
  printf 'K3S_SIM_API=%s\n' "$API" >"$DATA_DIR/sim.env"
  curl -fsS --cacert "$TMP/ca.crt" -H @"$TMP/auth" -o "$TMP/k3s.yaml" "$API/_sim/kubeconfig" || fatal "Cannot fetch the kubeconfig from $API."
  mv "$TMP/k3s.yaml" "$CONF_DIR/k3s.yaml"
  chmod "${K3S_KUBECONFIG_MODE:-600}" "$CONF_DIR/k3s.yaml"
else
  mkdir -p "$DATA_DIR/agent" "${ROOT}/etc/rancher/node"
  cp "$TMP/ca.crt" "$DATA_DIR/agent/server-ca.crt"
  printf 'K3S_SIM_API=%s\n' "$API" >"$DATA_DIR/sim.env"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${ROOT}/etc/rancher/node/password"
fi
if [ "$CMD" = agent ]; then info "systemd: Starting k3s-agent"; else info "systemd: Starting k3s"; fi
