#!/usr/bin/env bash
# Install the Debian (and npm) packages the project needs.
# Usage: tools/setup.sh build|test|postgres
set -euo pipefail
cd "$(dirname "$0")/.."

group=${1:-build}
build_pkgs=(build-essential cmake pkg-config libcaf-dev libspdlog-dev libsqlitecpp-dev
  libsqlite3-dev doctest-dev libboost-dev nlohmann-json3-dev prometheus-cpp-dev librabbitmq-dev
  libpq-dev libcurl4-openssl-dev libedit-dev libgoogle-perftools-dev sqlite3 clang-format)
test_pkgs=(rabbitmq-server amqp-tools postgresql prometheus chromium curl python3)

case "$group" in
  build) pkgs=("${build_pkgs[@]}") ;;
  postgres) pkgs=(postgresql) ;;
  test)
    pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}")
    command -v node >/dev/null || pkgs+=(nodejs)
    command -v npm >/dev/null || pkgs+=(npm)
    ;;
  *) echo "usage: $0 build|test|postgres" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done

sudo=()
((EUID == 0)) || sudo=(sudo)

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: all $group packages installed"
fi

if [[ $group == test ]]; then
  browser=tests/e2e/browser
  if [[ ! $browser/node_modules/.package-lock.json -nt $browser/package.json ]]; then
    echo "setup: npm install in $browser"
    (cd "$browser" && npm install --no-audit --no-fund --loglevel=error)
  fi
fi
