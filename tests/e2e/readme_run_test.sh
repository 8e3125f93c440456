#!/usr/bin/env bash
# Follows the README's run section as a new user does: tools/run-node.sh builds the node and
# its tools and starts it; then the shell, the API and the report talk to it. Only the files it
# writes (into a temporary folder) and the ports (free ones) differ from the defaults.
set -euo pipefail
cd "${ORDERNODE_SOURCE_DIR:?}"
tmp=$(mktemp -d)
node_pid=
cleanup() {
  [[ -n $node_pid ]] && kill -9 "$node_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- node log (last 40 lines)"
  tail -n 40 "$tmp/node.log" 2>/dev/null || true
  exit 1
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The commands this test runs are the README's own.
grep -qx 'tools/run-node.sh' README.md || fail "the README no longer starts the node with tools/run-node.sh"
grep -q '^./build/ordernode-shell --exec "actors"' README.md || fail "the README lost ordernode-shell --exec"
grep -q '^./build/ordernode-report ordernode.db report.html' README.md || fail "the README lost ordernode-report"

# tools/run-node.sh must build the tools the README uses next, not only the node.
rm -f build/ordernode-shell build/ordernode-report
admin_port=$(free_port)
tools/run-node.sh --journal.path="$tmp/ordernode.db" --notifier.mock-file="$tmp/notifications.jsonl" \
  --http.bind=127.0.0.1:0 \
  --metrics.bind=127.0.0.1:0 --admin.port="$admin_port" --source.print=false >"$tmp/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 600); do
  grep -q ' started: journal ' "$tmp/node.log" && break
  kill -0 "$node_pid" 2>/dev/null || fail "tools/run-node.sh ended before the node started"
  sleep 0.5
done
grep -q ' started: journal ' "$tmp/node.log" || fail "the node did not start within 5 minutes"
[[ -x build/ordernode-shell ]] || fail "tools/run-node.sh did not build ordernode-shell"
[[ -x build/ordernode-report ]] || fail "tools/run-node.sh did not build ordernode-report"

http_port=$(sed -nE 's/.*HTTP server listening on 127\.0\.0\.1:([0-9]+).*/\1/p' "$tmp/node.log" | head -n1)
[[ -n $http_port ]] || fail "no HTTP port in the log"
health=$(curl -sS "http://127.0.0.1:$http_port/healthz") || fail "GET /healthz failed"
[[ $health == '{"status":"up"}' ]] || fail "GET /healthz answered $health"

# The start log tells where the generated admin token is; the shell reads it from there.
token_file="$tmp/ordernode-admin.token"
grep -q -- "--token-file $token_file" "$tmp/node.log" || fail "the start log does not name $token_file"
actors=$(./build/ordernode-shell --port "$admin_port" --token-file "$token_file" --exec "actors") \
  || fail "ordernode-shell --exec actors failed: $actors"
grep -q '^journal ' <<<"$actors" || fail "actors lists no journal:
$actors"
grep -qE '^processor-eu-1 ' <<<"$actors" || fail "actors lists no processor-eu-1:
$actors"
if grep -qE '^processor +processor ' <<<"$actors"; then
  fail "actors lists a phantom processor row:
$actors"
fi

sleep 2
kill -TERM "$node_pid"
code=0
wait "$node_pid" || code=$?
node_pid=
[[ $code == 0 ]] || fail "the node exited with $code after SIGTERM"

./build/ordernode-report "$tmp/ordernode.db" "$tmp/report.html" || fail "ordernode-report failed"
grep -q 'ordernode journal report' "$tmp/report.html" || fail "the report has no title"
echo "PASS: the README run section works"
