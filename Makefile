# make demo: build .venv if missing, then run the embedded LRRL-DQN CartPole demo.
# make test: build .venv if missing, then run the test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast venv clean-venv

venv: $(STAMP)

$(STAMP): setup.py constraints.txt Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,minatar,mujoco]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m lrrl.demo

test: $(STAMP)
	$(BIN)/python -m pytest

# The fast tests only (no end-to-end training).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m 'not slow'

clean-venv:
	rm -rf $(VENV)
