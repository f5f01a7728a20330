# Coffer — the two commands a newcomer needs: `make run` and `make test`.
# Every target installs what is missing first (scripts/setup.sh is idempotent and quick when warm).

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: setup build run demo check test test-long screenshots bindings lint bench eval-receipts clean app

setup:
	@bash scripts/setup.sh

# The desktop app (src-tauri) embeds the built front end, so scripts/app-*.sh build it, after
# the npm install and the Vite build; `make build` leaves the app out.
WORKSPACE = --workspace --exclude coffer-app
# One target directory for the app and the rest, so shared dependencies compile once.
APP_ENV = CARGO_TARGET_DIR=$(CURDIR)/target
# Every step of `make test` builds (or reuses) the same selection: the whole workspace with its
# tests. A narrower one (`-p coffer-app`, `--exclude coffer-app`, no --tests) would enable other
# features of the shared dependencies and compile hundreds of crates again (scripts/app-build.sh).
# No incremental caches either: they were a third of a cold test build's disk and a fresh
# checkout (CI) never reuses them.
TEST_ENV = $(APP_ENV) APP_BUILD_TESTS=1 CARGO_INCREMENTAL=0

build: setup
	$(CARGO) build $(WORKSPACE) --bins

# Builds and opens the desktop app on your vault ($COFFER_VAULT, else the platform data dir).
run: setup
	$(APP_ENV) bash scripts/app-run.sh

app: run

# A guided walk through the `coffer` command on a throwaway demo vault.
demo: build
	@bash scripts/demo.sh

# Every test, from one build, in two lanes at once (scripts/test-lanes.sh): the workspace's Rust
# tests with the services some of them need (started on 127.0.0.1 and stopped again; the app's
# Tauri commands under the mock runtime among them), and beside them the share page in headless
# Chromium, then the app's front end (Vitest) and the real window under Xvfb via WebDriver.
test: setup
	$(TEST_ENV) bash scripts/app-build.sh --e2e
	$(TEST_ENV) bash scripts/test-lanes.sh

# The edit-test loop (under 3 minutes warm): formatting, clippy and the unit tests of every
# crate but the app (whose build needs the front end; `make lint` and `make test` cover it).
check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(WORKSPACE) --all-targets -- -D warnings
	$(CARGO) test $(WORKSPACE) --lib --bins

# The long runs, run before work on what they cover is called done: every test of `make test`
# and the ignored ones (`#[ignore = "long: ..."]`: 100-trial crash tests, long fuzzing, 1 GiB
# exports), with COFFER_LONG=1 for the tests that have a short and a long form.
test-long: setup
	$(TEST_ENV) bash scripts/app-build.sh --e2e
	$(TEST_ENV) COFFER_LONG=1 bash scripts/with-test-services.sh $(CARGO) test --workspace --no-fail-fast -- --include-ignored

# `make test` writes the app's screenshots under target/screenshots/; this refreshes the ones
# in docs/ from a new end-to-end run, on purpose.
screenshots: setup
	$(TEST_ENV) bash scripts/app-e2e.sh
	cp target/screenshots/*.png docs/screenshots/

# The window's TypeScript types (ui/src/lib/bindings.ts) are generated from the Rust types of
# the commands; after changing one, this rewrites the file (a test of `make test` fails until).
bindings: setup
	npm --prefix ui run build --silent
	$(TEST_ENV) COFFER_WRITE_BINDINGS=1 $(CARGO) test --workspace --lib -- bindings::

# The app embeds the built front end, so it is built before clippy looks at the workspace.
lint: setup
	$(CARGO) fmt --all -- --check
	bash scripts/app-setup.sh
	npm --prefix ui run build --silent
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: setup
	$(CARGO) build --release -p coffer-cli -p coffer-server -p coffer-bench
	OMP_THREAD_LIMIT=1 ./target/release/coffer-bench $(BENCH_ARGS)

eval-receipts: setup
	bash scripts/eval-receipts.sh $(DATA)

clean:
	$(CARGO) clean
