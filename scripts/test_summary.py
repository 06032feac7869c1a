#!/usr/bin/env python3
"""Counts meson's test results and prints one line: `N passed, N failed[, N skipped]`.

Reads one or more meson testlog.json files (one JSON object a line, one line a test). OK and EXPECTEDFAIL
count as passed; FAIL, UNEXPECTEDPASS, TIMEOUT and ERROR as failed; SKIP as skipped.
Exits 1 when any test failed or the log holds no tests, so `make test` fails with it.
Conformance suites print a summary line of their own (`sst 8086: N passed, ...`), the fuzzers
theirs (`fuzz cpu: N executions in S s, C crashes`), the cross-host runs theirs (`cross
aarch64: ...`, scripts/cross_test.py); those lines are repeated here so they appear in every
`make test` run.
"""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main() -> int:
    paths = sys.argv[1:] or ["build/meson-logs/testlog.json"]
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as log:
                for line in log:
                    line = line.strip()
                    if not line:
                        continue
                    record = json.loads(line)
                    result = record.get("result", "ERROR")
                    for out_line in (record.get("stdout") or "").splitlines():
                        if out_line.startswith(("sst ", "fuzz ", "cross ")):
                            print(out_line)
                    if result in PASSED:
                        passed += 1
                    elif result in SKIPPED:
                        skipped += 1
                    else:
                        failed += 1
        except OSError as err:
            print(f"test_summary: cannot read {path}: {err.strerror}; run meson test first",
                  file=sys.stderr)
            failed += 1
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    return 1 if failed or passed + skipped == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
