#!/usr/bin/env bash
# Installs what the cross-host runs need (scripts/cross_test.py, docs/hosts.md) on Debian 12
# amd64: the aarch64 and s390x cross compilers, qemu-user, and the arm64 libraries the CPU
# links (multiarch; Debian 12 has no s390x Zydis, so s390x needs none). Idempotent: asks dpkg
# first and runs apt-get only when something is missing. Uses sudo only when not root.
# Called by install-deps.sh; a failure here only makes the cross-host runs skip (loudly).
set -euo pipefail

packages=(
  g++-aarch64-linux-gnu g++-s390x-linux-gnu qemu-user
  libzydis-dev:arm64 zlib1g-dev:arm64
)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    sudo=(false)
  else
    sudo=(sudo)
  fi
fi

added_arch=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-cross-deps: adding the arm64 architecture to dpkg"
  "${sudo[@]}" dpkg --add-architecture arm64
  added_arch=1
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ] && [ $added_arch -eq 0 ]; then
  exit 0
fi

echo "install-cross-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
