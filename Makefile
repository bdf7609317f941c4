# chatd — `make run` starts the daemon, `make test` runs every test. Both set up a fresh
# Debian 12 machine that has only the Swift toolchain (scripts/setup.sh installs the rest).
SWIFT      ?= swift
PORT       ?= 7575
RELEASE    := .build/release
DEBUG      := .build/debug
DEB_OUT    ?= out
# The commit the binaries are built from, compiled into `chatd --version` and the journal's start
# line (Sources/CBuildInfo). Release and package builds only: a changed define rebuilds every
# module, so the debug builds of the tests (plain `swift build`, "commit unknown") never pay it.
GIT_COMMIT := $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null && echo $$c || echo $$c-dirty; } || echo unknown)
BUILD_INFO := -Xcc '-DCHATD_GIT_COMMIT="$(GIT_COMMIT)"'

.PHONY: setup build release run test test-unit deb deb-check test-system check-markdown unit-check bench bench-100k bench-micro fuzz test-tsan test-asan soak test-hostile clean

setup:
	@./scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release $(BUILD_INFO)

## Build in release mode and run the daemon in the foreground on port $(PORT).
run: release
	$(RELEASE)/chatd --listen '[::]:$(PORT)'

## Every test: Swift unit and end-to-end tests, the seed compatibility check, the terminal
## client under tmux, and the systemd/journald sandbox tests. Ends with one summary line.
test: setup
	@./scripts/test.sh

test-unit: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## The .deb: release builds of chatd, chatd-client and chatd-bench, their manual pages generated
## from the argument parsers, shell completions, and the Swift runtime libraries once, in
## /usr/lib/chatd (packaging/deb/build-deb.sh says why).
deb: setup
	$(SWIFT) build -c release $(BUILD_INFO) --product chatd
	$(SWIFT) build -c release $(BUILD_INFO) --product chatd-client
	$(SWIFT) build -c release $(BUILD_INFO) --product chatd-bench
	./packaging/man/generate-man.sh .build/man
	./packaging/deb/build-deb.sh $(DEB_OUT) $(RELEASE) .build/man

## Lint the .deb the way Debian does: any error or warning fails.
deb-check: deb
	lintian --fail-on warning $(DEB_OUT)/chatd_*.deb
	@# The operator's examples ship (docs/METRICS.md points at them).
	dpkg-deb -c $(DEB_OUT)/chatd_*.deb | grep -q 'usr/share/doc/chatd/examples/chatd-alerts.yml'
	dpkg-deb -c $(DEB_OUT)/chatd_*.deb | grep -q 'usr/share/doc/chatd/examples/chatd-dashboard.json'

## chatd under a real systemd + journald in a private namespace (root; about 20 s).
test-system: build
	bash Tests/system/test-systemd.sh "$$($(SWIFT) build --show-bin-path)" </dev/null

## Markdown renders as written: every code fence labelled and closed, every relative link resolves.
check-markdown: setup
	/usr/bin/python3 scripts/check-markdown.py

## Unit files: `systemd-analyze verify` prints nothing and the exposure score is <= 1.0.
unit-check: build
	bash Tests/system/unit-check.sh "$$($(SWIFT) build --show-bin-path)"

bench: setup
	./scripts/bench/run.sh

## Past one process's fd cap: 100,000 idle connections over several cluster nodes sharing one
## port (SO_REUSEPORT) and one Redis, with a live room among them (about 2 minutes after the build).
CLIENTS ?= 100000
bench-100k: setup
	$(SWIFT) build -c release --product chatd
	$(SWIFT) build -c release --product chatd-bench
	/usr/bin/python3 scripts/bench/cluster-100k.py --clients $(CLIENTS) --json /tmp/chatd-100k.json \
	  --chatd "$$($(SWIFT) build -c release --show-bin-path)/chatd" --bench "$$($(SWIFT) build -c release --show-bin-path)/chatd-bench"

## Micro-benchmarks (ordo-one/benchmark, separate package in Benchmarks/): short mode, no
## timing thresholds, reports mallocs per operation.
bench-micro: setup
	./scripts/bench/micro.sh

FUZZ_SECONDS ?= 60
DURATION     ?= 60

## libFuzzer (+ASan) on the framed decoder, the command parser, the username validator and
## the HTTP/WebSocket parsers and the IRC line decoder/parser/writer.
fuzz: setup
	./scripts/fuzz/run.sh $(FUZZ_SECONDS)

## The end-to-end suites under ThreadSanitizer / AddressSanitizer (FILTER=all for every test).
test-tsan: setup
	./scripts/sanitizers/run.sh tsan $(or $(FILTER),E2E)

test-asan: setup
	./scripts/sanitizers/run.sh asan $(or $(FILTER),E2E)

## Mixed load for DURATION seconds; checks no loss, RSS and fds back to baseline.
soak: setup
	./scripts/soak/run.sh $(DURATION)

## Hostile clients against a real chatd (slowloris, floods, never-readers, garbage, RST).
test-hostile: build
	bash Tests/system/test-hostile.sh $$($(SWIFT) build --show-bin-path)

clean:
	rm -rf .build $(DEB_OUT)
