#!/usr/bin/env bash
# tools/cluster.sh as a user runs it: `up 2` starts a private PostgreSQL and two nodes that see
# each other in /api/cluster, `kill 2` turns node-2 down for the others, `down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x build/ordernode ]] || fail "build/ordernode is missing"
tmp=$(mktemp -d)
chmod 755 "$tmp"
export ORDERNODE_CLUSTER_DIR=$tmp/cluster ORDERNODE_CLUSTER_NO_BUILD=1 ORDERNODE_PG_PORT=55436
trap 'tools/cluster.sh down >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
tools/cluster.sh up 2 -- --cluster.heartbeat=200ms --cluster.lease=1s >"$tmp/up.out" 2>&1 ||
  { cat "$tmp/up.out"; fail "tools/cluster.sh up 2 failed"; }
grep -q "http://127.0.0.1:8082/" "$tmp/up.out" || fail "up printed no URL of node-2"
states() { curl -fsS http://127.0.0.1:8081/api/cluster | grep -o '"state":"[a-z]*"' | sort | tr '\n' ' '; }
[[ $(states) == '"state":"up" "state":"up" ' ]] || fail "two nodes up expected, got: $(states)"
tools/cluster.sh kill 2 >/dev/null
for _ in $(seq 50); do
  [[ $(states) == '"state":"down" "state":"up" ' ]] && break
  sleep 0.1
done
[[ $(states) == '"state":"down" "state":"up" ' ]] || fail "node-2 not down after kill: $(states)"
tools/cluster.sh down >/dev/null
if pgrep -f "$ORDERNODE_CLUSTER_DIR" >/dev/null; then fail "processes of the cluster left"; fi
echo "ok: tools/cluster.sh up, kill, down"
