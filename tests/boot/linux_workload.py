#!/usr/bin/env python3
"""A userland workload inside the Linux guest, checked against the host.

usage: linux_workload.py X86LAB REPO_ROOT

scripts/build-linux-guest.sh puts a few MiB of deterministic data and run.sh (md5sum, gzip -9
and gzip -d, sha256sum, sort, awk floating point, all busybox) at /workload in
initrd-workload.img. The test boots Debian's kernel directly with it (--deterministic), types
`sh /workload/run.sh` on COM1 and compares every output line with an oracle, the best this
host has:

  native   the very same i386 busybox runs run.sh on the host: every line must be equal,
           gzip's compressed bytes and the x87's double roundings included
  qemu     the same, under qemu-i386 (qemu-user) when the host cannot run i386 programs
  python   neither: hashlib for the checksums, gzip -d back to the data's md5, Python's sort,
           awk within 1e-9 (Python has no 80-bit intermediates)

Then `poweroff -f` must end the emulator with exit code 0. Exits 77 (skipped) when the guest
cannot be built. Bounded by --max-instructions and a wall-clock timeout.
"""
import hashlib
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from linux_boot import MARKER, Guest, guest_dir, skipped  # noqa: E402

MAX_INSTRUCTIONS = 60_000_000_000
LINE = re.compile(rb"^(md5|gzip-9|gunzip|sha256|sort|sort-n|awk|awk-series|"
                  rb"WORKLOAD-END)\b[^\r\n]*", re.M)


def parse(text):
    """{name and file: value} from run.sh's output lines (str)."""
    results = {}
    for line in text.splitlines():
        fields = line.strip().split()
        if not fields or fields[0] == "WORKLOAD-END":
            continue
        has_file = fields[0] not in ("awk-series",)
        key = " ".join(fields[:2] if has_file else fields[:1])
        results[key] = " ".join(fields[2:] if has_file else fields[1:])
    return results


def host_can_run(argv):
    try:
        return subprocess.run(argv + ["true"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def exact_oracle(busybox, workload):
    """run.sh's output from the guest's own busybox on the host: (kind, text) or None."""
    if host_can_run([busybox]):
        kind, runner = "native", [busybox]
    elif shutil.which("qemu-i386") and host_can_run(["qemu-i386", busybox]):
        kind, runner = "qemu", ["qemu-i386", busybox]
    else:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = os.path.join(tmp, "busybox")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec " + " ".join(runner) + ' "$@"\n')
        os.chmod(wrapper, 0o755)
        # A bare environment: the guest has no locale either.
        env = {"PATH": "/usr/bin:/bin", "BB": wrapper, "LC_ALL": "C"}
        run = subprocess.run([wrapper, "sh", os.path.join(workload, "run.sh"), workload,
                              os.path.join(tmp, "work")],
                             capture_output=True, text=True, env=env, timeout=600)
    if run.returncode != 0 or "WORKLOAD-END" not in run.stdout:
        print(f"host run of run.sh ({kind}) failed: {run.stderr.strip()}")
        return None
    return kind, run.stdout


def python_checks(workload, guest):
    """Failures of the guest's results against Python's own computation."""
    text = open(os.path.join(workload, "text.txt"), "rb").read()
    data = {"text.txt": text, "random.bin": open(os.path.join(workload, "random.bin"), "rb").read()}
    failures = []

    def expect(key, want):
        if guest.get(key) != want:
            failures.append(f"{key}: guest {guest.get(key)!r}, host {want!r}")

    for name, blob in data.items():
        digest = hashlib.md5(blob).hexdigest()
        expect(f"md5 {name}", digest)
        expect(f"gunzip {name}", digest)
        if not re.fullmatch(r"\d+ [0-9a-f]{32}", guest.get(f"gzip-9 {name}", "")):
            failures.append(f"gzip-9 {name}: no size and md5 ({guest.get(f'gzip-9 {name}')!r})")
    expect("sha256 text.txt", hashlib.sha256(text).hexdigest())
    lines = text.splitlines(keepends=True)
    expect("sort text.txt", hashlib.md5(b"".join(sorted(lines))).hexdigest())
    by_number = sorted(lines, key=lambda line: (int(line.split()[1]), line))
    expect("sort-n text.txt", hashlib.md5(b"".join(by_number)).hexdigest())
    s = p = 0.0
    counts = {}
    for number, line in enumerate(lines, 1):
        fields = line.split()
        s += int(fields[1]) / 7
        p = p * 0.999999 + int(fields[1]) / (number + 0.5)
        counts[fields[0]] = counts.get(fields[0], 0) + 1
    s2 = t = 0.0
    for i in range(1, 50001):
        s2 += 1 / (i * i)
        t += (4 if i % 2 else -4) / (2 * i - 1)
    x = 2.0
    for _ in range(60):
        x = (x + 2 / x) / 2
    for key, want in (("awk text.txt", [s, p, len(counts), max(counts.values())]),
                      ("awk-series", [s2, t, x, s2 / 3e-300])):
        try:
            got = [float(v) for v in guest.get(key, "").split()]
        except ValueError:
            got = []
        if len(got) != len(want) or not all(math.isclose(g, w, rel_tol=1e-9)
                                            for g, w in zip(got, want)):
            failures.append(f"{key}: guest {guest.get(key)!r}, host {want}")
    return failures


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    x86lab, root = sys.argv[1], sys.argv[2]
    directory = guest_dir()
    kernel = os.path.join(directory, "vmlinuz")
    initrd = os.path.join(directory, "initrd-workload.img")
    workload = os.path.join(directory, "workload")
    busybox = os.path.join(directory, "busybox")
    needed = [kernel, initrd, os.path.join(workload, "run.sh"), busybox]
    if not all(os.path.isfile(p) for p in needed) and not os.environ.get("X86LAB_NO_GUEST_BUILD"):
        print("building the guest with scripts/build-linux-guest.sh ...", flush=True)
        try:
            subprocess.run(["bash", os.path.join(root, "scripts", "build-linux-guest.sh")],
                           timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"build-linux-guest.sh: {e}")
    missing = [p for p in needed if not os.path.isfile(p)]
    if missing:
        return skipped(f"{', '.join(missing)} not found and could not be built")

    oracle = exact_oracle(busybox, workload)
    if oracle:
        print(f"oracle: the guest's busybox on the host ({oracle[0]}):\n{oracle[1]}", flush=True)
    else:
        print("oracle: python (this host runs i386 programs neither natively nor with qemu-i386)",
              flush=True)

    cmdline = open(os.path.join(directory, "cmdline.txt")).read().strip()
    argv = [x86lab, "--nographic", "--deterministic", "--no-reboot",
            "--max-instructions", str(MAX_INSTRUCTIONS),
            "--kernel", kernel, "--initrd", initrd, "--append", cmdline]
    print("running: " + " ".join(argv), flush=True)
    guest = Guest(argv)
    failures = []
    ready = guest.wait_for(re.escape(MARKER) + rb"[^\n]*\n", 0)
    results = {}
    if not ready:
        failures.append(f"no {MARKER.decode()} on COM1")
    else:
        print(f"ready after {guest.elapsed():.1f} s", flush=True)
        guest.wait_for(rb"[#$] ", ready.end(), timeout=300)
        start = len(guest.out)
        started = guest.elapsed()
        guest.type(b"cat /proc/uptime; sh /workload/run.sh; cat /proc/uptime\n")
        end = guest.wait_for(rb"\nWORKLOAD-END\r?\n[^\n]*\n", start)
        if not end:
            failures.append("run.sh did not reach WORKLOAD-END")
        else:
            output = guest.out[start:end.end()].decode(errors="replace")
            uptimes = re.findall(r"^(\d+\.\d+) \d+\.\d+", output, re.M)
            guest_seconds = (float(uptimes[-1]) - float(uptimes[0])) if len(uptimes) == 2 else 0
            print(f"workload: {guest.elapsed() - started:.1f} s host, {guest_seconds:.2f} s guest",
                  flush=True)
            lines = [m.group(0).decode(errors="replace").strip()
                     for m in LINE.finditer(guest.out[start:end.end()])]
            print("guest:\n" + "\n".join(lines))
            results = parse("\n".join(lines))
        guest.wait_for(rb"[#$] ", end.end() if end else start, timeout=300)
        guest.type(b"poweroff -f\n")
    rc = guest.wait_exit()

    checked = 0
    if results:
        if oracle:
            want = parse(oracle[1])
            for key, value in want.items():
                checked += 1
                if results.get(key) != value:
                    failures.append(f"{key}: guest {results.get(key)!r}, host {value!r}")
            for key in results.keys() - want.keys():
                failures.append(f"{key}: only the guest printed it")
        else:
            checked = len(results)
            failures += python_checks(workload, results)
        if not checked:
            failures.append("nothing to compare")
    if rc is None:
        failures.append("the emulator did not end in time")
    elif rc != 0:
        failures.append(f"the emulator ended with exit code {rc}, expected 0 after poweroff -f")
    oracle_kind = oracle[0] if oracle else "python"
    print(f"linux workload: {checked} results compared ({oracle_kind} oracle), "
          f"{len(failures)} failures, {guest.elapsed():.1f} s")
    if failures:
        for failure in failures:
            print("FAIL " + failure)
        print("stderr: " + guest.err.decode(errors="replace").strip())
        print("last COM1 lines:")
        for line in guest.out.decode(errors="replace").splitlines()[-25:]:
            print("  " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
