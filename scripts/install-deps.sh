#!/usr/bin/env bash
# Installs the Debian 12 packages x86lab builds with. Idempotent: asks dpkg first and runs
# apt-get (update + install) only when a package is missing. Uses sudo only when not root.
set -euo pipefail

packages=(
  meson ninja-build g++ pkg-config cmake
  libzydis-dev libsdl2-dev libboost-program-options-dev doctest-dev
  nasm nlohmann-json3-dev zlib1g-dev seabios libpng-dev xvfb xauth bochsbios vgabios
  gdb valgrind binutils
  clang libclang-rt-14-dev
)

# With a foreign architecture added (install-cross-deps.sh), a package installed for both
# (libzydis-dev, zlib1g-dev) is ambiguous to `dpkg -s NAME`: ask for the native one then.
native_arch=$(dpkg --print-architecture)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1 && ! dpkg -s "$pkg:$native_arch" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install-deps: missing packages (${missing[*]}) and no sudo; install them as root" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The cross-host runs (docs/hosts.md). Not fatal: without them those runs skip, loudly.
"$(dirname "$0")/install-cross-deps.sh" ||
  echo "install-deps: could not install the cross-host packages; the cross-host runs will skip" >&2
