#!/usr/bin/env bash
# Measures how long Debian's 686 kernel takes from power-on to the busybox shell prompt on
# COM1, in host seconds, and prints one line a boot. Not part of `make test` or `make bench`.
#
# Usage: bench/linux_boot.sh [X86LAB] [--deterministic] [--disk]
#   X86LAB           the binary (default build/frontend/x86lab)
#   --deterministic  guest time from the instruction count (default: real time, as a user runs)
#   --disk           also boot SeaBIOS -> SYSLINUX -> Linux from disk.img (needs --hda)
#
# The guest comes from scripts/build-linux-guest.sh (run here when missing). Each boot ends
# with `poweroff -f` typed into the shell; a boot that does not reach the prompt within
# X86LAB_BENCH_TIMEOUT seconds (default 900) is reported as a failure.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
x86lab="$here/build/frontend/x86lab"
mode_args=()
disk=0
for arg in "$@"; do
  case "$arg" in
    --deterministic) mode_args+=(--deterministic) ;;
    --disk) disk=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) x86lab="$arg" ;;
  esac
done
[ -x "$x86lab" ] || { echo "linux_boot.sh: $x86lab is not built (make build)" >&2; exit 1; }

guest="${X86LAB_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/x86lab/guests}/linux"
if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initrd.img" ]; then
  bash "$here/scripts/build-linux-guest.sh" >&2
fi
cmdline=$(cat "$guest/cmdline.txt")

# One boot: argv after the first argument; prints "<label>: N.NN s to the shell prompt".
boot() {
  local label="$1"
  shift
  python3 - "$label" "$@" <<'EOF'
import os, re, select, subprocess, sys, time
label, argv = sys.argv[1], sys.argv[2:]
timeout = float(os.environ.get("X86LAB_BENCH_TIMEOUT", "900"))
start = time.monotonic()
proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL)
out = b""
ready = None
while time.monotonic() - start < timeout and proc.poll() is None:
    r, _, _ = select.select([proc.stdout], [], [], 0.2)
    if r:
        data = os.read(proc.stdout.fileno(), 65536)
        if not data:
            break
        out += data
        m = re.search(rb"X86LAB-LINUX-READY[^\n]*\n(.|\n)*?[#$] ", out)
        if m:
            ready = time.monotonic() - start
            break
if ready is None:
    proc.kill()
    print(f"{label}: FAILED, no shell prompt within {timeout:.0f} s")
    sys.exit(1)
proc.stdin.write(b"poweroff -f\n")
proc.stdin.flush()
try:
    rc = proc.wait(timeout=120)
except subprocess.TimeoutExpired:
    proc.kill()
    rc = "timeout"
print(f"{label}: {ready:.2f} s to the shell prompt (poweroff exit code {rc})")
EOF
}

boot "direct kernel boot" "$x86lab" --nographic "${mode_args[@]}" --kernel "$guest/vmlinuz" \
  --initrd "$guest/initrd.img" --append "$cmdline"
if [ "$disk" = 1 ]; then
  boot "SeaBIOS -> SYSLINUX -> Linux" "$x86lab" --nographic "${mode_args[@]}" \
    --hda "$guest/disk.img" --snapshot
fi
