# streamsight — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
NODE_TEST := node --import tsx --test --test-reporter=spec
# Every *.test.ts under the source folders; integration tests included (they install what they need via setup).
TESTS = $(shell find codecs core config plugins bench fuzz -name '*.test.ts' -not -path '*/node_modules/*' | sort)

.PHONY: run test setup-run setup-test build typecheck bench docs demo clean fuzz

run: setup-run build demo
	node bin/streamsight.js serve $(ARGS)

# The demo cameras' traffic clips (rendered once, ~1 min): data/demo/*.h264 with their ground truth.
demo:
	node --import tsx bench/scenes/demo.ts data/demo

test: setup-test typecheck
	$(NODE_TEST) $(TESTS)

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
