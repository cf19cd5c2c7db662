# Thin wrapper over CMake. Each target installs missing Debian packages first, so on a fresh
# machine `make run` or `make test` alone is enough.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@bash scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/run-demo $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Benchmarks print figures; they are not tests (not in ctest).
bench: build
	@bash bench/speed $(BUILD) $(BUILD)/bench
	@bash bench/ooo-coverage $(BUILD) $(BUILD)/bench
	@bash bench/line-rate $(BUILD) $(BUILD)/bench
	@bash bench/crc-rtl $(BUILD)

clean:
	rm -rf $(BUILD)
