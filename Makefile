# pcx: `make demo`, `make test`, `make lint`, `make bench`. Each installs missing system packages first.
SWIFT      ?= swift
APT_PKGS   := liblua5.4-dev lua5.4 libedit-dev libbsd-dev libmd-dev libncurses-dev libsqlite3-dev zlib1g-dev python3
# Test-only: a real PostgreSQL server for the `--to postgres://` tests, and GNOME Keyring with secret-tool and
# D-Bus for the Secret Service login tests (each is skipped, saying so, without its package).
TEST_PKGS  := postgresql gnome-keyring libsecret-tools dbus-daemon
BENCH_PKGS := lua-cjson python3-requests time
# luacheck, for `make lint` (and the lint step of `make test`).
LINT_PKGS  := lua-check
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PCX_DEBUG  := .build/debug/pcx

.PHONY: all deps bench-deps lint-deps build release man completions install dist demo test lint bench soak fuzz clean

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

# The release binary copies anywhere: the Swift runtime and Foundation, Lua, SQLite, libedit (and
# what it needs), zlib and libstdc++ are linked in statically; it needs only glibc and libgcc_s.
# (libstdc++ linked in also saves the loader ~1.5 ms of symbol binding at every start.)
STATIC_LIBS   := lua5.4 sqlite3 edit tinfo bsd md z stdc++
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -L$(CURDIR)/.build/static-libs \
                 -Xlinker -ltinfo -Xlinker -lbsd -Xlinker -lmd

release: deps
	@tools/static-libs .build/static-libs $(STATIC_LIBS)
	$(SWIFT) build $(RELEASE_FLAGS)

# Where `make install` puts pcx: $(DESTDIR)$(PREFIX)/bin/pcx, man pages, completions.
PREFIX     ?= /usr/local
DESTDIR    ?=
RELEASE_BIN = .build/release/pcx
VERSION     = $(shell sed -n 's/^public let pcxVersion = "\(.*\)"/\1/p' Sources/PCXHost/Host.swift)

# Man pages generated from the argument parser (swift-argument-parser's generate-manual plugin):
# pcx.1 and one page per verb.
man: deps
	@tools/make-man .build/man

# bash, zsh and fish completions, from the release binary.
completions: release
	@mkdir -p .build/completions
	$(RELEASE_BIN) --generate-completion-script bash > .build/completions/pcx.bash
	$(RELEASE_BIN) --generate-completion-script zsh > .build/completions/_pcx
	$(RELEASE_BIN) --generate-completion-script fish > .build/completions/pcx.fish

install: release man completions
	@tools/install-tree "$(DESTDIR)$(PREFIX)"
	@echo "installed pcx $(VERSION) under $(DESTDIR)$(PREFIX)"

# dist/: pcx-VERSION-linux-ARCH.tar.gz, pcx_VERSION_ARCH.deb and SHA256SUMS.
dist: release man completions
	@tools/make-dist $(VERSION)

# The main demo: buy a Reserved VM Instance against the embedded sandbox.
demo: build
	@tools/demo

# Every test: Swift Testing suites, the Lua spec files, the lint and the distribution (which builds
# the release binary and the packages); ends with "N passed, N failed".
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
	rm -rf .build dist
