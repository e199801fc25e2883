#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages mloop needs that are missing.
# Idempotent: when everything is present it changes nothing and says so.
# Set MLOOP_DEPS_EXTRA="pkg …" to add packages (CI adds the benchmark's).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libsqlite3-dev libpq-dev libjansson-dev libyaml-dev libzstd-dev libxxhash-dev
  libssl-dev zlib1g-dev libcmocka-dev libmicrohttpd-dev liblbfgs-dev
  postgresql-15 python3 python3-numpy
  clang
  chromium  # headless, for tests/integration/report_chromium.sh
)
# shellcheck disable=SC2206
packages+=(${MLOOP_DEPS_EXTRA:-})

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
