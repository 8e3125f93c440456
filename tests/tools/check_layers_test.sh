#!/usr/bin/env bash
# tools/check-layers passes on the tree and fails, naming file and line, on a planted upward
# include in each layer.
set -euo pipefail
src="${ORDERNODE_SOURCE_DIR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

"$src/tools/check-layers" "$src" >/dev/null || fail "the tree itself breaks the layers"

plant() {  # plant FILE INCLUDE: a copy of the tree with INCLUDE added to FILE; prints the output.
  rm -rf "$work/tree" && mkdir "$work/tree"
  cp -r "$src/actors" "$src/runtime" "$src/tools" "$work/tree/"
  local line
  line=$(($(wc -l <"$work/tree/$1") + 1))
  echo "#include $2" >>"$work/tree/$1"
  if out=$("$src/tools/check-layers" "$work/tree" 2>&1); then
    fail "$1 including $2 passed"
  fi
  [[ "$out" == *"$1:$line:"* ]] || fail "no file:line for $1 in: $out"
  echo "ok: $1 + $2 -> ${out%%$'\n'*}"
}

plant runtime/core/messages.hpp '"runtime/store/order_store.hpp"'
plant runtime/core/order_state.hpp '<spdlog/spdlog.h>'
plant runtime/store/sqlite_store.hpp '"runtime/report/report.hpp"'
plant runtime/report/report.hpp '"actors/journal.hpp"'
plant actors/validator.hpp '"runtime/node/config.hpp"'
plant runtime/http/server.hpp '"runtime/node/flow.hpp"'
plant runtime/http/gateway.hpp '"actors/intake.hpp"'
plant runtime/admin/admin_actor.hpp '"runtime/http/server.hpp"'
echo "check-layers test passed"
