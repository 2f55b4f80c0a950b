# S&OP Portal — two commands: `make run` and `make test`.
# Everything else here is what those two need on a fresh Debian machine with Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint system-redis system-chromium setup clean-var

run: setup system-redis
	$(BIN)/python -m sop.dev.stack run

test: setup system-redis system-chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required: install python3.11 (Debian: apt-get install python3 python3-venv)."; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "Cannot create a virtualenv: install Debian's python3-venv (sudo apt-get install python3-venv)."; exit 1; fi; }
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# Redis: only needed as a binary when no REDIS_URL is given (the dev stack and the tests start it).
system-redis:
	@if [ -z "$$REDIS_URL" ] && ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian's redis-server..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	    systemctl disable --now redis-server >/dev/null 2>&1 || true; \
	  else echo "redis-server is missing: install it (sudo apt-get install redis-server) or set REDIS_URL."; exit 1; fi; fi

# Chromium for the browser tests (Playwright drives Debian's binary; nothing is downloaded at run time).
system-chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian's chromium..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install it (sudo apt-get install chromium)."; exit 1; fi; fi

clean-var:
	rm -rf var/
