# safe4c: `make run` serves the system with demo data; `make test` runs every test.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

export SAFE4C_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: setup run test test-fast audit browser bench clean

# Byte-compiled once here, not by every process that starts: where PYTHONDONTWRITEBYTECODE is set (as on our
# machines) each web process would otherwise compile ~250 modules of src/ at start-up, about 0.3 s.
setup: $(STAMP)
	@$(BIN)/python -m compileall -q src

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,bench]'
	@sh scripts/ensure-fonts
	@touch $@

run: setup
	$(BIN)/safe4c db upgrade
	$(BIN)/safe4c demo --if-empty
	$(BIN)/safe4c serve --host 127.0.0.1 --port 8000

# The browser tests need Debian's chromium; install it when we can (root with apt), never download a browser.
browser:
	@sh scripts/ensure-chromium

test: setup browser
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

audit: setup
	sh scripts/audit-dependencies $(BIN)

test-fast: setup
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) var .pytest_cache
