# Every target runs with the project's own virtual environment (created by `make install`).
VENV ?= .venv
PYTHON ?= $(VENV)/bin/python
export PYTHON

.PHONY: install test contract regen check-regen drill lint typecheck docs bench bench-bulk demo ci

install:
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'

test:
	$(PYTHON) -m pytest

# Every operation of the spec through the SDK against Prism, a spec-driven mock server that
# validates requests. Prism is pinned in contract/package-lock.json and installed into
# contract/node_modules (no global install; --ignore-scripts skips its analytics post-install).
contract:
	cd contract && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	$(PYTHON) -m pytest contract -q -s

regen:
	scripts/regen.sh

# Fails when generated/ is not exactly what the generator makes from the committed inputs.
check-regen: regen
	@if [ -n "$$(git status --porcelain -- generated)" ]; then \
		git status --short -- generated; \
		echo "check-regen: generated/ differs from a fresh regeneration."; \
		echo "Never edit generated/ by hand: change openapi/ or scripts/, run 'make regen', commit."; \
		exit 1; \
	fi
	@echo "check-regen: generated/ is reproducible."

# The bump drill (docs/regenerating.md): a copy of the project, tests/fixtures/bump-batches.json
# merged into its spec (20 new operations), regenerated, then the copy's whole test suite. For
# humans before a real bump; CI runs the quick part (tests/regen/test_bump_drill.py).
drill:
	$(PYTHON) tests/regen/drill.py --test

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

typecheck:
	$(PYTHON) -m mypy

# The docs site into site/ (mkdocs.yml): the guides, the README, the changelog and the API reference
# from the docstrings. Strict: a broken link or anchor, or a public name without a docstring or
# missing from the reference, fails it. NO_MKDOCS_2_WARNING hides mkdocs-material's end-of-life
# notice (docs/decisions.md says why we use it anyway).
docs:
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict

bench:
	$(PYTHON) benchmarks/run.py --markdown benchmarks/RESULTS.md

# Issue 21's acceptance runs alone (about 2.5 minutes): 10,000 files through a rate-limiting,
# failing loopback server, then a run killed halfway and resumed from its journal.
bench-bulk:
	$(PYTHON) benchmarks/run.py bulk_upload

demo:
	$(PYTHON) examples/demo.py

ci:
	bash .ci/run
