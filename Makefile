# Coffer — the two commands a newcomer needs: `make run` and `make test`.
# Every target installs what is missing first (scripts/setup.sh is idempotent and quick when warm).

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: setup build run demo test lint bench eval-receipts clean app

setup:
	@bash scripts/setup.sh

# The desktop app (src-tauri) embeds the built front end, so scripts/app-*.sh build it, after
# the npm install and the Vite build; everything else builds as a plain workspace.
WORKSPACE = --workspace --exclude coffer-app
# One target directory for the app and the rest, so shared dependencies compile once.
APP_ENV = CARGO_TARGET_DIR=$(CURDIR)/target

build: setup
	$(CARGO) build $(WORKSPACE) --bins

# Builds and opens the desktop app on your vault ($COFFER_VAULT, else the platform data dir).
run: setup
	$(APP_ENV) bash scripts/app-run.sh

app: run

# A guided walk through the `coffer` command on a throwaway demo vault.
demo: build
	@bash scripts/demo.sh

# Every test, with the services some of them need (started on 127.0.0.1 and stopped again),
# then the app: Vitest, the Tauri commands, and the real window under Xvfb via WebDriver.
test: setup
	$(CARGO) build $(WORKSPACE) --bins --tests
	bash scripts/with-test-services.sh $(CARGO) test $(WORKSPACE) --no-fail-fast
	$(APP_ENV) bash scripts/app-test.sh

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(WORKSPACE) --all-targets -- -D warnings
	$(APP_ENV) bash scripts/app-build.sh
	$(CARGO) clippy -p coffer-app --all-targets -- -D warnings

bench: setup
	$(CARGO) build --release -p coffer-cli -p coffer-server -p coffer-bench
	OMP_THREAD_LIMIT=1 ./target/release/coffer-bench $(BENCH_ARGS)

eval-receipts: setup
	bash scripts/eval-receipts.sh

clean:
	$(CARGO) clean
