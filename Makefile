# The commands a user runs; CMake does the building underneath.
#   make          release build (build/)
#   make test     install missing packages, build, run every test through CTest
#   make asan     the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo     install missing packages, build, run the loop on generated data
#   make bench    benchmarks against the tools users would pick instead
#   make fuzz     libFuzzer targets for a fixed time (FUZZ_SECONDS, default 60)
BUILD ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CTEST_ARGS ?=

.PHONY: all build deps test asan demo bench fuzz format clean

all: build

deps:
	@./scripts/install-deps.sh

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMLOOP_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

demo: deps
	$(MAKE) build
	./$(BUILD)/mloop demo

bench:
	MLOOP_DEPS_EXTRA="python3-pandas python3-sklearn python3-xgboost" ./scripts/install-deps.sh
	$(MAKE) build
	./bench/run.sh $(BUILD)

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMLOOP_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	./tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
