# The two commands a new user needs: `make demo` and `make test`.
GO      ?= go
GEOIP   := testdata/geoip
DEMO_DB := .demo.db
# staticcheck is fetched through the Go module proxy at this pinned version.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: demo test lint vet unit bench backtest build clean tidy-check

## demo: replay the bundled sample stream (a bot wave among genuine signups)
## on the embedded store with the bundled test GeoIP databases; print the queue.
demo:
	@rm -f $(DEMO_DB)
	@$(GO) run ./cmd/abusectl replay --db $(DEMO_DB) \
		--geoip-city $(GEOIP)/GeoIP2-City-Test.mmdb \
		--geoip-asn $(GEOIP)/GeoLite2-ASN-Test.mmdb \
		--geoip-anon $(GEOIP)/GeoIP2-Anonymous-IP-Test.mmdb \
		testdata/scenarios/demo.jsonl
	@echo "(queue kept in $(DEMO_DB): try 'go run ./cmd/abusectl queue list --db $(DEMO_DB) --action suspend')" >&2

## test: every check and test; installs the pinned dynalite and, when it is
## missing, Debian's chromium (the review page's browser test) itself.
test: infra/node_modules browser lint unit

# browser: Debian's chromium at /usr/bin/chromium, which the review page's
# browser test (internal/review) drives headless; it fails without it in CI.
# apt-get as root, or through sudo.
.PHONY: browser
browser:
	@test -x /usr/bin/chromium || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

infra/node_modules: infra/package-lock.json
	npm ci --prefix infra --no-audit --no-fund --loglevel=error
	@touch $@

lint: vet tidy-check
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...

vet:
	$(GO) vet ./...

tidy-check:
	@cp go.mod /tmp/go.mod.check && cp go.sum /tmp/go.sum.check
	@$(GO) mod tidy
	@if ! cmp -s go.mod /tmp/go.mod.check || ! cmp -s go.sum /tmp/go.sum.check; then \
		echo "go mod tidy changed go.mod/go.sum: run it and commit"; \
		cp /tmp/go.mod.check go.mod; cp /tmp/go.sum.check go.sum; exit 1; fi

# NAMEDATA_DIR: the npm name and disposable-domain data that infra/ pins, so
# the committed username model and domain list are checked against them.
# -timeout: internal/pipeline's fault tests (every write of a batch failed in
# turn, on dynalite too) take about 8 minutes under -race on 2 cores, near
# go test's default 10.
unit:
	NAMEDATA_DIR=$(CURDIR)/infra/node_modules $(GO) test -race -count=1 -timeout 25m ./...

## bench: the throughput, memory and cost benchmarks whose figures are in
## BENCHMARKS.md (about an hour on the 2-core build machine).
bench: infra/node_modules
	$(GO) test -run '^$$' -bench '^Benchmark(Replay|DecodeLookup)$$' -benchtime 3x -count 6 ./internal/pipeline/ | tee bench.out
	$(GO) test -run '^$$' -bench '^Benchmark(LoginReplay|LoginDecodeLookup|LoginQuiet)$$' -benchtime 1x -count 5 ./internal/pipeline/ | tee -a bench.out
	$(GO) test -run '^$$' -bench '^Benchmark(ReplayMix|MixDecodeLookup)$$' -benchtime 1x -count 3 ./internal/pipeline/ | tee -a bench.out
	$(GO) test -run '^$$' -bench HandlerBatch100 -benchtime 1x -count 3 ./functions/signup/ ./functions/login/ ./functions/message/ | tee -a bench.out
	$(GO) test -run '^$$' -bench HandlerBatch100 -benchtime 1x -count 3 -cpu 1 ./functions/signup/ ./functions/login/ ./functions/message/ | tee -a bench.out
	$(GO) test -run '^$$' -bench DynamoCost -benchtime 1x -count 2 ./internal/pipeline/ | tee -a bench.out
	$(GO) test -run '^$$' -bench LoginCost -benchtime 1x -count 2 ./internal/pipeline/ | tee -a bench.out
	$(GO) test -run '^$$' -bench 'MessagePath|MessageCost' -benchmem -benchtime 2x -count 2 ./internal/pipeline/ | tee -a bench.out
	$(GO) test -run '^$$' -bench 'Parse|Enmime|Prescan|TurnAway' -benchmem -count 2 ./internal/mail/ | tee -a bench.out
	$(GO) test -run '^$$' -bench ColdStart -count 3 ./internal/setup/ | tee -a bench.out
	$(GO) run ./infra/memreplay -scenarios a,b -scale 10 | tee -a bench.out
	$(GO) run ./infra/memreplay -scenarios c -scale 3 | tee -a bench.out

## bench-compare: the signup and login replays of BASE (a commit) against
## the work tree's, run by turns six times, compared with benchstat
## (pinned); the raw runs stay in bench-base.out and bench-new.out.
BASE      ?= 5f800d0
BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
.PHONY: bench-compare
bench-compare:
	@rm -rf .bench-base && git worktree prune && git worktree add -f --detach .bench-base $(BASE) >/dev/null
	cd .bench-base && $(GO) test -c -o ../base.test ./internal/pipeline/
	$(GO) test -c -o new.test ./internal/pipeline/
	@rm -f bench-base.out bench-new.out
	@for i in 1 2 3 4 5 6; do \
		(cd internal/pipeline && ../../base.test -test.run '^$$' -test.bench '^Benchmark(Replay|LoginReplay)$$' -test.benchtime 1x -test.benchmem) | grep '^Bench' >> bench-base.out; \
		(cd internal/pipeline && ../../new.test -test.run '^$$' -test.bench '^Benchmark(Replay|LoginReplay)$$' -test.benchtime 1x -test.benchmem) | grep '^Bench' >> bench-new.out; \
	done
	@git worktree remove --force .bench-base
	@# Before 5f800d0's successor the login replay had no clusters=false/true cases.
	@sed -i 's|^BenchmarkLoginReplay-\([0-9]*\) |BenchmarkLoginReplay/clusters=false-\1 |' bench-base.out
	$(GO) run $(BENCHSTAT) base=bench-base.out new=bench-new.out

## backtest: precision and recall on the generated labelled scenario.
backtest:
	$(GO) run ./cmd/abusectl backtest --format table \
		--geoip-city $(GEOIP)/GeoIP2-City-Test.mmdb \
		--geoip-asn $(GEOIP)/GeoLite2-ASN-Test.mmdb \
		--geoip-anon $(GEOIP)/GeoIP2-Anonymous-IP-Test.mmdb

build:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -o bin/signup/bootstrap ./functions/signup
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -o bin/login/bootstrap ./functions/login
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -o bin/message/bootstrap ./functions/message
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -o bin/enforce/bootstrap ./functions/enforce
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -o bin/review/bootstrap ./functions/review
	$(GO) build -o bin/abusectl ./cmd/abusectl

## install: put abusectl in $(go env GOPATH)/bin, which must be on PATH.
.PHONY: install
install:
	$(GO) install ./cmd/abusectl

clean:
	rm -rf bin .aws-sam $(DEMO_DB) bench.out

-include infra/sam.mk

## invoke: run one function as deployed, without Docker or SAM: its bootstrap,
## built for this machine, under the Lambda Runtime Interface Emulator (pinned
## in go.mod) with a fresh dynalite; invoke it once with EVENT and print its
## logs (stderr) and response (stdout). The event's times are moved to now
## (SHIFT=0 sends it as it is). Linux only.
.PHONY: invoke
FUNCTION ?= signup
EVENT    ?= events/signup-sqs.json
SHIFT    ?= 1
invoke: infra/node_modules
	@$(GO) run ./infra/invoke -function '$(FUNCTION)' -event '$(EVENT)' -shift=$(SHIFT)
