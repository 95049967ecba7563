# Loket: `make run` to start the app, `make test` to run every check. Both set up what is missing.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
TAURI := ui/node_modules/.bin/tauri

.PHONY: setup postgres ui app server run test lint test-rust test-ui test-e2e test-api-fuzz test-faults-long bindings deb release update-test-bundles clean

setup:
	@scripts/setup.sh

## A local PostgreSQL server for the server's PostgreSQL backend tests.
postgres: setup
	@scripts/postgres.sh

## Front-end bundle embedded into the desktop binary.
ui: setup
	cd ui && npm run --silent build

## The desktop app (debug), with the front-end embedded.
app: ui
	$(CARGO) build -p loket

## The provincial server binary.
server: setup
	$(CARGO) build -p loket-server

## Start the desktop app with a local provincial server on embedded SQLite (in .loket-dev/).
## The app's data lives in the OS app-data directory unless LOKET_DATA_DIR is set. Its key is
## kept by the desktop's credential store; on a machine without a desktop session (no D-Bus,
## so no Secret Service) `make run` uses the documented key-file mode with .loket-dev/store.key.
LOKET_DEV_DIR ?= $(CURDIR)/.loket-dev
ifeq ($(strip $(DBUS_SESSION_BUS_ADDRESS)),)
run: export LOKET_KEY_FILE ?= $(LOKET_DEV_DIR)/store.key
endif
LOKET_SERVER_LISTEN ?= 127.0.0.1:8787
run: app server
	@mkdir -p $(LOKET_DEV_DIR)
	@scripts/demo-seed.sh $(LOKET_DEV_DIR)/server.sqlite3
	@./target/debug/loket-server --database $(LOKET_DEV_DIR)/server.sqlite3 serve --listen $(LOKET_SERVER_LISTEN) \
	    2>$(LOKET_DEV_DIR)/server.log & server=$$!; \
	  trap 'kill $$server 2>/dev/null' EXIT INT TERM; \
	  echo "Local provincial server on http://$(LOKET_SERVER_LISTEN) (log: $(LOKET_DEV_DIR)/server.log)"; \
	  LOKET_SERVER_URL=http://$(LOKET_SERVER_LISTEN) ./target/debug/loket

## Every check: formatting, lints, Rust tests, UI type-check and unit tests, E2E in the real window.
test: app server lint test-ui test-rust test-api-fuzz test-e2e

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-ui: setup
	cd ui && npm run --silent check && npm run --silent test

test-rust: app postgres
	$(CARGO) test --workspace --exclude loket-e2e

## Schemathesis against the live server: every response documented (scripts/api-fuzz.sh).
test-api-fuzz: server
	scripts/api-fuzz.sh

## Cross-crate tests: architecture checks, client against a real server, and the real window
## under a private Xvfb display, one test at a time.
test-e2e: app server postgres update-test-bundles
	$(CARGO) test -p loket-e2e --tests -- --test-threads=1

## Long mode of the seeded sync fault tests: 1,000 seeds on each server backend.
test-faults-long: setup postgres
	LOKET_FAULT_SEEDS=1000 $(CARGO) test --release -p loket-e2e --test sync_faults -- --nocapture

## Regenerate ui/src/lib/bindings.ts from the Rust commands and DTOs.
bindings:
	LOKET_UPDATE_BINDINGS=1 $(CARGO) test -p loket --lib bindings

## A Debian package in target/release/bundle/deb/ (unsigned; `make release` signs and publishes).
deb: ui
	TAURI_APP_PATH=src-tauri $(TAURI) build --bundles deb

## A signed release (VERSION=x.y.z SIGNING_KEY=<key file>), published to DATABASE (by default
## the `make run` server's) at ROLLOUT percent: scripts/release.sh, README "For IT".
DATABASE ?= $(LOKET_DEV_DIR)/server.sqlite3
release: ui server
	DATABASE="$(DATABASE)" scripts/release.sh

## The update test's bundles (tests/tests/updates.rs): a key made for the test, Loket N and
## N+1 as signed .deb packages (debug builds), and N+1 signed by a second, foreign key. The
## desktop binary of the other window tests is rebuilt afterwards (the bundles' builds replace it).
UPDATE_TEST_DIR := target/update-test
update-test-bundles: ui server
	scripts/update-test-bundles.sh $(UPDATE_TEST_DIR)
	$(CARGO) build -p loket

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules tests/artifacts
