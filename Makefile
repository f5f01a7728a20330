# Coffer — the two commands a newcomer needs: `make run` and `make test`.
# Every target installs what is missing first (scripts/setup.sh is idempotent and quick when warm).

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: setup build run demo test lint bench eval-receipts clean

setup:
	@bash scripts/setup.sh

build: setup
	$(CARGO) build --workspace --bins

# Until the desktop app lands, `make run` walks the CLI through a demo vault.
run: build
	@bash scripts/demo.sh

demo: run

# Every test, with the services some of them need (started on 127.0.0.1 and stopped again).
test: setup
	$(CARGO) build --workspace --bins --tests
	bash scripts/with-test-services.sh $(CARGO) test --workspace --no-fail-fast

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: setup
	$(CARGO) build --release -p coffer-cli -p coffer-bench
	./target/release/coffer-bench $(BENCH_ARGS)

eval-receipts: setup
	bash scripts/eval-receipts.sh

clean:
	$(CARGO) clean

# The desktop app (issue 6): builds the front end and the Tauri shell, then opens the window.
.PHONY: app
app: setup
	bash scripts/app-run.sh
