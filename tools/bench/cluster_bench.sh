#!/usr/bin/env bash
# Cluster benchmark: throughput of 1, 2, 3... ordernodes on one private PostgreSQL 15 journal,
# and the failover time of a node SIGKILLed with orders in flight.
#
# Usage: tools/bench/cluster_bench.sh [--nodes "1 2 3"] [--seconds 20] [--warmup 5]
#            [--failover-orders 1000] [--rate 40000 | --rate-per-node N] [--max-in-flight 20000]
#            [--failover-latency 3s] [--heartbeat 1s] [--lease 10s] [--log-level warn]
#            [--bin build/ordernode] [--dir DIR] [--keep]
#
# Everything runs in DIR (default: a new mktemp -d folder): a private PostgreSQL 15 on
# 127.0.0.1:$ORDERNODE_PG_PORT (default 55434; synchronous_commit and fsync on), a copy of the
# binary (a rebuild during the run does not change what is measured), the nodes' output. On exit
# it stops the nodes and PostgreSQL and removes DIR, unless --keep (or DIR came from --dir).
#
# 1. Throughput: for each K of --nodes, a fresh database and K nodes, each with its mock source
#    above what it can finish (zero latency and no failures in the mock processor and carrier,
#    a window of --max-in-flight orders). --rate is what all sources offer together, split
#    evenly over the K nodes (--rate-per-node N: N on every node instead). Every order a source
#    makes while the window is full is refused, costs the node CPU and logs a warning, so a
#    rate far above capacity measures mostly the refusals: about twice the cluster's capacity
#    keeps the window full with few of them (the source skips a burst after a refusal). After
#    --warmup seconds it counts the finished orders (completed, failed, rejected, dead_letter)
#    in the journal, by owner, and reads the CPU time of every node and of the PostgreSQL
#    instance (postmaster, its live children and the children it reaped) from /proc, then
#    again --seconds later; the refusals are counted in the nodes' output in between.
# 2. Failover: a fresh database, nodes A and B (sources off); B's mock carrier answers after
#    --failover-latency, so the --failover-orders orders posted to B's HTTP API stay in flight.
#    B is SIGKILLed; A takes B's orders over once B's last heartbeat is older than the lease
#    and finishes them. Reported: kill -> first takeover event, kill -> all of them finished.
#    --failover-orders 0 skips it; --nodes "" skips the throughput part.
#
# Runs as root (PostgreSQL then runs as the user postgres, as tools/services.sh does).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

PG_PORT=${ORDERNODE_PG_PORT:-55434}
PG_BIN=/usr/lib/postgresql/15/bin
FINAL="('completed', 'failed', 'rejected', 'dead_letter')"

nodes_list="1 2 3"
seconds=20
warmup=5
failover_orders=1000
rate=40000
rate_per_node=""
max_in_flight=20000
failover_latency=3s
heartbeat=1s
lease=10s
log_level=warn
bin=$root/build/ordernode
dir=""
keep=0
made_dir=0

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "cluster_bench: $*" >&2
  exit 1
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_span() { [[ $1 =~ ^[0-9]+(ns|us|ms|s|min|h)$ ]]; }

while (($#)); do
  case $1 in
    --nodes) nodes_list=${2?}; shift ;;
    --seconds) seconds=${2?}; shift ;;
    --warmup) warmup=${2?}; shift ;;
    --failover-orders) failover_orders=${2?}; shift ;;
    --rate) rate=${2?}; shift ;;
    --rate-per-node) rate_per_node=${2?}; shift ;;
    --max-in-flight) max_in_flight=${2?}; shift ;;
    --failover-latency) failover_latency=${2?}; shift ;;
    --heartbeat) heartbeat=${2?}; shift ;;
    --lease) lease=${2?}; shift ;;
    --log-level) log_level=${2?}; shift ;;
    --bin) bin=$(realpath "${2?}"); shift ;;
    --dir) dir=${2?}; shift ;;
    --keep) keep=1 ;;
    -h | --help) usage ;;
    *) echo "cluster_bench: unknown argument $1" >&2; usage ;;
  esac
  shift
done

for k in $nodes_list; do
  [[ $k =~ ^[1-9]$ ]] || die "--nodes takes counts from 1 to 9, got '$k'"
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive integer"
is_uint "$warmup" || die "--warmup must be an integer"
is_uint "$failover_orders" || die "--failover-orders must be an integer"
[[ $rate =~ ^[1-9][0-9]*$ ]] || die "--rate must be a positive integer"
[[ -z $rate_per_node || $rate_per_node =~ ^[1-9][0-9]*$ ]] ||
  die "--rate-per-node must be a positive integer"
[[ $max_in_flight =~ ^[1-9][0-9]*$ ]] || die "--max-in-flight must be a positive integer"
for span in "$failover_latency" "$heartbeat" "$lease"; do
  is_span "$span" || die "'$span' is not a duration like 3s or 500ms"
done
[[ -x $bin ]] || die "$bin is missing (build the target ordernode)"
[[ -x $PG_BIN/postgres ]] || die "PostgreSQL 15 is missing ($PG_BIN; tools/setup.sh postgres)"
command -v psql >/dev/null || die "psql is missing"
command -v curl >/dev/null || die "curl is missing"

# The rate of each node's source with K nodes: --rate-per-node, else --rate split evenly.
node_rate_of() {
  if [[ -n $rate_per_node ]]; then echo "$rate_per_node"; else echo $(((rate + $1 - 1) / $1)); fi
}

# The source's pace for a rate, as the node's own `rate` command sets it (source.cpp,
# pace_for_rate): bursts of rate/100 orders (at least 1), each interval apart.
# Prints "BURST INTERVAL_NS".
pace_of() {
  local burst=$((($1 + 99) / 100))
  echo "$burst $((burst * 1000000000 / $1))"
}

alive() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

# One SQL statement on the database DB (default ordernode); unaligned, tuples only.
sql() {
  as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U ordernode -d "${DB:-ordernode}" -qAtX \
    -v ON_ERROR_STOP=1 -c "$1"
}

now() { echo "$EPOCHREALTIME"; }

# awk for the arithmetic on decimals: calc 'EXPR' [VAR=VALUE...]
calc() {
  local expr=$1 assign=() a
  shift
  for a in "$@"; do assign+=(-v "$a"); done
  awk -v CONVFMT=%.17g "${assign[@]}" "BEGIN { printf \"%s\", ($expr) }" </dev/null
}

# 1234567 -> 1,234,567
group() {
  awk -v x="$1" 'BEGIN {
    s = sprintf("%.0f", x); neg = s ~ /^-/; if (neg) s = substr(s, 2)
    out = ""; while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
    printf "%s%s%s", neg ? "-" : "", s, out }'
}

clk_tck=$(getconf CLK_TCK)

# utime + stime of /proc/PID/stat in clock ticks (0 when the process is gone); with a second
# argument 1 also the CPU of its children it has reaped (cutime + cstime).
stat_ticks() {
  local stat f
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return 0; }
  # The command name in parentheses may hold spaces: count the fields after its ')'.
  read -r -a f <<<"${stat##*) }"
  if [[ ${2:-0} == 1 ]]; then
    echo $((f[11] + f[12] + f[13] + f[14]))
  else
    echo $((f[11] + f[12]))
  fi
}

# The CPU ticks of this PostgreSQL instance: the postmaster with the children it has reaped
# (backends that exited, autovacuum workers) and its live children.
pg_ticks() {
  local pm total child
  pm=$(head -n 1 "$pg_dir/data/postmaster.pid")
  total=$(stat_ticks "$pm" 1)
  for child in $(pgrep -P "$pm"); do
    total=$((total + $(stat_ticks "$child")))
  done
  echo "$total"
}

# Busy ticks of the whole machine (all cores) from /proc/stat: all but idle and iowait.
machine_ticks() {
  local f
  read -r -a f </proc/stat
  # cpu user nice system idle iowait irq softirq steal ...
  echo $((f[1] + f[2] + f[3] + f[6] + f[7] + f[8]))
}

# --- the nodes ------------------------------------------------------------------------------

declare -A node_pid=()

# Starts node NAME in the background in DIR with the common flags and the given ones; its
# stdout and stderr (the log) go to DIR/NAME.out.
start_node() {
  local name=$1
  shift
  local args=(
    "--config-file=$root/config/ordernode.ini" "--journal.url=$pg_url" "--node.id=$name"
    --http.bind=127.0.0.1:0 --admin.port=0 --metrics.bind= "--cluster.heartbeat=$heartbeat"
    "--cluster.lease=$lease" --source.print=false "--notifier.mock-file=$dir/$name.notifications.jsonl"
    "$@"
  )
  printf '%s\n' "${args[@]}" >"$dir/$name.args"
  # Not a process group leader (no job control here), so setsid keeps the pid of $!.
  (cd "$dir" && exec setsid "$node_bin" "${args[@]}" </dev/null >"$dir/$name.out" 2>&1) &
  node_pid[$name]=$!
  # Out of the job table: bash then prints nothing when a node is killed.
  disown "${node_pid[$name]}"
}

# Waits until process PID is gone (a zombie counts as gone).
wait_gone() {
  while alive "$1"; do sleep 0.05; done
}

# Waits until node NAME has registered its addresses in the table nodes (after its recovery)
# and answers /healthz there; prints its HTTP address.
wait_ready() {
  local name=$1 pid=${node_pid[$1]} addr=""
  for _ in $(seq 600); do
    alive "$pid" || break
    addr=$(sql "SELECT http FROM nodes WHERE id = '$name' AND left_at = 0" 2>/dev/null || true)
    if [[ -n $addr ]] && curl -fsS -o /dev/null "http://$addr/healthz" 2>/dev/null; then
      echo "$addr"
      return 0
    fi
    sleep 0.1
  done
  echo "cluster_bench: node $name did not get ready; the end of $dir/$name.out:" >&2
  tail -n 20 "$dir/$name.out" >&2
  return 1
}

# SIGTERM to the given nodes, up to 30 s for each to exit, then SIGKILL.
stop_nodes() {
  local name pid
  for name in "$@"; do
    pid=${node_pid[$name]:-}
    if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for name in "$@"; do
    pid=${node_pid[$name]:-}
    [[ -n $pid ]] || continue
    for _ in $(seq 300); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      echo "cluster_bench: node $name did not stop within 30 s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait_gone "$pid"
    unset "node_pid[$name]"
  done
}

cleanup() {
  local rc=$? name
  trap - EXIT INT TERM
  for name in "${!node_pid[@]}"; do
    kill -KILL "${node_pid[$name]}" 2>/dev/null || true
    wait_gone "${node_pid[$name]}"
  done
  if [[ -n ${pg_dir:-} && -f $pg_dir/data/postmaster.pid ]]; then
    ORDERNODE_PG_PORT=$PG_PORT tools/services.sh stop-postgres "$pg_dir" >/dev/null ||
      echo "cluster_bench: PostgreSQL did not stop ($pg_dir)" >&2
  fi
  if [[ -n $dir && -d $dir ]]; then
    if ((keep == 0 && made_dir == 1)); then
      rm -rf "$dir"
    else
      echo "cluster_bench: kept $dir"
    fi
  fi
  exit "$rc"
}

# A healthy run logs no errors: the lines node NAME logged, by level.
log_summary() {
  echo "  $1 logged: $(awk '$2 ~ /^(warning|error|critical)$/ { n[$2]++ }
    END { printf "%d warning, %d error, %d critical lines", n["warning"], n["error"], n["critical"] }' \
    "$dir/$1.out") ($(du -h "$dir/$1.out" | cut -f1) in $dir/$1.out)"
}

# A new, empty database ordernode (the nodes create the schema), after a checkpoint so that
# every run starts with the same WAL behind it.
fresh_db() {
  DB=postgres sql "DROP DATABASE IF EXISTS ordernode WITH (FORCE)" >/dev/null
  DB=postgres sql "CREATE DATABASE ordernode" >/dev/null
  DB=postgres sql "CHECKPOINT" >/dev/null
}

# --- setup ----------------------------------------------------------------------------------

port_free "$PG_PORT" || die "port $PG_PORT already in use (ORDERNODE_PG_PORT moves the bench's PostgreSQL)"
if [[ -z $dir ]]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/ordernode-cluster-bench.XXXXXX")
  made_dir=1
else
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -e $dir/postgres ]] || die "$dir/postgres exists already: give an empty --dir"
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The user postgres must reach the data folder inside.
chmod 755 "$dir"
pg_dir=$dir/postgres
pg_url=postgresql://ordernode@127.0.0.1:$PG_PORT/ordernode

# The binary may be rebuilt while this runs: measure a copy, one that starts.
node_bin=$dir/ordernode
for attempt in $(seq 60); do
  if cp "$bin" "$node_bin" 2>/dev/null && "$node_bin" --version >/dev/null 2>&1; then
    break
  fi
  ((attempt < 60)) || die "cannot copy a working $bin"
  sleep 2
done
bin_built=$(date -r "$bin" '+%Y-%m-%d %H:%M:%S')
bin_version=$("$node_bin" --version 2>&1 | head -n 1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")

ORDERNODE_PG_PORT=$PG_PORT tools/services.sh start-postgres "$pg_dir" >/dev/null
pg_version=$(DB=postgres sql "SELECT version()")
sync_commit=$(DB=postgres sql "SHOW synchronous_commit")
fsync=$(DB=postgres sql "SHOW fsync")
wal_sync=$(DB=postgres sql "SHOW wal_sync_method")

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "# ordernode cluster benchmark"
echo
echo "- machine: $(nproc) cores, ${cpu_model:-unknown CPU}; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- binary: $bin_version, $bin (built $bin_built; HEAD $commit; a copy of it runs)"
echo "- journal: $pg_version, 127.0.0.1:$PG_PORT, data in $pg_dir"
echo "- durability: synchronous_commit=$sync_commit, fsync=$fsync ($wal_sync): an order counts" \
  "as finished once its commit is flushed to the WAL on disk"
echo "- cluster: heartbeat $heartbeat, lease $lease"
echo

# --- 1. throughput --------------------------------------------------------------------------

mock_flags=(--processor.failure-rate=0 --shipper.failure-rate=0 --processor.latency=0ms
  --shipper.latency=0ms)
table=()
base_rate=""

run_throughput() {
  local k=$1 i name names=() addr per_node_rate burst interval_ns
  per_node_rate=$(node_rate_of "$k")
  read -r burst interval_ns < <(pace_of "$per_node_rate")
  echo "  each node's source: $(group "$per_node_rate") orders/s ($burst every $((interval_ns / 1000)) µs)"
  fresh_db
  for ((i = 1; i <= k; i++)); do
    name=bench-$i
    names+=("$name")
    start_node "$name" "--log.level=$log_level" --source.enabled=true \
      "--source.interval=${interval_ns}ns" "--source.burst=$burst" "${mock_flags[@]}" \
      "--node.max-in-flight=$max_in_flight" --node.shutdown-deadline=2s
  done
  for name in "${names[@]}"; do
    addr=$(wait_ready "$name") || exit 1
    echo "  $name up on http://$addr (pid ${node_pid[$name]})"
  done
  sleep "$warmup"

  # Counts first (the snapshot time is the statement's start), then the CPU; at the end the
  # CPU first, then the counts: the CPU window lies inside the counting window and excludes the
  # counting queries. Each is turned into a rate over its own window.
  local counts0 counts1 t0 t1 c0 c1 pg0 pg1 m0 m1 line
  local -A cpu0=() cpu1=() done0=() done1=() out0=() out1=()
  counts0=$(sql "SELECT 'T', extract(epoch FROM statement_timestamp()) UNION ALL
                 SELECT owner, COUNT(*) FROM orders WHERE state IN $FINAL GROUP BY owner" |
    tr '|' ' ')
  c0=$(now)
  for name in "${names[@]}"; do
    cpu0[$name]=$(stat_ticks "${node_pid[$name]}")
    out0[$name]=$(stat -c %s "$dir/$name.out")
  done
  pg0=$(pg_ticks)
  m0=$(machine_ticks)
  t0=$(awk '$1 == "T" { print $2 }' <<<"$counts0")
  sleep "$(calc 'x > 0 ? x : 0' x="$(calc 't0 + s - c' t0="$t0" s="$seconds" c="$(now)")")"
  c1=$(now)
  for name in "${names[@]}"; do
    cpu1[$name]=$(stat_ticks "${node_pid[$name]}")
    out1[$name]=$(stat -c %s "$dir/$name.out")
  done
  pg1=$(pg_ticks)
  m1=$(machine_ticks)
  counts1=$(sql "SELECT 'T', extract(epoch FROM statement_timestamp()) UNION ALL
                 SELECT owner, COUNT(*) FROM orders WHERE state IN $FINAL GROUP BY owner" |
    tr '|' ' ')
  t1=$(awk '$1 == "T" { print $2 }' <<<"$counts1")
  for name in "${names[@]}"; do
    alive "${node_pid[$name]}" || die "node $name died during the run (see $dir/$name.out)"
  done
  while read -r name line; do [[ $name == T ]] || done0[$name]=$line; done <<<"$counts0"
  while read -r name line; do [[ $name == T ]] || done1[$name]=$line; done <<<"$counts1"

  local span cspan total=0 n node_rate cores rates=() cpus=() node_cores=0 us pg_us pg_cores
  local refused refused_rate refusals=() refused_total=0
  local machine_cores others scale
  span=$(calc 't1 - t0' t0="$t0" t1="$t1")
  cspan=$(calc 'c1 - c0' c0="$c0" c1="$c1")
  for name in "${names[@]}"; do
    n=$((${done1[$name]:-0} - ${done0[$name]:-0}))
    total=$((total + n))
    node_rate=$(calc 'n / span' n="$n" span="$span")
    cores=$(calc '(b - a) / tck / cs' a="${cpu0[$name]}" b="${cpu1[$name]}" tck="$clk_tck" cs="$cspan")
    node_cores=$(calc 'x + y' x="$node_cores" y="$cores")
    if ((n > 0)); then us=$(calc 'sprintf("%.1f", c / r * 1e6)' c="$cores" r="$node_rate"); else us="-"; fi
    rates+=("$(group "$node_rate")")
    cpus+=("$us")
    # The orders its source made but the node refused (window full), from the log lines written
    # in the CPU window; the log level must be warn or lower to see them.
    refused=$(tail -c +$((out0[$name] + 1)) "$dir/$name.out" | head -c $((out1[$name] - out0[$name])) |
      grep -c 'not accepted: overloaded' || true)
    refused_rate=$(calc 'n / cs' n="$refused" cs="$cspan")
    refused_total=$(calc 'x + y' x="$refused_total" y="$refused_rate")
    refusals+=("$(group "$refused_rate")")
    echo "  $name: $(group "$n") finished in $(calc 'sprintf("%.2f", s)' s="$span") s" \
      "= $(group "$node_rate")/s, $(calc 'sprintf("%.2f", c)' c="$cores") cores, $us µs CPU per order;" \
      "its source's orders refused (window full): $(group "$refused_rate")/s"
  done
  # Orders no node of this run owns (none expected).
  for name in "${!done1[@]}"; do
    [[ " ${names[*]} " == *" $name "* ]] ||
      echo "  note: $((${done1[$name]} - ${done0[$name]:-0})) orders finished under owner '$name'"
  done
  local total_rate
  total_rate=$(calc 'n / span' n="$total" span="$span")
  pg_cores=$(calc '(b - a) / tck / cs' a="$pg0" b="$pg1" tck="$clk_tck" cs="$cspan")
  machine_cores=$(calc '(b - a) / tck / cs' a="$m0" b="$m1" tck="$clk_tck" cs="$cspan")
  others=$(calc 'sprintf("%.2f", m - n - p)' m="$machine_cores" n="$node_cores" p="$pg_cores")
  if ((total > 0)); then
    pg_us=$(calc 'sprintf("%.1f", c / r * 1e6)' c="$pg_cores" r="$total_rate")
  else
    pg_us="-"
  fi
  [[ -n $base_rate || $k -ne 1 ]] || base_rate=$total_rate
  if [[ -n $base_rate ]]; then
    scale=$(calc 'sprintf("%.2f×", r / b)' r="$total_rate" b="$base_rate")
  else
    scale="-"
  fi
  echo "  total $(group "$total_rate")/s; PostgreSQL $(calc 'sprintf("%.2f", c)' c="$pg_cores") cores," \
    "$pg_us µs CPU per order; machine busy $(calc 'sprintf("%.2f", c)' c="$machine_cores") cores" \
    "(others $others)"
  local per_node per_cpu per_refused refused_col
  per_node=$(printf ' / %s' "${rates[@]}")
  per_cpu=$(printf ' / %s' "${cpus[@]}")
  per_refused=$(printf ' / %s' "${refusals[@]}")
  refused_col=${per_refused:3}
  [[ $log_level == @(trace|debug|info|warn) ]] || refused_col="? (log level $log_level)"
  table+=("| $k | $(group "$per_node_rate") | $(group "$total_rate") | $scale | ${per_node:3} | ${per_cpu:3} | $(calc 'sprintf("%.2f", c)' c="$node_cores") | $pg_us | $(calc 'sprintf("%.2f", c)' c="$pg_cores") | $others | $refused_col |")
  stop_nodes "${names[@]}"
  for name in "${names[@]}"; do
    log_summary "$name"
    if ((keep == 0)); then rm -f "$dir/$name.out"; fi
  done
}

if [[ -n ${nodes_list// /} ]]; then
  echo "## Throughput"
  echo
  echo "Sources: $(if [[ -n $rate_per_node ]]; then echo "$(group "$rate_per_node") orders/s on each node"; else echo "$(group "$rate") orders/s in all, split evenly over the nodes"; fi)," \
    "node.max-in-flight=$max_in_flight, processor and shipper latency 0 and failure rate 0," \
    "log level $log_level. Warmup $warmup s, then $seconds s measured; a fresh database per row."
  echo
  for k in $nodes_list; do
    echo "$k node(s):"
    run_throughput "$k"
  done
  echo
fi

# --- 2. failover ----------------------------------------------------------------------------

failover_row=""
run_failover() {
  local n=$1 addr_a addr_b port cfg accepted codes i
  fresh_db
  start_node A --log.level=info --source.enabled=false --processor.failure-rate=0 \
    --shipper.failure-rate=0
  start_node B --log.level=info --source.enabled=false --processor.failure-rate=0 \
    --shipper.failure-rate=0 "--shipper.latency=$failover_latency"
  addr_a=$(wait_ready A) || exit 1
  addr_b=$(wait_ready B) || exit 1
  # B's port from its log line "HTTP server listening on 127.0.0.1:PORT (...)".
  port=$(sed -n 's/.*HTTP server listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/B.out" | head -n 1)
  [[ -n $port ]] || die "no 'HTTP server listening on' line in $dir/B.out"
  [[ $addr_b == "127.0.0.1:$port" ]] ||
    echo "  note: B advertises $addr_b, its log names port $port"
  echo "  A up on http://$addr_a (pid ${node_pid[A]}), B up on http://127.0.0.1:$port (pid ${node_pid[B]})"

  # N POSTs through one curl, 8 at a time over keep-alive connections.
  cfg=$dir/orders.curl
  local body='{\"productName\":\"lamp\",\"quantity\":1,\"region\":\"eu\",\"customer\":\"bench\",\"vip\":false}'
  for ((i = 0; i < n; i++)); do
    # "next" between two requests only: one after the last is a request without a URL.
    ((i == 0)) || echo next
    printf 'url = "http://127.0.0.1:%s/api/orders"\nheader = "Content-Type: application/json"\ndata = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$port" "$body"
  done >"$cfg"
  local p0 p1
  p0=$(now)
  # -s does not silence the progress meter of -Z (curl 7.88); --no-progress-meter does.
  codes=$(curl -S --no-progress-meter -Z --parallel-max 8 -K "$cfg" || true)
  p1=$(now)
  accepted=$(grep -c '^202$' <<<"$codes" || true)
  echo "  posted $n orders to B in $(calc 'sprintf("%.2f", b - a)' a="$p0" b="$p1") s: $accepted accepted (202)" \
    "$(sort <<<"$codes" | uniq -c | awk '$2 != 202 { printf "%s%s x %s", sep, $1, $2; sep = ", " }')"
  ((accepted > 0)) || die "B accepted none of the orders"

  # Until all accepted orders are unfinished at B, or their number stops growing.
  local open=0 prev=-1 still=0
  for _ in $(seq 100); do
    open=$(sql "SELECT COUNT(*) FROM orders WHERE owner = 'B' AND state NOT IN $FINAL")
    ((open < accepted)) || break
    if ((open <= prev)); then
      still=$((still + 1))
      ((still < 3)) || break
    fi
    prev=$open
    sleep 0.1
  done

  local t_kill pid_b=${node_pid[B]}
  kill -KILL "$pid_b"
  t_kill=$(now)
  wait_gone "$pid_b"
  unset "node_pid[B]"

  # The orders B left unfinished: B is gone, nothing else changes them until the takeover.
  local seqs in_flight states
  seqs=$(sql "SELECT COALESCE(string_agg(seq::text, ',' ORDER BY seq), '') FROM orders
              WHERE owner = 'B' AND state NOT IN $FINAL")
  in_flight=$(sql "SELECT COUNT(*) FROM orders WHERE seq = ANY('{$seqs}'::bigint[])")
  states=$(sql "SELECT string_agg(state || ' ' || n, ', ') FROM (SELECT state, COUNT(*) AS n
                FROM orders WHERE seq = ANY('{$seqs}'::bigint[]) GROUP BY state) s")
  echo "  SIGKILL B with $in_flight orders in flight (${states:-none})"
  ((in_flight > 0)) || die "B had no orders in flight at the kill (raise --failover-latency)"

  local left t_done="" limit
  limit=$(calc 'k + 120' k="$t_kill")
  while :; do
    left=$(sql "SELECT COUNT(*) FROM orders WHERE seq = ANY('{$seqs}'::bigint[])
                AND state NOT IN $FINAL")
    if ((left == 0)); then
      t_done=$(now)
      break
    fi
    (($(calc 'n > l' n="$(now)" l="$limit") == 0)) ||
      die "$left of B's orders still unfinished 120 s after the kill (see $dir/A.out)"
    sleep 0.1
  done

  local takeover_ns last_ns beat_ns outcome taken
  takeover_ns=$(sql "SELECT COALESCE(MIN(at), 0) FROM order_events WHERE stage = 'cluster'")
  last_ns=$(sql "SELECT MAX(updated_at) FROM orders WHERE seq = ANY('{$seqs}'::bigint[])")
  beat_ns=$(sql "SELECT heartbeat FROM nodes WHERE id = 'B'")
  taken=$(sql "SELECT COUNT(DISTINCT order_seq) FROM order_events WHERE stage = 'cluster'
               AND order_seq = ANY('{$seqs}'::bigint[])")
  outcome=$(sql "SELECT string_agg(state || ' ' || n || ' (owner ' || owner || ')', ', ')
                 FROM (SELECT state, owner, COUNT(*) AS n FROM orders
                       WHERE seq = ANY('{$seqs}'::bigint[]) GROUP BY state, owner) s")
  ((takeover_ns > 0)) || die "no takeover event in the journal"

  local beat_age to_takeover to_last to_done
  beat_age=$(calc 'sprintf("%.2f", k - b / 1e9)' k="$t_kill" b="$beat_ns")
  to_takeover=$(calc 'sprintf("%.2f", t / 1e9 - k)' t="$takeover_ns" k="$t_kill")
  to_last=$(calc 'sprintf("%.2f", t / 1e9 - k)' t="$last_ns" k="$t_kill")
  to_done=$(calc 'sprintf("%.2f", d - k)' d="$t_done" k="$t_kill")
  echo "  B's last heartbeat $beat_age s before the kill; first takeover event $to_takeover s" \
    "after it; $taken of the $in_flight orders taken over; the last of them finished" \
    "$to_last s after the kill (seen by polling every 100 ms: $to_done s)"
  echo "  outcome: $outcome"
  failover_row="| $in_flight | $lease / $heartbeat | $to_takeover s | $(calc 'sprintf("%.2f", l - t)' l="$to_last" t="$to_takeover") s | $to_last s | $to_done s |"
  stop_nodes A
  log_summary A
  log_summary B
}

if ((failover_orders > 0)); then
  echo "## Failover"
  echo
  echo "Nodes A and B, sources off, no mock failures; B's carrier answers after $failover_latency," \
    "A's after the config's latency. $failover_orders orders posted to B, then B is SIGKILLed."
  echo
  run_failover "$failover_orders"
  echo
fi

# --- results --------------------------------------------------------------------------------

echo "## Results"
echo
echo "$(nproc) cores ($cpu_model), $pg_version; synchronous_commit=$sync_commit, fsync=$fsync."
if ((${#table[@]} > 0)); then
  echo
  echo "Throughput: $seconds s measured after $warmup s of warmup; finished = completed, failed," \
    "rejected or dead_letter in the journal (5% of the mock orders are invalid: rejected). The" \
    "1-node row is the baseline of the same run. \"others\": CPU of the rest of the machine in" \
    "the window. \"refused/s\": orders the sources made while the window was full (each costs" \
    "the node CPU and a warning line)."
  echo
  echo "| nodes | source/s per node | finished/s | vs 1 node | finished/s per node | node CPU µs/order (each) | nodes' cores | PostgreSQL CPU µs/order | PostgreSQL cores | others' cores | refused/s per node |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${table[@]}"
fi
if [[ -n $failover_row ]]; then
  echo
  echo "Failover: B SIGKILLed with its orders in flight; A takes them over once B's last heartbeat" \
    "is older than the lease, so the lease ($lease) dominates the failover time; the takeover" \
    "itself and finishing the orders take the rest."
  echo
  echo "| orders in flight at kill | lease / heartbeat | kill → takeover | takeover → last finished | kill → last finished (journal) | kill → all seen finished (poll 100 ms) |"
  echo "|---|---|---|---|---|---|"
  echo "$failover_row"
fi
