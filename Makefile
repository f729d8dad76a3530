# hmskort: `make run` serves the embedded default; `make test` runs the whole suite.
# Setup steps run only when their inputs change (stamp files under .venv/ and node_modules/).

PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
BIN := $(VENV)/bin
# Development commands run with DEBUG on unless told otherwise; the tests always with it off.
export DEBUG ?= 1
APPS := accounts alerts api audit backoffice cards checks companies integrations orders people portal registries site

.PHONY: run serve test lint format messages _messages install consumer clean mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

var/.compiled: $(VENV)/.installed $(shell find src/hmskort -name '*.po' 2>/dev/null)
	mkdir -p var
	cd src/hmskort && ../../$(BIN)/hmskort compilemessages --ignore 'node_modules' -v 0
	touch $@

# Development settings for every command run from this checkout (`.venv/bin/hmskort …`): written
# once, never overwritten, ignored by git. Real environment variables take precedence over it.
.env:
	@umask 077 && $(PYTHON) -c 'import secrets; print("# Written by `make install` for development on this checkout; not for production.\n# Real environment variables take precedence over these lines.\nDEBUG=1\nSECRET_KEY=" + secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@echo "wrote .env (development settings for this checkout)"

install: .env $(VENV)/.installed node_modules/.installed var/.compiled

run: install
	$(BIN)/hmskort migrate --noinput -v 0
	@test -f var/demo.json || $(BIN)/hmskort demo
	$(BIN)/hmskort run_huey --quiet > var/huey.log 2>&1 & echo $$! > var/huey.pid
	trap 'kill $$(cat var/huey.pid) 2>/dev/null' EXIT INT TERM; \
	$(BIN)/hmskort runserver 127.0.0.1:$(PORT)

# Production serving: gunicorn with DEBUG off, configured by src/hmskort/gunicorn_conf.py (which
# refuses to start without SECRET_KEY or DATABASE_URL). The checkout's development .env is not
# read; name a file with HMSKORT_ENV_FILE if the settings live in one. See docs/deploy.md.
serve: install
	@export DEBUG=0 HMSKORT_ENV_FILE="$${HMSKORT_ENV_FILE-}"; \
	$(BIN)/python -m hmskort.preflight && \
	$(BIN)/hmskort collectstatic --noinput -v 0 && \
	exec $(BIN)/gunicorn --config python:hmskort.gunicorn_conf --bind $(HOST):$(PORT) hmskort.wsgi

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy
	DEBUG=0 $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

# Mutation testing of the core rules, identifiers, card numbers and the access check (slow, CPU
# heavy: not part of `make test`). One module at a time: `make mutate MODULES=identifiers`.
mutate: install
	$(BIN)/python tools/mutate.py $(MODULES)

lint: install
	$(BIN)/ruff check src tests bench

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Extract translatable strings: one catalogue per app, one for the project's own templates.
# No source locations in the catalogues (`--no-location`), and a catalogue whose only change is
# its POT-Creation-Date is put back as it was (tools/keep_po_dates.py): a run that finds no new
# text changes no file, so branches do not conflict over catalogues they did not touch.
MAKEMESSAGES := makemessages -l nb --no-obsolete --no-location -v 0
messages: install
	$(BIN)/python tools/keep_po_dates.py src/hmskort -- $(MAKE) --no-print-directory _messages

_messages:
	for app in $(APPS); do \
	  (cd src/hmskort/$$app && mkdir -p locale && ../../../$(BIN)/hmskort $(MAKEMESSAGES)) || exit 1; \
	done
	cd src/hmskort && ../../$(BIN)/hmskort $(MAKEMESSAGES) $(foreach app,$(APPS),--ignore '$(app)/*')

clean:
	rm -rf $(VENV) node_modules var
