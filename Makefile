# Deux commandes suffisent sur une machine Debian neuve : `make run` et `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/warehouse.duckdb
PORT ?= 8501

.PHONY: install dev run warehouse demo test lint format chromium bench bench-longue lock clean

install: $(VENV)/.installed            ## environnement de l'application
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

dev: $(VENV)/.dev-installed            ## + outils de test, lint et typage
$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install --quiet -r requirements-dev.lock
	touch $@

warehouse: install                     ## construit l'entrepôt par défaut s'il manque
	@test -f $(DB) || MES_DB=$(DB) $(PY) -m pipelines demo

demo: install                          ## reconstruit l'entrepôt par défaut (remplace l'existant)
	MES_DB=$(DB) $(PY) -m pipelines demo --force

ADDRESS ?= 127.0.0.1
run: warehouse                         ## sert l'application sur http://127.0.0.1:8501 (MES_MODE=local|public|interne)
	MES_DB=$(DB) $(PY) -m pipelines serve --address $(ADDRESS) --port $(PORT)

chromium:                              ## Chromium de Debian pour les tests navigateur (si root)
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				chromium chromium-driver fonts-liberation >/dev/null; \
		else echo "chromium absent : installez-le (apt-get install chromium) pour les tests navigateur"; fi; \
	fi

test: dev chromium lint                ## toute la suite, avec la couverture du code (sans seuil)
	$(PY) -m pytest $$($(PY) -c "import pytest_cov" 2>/dev/null && echo --cov=pipelines --cov=app_pages --cov-report=term)

lint: dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

ROWS ?= 1000000 10000000 30000000
bench: dev chromium                    ## banc d'essai (long ; hors `make test`) → docs/PERFORMANCE.md
	$(PY) -m benchmarks.run --rows $(ROWS)
	$(PY) -m benchmarks.floor --rows 10000000
	$(PY) -m benchmarks.monthly --rows 1000000 10000000 30000000
	$(PY) -m benchmarks.shapes --rows 10000000
	$(PY) -m benchmarks.load --sessions 20 --secondes 120 --rows 10000000
	$(PY) -m benchmarks.report

bench-longue: dev chromium             ## l'application sous charge pendant 30 minutes : sa mémoire tient-elle ?
	$(PY) -m benchmarks.load --sessions 20 --secondes 1800 --rows 10000000 --out benchmarks/results/charge_longue.json
	$(PY) -m benchmarks.report

lock:                                  ## régénère les verrous de dépendances
	$(PY) -m pip install --quiet uv
	$(PY) -m uv pip compile pyproject.toml -o requirements.lock --python-version 3.11 -q
	$(PY) -m uv pip compile pyproject.toml --extra dev -o requirements-dev.lock --python-version 3.11 -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
