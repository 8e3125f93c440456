#!/usr/bin/env bash
# Install, build the node and its tools (ordernode-shell, ordernode-report), then start one
# ordernode on the example config; extra arguments become flags.
#   --postgres  also install PostgreSQL 15, start a private instance on 127.0.0.1:55432 (data
#               in $ORDERNODE_PG_DIR, default /var/tmp/ordernode-postgres, kept between runs),
#               run the node with its journal there and stop the instance when the node exits.
set -euo pipefail
cd "$(dirname "$0")/.."
postgres=0
if [[ ${1:-} == --postgres ]]; then
  postgres=1
  shift
fi
tools/setup.sh build
((postgres == 0)) || tools/setup.sh postgres
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target ordernode ordernode-shell ordernode-report
if ((postgres == 0)); then
  exec ./build/ordernode --config-file=config/ordernode.ini "$@"
fi
pg_dir=${ORDERNODE_PG_DIR:-/var/tmp/ordernode-postgres}
url=postgresql://ordernode@127.0.0.1:${ORDERNODE_PG_PORT:-55432}/ordernode
tools/services.sh start-postgres "$pg_dir"
trap 'tools/services.sh stop-postgres "$pg_dir"' EXIT
echo "run-node: journal.url=$url (psql $url; ordernode-report $url)"
./build/ordernode --config-file=config/ordernode.ini --journal.url="$url" "$@"
