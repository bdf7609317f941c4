# chatd — `make run` starts the daemon, `make test` runs every test. Both set up a fresh
# Debian 12 machine that has only the Swift toolchain (scripts/setup.sh installs the rest).
SWIFT      ?= swift
PORT       ?= 7575
RELEASE    := .build/release
DEBUG      := .build/debug
DEB_OUT    ?= out

.PHONY: bench-micro deb-check test-system unit-check setup build release run test test-unit test-system test-client test-compat deb bench bench-micro fuzz test-tsan test-asan soak clean

setup:
	@./scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

## Build in release mode and run the daemon in the foreground on port $(PORT).
run: release
	$(RELEASE)/chatd --listen [::]:$(PORT)

## Every test: Swift unit and end-to-end tests, the seed compatibility check, the terminal
## client under tmux, and the systemd/journald sandbox tests. Ends with one summary line.
test: setup
	@./scripts/test.sh

test-unit: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## The .deb: release binaries linked with the Swift runtime statically (no Swift .so needed).
deb: setup
	$(SWIFT) build -c release --static-swift-stdlib --product chatd
	$(SWIFT) build -c release --static-swift-stdlib --product chatd-client
	./packaging/deb/build-deb.sh $(DEB_OUT)

## Lint the .deb the way Debian does (errors fail; warnings are printed).
deb-check: deb
	lintian --fail-on error $(DEB_OUT)/chatd_*.deb

## chatd under a real systemd + journald in a private namespace (root; about 20 s).
test-system: build
	bash Tests/system/test-systemd.sh "$$($(SWIFT) build --show-bin-path)" </dev/null

## Unit files: verify (stderr must be empty) and the exposure score (must be <= 1.2).
unit-check:
	bash Tests/system/sandbox.sh analyze verify packaging/chatd.socket packaging/chatd.service
	bash Tests/system/sandbox.sh analyze security --offline=true packaging/chatd.service | tail -n 1

bench: setup
	./scripts/bench/run.sh

## Micro-benchmarks (ordo-one/benchmark, separate package in Benchmarks/): short mode, no
## timing thresholds, reports mallocs per operation.
bench-micro: setup
	./scripts/bench/micro.sh

clean:
	rm -rf .build $(DEB_OUT)
