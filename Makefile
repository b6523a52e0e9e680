# xroam — build, test, install and package.  `make help` lists the targets.

SHELL        := /bin/bash
GO           ?= go
PREFIX       ?= /usr/local
DESTDIR      ?=
# FHS: a /usr install keeps its configuration in /etc, any other prefix in $(PREFIX)/etc.
ifeq ($(PREFIX),/usr)
SYSCONFDIR   ?= /etc
else
SYSCONFDIR   ?= $(PREFIX)/etc
endif
BINDIR       := $(PREFIX)/bin
LIBEXECDIR   := $(PREFIX)/libexec/xroam
PLUGINDIR    := $(LIBEXECDIR)/plugins
DATADIR      := $(PREFIX)/share/xroam
MANDIR       := $(PREFIX)/share/man/man1
DOCDIR       := $(PREFIX)/share/doc/xroam
CONFDIR      := $(SYSCONFDIR)/xroam/conf.d

VERSION      := $(shell cat VERSION)
COMMIT       := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DEB_ARCH     := $(shell dpkg --print-architecture 2>/dev/null || $(GO) env GOARCH)
STATICCHECK_VERSION := v0.8.2
GOBIN        := $(shell $(GO) env GOPATH)/bin
FUZZTIME     ?= 20s
BENCHTIME    ?= 1s
# Time limits per test binary, explicit: a unit package takes seconds, its
# slowest a few minutes on a busy machine. The end-to-end suite (tests/e2e)
# runs real sessions, X servers and clients, E2E_PARALLEL tests at a time:
# more than the CPUs, since a test mostly waits for its processes.
UNIT_TIMEOUT ?= 10m
E2E_TIMEOUT  ?= 25m
E2E_PARALLEL ?= 8
# RUN=regexp: the end-to-end tests to run (make test-e2e RUN=TestQUIC), verbosely.
RUN          ?=
UNIT_PKGS     = $(shell $(GO) list ./... | grep -v '/tests/e2e$$')

# EXTRA_LDFLAGS: `make deb` strips the binaries (-s -w), as Debian packages are.
LDFLAGS := -X main.version=$(VERSION)+$(COMMIT) \
           -X main.systemConfDir=$(CONFDIR) \
           -X main.pluginDir=$(PLUGINDIR) $(EXTRA_LDFLAGS)

# Every directory plugins/<kinds>/<name> with a main.go is a plugin binary,
# named xroam-<kind>-<name> (the kind is the directory name without its plural s).
# extlib: the x264 encoder links Debian's libx264 instead of compiling its
# bundled copy; the tag is harmless elsewhere. Exported so that go test,
# vet and staticcheck (and the plugins the tests build) see it too.
export GOFLAGS := $(strip $(GOFLAGS) -tags=extlib)
PLUGIN_DIRS  := $(patsubst %/main.go,%,$(wildcard plugins/*/*/main.go))

.PHONY: all build test test-unit test-e2e test-loaded check lint fmt vet staticcheck fuzz bench install uninstall deb test-deb deps clean help man

all: build ## build bin/xroam and every plugin into bin/plugins/

build:
	@mkdir -p bin/plugins
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/xroam ./cmd/xroam
	@set -e; for d in $(PLUGIN_DIRS); do \
	  kind=$$(basename $$(dirname $$d)); kind=$${kind%s}; name=$$(basename $$d); \
	  echo "$(GO) build -tags extlib -o bin/plugins/xroam-$$kind-$$name ./$$d"; \
	  $(GO) build -tags extlib -trimpath -ldflags '$(LDFLAGS)' -o bin/plugins/xroam-$$kind-$$name ./$$d; \
	done

test: test-unit test-e2e ## the unit tests, then the end-to-end suite

test-unit: ## the tests of every package but tests/e2e, of sdk/ and of its auth-token example
	$(GO) test -count=1 -timeout $(UNIT_TIMEOUT) $(UNIT_PKGS)
	cd sdk && $(GO) test -count=1 -timeout $(UNIT_TIMEOUT) ./...
	cd sdk/examples/auth-token && $(GO) test -count=1 -timeout $(UNIT_TIMEOUT) ./...

test-e2e: ## the end-to-end suite in tests/e2e (real xroam, Xvfb, xpra…); RUN=regexp for some tests
	$(GO) test -count=1 -timeout $(E2E_TIMEOUT) -parallel $(E2E_PARALLEL) $(if $(RUN),-v -run '$(RUN)') ./tests/e2e/

# Two CPU hogs beside the tests, as on a busy CI runner or laptop: a test
# that only passes on an idle machine is waiting for time, not an event.
test-loaded: ## make test with two CPU hogs (yes >/dev/null) running beside it
	@set -e; hogs=; trap 'kill $$hogs 2>/dev/null; wait' EXIT; \
	for i in 1 2; do yes >/dev/null & hogs="$$hogs $$!"; done; \
	echo "CPU hogs:$$hogs"; \
	$(MAKE) test

# Fuzzing is not part of check: a new find would fail CI for an unrelated
# change. Every seed and every input a fuzzer ever found (testdata/fuzz)
# runs in `make test`; run `make fuzz` after changing a decoder.
check: lint test test-deb ## everything CI runs: lint, tests (fuzz seeds included), the .deb install test

lint: fmt vet staticcheck ## gofmt, go vet and staticcheck, for the main module and sdk/

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...

$(GOBIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(GOBIN)/staticcheck
	$(GOBIN)/staticcheck ./...
	cd sdk && $(GOBIN)/staticcheck ./...

fuzz: ## run every fuzz target of both modules for FUZZTIME each (default 20s; 10000000x: that many execs)
	@set -e; for mod in . sdk; do \
	  for pkg in $$(cd $$mod && $(GO) list ./...); do \
	    dir=$$(cd $$mod && $(GO) list -f '{{.Dir}}' $$pkg); \
	    for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	      echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	      (cd $$mod && $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg); \
	    done; \
	  done; \
	done

bench: ## run the Go benchmarks (BENCHTIME=1s); ../shared/bench/run.sh measures end to end
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

man: build ## write the man page generated from the CLI's own help
	@mkdir -p build
	./bin/xroam help --man > build/xroam.1

install: build man ## install under DESTDIR/PREFIX (FHS; pristine conf.d copies in share/xroam/conf.d)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 bin/xroam $(DESTDIR)$(BINDIR)/xroam
	@set -e; for p in $(wildcard bin/plugins/xroam-*); do install -m 0755 $$p $(DESTDIR)$(PLUGINDIR)/; done
	install -m 0644 conf.d/*.hcl $(DESTDIR)$(CONFDIR)/
	gzip -9n < build/xroam.1 > $(DESTDIR)$(MANDIR)/xroam.1.gz
	install -d $(DESTDIR)$(DATADIR)/conf.d
	install -m 0644 conf.d/*.hcl $(DESTDIR)$(DATADIR)/conf.d/
	install -m 0644 README.md CONTRIBUTING.md SECURITY.md $(DESTDIR)$(DOCDIR)/

uninstall: ## remove what install put in place (configuration files are kept)
	rm -f $(DESTDIR)$(BINDIR)/xroam $(DESTDIR)$(MANDIR)/xroam.1.gz
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

deb: ## build dist/xroam_VERSION_ARCH.deb with dpkg-deb (conf.d files are conffiles)
	rm -rf build/deb
	$(MAKE) install DESTDIR=$(CURDIR)/build/deb PREFIX=/usr EXTRA_LDFLAGS="-s -w"
	install -d build/deb/DEBIAN dist
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' packaging/deb/control.in > build/deb/DEBIAN/control
	cd build/deb && find etc -type f | sed 's|^|/|' | sort > DEBIAN/conffiles
	install -m 0755 packaging/deb/postrm build/deb/DEBIAN/postrm
	dpkg-deb --root-owner-group --build build/deb dist/xroam_$(VERSION)_$(DEB_ARCH).deb

test-deb: deb ## install the .deb with dpkg (needs root), run it from /usr, then purge it
	XROAM_TEST_DEB=$(CURDIR)/dist/xroam_$(VERSION)_$(DEB_ARCH).deb $(GO) test -count=1 -v -run TestDebPackage ./packaging/

deps: ## install the Debian packages needed to build, run and test (uses sudo when not root)
	packaging/install-deps.sh

clean: ## remove build outputs
	rm -rf bin build dist

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  variables: PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) FUZZTIME=$(FUZZTIME) BENCHTIME=$(BENCHTIME)"
	@echo "             UNIT_TIMEOUT=$(UNIT_TIMEOUT) E2E_TIMEOUT=$(E2E_TIMEOUT) E2E_PARALLEL=$(E2E_PARALLEL) RUN=$(RUN)"
