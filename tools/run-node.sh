#!/usr/bin/env bash
# Install, build the node and its tools (ordernode-shell, ordernode-report), then start one
# ordernode on the example config; extra arguments become flags.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target ordernode ordernode-shell ordernode-report
exec ./build/ordernode --config-file=config/ordernode.ini "$@"
