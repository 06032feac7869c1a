#!/usr/bin/env bash
# Builds a real Debian 12 i386 system for x86lab, from Debian's mirror only: debootstrap
# --variant=minbase bookworm with systemd and the 686 kernel on an ext4 root disk.
#
# The host cannot be assumed to run i386 programs (no IA-32 emulation, no binfmt), so only
# debootstrap's first stage (download and unpack) runs on the host; the second stage (dpkg
# configuring every package, the kernel's postinst building its initramfs with
# initramfs-tools) runs inside x86lab itself, booted directly with the package's kernel and a
# small busybox initramfs that loads ata_piix and ext4 and chroots into the disk. That first
# boot is itself a heavy test: ~100 packages configured, thousands of ext4 journal writes.
#
# Products (in DIR/debian/):
#   disk.img     raw disk, MBR with one Linux partition at 1 MiB: ext4, the installed system
#                (root without password, hostname x86lab-debian, fstab for /dev/sda1)
#   vmlinuz, initrd.img  the installed kernel and the initramfs Debian built for it in the
#                guest, for direct boot: --kernel vmlinuz --initrd initrd.img
#                --append "root=/dev/sda1 console=ttyS0,115200n8" --hda disk.img
#   cmdline.txt  that command line; setup.log the guest's console during the second stage
#
# Usage: scripts/build-debian-guest.sh --x86lab PATH [--out DIR] [--force]
#   --x86lab PATH  the emulator that runs the second stage (e.g. build/frontend/x86lab)
#   --out DIR      default: $X86LAB_GUEST_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/x86lab/guests
#   --force        rebuild even when the stamp says the products are current
#
# Needs: Debian, root (debootstrap), Debian's mirror, ~1.5 GB of disk (the image is sparse).
# Environment: X86LAB_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

readonly builder_version=1
readonly suite=bookworm
# busybox-static: the setup initramfs takes its shell from the downloaded .deb.
readonly include="systemd-sysv,linux-image-686,busybox-static"
readonly disk_mib=2048
readonly cmdline="root=/dev/sda1 console=ttyS0,115200n8"
# Modules the setup initramfs loads (with their dependencies) and the guest's own initramfs
# lists, so initramfs-tools' MODULES=list can stay small: the PIIX IDE disk and ext4.
readonly root_modules="ata_piix sd_mod ext4 crc32c_generic"

say() { echo "build-debian-guest: $*"; }
die() {
  echo "build-debian-guest: error: $*" >&2
  exit 1
}

out_dir="${X86LAB_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/x86lab/guests}"
x86lab=""
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out_dir="$2"; shift 2 ;;
    --x86lab) x86lab="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1'; see --help" ;;
  esac
done
[ -n "$x86lab" ] && [ -x "$x86lab" ] || die "give the emulator with --x86lab PATH"
x86lab=$(realpath "$x86lab")
[ "$(id -u)" = 0 ] || die "debootstrap needs root"

start_time=$(date +%s)
mirror="${X86LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
dir="$out_dir/debian"
mkdir -p "$dir"
stamp="$builder_version $suite $include $disk_mib $root_modules $mirror"
if [ "$force" = 0 ] && [ -f "$dir/disk.img" ] && [ -f "$dir/vmlinuz" ] &&
  [ -f "$dir/initrd.img" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "$dir is up to date"
  exit 0
fi

tools=()
command -v debootstrap >/dev/null || tools+=(debootstrap)
command -v mke2fs >/dev/null && command -v debugfs >/dev/null || tools+=(e2fsprogs)
if [ ${#tools[@]} -gt 0 ]; then
  say "installing host tools: ${tools[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tools[@]}" \
    >/dev/null || die "apt-get install ${tools[*]} failed"
fi

work=$(mktemp -d "$out_dir/.debian.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

# ---- 1. debootstrap's first stage on the host ------------------------------------------------
say "debootstrap --foreign --arch=i386 --variant=minbase --include=$include $suite (a few minutes)"
debootstrap --foreign --arch=i386 --variant=minbase --include="$include" "$suite" "$rootfs" \
  "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; die "debootstrap's first stage failed"; }

# ---- 2. configuration the guest finds at its first boot --------------------------------------
echo "/dev/sda1 / ext4 defaults,errors=remount-ro 0 1" >"$rootfs/etc/fstab"
echo "x86lab-debian" >"$rootfs/etc/hostname"
mkdir -p "$rootfs/usr/share/initramfs-tools/modules.d" "$rootfs/etc/initramfs-tools/conf.d"
tr ' ' '\n' <<<"$root_modules" >"$rootfs/usr/share/initramfs-tools/modules.d/x86lab"
echo "MODULES=list" >"$rootfs/etc/initramfs-tools/conf.d/x86lab"
cat >"$rootfs/x86lab-setup.sh" <<'EOF'
#!/bin/sh
# x86lab: runs once in the guest after debootstrap's second stage.
passwd -d root
rm -f /x86lab-setup.sh
EOF
chmod 0755 "$rootfs/x86lab-setup.sh"

# ---- 3. the setup initramfs: busybox, the disk and ext4 modules, an /init that installs -------
kernel_deb=$(ls "$rootfs"/var/cache/apt/archives/linux-image-[0-9]*-686_*.deb 2>/dev/null | head -n1)
[ -n "$kernel_deb" ] || die "no linux-image-*-686 .deb in the debootstrap cache"
busybox_deb=$(ls "$rootfs"/var/cache/apt/archives/busybox-static_*.deb 2>/dev/null | head -n1)
[ -n "$busybox_deb" ] || die "no busybox-static .deb in the debootstrap cache"
mkdir -p "$work/kernel" "$work/initrd/bin" "$work/initrd/lib/modules" "$work/initrd/mnt" \
  "$work/initrd/proc" "$work/initrd/sys" "$work/initrd/dev"
dpkg-deb -x "$kernel_deb" "$work/kernel"
setup_kernel=$(ls "$work"/kernel/boot/vmlinuz-* | head -n1)
modules_dir=$(ls -d "$work"/kernel/lib/modules/* | head -n1)
dpkg-deb -x "$busybox_deb" "$work/bb"
cp "$work/bb/bin/busybox" "$work/initrd/bin/busybox"
python3 - "$modules_dir" "$work/initrd/lib/modules" $root_modules <<'PY'
# Copies the named modules and everything they depend on (from each .ko's modinfo
# "depends=", since the package has no modules.dep yet), and writes their load order.
import os, re, shutil, sys
base, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
path = {}
for dirpath, _, files in os.walk(base):
    for f in files:
        if f.endswith(".ko"):
            path[f[:-3].replace("-", "_")] = os.path.join(dirpath, f)
order = []
def visit(name):
    if name in order:
        return
    if name not in path:
        sys.exit(f"module {name} not found in the kernel package")
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", open(path[name], "rb").read())
    for dep in (m.group(1).split(b",") if m else []):
        if dep:
            visit(dep.decode().replace("-", "_"))
    order.append(name)
for n in names:
    visit(n.replace("-", "_"))
with open(os.path.join(dest, "order"), "w") as f:
    for n in order:
        shutil.copy(path[n], dest)
        f.write(os.path.basename(path[n]) + "\n")
PY
cat >"$work/initrd/init" <<'EOF'
#!/bin/busybox sh
# x86lab setup: load the disk and ext4 modules, mount /dev/sda1 and run debootstrap's second
# stage there, then the setup script; power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m || echo "x86lab setup: insmod $m failed"; done
i=0
while [ ! -b /dev/sda1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 /dev/sda1 /mnt || { echo "X86LAB-SETUP-DONE rc=mount-failed"; poweroff -f; }
rc=no-second-stage
if [ -x /mnt/debootstrap/debootstrap ]; then
  read -r t0 _ </proc/uptime
  chroot /mnt /debootstrap/debootstrap --second-stage
  rc=$?
  read -r t1 _ </proc/uptime
  echo "X86LAB-SECOND-STAGE-END rc=$rc uptime $t0 -> $t1"
  [ $rc = 0 ] && [ -x /mnt/x86lab-setup.sh ] && { chroot /mnt /x86lab-setup.sh; rc=$?; }
fi
umount /mnt/proc /mnt/sys 2>/dev/null
sync
umount /mnt
echo "X86LAB-SETUP-DONE rc=$rc"
poweroff -f
EOF
chmod 0755 "$work/initrd/init" "$work/initrd/bin/busybox"
python3 - "$work/initrd" "$work/setup-initrd.img" <<'PY'
# A gzip'd newc cpio of a folder (root-owned), plus /dev/console.
import gzip, os, stat, sys
root, out = sys.argv[1], sys.argv[2]
entries = sorted(os.path.relpath(os.path.join(d, n), root)
                 for d, dirs, files in os.walk(root) for n in dirs + files)
blob, ino = bytearray(), 1
def add(name, mode, data=b"", rdev=(0, 0), nlink=1):
    global ino
    nb = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0]
    blob.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + nb)
    blob.extend(b"\0" * (-len(blob) % 4) + data)
    blob.extend(b"\0" * (-len(blob) % 4))
    ino += 1
for rel in entries:
    full = os.path.join(root, rel)
    st = os.lstat(full)
    if stat.S_ISLNK(st.st_mode):
        add(rel, stat.S_IFLNK | 0o777, os.readlink(full).encode())
    elif stat.S_ISDIR(st.st_mode):
        add(rel, stat.S_IFDIR | stat.S_IMODE(st.st_mode), nlink=2)
    else:
        add(rel, stat.S_IFREG | stat.S_IMODE(st.st_mode), open(full, "rb").read())
add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
add("TRAILER!!!", 0)
blob.extend(b"\0" * (-len(blob) % 512))
open(out, "wb").write(gzip.compress(bytes(blob), compresslevel=6, mtime=0))
PY

# ---- 4. the disk: MBR partition table, ext4 at 1 MiB filled from the tree (no loop mount) ----
say "building the ${disk_mib} MiB ext4 disk image"
truncate -s "${disk_mib}M" "$work/disk.img"
mke2fs -q -F -t ext4 -L x86lab-root -E offset=1048576 -d "$rootfs" "$work/disk.img" \
  "$((disk_mib * 1024 - 1024))k" || die "mke2fs failed"
python3 - "$work/disk.img" "$disk_mib" <<'PY'
# One active Linux partition (type 0x83) from LBA 2048 to the end; no boot code needed for a
# direct kernel boot.
import struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
mbr = bytearray(512)
mbr[446:462] = bytes([0x80, 0xFE, 0xFF, 0xFF, 0x83, 0xFE, 0xFF, 0xFF]) + struct.pack(
    "<II", 2048, mib * 2048 - 2048)
struct.pack_into("<I", mbr, 440, 0x86AB0002)
mbr[510:512] = b"\x55\xaa"
with open(path, "r+b") as f:
    f.write(mbr)
PY
rm -rf "$rootfs"

# ---- 5. the second stage, in x86lab ----------------------------------------------------------
say "running debootstrap's second stage in x86lab (tens of minutes; log: $dir/setup.log)"
set +e
timeout 14400 "$x86lab" -m 512 --display none --no-reboot --no-serial-input \
  --kernel "$setup_kernel" --initrd "$work/setup-initrd.img" \
  --append "console=ttyS0,115200n8" --hda "$work/disk.img" --serial "file:$dir/setup.log" \
  --stats </dev/null
set -e
grep -a "X86LAB-SECOND-STAGE-END" "$dir/setup.log" || true
grep -aq "X86LAB-SETUP-DONE rc=0" "$dir/setup.log" ||
  { tail -30 "$dir/setup.log"; die "the second stage failed in the guest (see $dir/setup.log)"; }

# ---- 6. the installed kernel and the initramfs the guest built, for direct boot -------------
version=$(basename "$setup_kernel" | sed 's/^vmlinuz-//')
for f in vmlinuz initrd.img; do
  debugfs -R "dump /boot/$f-$version $work/$f" "$work/disk.img?offset=1048576" >/dev/null 2>&1 || true
  [ -s "$work/$f" ] || die "could not read /boot/$f-$version from the guest's disk"
done
mv "$work/disk.img" "$dir/disk.img"
mv "$work/vmlinuz" "$dir/vmlinuz"
mv "$work/initrd.img" "$dir/initrd.img"
echo "$cmdline" >"$dir/cmdline.txt"
echo "$stamp" >"$dir/.stamp"
say "done in $(($(date +%s) - start_time)) s: $dir"
