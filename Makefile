# CV Lab: `make run` serves the app, `make test` runs the tests.
#
# Both work on a stock Linux Python (Debian 12, Ubuntu 24.04: PEP 668 refuses `pip install`
# into the system interpreter): they create a virtual environment in .venv with
# `python3 -m venv` when there is none (an existing .venv is reused), and install the
# requirements into it only when a requirements file changed since the last install
# (a stamp file in .venv). Nothing is installed outside .venv.
#
#   make run                              # streamlit run app.py
#   make run ARGS="--server.port 8502"    # extra streamlit options
#   make test                             # python -m pytest
#   make test ARGS="tests/unit -x"        # extra pytest arguments
#   make lint                             # ruff check . (ruff.toml)
#   make install-dev                      # only the installation
#   make PYTHON=python3.12 test           # another interpreter for a new .venv
#
# Debian/Ubuntu need `apt-get install make python3-venv` once (`chromium` too for the
# browser tests).

PYTHON ?= python3
VENV ?= .venv
ARGS ?=
BIN := $(VENV)/bin

.PHONY: run test lint install install-dev clean-venv

run: $(VENV)/.installed-app
	$(BIN)/python -m streamlit run app.py $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/python -m ruff check .

install: $(VENV)/.installed-app

install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || { \
	  echo "$(PYTHON) cannot create a virtual environment: install python3-venv" \
	       "(Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-app: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-app

clean-venv:
	rm -rf $(VENV)
