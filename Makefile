# Haven's front door. `make help` lists the targets.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The commit and its time (UTC), not the build's: rebuilding a tag with the
# same Go gives the same bytes, so anyone can check a release's SHA256SUMS.
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE      ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
APP_PKG    = github.com/havenschools/haven/internal/app
LDFLAGS   := -s -w -X $(APP_PKG).version=$(VERSION) -X $(APP_PKG).commit=$(COMMIT) -X $(APP_PKG).date=$(DATE)
# What make release builds, each as a static binary (no cgo) in dist/.
PLATFORMS  = linux/amd64 linux/arm64
TESTDB    ?= .data/testpg
# Browser tests (one Chromium per package) run without the race detector;
# everything else runs with it.
BROWSER_PKGS = ./internal/e2e/... ./internal/browsertest/...
# With HAVEN_TEST_DATABASE_URL set, tests use that server; otherwise one
# private PostgreSQL is started for the whole run (in $(TESTDB), not make run's folder).
WITHPG    = $(if $(HAVEN_TEST_DATABASE_URL),,$(GO) run ./cmd/withpg -dir $(TESTDB) --)
# Helpers that write unescaped HTML (make lint; web/page/safehtml_test.go
# checks the Go code, generated templates included, under any import name).
UNSAFE_HTML = templ\.(Raw|SafeURL|JSExpression|SafeCSS|SafeCSSProperty|JSUnsafeFuncCall)\b|template\.(HTML|HTMLAttr|JS|JSStr|CSS|Srcset)\(
# How long `make fuzz` runs each fuzz target.
FUZZTIME  ?= 10s
SASS      = node_modules/.bin/sass --no-source-map --no-error-css --style=compressed --load-path=. --load-path=node_modules --quiet-deps web/static/scss/haven.scss web/static/css/haven.css

.DEFAULT_GOAL := help
.PHONY: help run build release deb test test-go fuzz fuzz-go lint check generate css js migrate migration restore-drill reliability screenshots bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z_\/-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## run Haven on the embedded default database (prints the URL and demo logins)
	@echo "Compiling bin/haven: the first build compiles every dependency and can take several minutes on a small machine; later ones take seconds."
	$(GO) build -o bin/haven ./cmd/haven
	bin/haven serve

build: ## build a static, versioned binary in bin/haven (everything embedded)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/haven ./cmd/haven

release: ## static binaries for linux/amd64 and arm64, SBOMs and SHA256SUMS in dist/: make release VERSION=v1.2.3
	@case "$(VERSION)" in v[0-9]*.[0-9]*.[0-9]*) ;; *) echo "usage: make release VERSION=v1.2.3 (got '$(VERSION)')"; exit 1;; esac
	@test -z "$$(git status --porcelain)" || (echo "make release needs a clean checkout: commit or remove these first"; git status --short; exit 1)
	rm -rf dist && mkdir dist
	@# The pinned SBOM tool, built for this machine: GOOS and GOARCH below are for the target.
	$(GO) build -o bin/cyclonedx-gomod github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; out=dist/haven-$(VERSION)-$$os-$$arch; \
		echo "building $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$out ./cmd/haven || exit 1; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch bin/cyclonedx-gomod app -json -licenses -noserial -notimestamp \
			-main cmd/haven -output $$out.cdx.json . || exit 1; \
	done
	cd dist && sha256sum haven-* > SHA256SUMS && cat SHA256SUMS

# The package's version: v1.2.3 → 1.2.3; an untagged build → 0.0.0~<describe>.
DEB_VERSION ?= $(shell echo '$(VERSION)' | sed -e 's/^v\([0-9]\)/\1/;t' -e 's/[^A-Za-z0-9.+~]/~/g;s/^/0.0.0~/')
DEB_ARCH    ?= $(shell $(GO) env GOARCH)
deb: ## a Debian package of the static binary and the systemd units in dist/ (nfpm; DEB_ARCH=arm64 for the other)
	@mkdir -p dist/deb
	CGO_ENABLED=0 GOOS=linux GOARCH=$(DEB_ARCH) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/deb/haven ./cmd/haven
	GOARCH=$(DEB_ARCH) DEB_VERSION=$(DEB_VERSION) $(GO) tool nfpm package --config deploy/nfpm.yaml --packager deb --target dist/haven_$(DEB_VERSION)_$(DEB_ARCH).deb

test: node_modules bin/mailpit ## run every test (real Postgres, mailpit and Chromium)
	$(WITHPG) $(MAKE) --no-print-directory test-go

test-go: ## run the tests against HAVEN_TEST_DATABASE_URL (make test sets it up)
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v -e /internal/e2e -e /internal/browsertest)
	$(GO) test -count=1 -timeout 30m $(BROWSER_PKGS)

lint: ## gofmt, go vet, staticcheck, unsafe-template check
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@! git grep -nE '$(UNSAFE_HTML)' -- '*.templ' '*.go' ':!*_templ.go' ':!*_test.go' ':!Makefile' \
		|| (echo "unescaped-HTML helpers are not allowed in templates"; exit 1)
	@grep -qE '$(UNSAFE_HTML)' web/page/testdata/unsafehtml/raw.go.txt \
		|| (echo "the unescaped-HTML check no longer finds templ.Raw in its test file"; exit 1)

generate: ## regenerate templ code, compile the CSS and copy the vendored JS
	$(GO) tool templ generate -log-level warn
	$(MAKE) --no-print-directory css js

css: node_modules ## compile web/static/css/haven.css from GOV.UK and MOJ Frontend (system font)
	$(SASS)
	@! grep -q "GDS Transport" web/static/css/haven.css || (echo "haven.css must not use GDS Transport"; exit 1)

js: node_modules ## copy GOV.UK and MOJ Frontend's JS modules into web/static/js (source-map comments dropped)
	perl -pe 's{//# sourceMappingURL=\S+}{}g' node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js > web/static/js/govuk-frontend.min.js
	perl -pe 's{//# sourceMappingURL=\S+}{}g' node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js > web/static/js/moj-frontend.min.js

fuzz: ## run each fuzz target for FUZZTIME (10s) from its committed seed corpus (testdata/fuzz)
	$(WITHPG) $(MAKE) --no-print-directory fuzz-go

fuzz-go:
	$(GO) test -run '^$$' -fuzz '^FuzzReadConcernForm$$' -fuzztime $(FUZZTIME) ./internal/web/
	$(GO) test -run '^$$' -fuzz '^FuzzFormCheck$$' -fuzztime $(FUZZTIME) ./internal/concern/
	$(GO) test -run '^$$' -fuzz '^FuzzCanonical$$' -fuzztime $(FUZZTIME) ./internal/audit/
	$(GO) test -run '^$$' -fuzz '^FuzzNeutralise$$' -fuzztime $(FUZZTIME) ./internal/records/

check: generate lint test ## what CI checks: generated files current, lint, tests
	git diff --exit-code

MAILPIT_VERSION = v1.33.1
bin/mailpit: ## install the pinned mailpit (a real SMTP server for tests) into bin/
	GOBIN="$(CURDIR)/bin" $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)
	echo $(MAILPIT_VERSION) > bin/.mailpit-version

node_modules: package-lock.json ## install the pinned node packages (GOV.UK Frontend, sass, axe-core)
	npm ci --no-audit --no-fund
	@touch node_modules

migrate: ## apply migrations as HAVEN_MIGRATE_DATABASE_URL (or to the embedded default)
	$(GO) run ./cmd/haven migrate

migration: ## write the next numbered migration file: make migration name=create_things
	@test -n "$(name)" || (echo "usage: make migration name=create_things"; exit 1)
	@n=$$(ls migrations/*.sql | sed 's|migrations/0*\([0-9]*\)_.*|\1|' | sort -n | tail -1); \
	f=$$(printf "migrations/%05d_%s.sql" $$((n + 1)) "$(name)"); \
	printf -- "-- +goose Up\n\n-- +goose Down\n" > $$f; echo $$f

restore-drill: ## back up a private cluster, restore it to a point in time, verify rows and audit chains; prints the recovery time
	$(GO) test -count=1 -run '^TestRestoreDrill$$' -v ./internal/app/

reliability: build ## kill -9, a PostgreSQL crash, SIGTERM and races against the built bin/haven, at full size (make test runs a short version)
	HAVEN_RELIABILITY=full HAVEN_RELIABILITY_BIN=$(CURDIR)/bin/haven $(GO) test -count=1 -timeout 30m -v ./internal/reliability/

screenshots: node_modules ## remake the guides' screenshots in docs/img (a browser journey; not part of make test)
	$(WITHPG) env HAVEN_SCREENSHOTS=$(CURDIR)/docs/img $(GO) test -tags screenshots -count=1 -timeout 20m -run '^TestScreenshots' -v ./internal/e2e/

# make bench: the size of the generated data (generated once into .data/bench,
# then reused) and more havenbench flags, e.g. BENCH_FLAGS='-rounds 3'.
BENCH_SCHOOLS  ?= 500
BENCH_CONCERNS ?= 1000000
BENCH_FLAGS    ?=
bench: ## Go benchmarks, then Haven against a bare net/http + pgx baseline over HTTP on generated data; results into docs/performance.md
	@mkdir -p bin/bench
	$(WITHPG) $(GO) test -p 1 -count=1 -run '^$$' -bench . -timeout 60m ./internal/concern/ ./internal/audit/ ./internal/records/ | tee bin/bench/go.txt
	$(GO) run ./cmd/havenbench -dir .data/bench -schools $(BENCH_SCHOOLS) -concerns $(BENCH_CONCERNS) -gobench bin/bench/go.txt $(BENCH_FLAGS)

clean: ## remove build output and the test database (not make run's data)
	rm -rf bin $(TESTDB)

# The container image (Containerfile, FROM scratch: no registry needed) and
# its check; docs/deployment.md.
IMAGE ?= localhost/haven:latest
.PHONY: image
image: build ## build the container image $(IMAGE) with podman (static binary, CA certificates, non-root user)
	rm -rf bin/image && mkdir -p bin/image/data bin/image/tmp && chmod 1777 bin/image/tmp
	cp bin/haven deploy/container/passwd deploy/container/group /etc/ssl/certs/ca-certificates.crt bin/image/
	podman build --quiet --format docker -f Containerfile -t $(IMAGE) bin/image
# The image with Chromium (Containerfile.pdf): its base is made from Debian
# packages by mmdebstrap, with the host's apt sources; a few minutes.
IMAGE_PDF       ?= localhost/haven:pdf
DEBIAN_SOURCES  ?= /etc/apt/sources.list.d/debian.sources
.PHONY: image-pdf
image-pdf: build ## build the container image $(IMAGE_PDF) with Chromium for the PDF (needs mmdebstrap; slow)
	rm -rf bin/image-pdf && mkdir -p bin/image-pdf/data
	mmdebstrap --quiet --variant=apt --include=chromium,ca-certificates,fonts-liberation,fonts-dejavu-core \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--customize-hook='chroot "$$1" groupadd --system --gid 10001 haven' \
		--customize-hook='chroot "$$1" useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin haven' \
		bookworm bin/image-pdf/rootfs.tar $(DEBIAN_SOURCES)
	cp bin/haven bin/image-pdf/
	podman build --quiet --format docker -f Containerfile.pdf -t $(IMAGE_PDF) bin/image-pdf
