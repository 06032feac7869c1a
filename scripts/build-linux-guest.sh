#!/usr/bin/env bash
# Builds a small 32-bit Linux guest for x86lab from Debian 12's own packages:
#   - vmlinuz     the i386 Debian kernel (the current linux-image-6.1.0-*-686 that the
#                 linux-image-686 metapackage depends on), a bzImage for direct kernel boot
#   - initrd.img  a gzip'd newc cpio: busybox-static (i386), busybox symlinks, and an /init that
#                 mounts proc/sys/devtmpfs, prints the line X86LAB-LINUX-READY and starts a shell
#                 on the console
#   - disk.img    a raw hard disk: MBR (SYSLINUX's mbr.bin), one bootable FAT16 partition at
#                 1 MiB holding SYSLINUX, vmlinuz, initrd.img and syslinux.cfg
#   - System.map  the kernel's function addresses, decoded from its kallsyms table
#                 (scripts/kallsyms_map.py): what gdb breaks on
#   - workload/   deterministic data for an in-guest userland workload (text.txt, random.bin)
#                 and run.sh, the busybox commands that the guest and the host both run
#   - initrd-workload.img  initrd.img followed by an uncompressed cpio of workload/ (the
#                 kernel unpacks concatenated archives), so the guest finds it at /workload
#   - disk-workload.img  disk.img with initrd-workload.img and `x86lab.workload` on the
#                 command line: /init runs the workload, prints WORKLOAD-TIME, then the shell
#
# Usage: scripts/build-linux-guest.sh [--out DIR] [--refresh] [--force]
#   --out DIR    where everything goes (default below)
#   --refresh    update the private i386 package lists now (they are otherwise refreshed
#                when older than a day)
#   --force      rebuild the initrd and the disk image even when their inputs did not change
#
# Where: $X86LAB_GUEST_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/x86lab/guests. It lives outside
# build/ on purpose: `make clean` does not throw away ~10 MB of downloads. Layout:
#   DIR/apt/        private apt state for architecture i386 (lists, sources, cache); the host's
#                   own apt configuration and architectures are never touched
#   DIR/debs/       the busybox-static .deb (the kernel .deb is deleted once vmlinuz is out)
#   DIR/linux/      vmlinuz, initrd.img, disk.img, syslinux.cfg, cmdline.txt, manifest.txt
# Each product has a stamp of the hashes of its inputs; a warm run downloads and builds nothing.
#
# Needs: Debian 12, root (or sudo) for apt-get install of the tools, and Debian's mirror.
# Environment: X86LAB_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              X86LAB_DEBIAN_SECURITY (default http://deb.debian.org/debian-security).
set -euo pipefail

readonly builder_version=1
readonly marker="X86LAB-LINUX-READY"
# The last console= is /dev/console, where /init's shell runs: the serial port, so a headless
# run (and a boot test) can read the marker and type into the shell. The kernel prints its log
# on both.
readonly cmdline="console=tty0 console=ttyS0,115200n8 earlyprintk=serial,ttyS0,115200"
readonly disk_mib=32

say() { echo "build-linux-guest: $*"; }
die() {
  echo "build-linux-guest: error: $*" >&2
  exit 1
}

out_dir="${X86LAB_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/x86lab/guests}"
refresh=0
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out)
      [ $# -ge 2 ] || die "--out needs a folder"
      out_dir="$2"
      shift 2
      ;;
    --refresh) refresh=1; shift ;;
    --force) force=1; shift ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1'; see --help" ;;
  esac
done

start_time=$(date +%s)

# ---- host tools -------------------------------------------------------------------------------
# syslinux: the mtools-based installer; syslinux-common: mbr.bin and ldlinux; mtools: mcopy;
# dosfstools: mkfs.fat; python3: the cpio and MBR writers below.
tools=(syslinux syslinux-common mtools dosfstools python3 gzip)
missing=()
for pkg in "${tools[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing host tools: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no sudo; run as root"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mbr_bin=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$mbr_bin" ] || die "$mbr_bin not found; reinstall syslinux-common"

# ---- private i386 apt state -------------------------------------------------------------------
apt_dir="$out_dir/apt"
debs_dir="$out_dir/debs"
linux_dir="$out_dir/linux"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.d" \
  "$debs_dir" "$linux_dir"
mirror="${X86LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${X86LAB_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}"
cat >"$apt_dir/sources.list.new" <<EOF
deb [arch=i386 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
deb [arch=i386 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-updates main
deb [arch=i386 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security bookworm-security main
EOF
if ! cmp -s "$apt_dir/sources.list.new" "$apt_dir/sources.list"; then
  mv "$apt_dir/sources.list.new" "$apt_dir/sources.list"
  refresh=1
else
  rm -f "$apt_dir/sources.list.new"
fi
apt_opts=(
  -o APT::Architecture=i386 -o APT::Architectures=i386
  -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache"
  -o Dir::State::status=/dev/null
  -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts="$apt_dir/sources.d"
  -o Dir::Cache::pkgcache="$apt_dir/cache/pkgcache.bin" -o Dir::Cache::srcpkgcache=""
  -o Acquire::Languages=none -o APT::Sandbox::User=root
)
stamp_lists="$apt_dir/lists/.updated"
if [ ! -f "$stamp_lists" ] || [ -n "$(find "$stamp_lists" -mmin +1440 2>/dev/null)" ]; then
  refresh=1
fi
if [ "$refresh" = 1 ]; then
  say "updating the i386 package lists (bookworm, bookworm-updates, bookworm-security)"
  updated=0
  for attempt in 1 2; do
    if apt-get "${apt_opts[@]}" update -qq; then
      updated=1
      break
    fi
    [ "$attempt" = 2 ] || { say "apt-get update failed; retrying in 5 s"; sleep 5; }
  done
  if [ "$updated" = 1 ]; then
    touch "$stamp_lists"
  elif compgen -G "$apt_dir/lists/*_bookworm_main_binary-i386_Packages*" >/dev/null; then
    # A mirror in the middle of a sync fails one index; the others are still good. The kernel
    # then comes from what did download (bookworm's point release rather than a security update).
    say "warning: some i386 package lists failed to download (above); going on with the rest"
    touch "$stamp_lists"
  else
    die "apt-get update for i386 failed; check that $mirror is reachable"
  fi
fi

# Prints "URL FILENAME SIZE SHA256" for the candidate version of a package.
package_uri() {
  local line
  line=$(apt-get "${apt_opts[@]}" download --print-uris "$1" 2>/dev/null | head -n1) || true
  [ -n "$line" ] || die "package '$1' (i386) not found in the package lists; try --refresh"
  # 'URL' FILE SIZE SHA256:HEX
  set -- $line
  echo "${1//\'/} $2 $3 ${4#SHA256:}"
}

# Downloads a package's candidate .deb into debs/ unless a file with the right hash is there.
# Prints the path of the .deb.
fetch_deb() {
  local pkg="$1" url file size sha
  read -r url file size sha <<<"$(package_uri "$pkg")"
  local path="$debs_dir/$file"
  if [ -f "$path" ] && [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$sha" ]; then
    say "cached $file" >&2
  else
    say "downloading $file ($((size / 1024)) KiB)" >&2
    (cd "$debs_dir" && apt-get "${apt_opts[@]}" download -q "$pkg" >/dev/null) ||
      die "download of $pkg failed"
    [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$sha" ] || die "$file: SHA256 mismatch"
  fi
  echo "$path"
}

# ---- the kernel ---------------------------------------------------------------------------
meta_depends=$(apt-cache "${apt_opts[@]}" show --no-all-versions linux-image-686 2>/dev/null |
  sed -n 's/^Depends: //p' | head -n1) || true
kernel_pkg=$(tr ',' '\n' <<<"$meta_depends" | sed 's/^ *//; s/ .*//' |
  grep -E '^linux-image-[0-9].*-686$' | head -n1) || true
[ -n "$kernel_pkg" ] || die "cannot resolve linux-image-686's kernel package from its Depends ('$meta_depends')"
read -r _ kernel_file _ kernel_sha <<<"$(package_uri "$kernel_pkg")"
kernel_version=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$kernel_pkg" |
  sed -n 's/^Version: //p' | head -n1)
say "linux-image-686 depends on $kernel_pkg ($kernel_version)"

kernel_stamp="$kernel_sha $builder_version"
if [ "$force" = 0 ] && [ -f "$linux_dir/vmlinuz" ] &&
  [ "$(cat "$linux_dir/.stamp-vmlinuz" 2>/dev/null)" = "$kernel_stamp" ]; then
  say "vmlinuz is up to date"
else
  kernel_deb=$(fetch_deb "$kernel_pkg")
  say "extracting /boot/vmlinuz-* from $(basename "$kernel_deb")"
  tmp=$(mktemp -d "$out_dir/.extract.XXXXXX")
  # Only the kernel: the full package unpacks to ~300 MB of modules the guest does not need.
  dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
  found=("$tmp"/boot/vmlinuz-*)
  [ -f "${found[0]}" ] || die "no /boot/vmlinuz-* in $kernel_deb"
  mv "${found[0]}" "$linux_dir/vmlinuz.new"
  mv "$linux_dir/vmlinuz.new" "$linux_dir/vmlinuz"
  basename "${found[0]}" >"$linux_dir/.vmlinuz-name"
  rm -rf "$tmp"
  # The kernel .deb is large and nothing else needs it: its hash in the stamp is the cache key.
  rm -f "$kernel_deb"
  echo "$kernel_stamp" >"$linux_dir/.stamp-vmlinuz"
fi
kernel_name=$(cat "$linux_dir/.vmlinuz-name")

# The package's /boot/System.map is a placeholder (the real one is in the ~1 GB -dbg package);
# the kernel's own kallsyms table has the function addresses gdb needs.
kallsyms_script="$(dirname "$0")/kallsyms_map.py"
map_stamp="$(sha256sum "$linux_dir/vmlinuz" "$kallsyms_script" | cut -d' ' -f1 | tr '\n' ' ')"
if [ "$force" = 0 ] && [ -f "$linux_dir/System.map" ] &&
  [ "$(cat "$linux_dir/.stamp-system-map" 2>/dev/null)" = "$map_stamp" ]; then
  say "System.map is up to date"
else
  say "building System.map from the kernel's kallsyms table"
  python3 "$kallsyms_script" "$linux_dir/vmlinuz" "$linux_dir/System.map.new" >/dev/null ||
    die "could not read the kernel's symbols (scripts/kallsyms_map.py)"
  mv "$linux_dir/System.map.new" "$linux_dir/System.map"
  echo "$map_stamp" >"$linux_dir/.stamp-system-map"
fi

# ---- busybox and the initramfs ------------------------------------------------------------
busybox_deb=$(fetch_deb busybox-static)

init_script=$(
  cat <<EOF
#!/bin/busybox sh
# x86lab guest init: mount the kernel file systems, say we are up, and give the console a shell.
/bin/busybox mkdir -p /proc /sys /dev /tmp /root /etc /bin /sbin /usr/bin /usr/sbin
[ -e /bin/sh ] || /bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
echo "${marker} \$(uname -r) \$(uname -m)"
echo "${marker}" >/dev/kmsg 2>/dev/null
cd /root
# x86lab.workload on the command line (bench/linux_workloads.py): run the userland workload
# (initrd-workload.img) once, timed by the guest's own clock, before the shell.
case " \$(cat /proc/cmdline) " in
*" x86lab.workload "*)
  read -r t0 _ </proc/uptime
  sh /workload/run.sh
  read -r t1 _ </proc/uptime
  echo "WORKLOAD-TIME \$t0 \$t1"
  ;;
esac
# The shell below runs on /dev/console, the last console= (the serial port). When the VGA
# console is on too (tty0 listed before it), tty1 gets a shell of its own beside it, so the SDL
# window can be typed into as well (make run); it only waits for keys.
active=\$(cat /sys/class/tty/console/active 2>/dev/null)
case " \$active " in
*" tty0 "*)
  case "\${active##* }" in
  tty0 | tty1) ;;
  *) (while true; do setsid sh -c 'exec sh -l <>/dev/tty1 >&0 2>&1'; sleep 1; done) & ;;
  esac
  ;;
esac
while true; do
  setsid cttyhack sh -l
  echo "x86lab init: the shell exited; starting another"
done
EOF
)
busybox_sha=$(sha256sum "$busybox_deb" | cut -d' ' -f1)
initrd_stamp="$busybox_sha $(sha256sum <<<"$init_script" | cut -d' ' -f1) $builder_version"
if [ "$force" = 0 ] && [ -f "$linux_dir/initrd.img" ] &&
  [ "$(cat "$linux_dir/.stamp-initrd" 2>/dev/null)" = "$initrd_stamp" ]; then
  say "initrd.img is up to date"
else
  say "building initrd.img (busybox from $(basename "$busybox_deb"))"
  tmp=$(mktemp -d "$out_dir/.initrd.XXXXXX")
  dpkg-deb -x "$busybox_deb" "$tmp/deb"
  root="$tmp/root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
  cp "$tmp/deb/bin/busybox" "$root/bin/busybox"
  printf '%s\n' "$init_script" >"$root/init"
  chmod 0755 "$root/init" "$root/bin/busybox"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  printf 'export PS1="x86lab# "\n' >"$root/etc/profile"
  # The applet list: from the binary itself when the host can run an i386 program; otherwise
  # /init installs the links at boot.
  if applets=$("$root/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then
    count=0
    while read -r applet; do
      [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
      count=$((count + 1))
    done <<<"$applets"
    say "  $count busybox applet links"
  else
    say "  this host cannot run i386 programs: /init installs the busybox links at boot"
  fi
  python3 - "$root" "$linux_dir/initrd.img.new" <<'PY'
# Writes a newc cpio archive of a folder (owned by root, fixed times, sorted, so the same
# inputs give the same bytes), with the device nodes the kernel wants before devtmpfs, gzip'd.
import gzip, os, stat, sys

root, out = sys.argv[1], sys.argv[2]
entries = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(dirnames + filenames):
        full = os.path.join(dirpath, name)
        entries.append(os.path.relpath(full, root))
entries.sort()

blob = bytearray()
ino = 1

def add(name, mode, data=b"", rdev=(0, 0), nlink=1):
    global ino
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    blob.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + name_b)
    blob.extend(b"\0" * (-len(blob) % 4))
    blob.extend(data)
    blob.extend(b"\0" * (-len(blob) % 4))
    ino += 1

for rel in entries:
    full = os.path.join(root, rel)
    st = os.lstat(full)
    perm = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        add(rel, stat.S_IFLNK | 0o777, os.readlink(full).encode())
    elif stat.S_ISDIR(st.st_mode):
        add(rel, stat.S_IFDIR | perm, nlink=2)
    else:
        with open(full, "rb") as f:
            add(rel, stat.S_IFREG | perm, f.read())
add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
add("dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3))
add("dev/ttyS0", stat.S_IFCHR | 0o660, rdev=(4, 64))
add("TRAILER!!!", 0)
blob.extend(b"\0" * (-len(blob) % 512))
with open(out, "wb") as f:
    f.write(gzip.compress(bytes(blob), compresslevel=9, mtime=0))
PY
  mv "$linux_dir/initrd.img.new" "$linux_dir/initrd.img"
  rm -rf "$tmp"
  echo "$initrd_stamp" >"$linux_dir/.stamp-initrd"
fi

# ---- the userland workload --------------------------------------------------------------------
# A few MiB of deterministic data and the busybox commands to run on it. The guest runs
# run.sh on /workload; the host runs the very same script with the very same i386 busybox
# when it can execute i386 programs (tests/boot/linux_workload.py), so every output line,
# gzip's compressed bytes included, has an exact oracle.
workload_script=$(
  cat <<'EOF'
# x86lab's userland workload: checksums, gzip -9 and back, sort, sha256, awk floating point.
# usage: sh run.sh [DATA_DIR] [WORK_DIR]; BB names the busybox to call (default: busybox).
# Every line is "name value..."; the last is WORKLOAD-END. Only stdin/stdout are used, so no
# file name or time stamp reaches gzip's header and the output depends on the data alone.
BB=${BB:-busybox}
D=${1:-/workload}
W=${2:-/tmp/workload}
"$BB" rm -rf "$W" && "$BB" mkdir -p "$W" || exit 1
digest() { "$BB" "$1" | "$BB" cut -d' ' -f1; }
for f in text.txt random.bin; do
  echo "md5 $f $(digest md5sum <"$D/$f")"
  "$BB" gzip -9 <"$D/$f" >"$W/$f.gz"
  echo "gzip-9 $f $("$BB" wc -c <"$W/$f.gz") $(digest md5sum <"$W/$f.gz")"
  echo "gunzip $f $("$BB" gzip -d <"$W/$f.gz" | digest md5sum)"
done
echo "sha256 text.txt $(digest sha256sum <"$D/text.txt")"
echo "sort text.txt $("$BB" sort "$D/text.txt" | digest md5sum)"
echo "sort-n text.txt $("$BB" sort -n -k2,2 "$D/text.txt" | digest md5sum)"
# busybox-static's awk has no libm: + - * / only, which the guest's x87 computes in 80 bits
# and rounds to doubles, so these match a host only bit for bit if the FPU does.
echo "awk text.txt $("$BB" awk '{ s += $2 / 7; p = p * 0.999999 + $2 / (NR + 0.5); n[$1]++ }
  END { for (w in n) if (n[w] > m) m = n[w]; printf "%.17g %.17g %d %d", s, p, length(n), m }' \
  "$D/text.txt")"
echo "awk-series $("$BB" awk 'BEGIN { for (i = 1; i <= 50000; i++) {
  s += 1 / (i * i); t += (i % 2 ? 4 : -4) / (2 * i - 1) }
  x = 2; for (k = 0; k < 60; k++) x = (x + 2 / x) / 2
  printf "%.17g %.17g %.17g %.10e", s, t, x, s / 3e-300 }')"
"$BB" rm -rf "$W"
echo "WORKLOAD-END"
EOF
)
workload_generator=$(
  cat <<'EOF'
# Writes text.txt (lines of words and numbers: gzip, sort and awk food) and random.bin
# (incompressible bytes) from SHA-256 in counter mode: the same bytes on every host.
import hashlib, os, sys

out, text_bytes, random_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def stream(label):
    counter = 0
    while True:
        yield from hashlib.sha256(b"x86lab-%s-%d" % (label, counter)).digest()
        counter += 1

syllables = [b"ka", b"lo", b"mi", b"ne", b"ru", b"sa", b"ti", b"vo", b"xe", b"zu", b"pa", b"do",
             b"qui", b"fen", b"gro", b"bel"]
words = sorted({a + b + c for a in syllables for b in syllables for c in syllables[:4]})
bits = stream(b"text")
text = bytearray()
while len(text) < text_bytes:
    r = [next(bits) for _ in range(8)]
    number = (r[0] << 16 | r[1] << 8 | r[2]) % 1000000
    line = b" ".join([words[r[3] % len(words)], b"%d" % number] +
                     [words[(r[4 + i] << 2 | i) % len(words)] for i in range(r[7] % 4 + 1)])
    text += line + b"\n"
with open(os.path.join(out, "text.txt"), "wb") as f:
    f.write(text)
raw = stream(b"random")
with open(os.path.join(out, "random.bin"), "wb") as f:
    f.write(bytes(next(raw) for _ in range(random_bytes)))
EOF
)
workload_text_bytes=$((2 * 1024 * 1024))
workload_random_bytes=$((512 * 1024))
workload_dir="$linux_dir/workload"
workload_stamp="$(sha256sum "$linux_dir/initrd.img" | cut -d' ' -f1) $busybox_sha \
$(printf '%s\n%s\n' "$workload_script" "$workload_generator" | sha256sum | cut -d' ' -f1) \
$workload_text_bytes $workload_random_bytes $builder_version"
if [ "$force" = 0 ] && [ -f "$linux_dir/initrd-workload.img" ] && [ -x "$linux_dir/busybox" ] &&
  [ "$(cat "$linux_dir/.stamp-workload" 2>/dev/null)" = "$workload_stamp" ]; then
  say "initrd-workload.img is up to date"
else
  say "building the workload ($((workload_text_bytes / 1024)) KiB text, \
$((workload_random_bytes / 1024)) KiB random) and initrd-workload.img"
  rm -rf "$workload_dir"
  mkdir -p "$workload_dir"
  python3 -c "$workload_generator" "$workload_dir" "$workload_text_bytes" "$workload_random_bytes"
  printf '%s\n' "$workload_script" >"$workload_dir/run.sh"
  # The guest's busybox, for the host-side oracle.
  tmp=$(mktemp -d "$out_dir/.busybox.XXXXXX")
  dpkg-deb -x "$busybox_deb" "$tmp"
  cp "$tmp/bin/busybox" "$linux_dir/busybox.new"
  chmod 0755 "$linux_dir/busybox.new"
  mv "$linux_dir/busybox.new" "$linux_dir/busybox"
  rm -rf "$tmp"
  python3 - "$linux_dir/initrd.img" "$workload_dir" "$linux_dir/initrd-workload.img.new" <<'PY'
# initrd.img, zeros to a 4-byte boundary (where the kernel looks for the next archive), then an
# uncompressed newc cpio holding workload/: unpacking it costs the guest a copy, not a gunzip.
import os, stat, sys

initrd, folder, out = sys.argv[1:4]
blob = bytearray(open(initrd, "rb").read())
blob.extend(b"\0" * (-len(blob) % 4))
ino = 0x10000

def add(name, mode, data=b"", nlink=1):
    global ino
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    blob.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + name_b)
    blob.extend(b"\0" * (-len(blob) % 4))
    blob.extend(data)
    blob.extend(b"\0" * (-len(blob) % 4))
    ino += 1

add("workload", stat.S_IFDIR | 0o755, nlink=2)
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), "rb") as f:
        add("workload/" + name, stat.S_IFREG | 0o644, f.read())
add("TRAILER!!!", 0)
blob.extend(b"\0" * (-len(blob) % 512))
with open(out, "wb") as f:
    f.write(blob)
PY
  mv "$linux_dir/initrd-workload.img.new" "$linux_dir/initrd-workload.img"
  echo "$workload_stamp" >"$linux_dir/.stamp-workload"
fi

# ---- the hard-disk images ----------------------------------------------------------------------
# syslinux_cfg APPEND: SYSLINUX's configuration for the kernel, /initrd.img and APPEND.
syslinux_cfg() {
  cat <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $1
EOF
}
syslinux_version=$(dpkg-query -W -f='${Version}' syslinux)

# build_disk NAME INITRD APPEND: linux/NAME, a raw disk whose SYSLINUX boots vmlinuz with
# INITRD (as /initrd.img) and the command line APPEND; rebuilt when an input changes.
build_disk() {
  local name="$1" initrd="$2" append="$3"
  local cfg="$linux_dir/.$name.syslinux.cfg"
  syslinux_cfg "$append" >"$cfg"
  local stamp
  stamp="$(sha256sum "$linux_dir/vmlinuz" "$initrd" "$cfg" | cut -d' ' -f1 | tr '\n' ' ')\
$syslinux_version $disk_mib $builder_version"
  if [ "$force" = 0 ] && [ -f "$linux_dir/$name" ] &&
    [ "$(cat "$linux_dir/.stamp-$name" 2>/dev/null)" = "$stamp" ]; then
    say "$name is up to date"
    return
  fi
  say "building $name ($disk_mib MiB: MBR, FAT16 partition at 1 MiB, SYSLINUX $syslinux_version)"
  local tmp part part_start part_sectors
  tmp=$(mktemp -d "$out_dir/.disk.XXXXXX")
  part="$tmp/part.img"
  part_start=2048 # sectors: the partition starts at 1 MiB
  part_sectors=$((disk_mib * 2048 - part_start))
  truncate -s $((part_sectors * 512)) "$part"
  # -h: hidden sectors = the partition's LBA, which the FAT boot sector needs to find itself.
  mkfs.fat -F 16 -n X86LAB -h "$part_start" -i 86AB0001 "$part" >/dev/null
  export MTOOLS_SKIP_CHECK=1
  mcopy -i "$part" "$linux_dir/vmlinuz" ::/vmlinuz
  mcopy -i "$part" "$initrd" ::/initrd.img
  mcopy -i "$part" "$cfg" ::/syslinux.cfg
  syslinux --install "$part"
  python3 - "$mbr_bin" "$part" "$tmp/disk.img" "$part_start" "$part_sectors" <<'PY'
# Assembles the disk: SYSLINUX's MBR code, one active partition entry, the 0x55AA signature,
# then the FAT partition at its LBA.
import struct, sys

mbr_bin, part, out, start, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

def chs(lba, heads=255, sectors=63):
    c, rest = divmod(lba, heads * sectors)
    if c > 1023:
        return bytes([0xFE, 0xFF, 0xFF])
    h, s = divmod(rest, sectors)
    return bytes([h, ((c >> 2) & 0xC0) | (s + 1), c & 0xFF])

code = open(mbr_bin, "rb").read()
assert len(code) <= 440, "mbr.bin is larger than 440 bytes"
mbr = bytearray(512)
mbr[: len(code)] = code
struct.pack_into("<I", mbr, 440, 0x86AB0001)  # disk signature
ptype = 0x04 if count < 65536 else 0x06  # FAT16 below / above 32 MiB
entry = bytes([0x80]) + chs(start) + bytes([ptype]) + chs(start + count - 1) + struct.pack("<II", start, count)
mbr[446:462] = entry
mbr[510:512] = b"\x55\xaa"
with open(out, "wb") as f:
    f.write(mbr)
    f.seek(start * 512)
    with open(part, "rb") as p:
        while chunk := p.read(1 << 20):
            f.write(chunk)
PY
  mv "$tmp/disk.img" "$linux_dir/$name"
  rm -rf "$tmp"
  echo "$stamp" >"$linux_dir/.stamp-$name"
}

syslinux_cfg "$cmdline" >"$linux_dir/syslinux.cfg"
printf '%s\n' "$cmdline" >"$linux_dir/cmdline.txt"
build_disk disk.img "$linux_dir/initrd.img" "$cmdline"
# The same with the workload, run at boot (bench/linux_workloads.py times it in every emulator).
build_disk disk-workload.img "$linux_dir/initrd-workload.img" "$cmdline x86lab.workload"

cat >"$linux_dir/manifest.txt" <<EOF
kernel_package=$kernel_pkg
kernel_package_version=$kernel_version
kernel_file=$kernel_name
kernel=$linux_dir/vmlinuz
initrd=$linux_dir/initrd.img
disk=$linux_dir/disk.img
disk_workload=$linux_dir/disk-workload.img
system_map=$linux_dir/System.map
initrd_workload=$linux_dir/initrd-workload.img
workload=$workload_dir
busybox=$linux_dir/busybox
cmdline=$cmdline
marker=$marker
EOF

say "done in $(($(date +%s) - start_time)) s"
echo "kernel:  $linux_dir/vmlinuz ($kernel_name, $kernel_pkg $kernel_version)"
echo "initrd:  $linux_dir/initrd.img"
echo "disk:    $linux_dir/disk.img"
echo "workload: $linux_dir/initrd-workload.img ($workload_dir)"
echo "cmdline: $cmdline"
