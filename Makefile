# Plugins are WebAssembly components built for wasm32-wasip2 (always optimised: argon2 in an
# unoptimised component is unusably slow); the host is a normal cargo build.
CARGO      ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
WASM_OUT   := $(TARGET_DIR)/wasm32-wasip2/release
PLUGIN_DIR := $(abspath $(TARGET_DIR)/plugins)
export LATCHKEY_PLUGIN_DIR := $(PLUGIN_DIR)
# The test peers: a Python virtual environment with the Kratos SDK and pyotp, and every npm
# package directory under tests/ (the browser driver, the OpenID provider, …).
TEST_VENV  := $(abspath $(TARGET_DIR)/test-venv)
export LATCHKEY_TEST_PYTHON := $(TEST_VENV)/bin/python
NPM_PEERS  := $(patsubst %/package-lock.json,%,$(wildcard tests/*/package-lock.json tests/peers/*/package-lock.json))

.PHONY: all plugins build run test test-deps lint bench clean-cache chromium postgresql screenshots

all: build

plugins:
	rustup target add wasm32-wasip2 >/dev/null
	# One build per set of the SDK's capability features (`password-hashing`, `outbound-http`):
	# cargo turns a feature on for every crate built in the same command, and each plugin must
	# import only the capabilities it uses, which is what `latchkey plugin check` reports.
	$(CARGO) build --release --target wasm32-wasip2 -p latchkey-hostile-fixture \
		-p latchkey-totp -p latchkey-lookup-secret -p latchkey-policy-fixture \
		-p latchkey-default-policy -p latchkey-scripted-policy
	$(CARGO) build --release --target wasm32-wasip2 -p latchkey-pin-example
	$(CARGO) build --release --target wasm32-wasip2 -p latchkey-oidc
	$(CARGO) build --release --target wasm32-wasip2 -p latchkey-password
	$(CARGO) build --release --target wasm32-wasip2 -p latchkey-code
	$(CARGO) build --release --target wasm32-wasip2 -p latchkey-link
	mkdir -p $(PLUGIN_DIR)
	cp $(WASM_OUT)/latchkey_password.wasm $(PLUGIN_DIR)/password.wasm
	cp $(WASM_OUT)/latchkey_hostile_fixture.wasm $(PLUGIN_DIR)/hostile.wasm
	cp $(WASM_OUT)/latchkey_totp.wasm $(PLUGIN_DIR)/totp.wasm
	cp $(WASM_OUT)/latchkey_lookup_secret.wasm $(PLUGIN_DIR)/lookup_secret.wasm
	cp $(WASM_OUT)/latchkey_policy_fixture.wasm $(PLUGIN_DIR)/policy_fixture.wasm
	cp $(WASM_OUT)/latchkey_default_policy.wasm $(PLUGIN_DIR)/default_policy.wasm
	cp $(WASM_OUT)/latchkey_scripted_policy.wasm $(PLUGIN_DIR)/scripted_policy.wasm
	cp $(WASM_OUT)/latchkey_pin_example.wasm $(PLUGIN_DIR)/pin.wasm
	cp $(WASM_OUT)/latchkey_oidc.wasm $(PLUGIN_DIR)/oidc.wasm
	cp $(WASM_OUT)/latchkey_code.wasm $(PLUGIN_DIR)/code.wasm
	cp $(WASM_OUT)/latchkey_link.wasm $(PLUGIN_DIR)/link.wasm

build: plugins
	$(CARGO) build -p latchkey

run: build
	$(TARGET_DIR)/debug/latchkey serve --dev

# The whole suite on SQLite, then the black-box suite again with every server on PostgreSQL.
test: plugins test-deps
	$(CARGO) test --workspace
	LATCHKEY_TEST_DATABASE=postgres $(CARGO) test -p latchkey --test blackbox

# Everything the suite drives besides the server, each prepared again only when its lock
# file changes.
test-deps: $(TEST_VENV)/.installed $(addsuffix /node_modules/.package-lock.json,$(NPM_PEERS)) chromium postgresql

$(TEST_VENV)/.installed: tests/requirements.txt
	python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

%/node_modules/.package-lock.json: %/package-lock.json
	npm ci --prefix $* --no-audit --no-fund --loglevel=error

# The browser tests drive Debian's /usr/bin/chromium (playwright-core never downloads one).
chromium:
	@command -v chromium >/dev/null || tests/install-chromium

# The storage tests and the PostgreSQL run of the suite start clusters of Debian's server.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || tests/install-postgresql

# Regenerates the pictures in docs/ui/ from the browser tests.
screenshots: plugins test-deps
	LATCHKEY_SCREENSHOT_DIR=$(CURDIR)/docs/ui $(CARGO) test -p latchkey --test blackbox browser_ui

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	# The SDK builds as a crate of its own (its WIT inside it), as plugin authors depend on it.
	$(CARGO) package -p latchkey-plugin-sdk --allow-dirty --quiet

# The server is measured as it ships: a release build next to the benchmark's own binary.
bench: plugins
	$(CARGO) build --release -p latchkey -p latchkey-bench
	$(TARGET_DIR)/release/latchkey-bench $(BENCH)
