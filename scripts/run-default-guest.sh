#!/usr/bin/env bash
# What `make run` boots when RUN_ARGS is empty: Debian 12's 32-bit Linux (kernel and busybox
# from Debian's mirror, put together by scripts/build-linux-guest.sh) from its hard-disk image,
# through SeaBIOS and SYSLINUX, with --snapshot so the image never changes. The kernel's log
# and a shell are on both the SDL window (tty1) and this terminal (COM1); without a display
# x86lab runs headless and says so. Ctrl-A X on the terminal, or closing the window, quits.
#
# When the guest cannot be built (no network, no apt), it says why in one line and boots the
# demo floppy instead (firmware/demo_floppy.asm, built with x86lab), which needs nothing but
# SeaBIOS.
#
# Usage: scripts/run-default-guest.sh X86LAB DEMO_FLOPPY [linux|demo]
set -uo pipefail

x86lab=${1:?usage: run-default-guest.sh X86LAB DEMO_FLOPPY [linux|demo]}
demo_floppy=${2:?usage: run-default-guest.sh X86LAB DEMO_FLOPPY [linux|demo]}
guest=${3:-linux}
here=$(cd "$(dirname "$0")" && pwd)

boot_demo() {
  exec "$x86lab" --fda "$demo_floppy" --snapshot
}

case "$guest" in
demo) boot_demo ;;
linux) ;;
*)
  echo "run-default-guest: unknown guest '$guest' (linux or demo)" >&2
  exit 2
  ;;
esac

guest_dir="${X86LAB_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/x86lab/guests}/linux"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "make run: getting Debian's i386 kernel and busybox (scripts/build-linux-guest.sh; a warm" \
  "run downloads nothing)"
if ! "$here/build-linux-guest.sh" >"$log" 2>&1 || [ ! -f "$guest_dir/disk.img" ]; then
  echo "make run: could not build the Linux guest ($(tail -n 1 "$log")); booting the demo" \
    "floppy instead" >&2
  boot_demo
fi
rm -f "$log"
trap - EXIT
echo "make run: Linux from $guest_dir/disk.img through SeaBIOS and SYSLINUX, --snapshot" \
  "(about half a minute to the shell; Ctrl-A X quits)"
exec "$x86lab" --hda "$guest_dir/disk.img" --snapshot
