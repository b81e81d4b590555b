# pcx: `make demo`, `make test`, `make lint`, `make bench`. Each installs missing system packages first.
SWIFT      ?= swift
APT_PKGS   := liblua5.4-dev lua5.4 libedit-dev pkg-config libsqlite3-dev zlib1g-dev python3
# Test-only: a real PostgreSQL server for the `--to postgres://` tests (they are skipped, saying so, without it).
TEST_PKGS  := postgresql
BENCH_PKGS := lua-cjson python3-requests time
# luacheck, for `make lint` (and the lint step of `make test`).
LINT_PKGS  := lua-check
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PCX_DEBUG  := .build/debug/pcx

.PHONY: all deps bench-deps lint-deps build release demo test lint bench soak fuzz clean

all: build

# Install the Debian packages pcx builds against, only those missing.
deps:
	@tools/apt-ensure $(APT_PKGS)

bench-deps: deps
	@tools/apt-ensure $(BENCH_PKGS)

lint-deps:
	@tools/apt-ensure $(LINT_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The main demo: buy a Reserved VM Instance against the embedded sandbox.
demo: build
	@tools/demo

# Every test: Swift Testing suites, the Lua spec files and the lint; ends with "N passed, N failed".
test: deps lint-deps
	@tools/apt-ensure $(TEST_PKGS) || echo "pcx: could not install $(TEST_PKGS): the PostgreSQL tests will be skipped" >&2
	@tools/run-tests

# luacheck over stdlib/, scripts/, Tests/lua/, tools/*.lua and README.md's Lua examples: 0 warnings.
lint: lint-deps
	@tools/lint

bench: bench-deps release
	@tools/bench

# Reliability soak: randomized purchases under injected faults; bounded in time, not part of test.
soak: deps release
	@tools/soak

# libFuzzer over the JSON decoder and the script loader; bounded in time (FUZZ_SECONDS each).
fuzz: deps
	@tools/fuzz

clean:
	rm -rf .build
