#!/usr/bin/env bash
# Build and test ordernode twice (RelWithDebInfo, then ASan+UBSan); prints "N passed, M failed".
# Services: RabbitMQ, PostgreSQL and Prometheus are started when a test carries the ctest label
# rabbitmq, postgresql, prometheus or services, or when ORDERNODE_TEST_SERVICES=1 (=0 never
# starts them).
set -euo pipefail
cd "$(dirname "$0")/.."

# The layers first: an include against them fails in seconds, before any build.
tools/check-layers
tools/setup.sh test

svc=$(mktemp -d)
chmod 755 "$svc"  # PostgreSQL runs as the user postgres and keeps its data in here.
services_up=0
logs=$(mktemp -d)
cleanup() {
  if ((services_up)); then
    tools/services.sh stop-rabbitmq "$svc/rabbitmq" &
    tools/services.sh stop-prometheus "$svc/prometheus" &
    tools/services.sh stop-postgres "$svc/postgres" &
    wait
    services_up=0
  fi
  rm -rf "$svc" "$logs"
}
trap cleanup EXIT

needs_services() {
  case "${ORDERNODE_TEST_SERVICES:-auto}" in
    1) return 0 ;;
    0) return 1 ;;
  esac
  [[ $(ctest --test-dir "$1" -N -L '^(rabbitmq|postgresql|prometheus|services)$') =~ Total\ Tests:\ [1-9] ]]
}

start_services() {
  cat >"$svc/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:9091']
YML
  services_up=1
  tools/services.sh start-rabbitmq "$svc/rabbitmq"
  tools/services.sh start-prometheus "$svc/prometheus" "$svc/prometheus.yml"
  tools/services.sh start-postgres "$svc/postgres"
  export ORDERNODE_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5673
  export ORDERNODE_TEST_RABBITMQ_MGMT=http://127.0.0.1:15673
  export ORDERNODE_TEST_RABBITMQ_CTL="$PWD/tools/services.sh"
  export ORDERNODE_TEST_RABBITMQ_DIR=$svc/rabbitmq
  export ORDERNODE_TEST_PROMETHEUS=http://127.0.0.1:9091
  export ORDERNODE_TEST_PROMETHEUS_CONFIG=$svc/prometheus.yml
  export ORDERNODE_TEST_POSTGRES_URL=postgresql://ordernode@127.0.0.1:${ORDERNODE_PG_PORT:-55432}/ordernode
  export ORDERNODE_TEST_POSTGRES_DIR=$svc/postgres
}

passed=0
failed=0
run_ctest() {
  local dir=$1 log=$logs/${1##*/}.log total bad
  shift
  echo "== ctest $dir"
  env "$@" ctest --test-dir "$dir" --output-on-failure --timeout 600 2>&1 | tee "$log" || true
  read -r bad total < <(sed -nE 's/.*tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' "$log" | tail -n1) || true
  if [[ -z ${total:-} ]]; then
    grep -q 'No tests were found' "$log" && bad=0 total=0 || bad=1 total=1
  fi
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2
if ((!services_up)) && needs_services build; then start_services; fi
run_ctest build

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORDERNODE_SANITIZE=ON \
  -DORDERNODE_BENCHMARKS=OFF
cmake --build build-asan -j2
if ((!services_up)) && needs_services build-asan; then start_services; fi
run_ctest build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

cleanup
echo "$passed passed, $failed failed"
((failed == 0))
