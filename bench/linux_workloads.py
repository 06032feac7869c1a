"""Linux workloads for bench/run.py: the same Debian guest on x86lab, Bochs and QEMU.

  linux_boot      SeaBIOS (Bochs: its own BIOS) -> SYSLINUX -> Debian's 686 kernel from
                  disk.img -> the busybox shell prompt on COM1; the time is host wall seconds
                  from starting the emulator to the prompt
  linux_userland  disk-workload.img: /init runs the userland workload (md5sum, gzip -9 and
                  back, sha256sum, sort, awk floating point on 2.5 MiB; scripts/build-linux-
                  guest.sh) and prints WORKLOAD-TIME from /proc/uptime; the time is those
                  guest seconds, and the checksum is the MD5 of the results, so the three
                  emulators must agree on every line

The guest comes from scripts/build-linux-guest.sh (run when missing). Every emulator runs in
real time (x86lab without --deterministic, Bochs with clock: sync=realtime, QEMU TCG without
-icount) with 128 MiB and writes COM1 to a file that is polled; the process is killed once the
line it waits for is there. run.py calls run() with its own Run class.
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEMORY_MIB = 128
MARKER = b"X86LAB-LINUX-READY"
PROMPT = re.compile(re.escape(MARKER) + rb"[^\n]*\n(?:.|\n)*?# ")
WORKLOAD_TIME = re.compile(rb"WORKLOAD-TIME (\d+\.\d+) (\d+\.\d+)")
RESULT_LINE = re.compile(rb"^(?:md5|gzip-9|gunzip|sha256|sort|sort-n|awk|awk-series) [^\r\n]*",
                         re.M)
MIN_TIMEOUT = 1800  # seconds: Bochs needs minutes for a Linux boot

WORKLOADS = {
    "linux_boot": "Debian 12 686 kernel from disk (SYSLINUX) to the busybox prompt on COM1, "
                  "realtime clock; host seconds",
    "linux_userland": "md5sum, gzip -9/-d, sha256sum, sort, awk on 2.5 MiB inside that guest; "
                      "guest seconds (/proc/uptime), checksum of the results",
}


def guest_dir():
    base = os.environ.get("X86LAB_GUEST_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "x86lab", "guests")
    return Path(base) / "linux"


def ensure_guest():
    """The guest folder, built when a disk is missing; None when it cannot be."""
    directory = guest_dir()
    disks = [directory / "disk.img", directory / "disk-workload.img"]
    if not all(d.is_file() for d in disks):
        subprocess.run(["bash", str(REPO / "scripts" / "build-linux-guest.sh")], check=False)
    return directory if all(d.is_file() for d in disks) else None


def disk_for(workload, directory):
    return directory / ("disk.img" if workload == "linux_boot" else "disk-workload.img")


def argv_x86lab(x86lab, disk, com1, _work, _tag):
    return [str(x86lab), "--display", "none", "--serial", f"file:{com1}",
            "-m", f"{MEMORY_MIB}M", "--hda", str(disk), "--snapshot"]


def argv_qemu(_x86lab, disk, com1, _work, _tag):
    # pentium2 (Bochs: p2_klamath): the P6 closest to x86lab's Pentium Pro that both model.
    return ["qemu-system-i386", "-accel", "tcg,thread=single", "-smp", "1", "-cpu", "pentium2",
            "-m", str(MEMORY_MIB), "-nodefaults", "-display", "none", "-no-reboot",
            "-drive", f"file={disk},format=raw,if=ide,snapshot=on",
            "-serial", f"file:{com1}", "-monitor", "none"]


def argv_bochs(_x86lab, disk, com1, work, tag):
    # Bochs writes to its disk: boot a copy. Its debugger (Debian builds it in) stops before
    # the first instruction until told to continue. The dummy sound drivers: with ALSA finding
    # no card, Debian's Bochs 2.7 aborts in its mixer thread ("buffer overflow detected"),
    # speaker off or not.
    copy = work / f"{tag}.bochs.disk.img"
    shutil.copyfile(disk, copy)
    # Bochs locks its image with a .lock file that stays when the run is killed (as every
    # run here is, once the prompt is on COM1): the next run's Bochs would refuse the image.
    Path(f"{copy}.lock").unlink(missing_ok=True)
    rc = work / f"{tag}.bochsrc"
    rc.write_text(f"""megs: {MEMORY_MIB}
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=disk, path={copy}, mode=flat
boot: disk
clock: sync=realtime, time0=local
cpu: count=1, model=p2_klamath, ips=50000000
com1: enabled=1, mode=file, dev={com1}
display_library: rfb, options="timeout=0"
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
mouse: enabled=0
log: {work / (tag + '.bochs.log')}
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
""")
    cmds = work / "bochs.cmds"
    cmds.write_text("continue\n")
    return ["bochs", "-q", "-f", str(rc), "-rc", str(cmds)]


ARGV = {"x86lab": argv_x86lab, "bochs": argv_bochs, "qemu": argv_qemu}


def run(workload, emulator, x86lab, work, timeout, tag, make_run):
    """One run of a Linux workload on one emulator; returns make_run(...) (run.py's Run)."""
    directory = ensure_guest()
    if directory is None:
        return make_run(ok=False, error="the Linux guest could not be built "
                                        "(scripts/build-linux-guest.sh)")
    timeout = max(timeout, MIN_TIMEOUT)
    com1 = work / f"{tag}.{emulator}.com1"
    com1.unlink(missing_ok=True)
    argv = ARGV[emulator](x86lab, disk_for(workload, directory), com1, work, tag)
    log = open(work / f"{tag}.{emulator}.out", "wb")
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    wanted = PROMPT if workload == "linux_boot" else WORKLOAD_TIME
    text = b""
    found = None
    usage = None  # os.wait4 reaps the process and gives its rusage (Popen.poll would reap it)
    while time.perf_counter() - start < timeout:
        time.sleep(0.1)
        if com1.is_file():
            text = com1.read_bytes()
            found = wanted.search(text)
            if found:
                break
        pid, _, ended = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            usage = ended
            break
    wall = time.perf_counter() - start
    if usage is None:
        os.killpg(proc.pid, signal.SIGKILL)
        usage = os.wait4(proc.pid, 0)[2]
    proc.returncode = -1  # reaped above: Popen must not wait for it again
    log.close()
    cpu = usage.ru_utime + usage.ru_stime
    if not found:
        what = "shell prompt" if workload == "linux_boot" else "WORKLOAD-TIME line"
        last = b" | ".join(text.strip().splitlines()[-3:]).decode(errors="replace")
        return make_run(ok=False, wall=wall, cpu=cpu, max_rss_kib=usage.ru_maxrss,
                        error=f"no {what} on COM1 within {timeout:.0f} s; COM1 ends: {last}")
    if workload == "linux_boot":
        return make_run(ok=True, wall=wall, cpu=cpu, max_rss_kib=usage.ru_maxrss)
    results = b"\n".join(m.group(0).rstrip() for m in RESULT_LINE.finditer(text))
    guest_seconds = float(found.group(2)) - float(found.group(1))
    if b"awk-series" not in results:
        return make_run(ok=False, wall=guest_seconds, cpu=cpu, max_rss_kib=usage.ru_maxrss,
                        error="the workload's results are incomplete")
    return make_run(ok=True, wall=guest_seconds, cpu=cpu, max_rss_kib=usage.ru_maxrss,
                    checksum=hashlib.md5(results).hexdigest()[:8])
