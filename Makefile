# Thin wrapper over CMake. Each target installs missing Debian packages first, so on a fresh
# machine `make run` or `make test` alone is enough.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps configure build run test release bench clean regress-baseline

all: build

deps:
	@bash scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The demo needs only the nicsim executable (and the libraries it links), so a first `make run`
# does not wait for the test, bench and fuzz executables; `make test` builds everything.
run: configure
	@cmake --build $(BUILD) -j $(JOBS) --target nicsim
	@bash scripts/run-demo $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The optimised build for long replays: profile-guided, checked against the regress baselines
# (scripts/build-release).
RELEASE_BUILD ?= build-release
release: deps
	@JOBS=$(JOBS) bash scripts/build-release $(RELEASE_BUILD)

# Benchmarks print figures; they are not tests (not in ctest). They run the release build;
# bench/speed also runs the plain build, for comparison.
bench: release build
	@bash bench/speed $(RELEASE_BUILD) $(RELEASE_BUILD)/bench
	@bash bench/speed $(BUILD) $(BUILD)/bench
	@bash bench/ooo-coverage $(RELEASE_BUILD) $(RELEASE_BUILD)/bench
	@bash bench/line-rate $(RELEASE_BUILD) $(RELEASE_BUILD)/bench
	@bash bench/crc-rtl $(RELEASE_BUILD)
	@bash bench/memory $(RELEASE_BUILD) $(RELEASE_BUILD)/bench
	@bash bench/soak $(RELEASE_BUILD) $(RELEASE_BUILD)/bench

clean:
	rm -rf $(BUILD)

# Rewrites tests/regress/baseline/ (and zero_costs/, every operation cost at 0) from this
# build. Only for a change meant to alter timing or
# results: the `regress` tests exist to prove that speed work changes neither.
regress-baseline: build
	@bash tests/regress/regress.sh $(BUILD)/bin/nicsim . $(BUILD)/regress_work --regenerate
	@bash tests/regress/zero_costs.sh $(BUILD)/bin/nicsim . $(BUILD)/zero_costs_work --regenerate

# --- Fuzzing and sanitizers (docs/robustness.md) -------------------------------------------
# make fuzz: libFuzzer targets (clang, ASan+UBSan) in build-fuzz/, each run FUZZ_SECONDS on a
# scratch copy of its seed corpus (the repo corpus is never modified); fails if any crashes.
# make test-asan: the whole ctest suite built with ASan+UBSan (CMakePresets.json "asan").
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= pdu_tracker sgl pcap
FUZZ_JOBS ?= 2
ASAN_BUILD ?= build-asan

.PHONY: fuzz test-asan

fuzz: deps
	@command -v clang++ >/dev/null || { echo "make fuzz: needs clang++ (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DNICSIM_FUZZ=ON \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(FUZZ_JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@bash tests/fuzz/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ASan/UBSan options: docs/robustness.md. detect_stack_use_after_return stays off (its fake
# stack frames break under SystemC's coroutine stack switches: bogus "invalid vptr" reports in
# every SC_THREAD). Leaks are checked in the plain C++ processes (labels unit, fuzz, tshark);
# LeakSanitizer's exit-time scan of SystemC processes sometimes crashes on coroutine stacks
# ("Tracer caught signal 11"), so the SystemC-linked labels run with detect_leaks=0.
ASAN_COMMON = abort_on_error=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=0
ASAN_ENV = LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) || exit 1; rc=0; \
	  $(ASAN_ENV) ASAN_OPTIONS=detect_leaks=1:$(ASAN_COMMON) \
	    ctest --output-on-failure -j $(JOBS) -L '^(unit|fuzz|tshark)$$' || rc=1; \
	  $(ASAN_ENV) ASAN_OPTIONS=detect_leaks=0:$(ASAN_COMMON) \
	    ctest --output-on-failure -j $(JOBS) -LE '^(unit|fuzz|tshark)$$' || rc=1; \
	  exit $$rc
# --- end fuzzing and sanitizers ------------------------------------------------------------
