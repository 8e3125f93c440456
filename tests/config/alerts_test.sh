#!/usr/bin/env bash
# Checks config/prometheus (promtool check) and runs alerts_test.yml against alerts.yml; then
# breaks each alert in a copy and expects the same tests to fail.
set -euo pipefail
src=${ORDERNODE_SOURCE_DIR:?ORDERNODE_SOURCE_DIR is not set}
command -v promtool >/dev/null || { echo "promtool not found (Debian package prometheus)" >&2; exit 1; }
rules=$src/config/prometheus/alerts.yml
tests=$src/tests/config/alerts_test.yml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check rules "$rules"
promtool check config "$src/config/prometheus/prometheus.yml"
promtool test rules "$tests"

# Each mutation weakens or breaks one alert; the tests must notice every one.
mutations=(
  's/< 0.5 \*/< 0.05 */'
  's/offset 5m)) >= 0.1/offset 5m)) >= 100/'
  's/\[5m\])) > 0.2/[5m])) > 0.6/'
  's/increase(ordernode_orders_finished_total\[5m\])) >= 20/increase(ordernode_orders_finished_total[5m])) >= 0/'
  's/ordernode_broker_lag_seconds) >= 30/ordernode_broker_lag_seconds) >= 300/'
  's/up{job="ordernode"} == 0/up{job="ordernode"} == 2/'
)
sed "s|../../config/prometheus/alerts.yml|$work/alerts.yml|" "$tests" >"$work/alerts_test.yml"
failed=0
for m in "${mutations[@]}"; do
  sed "$m" "$rules" >"$work/alerts.yml"
  if cmp -s "$rules" "$work/alerts.yml"; then
    echo "mutation '$m' changed nothing: alerts.yml and this script disagree" >&2
    failed=1
  elif promtool test rules "$work/alerts_test.yml" >"$work/out.txt" 2>&1; then
    echo "mutation '$m' went unnoticed by alerts_test.yml" >&2
    failed=1
  else
    echo "mutation '$m' caught"
  fi
done
exit $failed
