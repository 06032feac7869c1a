#!/usr/bin/env python3
"""Run x86lab, Bochs and QEMU (TCG, one thread) on the same workloads and print how fast each is.

Usage: bench/run.py [--reps N] [--scale N] [--workloads a,b] [--x86lab PATH] ...
`make bench` runs it with the defaults. docs/performance.md explains what it measures.

Each loop workload (bench/workloads/*.inc) is assembled twice from the same source: as a
512-byte boot sector on a 1.44 MB floppy image that Bochs and QEMU boot with their own BIOS,
and as a 4 KiB ROM for x86lab's bare machine that copies the same boot sector to 0000:7C00.
The boot sector enters protected mode, turns paging on, runs the loop, prints a checksum on
port 0xE9 and ends the emulator (port 0xF4 for QEMU and x86lab, Bochs' shutdown port 0x8900).
The emulators run one after another, in rotating order, --reps times; the table shows medians
of the wall time of the whole process (boot included, nothing subtracted) and of its CPU time.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in bench/ from the import below
import linux_workloads  # noqa: E402  (bench/linux_workloads.py: Linux boot and userland)

REPO = Path(__file__).resolve().parent.parent
WORKLOAD_DIR = REPO / "bench" / "workloads"
DEBIAN_PACKAGES = ["bochs", "bochsbios", "vgabios", "qemu-system-x86", "nasm"]
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGA_BIOS = "/usr/share/vgabios/vgabios.bin"
FREEDOS_IMAGE = REPO.parent / "shared" / "testdata" / "images" / "freedos722.img"
FLOPPY_144 = 1474560
MEMORY_MIB = 32                      # the same RAM size for all three
EMULATORS = ["x86lab", "bochs", "qemu"]
LOOP_WORKLOADS = ["reg_loop", "mem_loop", "boot_only"]
DESCRIPTIONS = {
    "reg_loop": "register-only loop, 32-bit PM, paging on",
    "mem_loop": "load/store loop over 16 pages, 32-bit PM, paging on",
    "boot_only": "boot, mode switches and exit, no loop (the overhead in the rows above)",
    "freedos": "FreeDOS 720 KiB floppy (freedos722.img): power-on to the A:\\> prompt, realtime clock",
    **linux_workloads.WORKLOADS,
}


@dataclass
class Run:
    ok: bool
    wall: float = 0.0                # seconds, the whole process
    cpu: float = 0.0                 # user + system seconds of the process and its threads
    max_rss_kib: int = 0
    checksum: str = ""
    stats_mips: float = 0.0          # x86lab --stats
    stats_instructions: int = 0
    error: str = ""


@dataclass
class Cell:
    runs: list = field(default_factory=list)

    def good(self):
        return [r for r in self.runs if r.ok]

    def median(self, attr):
        values = [getattr(r, attr) for r in self.good()]
        return statistics.median(values) if values else None


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---- set-up -----------------------------------------------------------------------------------

def ensure_packages(install):
    missing = []
    for package in DEBIAN_PACKAGES:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True).stdout
        if "install ok installed" not in status:
            missing.append(package)
    if not missing:
        return
    if not install:
        sys.exit(f"bench: missing Debian packages {' '.join(missing)}; "
                 "install them or drop --no-install")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    log(f"bench: installing {' '.join(missing)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "install", "-y", "--no-install-recommends"] + missing,
                   check=True, env=env, stdout=subprocess.DEVNULL)


def find_x86lab(explicit):
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            sys.exit(f"bench: --x86lab {explicit}: no such file")
        return path
    for build in ["build-bench", "build"]:
        path = REPO / build / "frontend" / "x86lab"
        if path.is_file():
            return path
    sys.exit("bench: no x86lab binary in build-bench/ or build/; build one or pass --x86lab")


def instructions_per_iteration(workload):
    text = (WORKLOAD_DIR / f"{workload}.inc").read_text()
    match = re.search(r"instructions per iteration:\s*(\d+)", text)
    if not match:
        sys.exit(f"bench: {workload}.inc does not state its instructions per iteration")
    return int(match.group(1))


def assemble(workload, iterations, work):
    """Builds <work>/<workload>.boot, .img (floppy) and .rom; returns (img, rom)."""
    boot = work / f"{workload}.boot"
    img = work / f"{workload}.img"
    rom = work / f"{workload}.rom"
    subprocess.run(["nasm", "-f", "bin", "-I", f"{WORKLOAD_DIR}/",
                    f"-DWORKLOAD=\"{workload}.inc\"", f"-DITERATIONS={iterations}",
                    "-o", str(boot), str(WORKLOAD_DIR / "boot.asm")], check=True)
    subprocess.run(["nasm", "-f", "bin", f"-DBOOT_IMAGE=\"{boot}\"",
                    "-o", str(rom), str(WORKLOAD_DIR / "rom.asm")], check=True)
    data = boot.read_bytes()
    img.write_bytes(data + bytes(FLOPPY_144 - len(data)))
    return img, rom


# ---- running one emulator ---------------------------------------------------------------------

def run_process(argv, timeout, stdout_path, stdin=subprocess.DEVNULL, env=None):
    """Runs argv; returns (wall, cpu, max_rss_kib, returncode, timed_out).

    wait4() gives this child's own rusage (all its threads; Bochs' wrapper script execs)."""
    with open(stdout_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
        deadline = start + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode, timed_out


def checksum_of(output):
    match = re.search(r"checksum ([0-9a-f]{8})", output)
    return match.group(1) if match else ""


def run_x86lab(exe, rom, work, timeout, tag):
    out = work / f"{tag}.x86lab.out"
    wall, cpu, rss, rc, timed_out = run_process(
        [str(exe), "--machine", "bare", "--memory", f"{MEMORY_MIB}M", "--bios", str(rom),
         "--debugcon", "stdio", "--stats"], timeout, out)
    text = out.read_text(errors="replace")
    run = Run(ok=False, wall=wall, cpu=cpu, max_rss_kib=rss, checksum=checksum_of(text))
    stats = re.search(r"(\d+) instructions retired in ([\d.]+) s \(([\d.]+) MIPS\)", text)
    if stats:
        run.stats_instructions = int(stats.group(1))
        run.stats_mips = float(stats.group(3))
    if timed_out:
        run.error = f"timed out after {timeout} s"
    elif rc != 1 or not run.checksum:
        run.error = f"exit code {rc} (expected 1 from port 0xF4); output: {tail(text)}"
    else:
        run.ok = True
    return run


def bochs_config(work, tag, floppy, sync, ips=None):
    rc = work / f"{tag}.bochsrc"
    media = {737280: "720k", 1474560: "1_44"}[Path(floppy).stat().st_size]
    rc.write_text(f"""megs: {MEMORY_MIB}
romimage: file={BOCHS_BIOS}
vgaromimage: file={VGA_BIOS}
floppya: {media}={floppy}, status=inserted
boot: floppy
clock: sync={sync}, time0=local
cpu: count=1{f', ips={ips}' if ips else ''}
display_library: rfb, options="timeout=0"
port_e9_hack: enabled=1
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
mouse: enabled=0
log: {work / (tag + '.bochs.log')}
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
""")
    return rc


def bochs_commands(work):
    # Debian's Bochs is built with its debugger, which stops before the first instruction.
    cmds = work / "bochs.cmds"
    cmds.write_text("continue\n")
    return cmds


def run_bochs(img, work, timeout, tag):
    rc_file = bochs_config(work, tag, img, "none")
    out = work / f"{tag}.bochs.out"
    wall, cpu, rss, rc, timed_out = run_process(
        ["bochs", "-q", "-f", str(rc_file), "-rc", str(bochs_commands(work))], timeout, out)
    text = out.read_text(errors="replace")
    run = Run(ok=False, wall=wall, cpu=cpu, max_rss_kib=rss, checksum=checksum_of(text))
    if timed_out:
        run.error = f"timed out after {timeout} s"
    elif "Shutdown port: shutdown requested" not in text or not run.checksum:
        run.error = f"no shutdown-port exit (exit code {rc}); output: {tail(text)}"
    else:
        run.ok = True
    return run


def qemu_base_argv():
    return ["qemu-system-i386", "-accel", "tcg,thread=single", "-smp", "1",
            "-m", str(MEMORY_MIB), "-nodefaults", "-display", "none", "-no-reboot"]


def run_qemu(img, work, timeout, tag):
    out = work / f"{tag}.qemu.out"
    wall, cpu, rss, rc, timed_out = run_process(
        qemu_base_argv() + ["-drive", f"file={img},if=floppy,format=raw,readonly=on",
                            "-boot", "a", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                            "-debugcon", "stdio"], timeout, out)
    text = out.read_text(errors="replace")
    run = Run(ok=False, wall=wall, cpu=cpu, max_rss_kib=rss, checksum=checksum_of(text))
    if timed_out:
        run.error = f"timed out after {timeout} s"
    elif rc != 1 or not run.checksum:
        run.error = f"exit code {rc} (expected 1 from isa-debug-exit); output: {tail(text)}"
    else:
        run.ok = True
    return run


def tail(text, lines=3):
    return " | ".join(text.strip().splitlines()[-lines:])


# ---- FreeDOS: time to the prompt --------------------------------------------------------------

PROMPT = re.compile(rb"[A-Z]:\\[^\x00>]{0,40}>")
DUMP_LINE = re.compile(rb"^[0-9a-f]{16}:((?: 0x[0-9a-f]{2})+)", re.M)


def text_screen_has_prompt(cells):
    """cells: the bytes of the VGA text buffer (character, attribute pairs)."""
    return PROMPT.search(bytes(cells[0::2])) is not None


def run_qemu_freedos(work, timeout, tag):
    """QEMU: polls the VGA text buffer at 0xB8000 through the human monitor on stdio."""
    out = work / f"{tag}.qemu.out"
    argv = ["qemu-system-i386", "-accel", "tcg,thread=single", "-smp", "1",
            "-m", str(MEMORY_MIB), "-display", "none", "-no-reboot",
            "-drive", f"file={FREEDOS_IMAGE},if=floppy,format=raw,readonly=on",
            "-boot", "a", "-monitor", "stdio", "-serial", "none", "-parallel", "none"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    os.set_blocking(proc.stdout.fileno(), False)
    buffer = b""
    screen = b""
    found = False
    while time.perf_counter() - start < timeout and proc.poll() is None:
        proc.stdin.write(b"xp /4000bx 0xb8000\n")
        proc.stdin.flush()
        time.sleep(0.1)
        buffer += read_available(proc.stdout)
        # the last complete dump: 500 lines "00000000000b8000: 0x41 0x07 ..." before a prompt
        dumps = buffer.split(b"(qemu)")
        for dump in reversed(dumps[:-1]):
            cells = [int(x, 16) for line in DUMP_LINE.findall(dump) for x in line.split()]
            if len(cells) == 4000:
                screen = bytes(cells[0::2])
                if text_screen_has_prompt(cells):
                    found = True
                break
        if found:
            break
        buffer = dumps[-1]
    wall = time.perf_counter() - start
    try:
        proc.stdin.write(b"quit\n")
        proc.stdin.flush()
    except BrokenPipeError:
        pass
    usage = reap(proc, 10)
    out.write_bytes(screen_text(screen))
    run = Run(ok=found, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
              max_rss_kib=usage.ru_maxrss)
    if not found:
        run.error = f"no DOS prompt on the screen within {timeout} s"
    return run


X86LAB_DUMP_LINE = re.compile(rb"^(?:\(x86lab\) )?[0-9A-F]{8}:((?: [0-9A-F]{2}){1,16})  ", re.M)


def run_x86lab_freedos(exe, work, timeout, tag):
    """x86lab (real-time clock, as a user runs it): every 0.1 s a SIGINT stops it in its
    monitor (--monitor stdio), `xp` dumps the VGA text buffer and `c` goes on, until the
    prompt is on the screen: the polling QEMU gets through its monitor and Bochs through its
    debugger."""
    argv = [str(exe), "--display", "none", "-m", f"{MEMORY_MIB}M", "--fda", str(FREEDOS_IMAGE),
            "--snapshot", "--monitor", "stdio"]
    return poll_stopped_screen(argv, 0.1, X86LAB_DUMP_LINE,
                               (b"xp 0xb8000 4000\n", b"c\n", b"q\n"),
                               work / f"{tag}.x86lab.out", timeout)


def poll_stopped_screen(argv, period, dump_line, commands, out, timeout):
    """Runs argv (an emulator with its monitor or debugger on stdin) until the DOS prompt is on
    its text screen: every `period` seconds a SIGINT stops it, commands[0] dumps 0xB8000 (lines
    that dump_line matches, their bytes in group 1) and commands[1] continues; commands[2]
    ends it. Returns the Run, with the last screen written to out."""
    dump_command, continue_command, quit_command = commands
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    os.set_blocking(proc.stdout.fileno(), False)
    found = False
    screen = b""
    while time.perf_counter() - start < timeout and proc.poll() is None:
        time.sleep(period)
        os.kill(proc.pid, signal.SIGINT)
        proc.stdin.write(dump_command)
        proc.stdin.flush()
        dump = b""
        cells = []
        limit = time.perf_counter() + 10
        while len(cells) < 4000 and time.perf_counter() < limit and proc.poll() is None:
            time.sleep(0.005)
            dump += read_available(proc.stdout)
            cells = [int(x, 16) for line in dump_line.findall(dump) for x in line.split()]
        if len(cells) >= 4000:
            cells = cells[:4000]
            screen = bytes(cells[0::2])
            if text_screen_has_prompt(cells):
                found = True
                break
        proc.stdin.write(continue_command)
        proc.stdin.flush()
    wall = time.perf_counter() - start
    try:
        proc.stdin.write(quit_command)
        proc.stdin.flush()
    except BrokenPipeError:
        pass
    usage = reap(proc, 10)
    out.write_bytes(screen_text(screen))
    run = Run(ok=found, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
              max_rss_kib=usage.ru_maxrss)
    if not found:
        run.error = f"no DOS prompt on the screen within {timeout} s"
    return run


BOCHS_DUMP_LINE = re.compile(rb"^0x[0-9a-f]{16} <[^>]*>:((?:[ \t]0x[0-9a-f]{2})+)", re.M)


def run_bochs_freedos(work, timeout, tag):
    """Bochs (realtime clock): every 0.5 s a SIGINT stops it in its debugger, `xp` dumps the
    VGA text buffer, and `continue` goes on until the prompt is on the screen."""
    rc_file = bochs_config(work, tag, FREEDOS_IMAGE, "realtime")
    argv = ["bochs", "-q", "-f", str(rc_file), "-rc", str(bochs_commands(work))]
    return poll_stopped_screen(argv, 0.5, BOCHS_DUMP_LINE,
                               (b"xp /4000bx 0xb8000\n", b"continue\n", b"quit\n"),
                               work / f"{tag}.bochs.out", timeout)


def screen_text(chars):
    return b"\n".join(chars[i:i + 80].rstrip() for i in range(0, len(chars), 80)) + b"\n"


def read_available(stream):
    data = b""
    while True:
        try:
            chunk = os.read(stream.fileno(), 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    return data


def reap(proc, seconds):
    """Waits up to `seconds` for proc to end, then kills it; returns its rusage."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pid, _, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return usage
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    return os.wait4(proc.pid, 0)[2]


# ---- the report -------------------------------------------------------------------------------

def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def ratio(ours, theirs):
    if ours is None or theirs is None or ours == 0:
        return None
    return theirs / ours


def host_description():
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except FileNotFoundError:
        pass
    return f"{model or platform.processor()}, {os.cpu_count()} CPUs"


def versions(x86lab):
    def first_line(argv):
        try:
            text = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
            return text.strip().splitlines()[0] if text.strip() else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    bochs = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bochs"],
                           capture_output=True, text=True).stdout
    return {
        "x86lab": f"{first_line([str(x86lab), '--version'])} ({x86lab}, tree {commit})",
        "bochs": f"Bochs {bochs} (Debian)",
        "qemu": first_line(["qemu-system-i386", "--version"]),
    }


def print_report(results, counts, args, loads):
    print()
    print(f"x86lab vs Bochs vs QEMU: {datetime.date.today().isoformat()}, {host_description()}, "
          f"load average {loads[0]:.1f} before, {loads[1]:.1f} after")
    print(f"medians of {args.reps} runs; time = wall seconds of the whole process, boot "
          "included, nothing subtracted (see boot_only: small next to the loops); "
          "cpu = user+system seconds")
    print("speed ratios: >1 means x86lab is faster (peer time / x86lab time)")
    print()
    header = ["workload", "x86lab s", "x86lab MIPS", "Bochs s", "QEMU s",
              "x86lab/Bochs", "x86lab/QEMU", "x86lab RSS"]
    rows = []
    cpu_rows = []
    for workload, cells in results.items():
        ours, bochs, qemu = cells["x86lab"], cells["bochs"], cells["qemu"]
        count = counts.get(workload)
        # x86lab's bare machine runs no BIOS, so a ratio of boot times would mean nothing
        comparable = workload != "boot_only"
        r = lambda ours_t, peer_t, spec: fmt(ratio(ours_t, peer_t), spec) if comparable else "n/a"
        t_ours = ours.median("wall")
        mips = count / t_ours / 1e6 if count and t_ours else None
        rss = ours.median("max_rss_kib")
        rows.append([
            workload,
            fmt(t_ours, ".2f", ours_missing(ours)),
            fmt(mips, ".1f", "-"),
            fmt(bochs.median("wall"), ".2f", peer_missing(bochs)),
            fmt(qemu.median("wall"), ".2f", peer_missing(qemu)),
            r(t_ours, bochs.median("wall"), ".2f"),
            r(t_ours, qemu.median("wall"), ".3f"),
            f"{rss / 1024:.1f} MiB" if rss else "-",
        ])
        c_ours = ours.median("cpu")
        cpu_rows.append([
            workload,
            fmt(c_ours, ".2f", ours_missing(ours)),
            fmt(count / c_ours / 1e6 if count and c_ours else None, ".1f"),
            fmt(bochs.median("cpu"), ".2f", peer_missing(bochs)),
            fmt(qemu.median("cpu"), ".2f", peer_missing(qemu)),
            r(c_ours, bochs.median("cpu"), ".2f"),
            r(c_ours, qemu.median("cpu"), ".3f"),
            fmt(ours.median("stats_mips"), ".1f"),
        ])
    print_table(header, rows)
    print()
    print("the same runs in CPU time (user+system; steadier than wall time on a busy machine), "
          "with x86lab's own --stats MIPS as a cross-check:")
    print()
    print_table(["workload", "x86lab cpu s", "x86lab MIPS", "Bochs cpu s", "QEMU cpu s",
                 "x86lab/Bochs", "x86lab/QEMU", "--stats MIPS"], cpu_rows)
    print()
    for workload in results:
        count = counts.get(workload)
        what = DESCRIPTIONS.get(workload, "")
        if count is not None:
            what += f"; {count:,} loop instructions"
        print(f"  {workload}: {what}")
    print()


def ours_missing(cell):
    return "not yet" if not cell.runs else "FAILED"


def peer_missing(cell):
    return "skipped" if not cell.runs else "FAILED"


def print_table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


# ---- main -------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="runs of each emulator (default 3)")
    parser.add_argument("--scale", type=float, default=1e9,
                        help="instructions in each loop workload (default 1e9; 1e8 is quick)")
    parser.add_argument("--workloads",
                        default=",".join(LOOP_WORKLOADS + ["freedos", *linux_workloads.WORKLOADS]),
                        help="comma-separated: reg_loop, mem_loop, boot_only, freedos, "
                             "linux_boot, linux_userland")
    parser.add_argument("--linux-reps", type=int, default=1,
                        help="runs of each Linux workload (default 1: minutes each on Bochs)")
    parser.add_argument("--emulators", default=",".join(EMULATORS),
                        help="comma-separated subset of x86lab, bochs, qemu")
    parser.add_argument("--x86lab", help="the x86lab binary (default build-bench/ or build/)")
    parser.add_argument("--work", default=str(REPO / "build-bench" / "bench-run"),
                        help="where images, configs and outputs go")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a run may take")
    parser.add_argument("--no-install", action="store_true",
                        help="fail instead of installing missing Debian packages")
    args = parser.parse_args()

    workloads = [w for w in args.workloads.split(",") if w]
    emulators = [e for e in args.emulators.split(",") if e]
    for w in workloads:
        if w not in LOOP_WORKLOADS and w != "freedos" and w not in linux_workloads.WORKLOADS:
            sys.exit(f"bench: --workloads: unknown workload '{w}'")
    for e in emulators:
        if e not in EMULATORS:
            sys.exit(f"bench: --emulators: unknown emulator '{e}'")
    if "freedos" in workloads and not FREEDOS_IMAGE.is_file():
        log(f"bench: {FREEDOS_IMAGE} not found; skipping freedos")
        workloads.remove("freedos")

    ensure_packages(not args.no_install)
    x86lab = find_x86lab(args.x86lab) if "x86lab" in emulators else None
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for name, version in versions(x86lab or "x86lab").items():
        if name in emulators:
            log(f"bench: {name}: {version}")

    images = {}
    counts = {}
    for w in workloads:
        if w == "freedos" or w in linux_workloads.WORKLOADS:
            continue
        per_iteration = instructions_per_iteration(w)
        iterations = round(args.scale / per_iteration) if per_iteration else 0
        if iterations >= 1 << 32:
            sys.exit("bench: --scale too large for a 32-bit loop counter")
        images[w] = assemble(w, iterations, work)
        counts[w] = iterations * per_iteration

    results = {w: {e: Cell() for e in EMULATORS} for w in workloads}
    loads = [os.getloadavg()[0], 0.0]
    for rep in range(args.reps):
        for w in workloads:
            # rotate the order each repetition, so drift in the machine's load is shared
            order = emulators[rep % len(emulators):] + emulators[:rep % len(emulators)]
            for e in order:
                tag = f"{w}.{rep}"
                if w in linux_workloads.WORKLOADS:
                    if rep >= args.linux_reps:
                        continue
                    run = linux_workloads.run(w, e, x86lab, work, args.timeout, tag, Run)
                elif w == "freedos":
                    if e == "x86lab":
                        run = run_x86lab_freedos(x86lab, work, args.timeout, tag)
                    elif e == "bochs":
                        run = run_bochs_freedos(work, args.timeout, tag)
                    else:
                        run = run_qemu_freedos(work, args.timeout, tag)
                else:
                    img, rom = images[w]
                    if e == "x86lab":
                        run = run_x86lab(x86lab, rom, work, args.timeout, tag)
                    elif e == "bochs":
                        run = run_bochs(img, work, args.timeout, tag)
                    else:
                        run = run_qemu(img, work, args.timeout, tag)
                results[w][e].runs.append(run)
                status = "ok" if run.ok else f"FAILED: {run.error}"
                log(f"bench: rep {rep + 1}/{args.reps} {w:10} {e:7} wall {run.wall:7.2f} s "
                    f"cpu {run.cpu:7.2f} s {run.checksum} {status}")

    # the same code must compute the same checksum everywhere
    problems = []
    for w in workloads:
        sums = {e: {r.checksum for r in results[w][e].good()} for e in emulators}
        seen = set().union(*sums.values()) if sums else set()
        if len(seen) > 1:
            problems.append(f"{w}: checksums differ: {sums}")
        for e in emulators:
            for r in results[w][e].runs:
                if not r.ok:
                    problems.append(f"{w} on {e}: {r.error}")
        ours = results[w]["x86lab"].good()
        if ours and counts.get(w):
            retired = ours[0].stats_instructions
            if not counts[w] <= retired <= counts[w] + 100000:
                problems.append(f"{w}: x86lab --stats retired {retired:,} instructions, "
                                f"the loop alone is {counts[w]:,}")
    loads[1] = os.getloadavg()[0]
    print_report(results, counts, args, loads)
    for p in problems:
        print(f"problem: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
