#!/usr/bin/env bash
# cluster.sh — edgedesk scaled out, on one machine: a core of three
# nats-servers in a cluster (JetStream, every stream kept by all three) and
# three edge nodes in different regions. Everything listens on loopback, on
# its own 127.0.x.y address as if each were its own host. Read it as the
# deployment guide (docs/DEPLOY.md) in runnable form: each step says what
# you would do on real machines.
#
#   scripts/cluster.sh start    build, write the configurations, start, wait until ready
#   scripts/cluster.sh status   each process, its readiness, the streams and their replicas
#   scripts/cluster.sh stop     stop what start started (SIGTERM, the edges first)
#   scripts/cluster.sh clean    stop, then delete the data directory
#
# Topology (docs/DEPLOY.md, "Edges and a core cluster"):
#
#   core-1 127.0.1.1   core-2 127.0.1.2   core-3 127.0.1.3
#     :4222 clients    :6222 routes (the cluster)    :7422 leaf nodes    :8222 monitoring
#
#   edge-eu   127.0.2.1:8080  client of the core (nats.url, all three servers), replicas 3
#   edge-us   127.0.2.2:8080  client of the core, replicas 3
#   edge-asia 127.0.2.3:8080  leaf node of the core (a branch site whose uplink fails):
#                             its own JetStream, archived by the core (core archive)
#
# Settings (environment):
#   EDGEDESK_CLUSTER_DIR  data, configurations, logs, secrets (default ${TMPDIR:-/tmp}/edgedesk-cluster)
#   CORE_NET, EDGE_NET    the first three octets of the cores' and edges' addresses (127.0.1, 127.0.2)
#   EDGEDESK_ORT_LIB      ONNX Runtime (default: .cache/ort/libonnxruntime.so.1, from scripts/fetch-ort.sh)
#
# No container engine is needed (nor assumed): the same binaries and
# configurations run under systemd or in containers (Dockerfile).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${EDGEDESK_CLUSTER_DIR:-${TMPDIR:-/tmp}/edgedesk-cluster}"
core_net="${CORE_NET:-127.0.1}"
edge_net="${EDGE_NET:-127.0.2}"
edgedesk="${repo}/bin/edgedesk"
nats_server="${repo}/bin/nats-server"

cores=(core-1 core-2 core-3)
edges=(edge-eu edge-us edge-asia)
core_ip() { echo "${core_net}.${1#core-}"; }          # core-2 → 127.0.1.2
edge_ip() {
  case "$1" in edge-eu) echo "${edge_net}.1" ;; edge-us) echo "${edge_net}.2" ;; edge-asia) echo "${edge_net}.3" ;; esac
}
core_urls() {                                            # every core server: a client fails over between them
  local u=() c
  for c in "${cores[@]}"; do u+=("nats://$(core_ip "$c"):4222"); done
  (IFS=,; echo "${u[*]}")
}

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# --- step 1: the binaries ---------------------------------------------------
# The node, and nats-server from the version go.mod pins (the core runs
# the same server the node embeds). On real machines: a release binary of
# each, or the image.
build() {
  log "building bin/edgedesk and bin/nats-server"
  (cd "${repo}" && go build -o bin/edgedesk . && go build -o bin/nats-server github.com/nats-io/nats-server/v2)
  if [[ -z "${EDGEDESK_ORT_LIB:-}" ]]; then
    EDGEDESK_ORT_LIB="$("${repo}/scripts/fetch-ort.sh")"
  fi
  export EDGEDESK_ORT_LIB
}

# --- step 2: credentials -----------------------------------------------------
# One NATS user per edge, one for the routes between core servers, one for
# the operator. Generated once and kept (mode 0600) in secrets.env; on real
# machines prefer NKeys or JWT credentials and TLS on every link
# (docs/DEPLOY.md, "TLS and credentials").
secrets() {
  local f="${dir}/secrets.env"
  if [[ ! -f "${f}" ]]; then
    pw() { head -c 24 /dev/urandom | base64 | tr -d '/+=' ; }
    (umask 077; {
      echo "ROUTE_PASSWORD=$(pw)"
      echo "OPS_PASSWORD=$(pw)"
      echo "EDGE_EU_PASSWORD=$(pw)"
      echo "EDGE_US_PASSWORD=$(pw)"
      echo "EDGE_ASIA_PASSWORD=$(pw)"
    } >"${f}")
  fi
  # shellcheck disable=SC1090
  source "${f}"
}

# --- step 3: the core --------------------------------------------------------
# Three servers, each routed to the other two. JetStream fsyncs every
# write before acknowledging it (an edge deletes an event from its outbox
# once acknowledged). Domain "core", so leaf edges address it by name.
core_config() {
  local c="$1" ip routes=() o
  ip="$(core_ip "$c")"
  for o in "${cores[@]}"; do
    [[ "$o" == "$c" ]] || routes+=("nats-route://route:${ROUTE_PASSWORD}@$(core_ip "$o"):6222")
  done
  cat >"${dir}/${c}.conf" <<EOF
# ${c} of the edgedesk core, written by scripts/cluster.sh
server_name: ${c}
listen: ${ip}:4222
http: ${ip}:8222                 # monitoring: /healthz, /varz, /jsz, /routez, /leafz
jetstream {
  store_dir: "${dir}/${c}"
  domain: core
  sync_interval: always          # fsync every write before the acknowledgement
}
authorization {
  users: [
    {user: edge-eu, password: "${EDGE_EU_PASSWORD}"}
    {user: edge-us, password: "${EDGE_US_PASSWORD}"}
    {user: ops, password: "${OPS_PASSWORD}"}
  ]
}
cluster {
  name: edgedesk-core
  listen: ${ip}:6222
  authorization { user: route, password: "${ROUTE_PASSWORD}" }
  routes: [
    $(printf '%s\n    ' "${routes[@]}")
  ]
}
leafnodes {
  listen: ${ip}:7422
  authorization { user: edge-asia, password: "${EDGE_ASIA_PASSWORD}" }
}
EOF
}

# --- step 4: the edges ---------------------------------------------------------
# Each edge is one edgedesk node with its own data directory (bbolt, and a
# leaf's own JetStream). The passwords come from the environment
# (EDGEDESK_NATS_PASSWORD), never the file.
edge_config() {
  local e="$1" ip group tz lang
  ip="$(edge_ip "$e")"
  case "$e" in
    edge-eu)   group=eu-support;   tz=Europe/Berlin;    lang="[en, de, fr]" ;;
    edge-us)   group=us-support;   tz=America/New_York; lang="[en, es]" ;;
    edge-asia) group=apac-support; tz=Asia/Singapore;   lang="[en, zh]" ;;
  esac
  {
    cat <<EOF
# ${e}, written by scripts/cluster.sh
listen: ${ip}:8080
data_dir: ${dir}/${e}
demo: true                       # the demo shop at /demo, with the widget
routing:
  groups:
    - {name: ${group}, languages: ${lang}, tz: ${tz}, capacity: 3}
nats:
  node: ${e}
  user: ${e}
EOF
    if [[ "$e" == edge-asia ]]; then
      cat <<EOF
  # A leaf node: its own JetStream (domain edge-${e}) keeps the events while
  # the uplink is down; the core's archive sources them when it is back.
  leaf: nats-leaf://$(core_ip core-1):7422
  core_domain: core              # presence, figures, audit log: in the core's cluster
  replicas: 3                    # ... kept by its three servers
EOF
    else
      cat <<EOF
  url: $(core_urls)
  replicas: 3                    # every stream and bucket at the core on all three servers
EOF
    fi
  } >"${dir}/${e}.yaml"
  "${edgedesk}" check-config -config "${dir}/${e}.yaml" >/dev/null
}

edge_password() {
  case "$1" in edge-eu) echo "${EDGE_EU_PASSWORD}" ;; edge-us) echo "${EDGE_US_PASSWORD}" ;; edge-asia) echo "${EDGE_ASIA_PASSWORD}" ;; esac
}

# --- processes -----------------------------------------------------------------
# Each process's pid in <name>.pid, its output in <name>.log. stop signals
# only those pids.
pid_of() { [[ -f "${dir}/$1.pid" ]] && cat "${dir}/$1.pid"; }
running() { local p; p="$(pid_of "$1")" && kill -0 "$p" 2>/dev/null; }

launch() {                                               # launch NAME ENV... -- COMMAND...
  local name="$1" env=(); shift
  while [[ "$1" != -- ]]; do env+=("$1"); shift; done
  shift
  if running "${name}"; then log "${name} already running (pid $(pid_of "${name}"))"; return; fi
  env "${env[@]}" "$@" >>"${dir}/${name}.log" 2>&1 &
  echo $! >"${dir}/${name}.pid"
  log "${name} started (pid $!, log ${dir}/${name}.log)"
}

wait_until() {                                           # wait_until WHAT SECONDS COMMAND...
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "${what}: not ready after ${secs}s (see ${dir}/*.log)"
    sleep 0.2
  done
  log "${what}: ready"
}

core_healthy() { curl -fsS "http://$(core_ip "$1"):8222/healthz" >/dev/null; }

start() {
  mkdir -p "${dir}"
  build
  secrets
  for c in "${cores[@]}"; do
    core_config "$c"
    "${nats_server}" -t -c "${dir}/${c}.conf" >/dev/null 2>&1 || die "${c}.conf: $("${nats_server}" -t -c "${dir}/${c}.conf" 2>&1)"
    launch "$c" -- "${nats_server}" -c "${dir}/${c}.conf"
  done
  # /healthz answers 200 once the server's JetStream is up and the cluster
  # has a meta leader: two of the three servers must see each other.
  for c in "${cores[@]}"; do wait_until "$c" 60 core_healthy "$c"; done

  for e in "${edges[@]}"; do
    edge_config "$e"
    launch "$e" "EDGEDESK_ORT_LIB=${EDGEDESK_ORT_LIB}" "EDGEDESK_NATS_PASSWORD=$(edge_password "$e")" -- \
      "${edgedesk}" serve -config "${dir}/${e}.yaml"
  done
  # edgedesk health is the container's HEALTHCHECK too.
  for e in "${edges[@]}"; do wait_until "$e" 60 "${edgedesk}" health -config "${dir}/${e}.yaml"; done

  # --- step 5: the core's archive of its leaf edges --------------------------
  # Run once per new leaf edge (it keeps the sources already there): the
  # core's EDGEDESK_ARCHIVE sources each leaf's EDGEDESK_SESSIONS from its
  # domain, R3 like everything else at the core.
  "${edgedesk}" core archive -url "$(core_urls | sed "s#nats://#nats://ops:${OPS_PASSWORD}@#g")" \
    -domains edge-edge-asia -replicas 3 | sed 's/^/cluster: archive: /' >&2

  log "up. Widgets: http://$(edge_ip edge-eu):8080/demo  http://$(edge_ip edge-us):8080/demo  http://$(edge_ip edge-asia):8080/demo"
  log "status: $0 status; stop: $0 stop"
}

# stream_table prints, from core server $1's monitoring port, each stream
# the core keeps: its messages, its replicas and the server leading it.
# (Each server's /healthz already says whether its replicas are current.)
stream_table() {
  curl -fsS "http://$(core_ip "$1"):8222/jsz?accounts=true&streams=true&config=true" |
    jq -r '.account_details[]?.stream_detail[]? |
      [.name, (.state.messages|tostring), ((.config.num_replicas // 1)|tostring), (.cluster.leader // "-")] | @tsv'
}

status() {
  [[ -d "${dir}" ]] || die "nothing started under ${dir}"
  secrets
  printf '%-10s %-8s %s\n' NAME PID STATE
  for c in "${cores[@]}"; do
    local state=stopped
    if running "$c"; then state="running, $(core_healthy "$c" && echo healthy || echo unhealthy)"; fi
    printf '%-10s %-8s %s\n' "$c" "$(pid_of "$c" || echo -)" "$state"
  done
  for e in "${edges[@]}"; do
    local state=stopped depth
    if running "$e"; then
      state="running, $("${edgedesk}" health -config "${dir}/${e}.yaml" 2>&1 | head -1)"
      # Events waiting for the core: grows while the uplink is down, drains after.
      depth="$(curl -fsS "http://$(edge_ip "$e"):8080/metrics" | awk '$1=="edgedesk_sync_outbox_depth"{print $2}')"
      state="${state}; outbox ${depth:-?}"
    fi
    printf '%-10s %-8s %s\n' "$e" "$(pid_of "$e" || echo -)" "$state"
  done
  for c in "${cores[@]}"; do
    if running "$c" && core_healthy "$c"; then
      echo
      printf '%-28s %-9s %-9s %s\n' STREAM MESSAGES REPLICAS LEADER
      stream_table "$c" | while IFS=$'\t' read -r name msgs reps leader; do
        printf '%-28s %-9s %-9s %s\n' "$name" "$msgs" "$reps" "$leader"
      done
      break
    fi
  done
}

stop() {
  [[ -d "${dir}" ]] || return 0
  # The edges first: each drains what it can to the core and closes its
  # WebSockets with a close frame; then the core, one server at a time.
  local name p
  for name in "${edges[@]}" "${cores[@]}"; do
    running "${name}" || { rm -f "${dir}/${name}.pid"; continue; }
    p="$(pid_of "${name}")"
    kill -TERM "$p"
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then log "${name} still running after 15s: SIGKILL"; kill -KILL "$p"; fi
    rm -f "${dir}/${name}.pid"
    log "${name} stopped"
  done
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  clean) stop; rm -rf "${dir}"; log "removed ${dir}" ;;
  *) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
