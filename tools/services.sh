#!/usr/bin/env bash
# Private loopback-only RabbitMQ and Prometheus instances for tests.
# Usage: tools/services.sh start-rabbitmq DIR | stop-rabbitmq DIR
#                          pause-rabbitmq DIR | resume-rabbitmq DIR   (the broker app only)
#                          start-prometheus DIR CONFIG | stop-prometheus DIR
#                          start-postgres DIR | stop-postgres DIR
#                          crash-postgres DIR (stops it as a crash would) | restart-postgres DIR
set -euo pipefail

RMQ_NODE=ordertest@localhost
RMQ_PORT=5673
RMQ_MGMT_PORT=15673
RMQ_DIST_PORT=25673
PROM_ADDR=127.0.0.1:9091
RMQ_BIN=/usr/lib/rabbitmq/bin
PG_PORT=${ORDERNODE_PG_PORT:-55432}
PG_BIN=/usr/lib/postgresql/15/bin

die() { echo "services: $*" >&2; exit 1; }

wait_http() {
  local url=$1 secs=$2
  for _ in $(seq $((secs * 10))); do
    curl -sf -u guest:guest -o /dev/null "$url" && return 0
    sleep 0.1
  done
  return 1
}

alive() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rmq_env() {
  local d=$1
  export HOME=$d RABBITMQ_NODENAME=$RMQ_NODE RABBITMQ_DIST_PORT=$RMQ_DIST_PORT
  export RABBITMQ_CONFIG_FILE=$d/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins
  export RABBITMQ_MNESIA_BASE=$d/mnesia RABBITMQ_LOG_BASE=$d/log RABBITMQ_PID_FILE=$d/rmq.pid
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

start_rabbitmq() {
  local d
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  for p in $RMQ_PORT $RMQ_MGMT_PORT $RMQ_DIST_PORT; do
    port_free "$p" || die "port $p already in use"
  done
  mkdir -p "$d/mnesia" "$d/log"
  cat >"$d/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
CONF
  echo '[rabbitmq_management].' >"$d/enabled_plugins"
  rmq_env "$d"
  "$RMQ_BIN/rabbitmq-server" </dev/null >"$d/log/server.out" 2>&1 &
  if ! "$RMQ_BIN/rabbitmqctl" -n $RMQ_NODE wait --timeout 60 "$RABBITMQ_PID_FILE" >/dev/null; then
    tail -n 30 "$d/log/server.out" >&2
    die "RabbitMQ did not start (logs in $d/log)"
  fi
  wait_http "http://127.0.0.1:$RMQ_MGMT_PORT/api/overview" 20 || die "RabbitMQ management API not up"
  echo "services: RabbitMQ up on 127.0.0.1:$RMQ_PORT (management :$RMQ_MGMT_PORT)"
}

stop_rabbitmq() {
  local d
  d=$(cd "$1" && pwd)
  rmq_env "$d"
  if ! "$RMQ_BIN/rabbitmqctl" -n $RMQ_NODE shutdown >/dev/null 2>&1 && [[ -s $RABBITMQ_PID_FILE ]]; then
    kill "$(cat "$RABBITMQ_PID_FILE")" 2>/dev/null || true
    sleep 2
  fi
  epmd -kill >/dev/null 2>&1 || true
  rm -f "$RABBITMQ_PID_FILE"
  echo "services: RabbitMQ stopped"
}

# Stops or starts the RabbitMQ application inside its running node: every connection drops
# and the port closes, durable queues and persistent messages stay, as in a broker restart.
rabbitmq_app() {
  local d
  d=$(cd "$2" && pwd)
  rmq_env "$d"
  "$RMQ_BIN/rabbitmqctl" -n $RMQ_NODE "$1" >/dev/null
  if [[ $1 == start_app ]]; then
    "$RMQ_BIN/rabbitmqctl" -n $RMQ_NODE await_startup >/dev/null
  fi
  echo "services: RabbitMQ $1 done"
}

start_prometheus() {
  local d config
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  config=$(realpath "$2")
  port_free "${PROM_ADDR#*:}" || die "port ${PROM_ADDR#*:} already in use"
  prometheus --config.file="$config" --storage.tsdb.path="$d/data" \
    --web.listen-address=$PROM_ADDR --web.enable-lifecycle </dev/null >"$d/prometheus.log" 2>&1 &
  echo $! >"$d/prometheus.pid"
  if ! wait_http "http://$PROM_ADDR/-/ready" 30; then
    tail -n 30 "$d/prometheus.log" >&2
    die "Prometheus did not start (log in $d/prometheus.log)"
  fi
  echo "services: Prometheus up on $PROM_ADDR"
}

stop_prometheus() {
  local d=$1 pid
  [[ -s $d/prometheus.pid ]] || return 0
  pid=$(cat "$d/prometheus.pid")
  curl -sf -X POST -o /dev/null "http://$PROM_ADDR/-/quit" || kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    alive "$pid" || break
    sleep 0.1
  done
  ! alive "$pid" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$d/prometheus.pid"
  echo "services: Prometheus stopped"
}

# initdb and postgres refuse to run as root: as root, they run as the user postgres.
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_ctl() { as_pg "$PG_BIN/pg_ctl" "$@"; }

# Starts the server of the data folder in DIR, listening on 127.0.0.1 only.
pg_run() {
  local d=$1
  pg_ctl -D "$d/data" -l "$d/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k '$d' -c fsync=on" start >/dev/null ||
    { tail -n 20 "$d/log" >&2; die "PostgreSQL did not start (log in $d/log)"; }
}

# A private PostgreSQL 15 on 127.0.0.1:$PG_PORT with its data, socket and log in DIR; the
# database ordernode belongs to the user ordernode, who logs in without a password.
start_postgres() {
  local d
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  port_free "$PG_PORT" || die "port $PG_PORT already in use"
  ((EUID != 0)) || chown -R postgres:postgres "$d"
  as_pg test -w "$d" || die "$d must be reachable and writable by the user postgres"
  if [[ ! -d $d/data ]]; then
    as_pg "$PG_BIN/initdb" -D "$d/data" -A trust -U ordernode -E UTF8 >"$d/initdb.log" 2>&1 ||
      { tail -n 20 "$d/initdb.log" >&2; die "initdb failed (log in $d/initdb.log)"; }
  fi
  pg_run "$d"
  as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U ordernode -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname = 'ordernode'" | grep -q 1 ||
    as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U ordernode -d postgres -q \
      -c "CREATE DATABASE ordernode" >/dev/null
  echo "services: PostgreSQL up on postgresql://ordernode@127.0.0.1:$PG_PORT/ordernode"
}

# -m immediate: no checkpoint and no goodbye to clients, as if the server crashed.
stop_postgres() {
  local d mode=${2:-fast}
  d=$(cd "$1" && pwd)
  [[ -f $d/data/postmaster.pid ]] || return 0
  pg_ctl -D "$d/data" -m "$mode" -w -t 60 stop >/dev/null || die "PostgreSQL did not stop"
  echo "services: PostgreSQL stopped ($mode)"
}

restart_postgres() {
  local d
  d=$(cd "$1" && pwd)
  pg_run "$d"
  echo "services: PostgreSQL up again"
}

case "${1:-}" in
  start-rabbitmq) [[ $# -eq 2 ]] || die "usage: $0 start-rabbitmq DIR"; start_rabbitmq "$2" ;;
  stop-rabbitmq) [[ $# -eq 2 ]] || die "usage: $0 stop-rabbitmq DIR"; stop_rabbitmq "$2" ;;
  pause-rabbitmq) [[ $# -eq 2 ]] || die "usage: $0 pause-rabbitmq DIR"; rabbitmq_app stop_app "$2" ;;
  resume-rabbitmq) [[ $# -eq 2 ]] || die "usage: $0 resume-rabbitmq DIR"; rabbitmq_app start_app "$2" ;;
  start-prometheus) [[ $# -eq 3 ]] || die "usage: $0 start-prometheus DIR CONFIG"; start_prometheus "$2" "$3" ;;
  stop-prometheus) [[ $# -eq 2 ]] || die "usage: $0 stop-prometheus DIR"; stop_prometheus "$2" ;;
  start-postgres) [[ $# -eq 2 ]] || die "usage: $0 start-postgres DIR"; start_postgres "$2" ;;
  stop-postgres) [[ $# -eq 2 ]] || die "usage: $0 stop-postgres DIR"; stop_postgres "$2" ;;
  crash-postgres) [[ $# -eq 2 ]] || die "usage: $0 crash-postgres DIR"; stop_postgres "$2" immediate ;;
  restart-postgres) [[ $# -eq 2 ]] || die "usage: $0 restart-postgres DIR"; restart_postgres "$2" ;;
  *) die "usage: $0 start-rabbitmq DIR | stop-rabbitmq DIR | start-prometheus DIR CONFIG | stop-prometheus DIR | start-postgres DIR | stop-postgres DIR | crash-postgres DIR | restart-postgres DIR" ;;
esac
