# streamsight — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
NODE_TEST := node --import tsx --test --test-reporter=spec
# Every *.test.ts under the source folders; integration tests included (they install what they need via setup).
TESTS = $(shell find codecs core config plugins bench fuzz -name '*.test.ts' -not -path '*/node_modules/*' | sort)
# End-to-end tests that judge timing or load on the whole machine: run alone, one file at a time.
ALONE_TESTS = core/load.e2e.test.ts core/overload.e2e.test.ts core/faults.e2e.test.ts bench/relay.e2e.test.ts
E2E_TESTS = $(filter-out $(ALONE_TESTS),$(filter %.e2e.test.ts,$(TESTS)))
UNIT_TESTS = $(filter-out %.e2e.test.ts,$(TESTS))

.PHONY: run test setup-run setup-test build typecheck bench docs demo clean fuzz

run: setup-run build demo
	node bin/streamsight.js serve $(ARGS)

# The demo cameras' traffic clips (rendered once, ~1 min): data/demo/*.h264 with their ground truth.
demo:
	node --import tsx bench/scenes/demo.ts data/demo

# Two files at a time (most wait on ffmpeg, sockets or real-time playback), then the ones that
# judge timing alone; every group runs, and any failure fails the target.
test: setup-test typecheck
	@status=0; \
	$(NODE_TEST) --test-concurrency=2 $(UNIT_TESTS) || status=1; \
	$(NODE_TEST) --test-concurrency=2 $(E2E_TESTS) || status=1; \
	$(NODE_TEST) --test-concurrency=1 $(ALONE_TESTS) || status=1; \
	exit $$status

setup-run:
	@bash .ci/setup run

setup-test:
	@bash .ci/setup test

build:
	npx tsc -p tsconfig.json
	npx vite build core/web/dashboard --logLevel warn

typecheck:
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p core/web/dashboard --noEmit

docs:
	node --import tsx config/docs.ts --write README.md

bench: setup-test build
	node --import tsx bench/relay.ts $(ARGS)

clean:
	rm -rf dist

# The long fuzz run: a million inputs per parser, one target at a time (README.md, "Fuzzing"). ARGS="--only rtsp --seed 1"
fuzz:
	node --import tsx fuzz/run.ts --runs 1000000 $(ARGS)
