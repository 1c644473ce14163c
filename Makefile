# The two commands:  make demo  (the whole fleet in simulation + dashboard)  and  make test.
# Both run the idempotent set-up first (scripts/setup.sh; a second run takes ~1 s).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench maps clean
setup:
	@bash scripts/setup.sh

demo: setup
	@$(VENV)/bin/fleet_sim

test: setup
	@$(VENV)/bin/ruff check .
	@$(PY) -m pytest

lint: setup
	@$(VENV)/bin/ruff check .

bench: setup
	@$(PY) -m bench

maps: setup
	@$(PY) scripts/make_maps.py

clean:
	rm -rf build $(VENV) .pytest_cache .ruff_cache
