# edgedesk — the two commands: `make run` (a complete node) and `make test`.
GO       ?= go
ORT_LIB  := .cache/ort/libonnxruntime.so.1
export EDGEDESK_ORT_LIB ?= $(CURDIR)/$(ORT_LIB)

.PHONY: run test build lint fuzz bench audit load-idle load-rate clean

## run: a complete node on 127.0.0.1:8080 (data in ./data), with the demo
## shop and one agent group for the console (config/demo.yaml)
run: $(ORT_LIB)
	@echo "demo shop with the chat widget: http://127.0.0.1:8080/demo"
	@echo "agent console: http://127.0.0.1:8080/console, dashboard: http://127.0.0.1:8080/dashboard"
	@echo "  (first: go run . staff add --email you@example.com --name You --role admin --groups support)"
	EDGEDESK_CONFIG=$${EDGEDESK_CONFIG:-config/demo.yaml} $(GO) run . serve

## test: vet, formatting and every test with the race detector
test: $(ORT_LIB)
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -shuffle=on -count=1 -timeout 20m ./...

build:
	$(GO) build -trimpath -o bin/edgedesk .

$(ORT_LIB):
	scripts/fetch-ort.sh >/dev/null

## fuzz: every fuzz target (every func Fuzz… in a _test.go file, found
## anew each time, so none is left out) for FUZZTIME each (default 30s)
FUZZTIME ?= 30s
fuzz:
	@git ls-files "*_test.go" | xargs grep -Ho "^func Fuzz[A-Za-z0-9_]*" | sort -u | \
	  while IFS=: read -r file fn; do \
	    fn=$${fn#func }; pkg=./$$(dirname $$file); echo "fuzz $$fn ($$pkg)"; \
	    $(GO) test -run "^\$$" -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg </dev/null || exit 1; \
	  done

## audit: govulncheck (pinned) over every package; exits 2 saying so when
## the vulnerability database (GOVULNDB, default vuln.go.dev) is out of reach
audit:
	GO=$(GO) scripts/audit.sh

## bench: Go benchmarks (compare runs with benchstat)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./node/... ./model/...

## load-idle / load-rate: loopback load tests (docs/LOAD.md)
load-idle:
	scripts/load.sh node-idle
load-rate:
	scripts/load.sh node-rate 10000

clean:
	rm -rf bin .cache
