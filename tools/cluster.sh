#!/usr/bin/env bash
# Install, build, then run a cluster of N ordernodes in the background on one private
# PostgreSQL journal (and, with --broker, a private RabbitMQ). Everything it keeps - database,
# broker, logs, pids, the shared admin token and shipment ledger - is in one folder:
# $ORDERNODE_CLUSTER_DIR, default /var/tmp/ordernode-cluster (the journal stays between runs).
# Usage: tools/cluster.sh up N [--broker] [-- NODE FLAGS...]   start N (1 to 9) nodes
#        tools/cluster.sh down                                  stop the nodes and the services
#        tools/cluster.sh status                                which nodes run, and their URLs
#        tools/cluster.sh kill I                                SIGKILL node I (see a failover)
#        tools/cluster.sh start I                               start node I again, same flags
# Node I is node-I: HTTP (live page, API) on 127.0.0.1:808I, admin (ordernode-shell) on 425I,
# /metrics on 127.0.0.1:947I. Without --broker every node runs the config's mock source, so all
# of them take orders. With --broker node-1 is the front (its source and HTTP orders go to the
# broker, it consumes nothing) and nodes 2..N are workers (no source; they consume the queues).
# NODE FLAGS go to every node, after the script's own (the last of a flag wins). `up` starts the
# nodes' logs afresh, `start I` appends. ORDERNODE_PG_PORT moves PostgreSQL (default 55432);
# ORDERNODE_CLUSTER_NO_BUILD=1 skips installing and building.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

dir=${ORDERNODE_CLUSTER_DIR:-/var/tmp/ordernode-cluster}
pg_url=postgresql://ordernode@127.0.0.1:${ORDERNODE_PG_PORT:-55432}/ordernode
# The AMQP and management ports of tools/services.sh start-rabbitmq.
amqp_url=amqp://guest:guest@127.0.0.1:5673
rmq_mgmt=http://127.0.0.1:15673/
up_ok=0

usage() {
  cat >&2 <<USAGE
usage: $0 up N [--broker] [-- NODE FLAGS...]   (1 <= N <= 9)
       $0 down | status | kill I | start I
USAGE
  exit 2
}

die() { echo "cluster: $*" >&2; exit 1; }

alive() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_port() { echo $((8080 + $1)); }
admin_port() { echo $((4250 + $1)); }
metrics_port() { echo $((9470 + $1)); }

# The pid of node I when that process runs and is an ordernode, else nothing (status 1).
node_pid() {
  local f=$dir/node-$1.pid pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  alive "$pid" || return 1
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *ordernode*" --node.id=node-$1 "* ]] ||
    return 1
  echo "$pid"
}

# The numbers of the nodes that have a file DIR/node-I.SUFFIX, ascending.
nodes_with() {
  local f n
  for f in "$dir"/node-*."$1"; do
    [[ -e $f ]] || continue
    n=${f##*/node-}
    n=${n%."$1"}
    [[ $n =~ ^[1-9]$ ]] && echo "$n"
  done | sort -n
}

# Starts node I in the background, in DIR, with the flags of DIR/node-I.args (one a line).
launch() {
  local i=$1 args
  mapfile -t args <"$dir/node-$i.args"
  # Not a process group leader (no job control here), so setsid keeps the pid of $!.
  (cd "$dir" && exec setsid nohup "$root/build/ordernode" "${args[@]}" \
    </dev/null >>"$dir/node-$i.out" 2>&1) &
  echo $! >"$dir/node-$i.pid"
}

# Waits up to 30 s until node I answers /healthz; on failure prints the tail of its output.
wait_healthy() {
  local i=$1 pid
  pid=$(<"$dir/node-$i.pid")
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$(http_port "$i")/healthz" 2>/dev/null && return 0
    alive "$pid" || break
    sleep 0.1
  done
  echo "cluster: node-$i is not healthy (http://127.0.0.1:$(http_port "$i")/healthz);" \
    "the end of $dir/node-$i.out:" >&2
  tail -n 30 "$dir/node-$i.out" >&2
  return 1
}

# SIGTERM to the given nodes, up to 15 s for each to exit, then SIGKILL; removes their pid files.
stop_nodes() {
  local i pid pids=()
  for i in "$@"; do
    if pid=$(node_pid "$i"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids[i]=$pid
    fi
  done
  for i in "$@"; do
    if [[ -n ${pids[i]:-} ]]; then
      for _ in $(seq 150); do
        alive "${pids[i]}" || break
        sleep 0.1
      done
      if alive "${pids[i]}"; then
        echo "cluster: node-$i did not stop within 15 s; SIGKILL" >&2
        kill -KILL "${pids[i]}" 2>/dev/null || true
        while alive "${pids[i]}"; do sleep 0.1; done
      fi
      echo "cluster: node-$i stopped"
    fi
    rm -f "$dir/node-$i.pid"
  done
}

print_node() {
  local i=$1
  echo "node-$i  http://127.0.0.1:$(http_port "$i")/   (live page; API /api/orders, /api/stats, /healthz)"
  echo "        metrics  http://127.0.0.1:$(metrics_port "$i")/metrics"
  echo "        shell    build/ordernode-shell --port $(admin_port "$i") --token-file $dir/admin.token"
  echo "        log      $dir/node-$i.log   (stdout and stderr: $dir/node-$i.out)"
}

print_urls() {
  local i
  for i in "$@"; do
    print_node "$i"
  done
  echo "journal  $pg_url"
  echo "         psql $pg_url"
  echo "         build/ordernode-report --summary $pg_url"
  echo "         build/ordernode-report $pg_url $dir/report.html"
  if [[ -d $dir/rabbitmq ]]; then
    echo "broker   $amqp_url   (management $rmq_mgmt, guest/guest)"
  fi
  echo "cluster  curl http://127.0.0.1:$(http_port "${1:-1}")/api/cluster"
  echo "failover tools/cluster.sh kill I; after cluster.lease (10 s) a live node takes over its" \
    "unfinished orders: grep -h 'from node node-I' $dir/node-*.log; tools/cluster.sh start I"
  echo "stop     tools/cluster.sh down"
}

# Stops every node, then RabbitMQ and PostgreSQL; fine to run when nothing runs.
down() {
  [[ -d $dir ]] || return 0
  local nodes
  mapfile -t nodes < <(nodes_with pid)
  ((${#nodes[@]} == 0)) || stop_nodes "${nodes[@]}"
  if [[ -s $dir/rabbitmq/rmq.pid ]]; then
    tools/services.sh stop-rabbitmq "$dir/rabbitmq" || echo "cluster: RabbitMQ did not stop" >&2
  fi
  if [[ -d $dir/postgres ]]; then
    tools/services.sh stop-postgres "$dir/postgres" || echo "cluster: PostgreSQL did not stop" >&2
  fi
}

up_failed() {
  ((up_ok == 0)) || return 0
  echo "cluster: up failed; stopping what it started" >&2
  down
}

up() {
  [[ ${1:-} =~ ^[1-9]$ ]] || usage
  local n=$1 broker=0 extra=() started=() i p
  shift
  while (($#)); do
    case $1 in
      --broker) broker=1 ;;
      --) shift; extra=("$@"); break ;;
      *) usage ;;
    esac
    shift
  done
  mkdir -p "$dir"
  chmod 755 "$dir"
  dir=$(cd "$dir" && pwd)
  for i in $(nodes_with pid); do
    ! node_pid "$i" >/dev/null || die "node-$i already runs (pid $(<"$dir/node-$i.pid")); tools/cluster.sh down first"
  done
  if [[ ${ORDERNODE_CLUSTER_NO_BUILD:-} != 1 ]]; then
    tools/setup.sh build
    tools/setup.sh postgres
    # The test group is the one that installs rabbitmq-server.
    ((broker == 0)) || tools/setup.sh test
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j"$(nproc)" --target ordernode ordernode-shell ordernode-report
  fi
  [[ -x build/ordernode ]] || die "build/ordernode is missing (build it, or drop ORDERNODE_CLUSTER_NO_BUILD)"
  for ((i = 1; i <= n; i++)); do
    for p in $(http_port "$i") $(admin_port "$i") $(metrics_port "$i"); do
      port_free "$p" || die "port $p (node-$i) already in use"
    done
  done
  rm -f "$dir"/node-*.pid "$dir"/node-*.args "$dir"/node-*.out "$dir"/node-*.log

  # Whatever fails from here on, stop what was started.
  trap up_failed EXIT
  tools/services.sh start-postgres "$dir/postgres"
  ((broker == 0)) || tools/services.sh start-rabbitmq "$dir/rabbitmq"

  for ((i = 1; i <= n; i++)); do
    {
      printf '%s\n' "--config-file=$root/config/ordernode.ini" "--journal.url=$pg_url" \
        "--node.id=node-$i" "--http.bind=127.0.0.1:$(http_port "$i")" \
        "--admin.port=$(admin_port "$i")" "--metrics.bind=127.0.0.1:$(metrics_port "$i")" \
        "--admin.token-file=$dir/admin.token" "--shipper.ledger=$dir/ledger" \
        "--notifier.mock-file=$dir/node-$i.notifications.jsonl" "--log.file=$dir/node-$i.log"
      if ((broker == 1)); then
        printf '%s\n' --broker.enabled=true "--broker.url=$amqp_url"
        if ((i == 1)); then
          printf '%s\n' --broker.publish=true --broker.consume=false
        else
          printf '%s\n' --broker.publish=false --broker.consume=true --source.enabled=false
        fi
      fi
      ((${#extra[@]} == 0)) || printf '%s\n' "${extra[@]}"
    } >"$dir/node-$i.args"
  done

  # node-1 generates the admin token that all nodes share: the others start once it is there.
  launch 1
  for _ in $(seq 300); do
    [[ -s $dir/admin.token ]] && break
    alive "$(<"$dir/node-1.pid")" || break
    sleep 0.1
  done
  [[ -s $dir/admin.token ]] || { wait_healthy 1 || true; die "node-1 wrote no $dir/admin.token"; }
  for ((i = 2; i <= n; i++)); do
    launch "$i"
  done
  for ((i = 1; i <= n; i++)); do
    wait_healthy "$i" || exit 1
  done
  up_ok=1
  trap - EXIT
  echo "cluster: $n nodes up$( ((broker == 0)) || echo ", node-1 the broker's front, the others its workers"), state in $dir"
  mapfile -t started < <(seq "$n")
  print_urls "${started[@]}"
}

status() {
  [[ -d $dir ]] || { echo "cluster: nothing in $dir"; return 0; }
  local nodes i pid pg_pid
  mapfile -t nodes < <(nodes_with pid)
  for i in "${nodes[@]}"; do
    if pid=$(node_pid "$i"); then
      echo "node-$i  runs (pid $pid)"
    else
      echo "node-$i  not running"
    fi
  done
  pg_pid=$(head -n 1 "$dir/postgres/data/postmaster.pid" 2>/dev/null || true)
  if [[ -n $pg_pid ]] && alive "$pg_pid"; then
    echo "postgres runs (pid $pg_pid)"
  else
    echo "postgres not running"
  fi
  if [[ -d $dir/rabbitmq ]]; then
    if [[ -s $dir/rabbitmq/rmq.pid ]] && alive "$(<"$dir/rabbitmq/rmq.pid")"; then
      echo "rabbitmq runs (pid $(<"$dir/rabbitmq/rmq.pid"))"
    else
      echo "rabbitmq not running"
    fi
  fi
  ((${#nodes[@]} == 0)) || print_urls "${nodes[@]}"
}

kill_node() {
  local i=$1 pid
  pid=$(node_pid "$i") || die "node-$i does not run"
  kill -KILL "$pid"
  while alive "$pid"; do sleep 0.1; done
  echo "cluster: node-$i (pid $pid) killed; after cluster.lease (10 s) a live node takes over" \
    "its unfinished orders, if it had any: grep -h 'from node node-$i' $dir/node-*.log"
}

start_node() {
  local i=$1
  [[ -s $dir/node-$i.args ]] || die "no node-$i in $dir (tools/cluster.sh up N first)"
  ! node_pid "$i" >/dev/null || die "node-$i already runs"
  for p in $(http_port "$i") $(admin_port "$i") $(metrics_port "$i"); do
    port_free "$p" || die "port $p (node-$i) already in use"
  done
  launch "$i"
  if ! wait_healthy "$i"; then
    stop_nodes "$i"
    exit 1
  fi
  echo "cluster: node-$i up again"
  print_node "$i"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) [[ $# -eq 1 ]] || usage; down ;;
  status) [[ $# -eq 1 ]] || usage; status ;;
  kill) [[ $# -eq 2 && $2 =~ ^[1-9]$ ]] || usage; kill_node "$2" ;;
  start) [[ $# -eq 2 && $2 =~ ^[1-9]$ ]] || usage; start_node "$2" ;;
  *) usage ;;
esac
