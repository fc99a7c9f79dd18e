# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils postgresql

.PHONY: run test lint clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	./scripts/system-packages.sh $(RUN_PACKAGES)
	$(BIN)/pybabel -q compile -f -d survey_app/translations
	SURVEY_APP_DEMO=1 $(BIN)/survey-app init-db
	SURVEY_APP_DEMO=1 $(BIN)/survey-app seed-demo --if-empty
	SURVEY_APP_DEMO=1 $(BIN)/survey-app run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	./scripts/system-packages.sh $(TEST_PACKAGES)
	$(BIN)/pybabel -q compile -f -d survey_app/translations
	$(BIN)/ruff check survey_app tests
	$(BIN)/ruff format --check --quiet survey_app tests
	$(BIN)/pytest -n auto --maxprocesses 4

lint: $(VENV)/.installed-test
	$(BIN)/ruff check survey_app tests
	$(BIN)/ruff format --check survey_app tests

clean:
	rm -rf $(VENV) build *.egg-info

# After adding user-facing strings: merge them into the Indonesian catalogue,
# translate the new entries in messages.po, then `make test` compiles it.
translations: $(VENV)/.installed
	$(BIN)/python scripts/translations.py
