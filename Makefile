# Thin wrapper over meson + ninja. `make run` and `make test` are the two set-up commands:
# both install missing Debian packages first, configure build/ if needed, and build.

BUILD_DIR ?= build
MESON_TEST_ARGS ?= --timeout-multiplier 10
X86LAB := $(BUILD_DIR)/frontend/x86lab
# `make run` boots a real guest: Debian 12's 32-bit Linux from a hard-disk image through SeaBIOS
# and SYSLINUX (scripts/run-default-guest.sh fetches the kernel and busybox from Debian's mirror
# once), in the SDL window when there is a display, else headless with COM1 on the terminal
# (Ctrl-A X quits): x86lab falls back by itself and says so in one line. Where the guest cannot
# be fetched, or with RUN_GUEST=demo, the demo boot floppy (firmware/demo_floppy.asm) instead.
# RUN_ARGS="..." runs x86lab with those arguments and nothing else.
DEMO_FLOPPY := $(BUILD_DIR)/firmware/demo_floppy.img
RUN_GUEST ?= linux
RUN_ARGS ?=

.PHONY: all deps build run test cross-test bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	meson setup $(BUILD_DIR)

build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR)

run: build
ifeq ($(strip $(RUN_ARGS)),)
	@scripts/run-default-guest.sh $(X86LAB) $(DEMO_FLOPPY) $(RUN_GUEST)
else
	$(X86LAB) $(RUN_ARGS)
endif

# Every test in build/, then the unit, cli, programs, conformance and boot suites again in an
# ASan+UBSan build (build-sanitize/),
# then a short run of each fuzzer (build-fuzz/, clang's libFuzzer; docs/security.md), then the
# cross-host runs (aarch64 and big-endian s390x under qemu-user; docs/hosts.md).
# Ends with one line `N passed, N failed` counted from all the test logs; exits non-zero
# when any test failed.
SANITIZE_DIR ?= $(BUILD_DIR)-sanitize
SANITIZE_SUITES ?= --suite unit --suite cli --suite programs --suite conformance --suite boot

# The fuzzers (tests/fuzz) in their own clang build (build-fuzz/): a short run of each.
FUZZ_DIR ?= $(BUILD_DIR)-fuzz

# The cross-host runs (scripts/cross_test.py, docs/hosts.md): the unit tests and the
# SingleStepTests cross-built into build-aarch64/, the tests that need no Zydis into
# build-s390x/ (big-endian), run under qemu-user; the pass counts must equal the native ones.
CROSS_HOSTS ?= aarch64 s390x
CROSS_LOGS := $(foreach host,$(CROSS_HOSTS),build-$(host)/meson-logs/cross-testlog.json)

$(SANITIZE_DIR)/build.ninja:
	meson setup $(SANITIZE_DIR) -Dsanitize=true -Dbuildtype=debugoptimized -Db_lundef=false

$(FUZZ_DIR)/build.ninja:
	CXX=clang++ meson setup $(FUZZ_DIR) -Dfuzz=true -Dbuildtype=debugoptimized -Db_lundef=false

test: build $(SANITIZE_DIR)/build.ninja $(FUZZ_DIR)/build.ninja
	@rm -f $(BUILD_DIR)/meson-logs/testlog.json $(SANITIZE_DIR)/meson-logs/testlog.json \
	  $(FUZZ_DIR)/meson-logs/testlog.json $(CROSS_LOGS)
	@meson test -C $(BUILD_DIR) --print-errorlogs $(MESON_TEST_ARGS); \
	  meson_status=$$?; \
	  ninja -C $(SANITIZE_DIR) && \
	  meson test -C $(SANITIZE_DIR) --print-errorlogs $(MESON_TEST_ARGS) $(SANITIZE_SUITES); \
	  sanitize_status=$$?; \
	  ninja -C $(FUZZ_DIR) && \
	  meson test -C $(FUZZ_DIR) --print-errorlogs --suite fuzz; \
	  fuzz_status=$$?; \
	  cross_status=0; \
	  for host in $(CROSS_HOSTS); do \
	    python3 scripts/cross_test.py --host $$host --native $(BUILD_DIR) $(MESON_TEST_ARGS); \
	    status=$$?; if [ $$status -ne 0 ] && [ $$status -ne 77 ]; then cross_status=1; fi; \
	  done; \
	  python3 scripts/test_summary.py $(BUILD_DIR)/meson-logs/testlog.json \
	    $(SANITIZE_DIR)/meson-logs/testlog.json $(FUZZ_DIR)/meson-logs/testlog.json \
	    $(CROSS_LOGS); \
	  summary_status=$$?; \
	  if [ $$meson_status -ne 0 ] || [ $$sanitize_status -ne 0 ] || \
	     [ $$fuzz_status -ne 0 ] || [ $$cross_status -ne 0 ] || \
	     [ $$summary_status -ne 0 ]; then exit 1; fi

# The cross-host runs alone (after `make build`): build-aarch64/ and build-s390x/.
cross-test: build
	@cross_status=0; \
	  for host in $(CROSS_HOSTS); do \
	    python3 scripts/cross_test.py --host $$host --native $(BUILD_DIR) $(MESON_TEST_ARGS); \
	    status=$$?; if [ $$status -ne 0 ] && [ $$status -ne 77 ]; then cross_status=1; fi; \
	  done; \
	  python3 scripts/test_summary.py $(CROSS_LOGS) && [ $$cross_status -eq 0 ]

# Speed against Bochs and QEMU (bench/run.py; docs/performance.md). Not part of `make test`: it
# takes minutes and installs the peers. BENCH_ARGS="--scale 1e8 --reps 1" for a quick look.
BENCH_ARGS ?=
bench: build
	python3 bench/run.py --x86lab $(X86LAB) --work $(BUILD_DIR)/bench $(BENCH_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR) $(foreach host,$(CROSS_HOSTS),build-$(host))
