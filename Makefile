# Everything bootstraps itself: a fresh machine needs only Python 3.11, pip, git and make.
SHELL := /bin/bash
PYTHON ?= python3
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
SAM := .sam/bin/sam
CHECKOV := .checkov/bin/checkov
export PYTHONPATH := $(CURDIR)/shared:$(CURDIR)/local:$(CURDIR)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: run test lint typecheck template-check checkov build unit integration openapi bench eval invoke import reindex deploy deploy-site screenshots clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

# The plain AWS CLI (v1, from PyPI) for talking to the local stack; kept beside uv, away from boto3.
AWS := .tools/bin/aws
$(AWS): $(UV)
	.tools/bin/pip install --quiet --disable-pip-version-check awscli==1.46.3

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

# SAM CLI lives in its own environment: it pins boto3 and must not shape the runtime's dependencies.
$(SAM): $(UV) tools/sam-requirements.lock
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .sam
	$(UV) pip install --quiet --python .sam/bin/python -r tools/sam-requirements.lock
	touch $@

# checkov too: it pins dozens of packages (boto3 among them); hashed lock from `uv pip compile --generate-hashes`.
$(CHECKOV): $(UV) tools/checkov-requirements.lock
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .checkov
	$(UV) pip install --quiet --require-hashes --python .checkov/bin/python -r tools/checkov-requirements.lock
	touch $@

## make run [ARGS=--json-logs]: the whole system locally, a process per function (AWS on :5000, API on :3000)
run: $(VENV)/.synced $(AWS)
	$(PY) -m steppewire_local run $(ARGS)

## make test: lint, types, template checks (cfn-lint, sam validate, checkov), sam build, unit and integration tests
# The static checks and the build are single-threaded: they run two at a time (output kept per check).
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck template-check checkov build
	$(PY) -m pytest

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

template-check: $(VENV)/.synced $(SAM)
	$(VENV)/bin/cfn-lint template.yaml
	AWS_EC2_METADATA_DISABLED=true $(SAM) validate --lint --template template.yaml

# Settings and the reasoned skip list: .checkov.yaml; the project's own checks: tools/checkov/.
checkov: $(CHECKOV)
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV) --config-file .checkov.yaml

build: $(SAM)
	$(SAM) build --template template.yaml --build-dir .aws-sam/build

unit: $(VENV)/.synced
	$(PY) -m pytest tests/unit

integration: $(VENV)/.synced
	$(PY) -m pytest tests/integration

## make openapi: regenerate the committed OpenAPI document from the routes
openapi: $(VENV)/.synced
	$(PY) tools/export_openapi.py

## make bench: cold starts and search cost and speed, as ratios against baselines measured in the same run
bench: $(VENV)/.synced
	$(PY) bench/run.py

## make eval: search quality on Cranfield and a generated typo set against bm25s, read cost per query class
eval: $(VENV)/.synced
	$(PY) bench/search_eval.py

## make invoke FUNCTION=<LogicalId> EVENT=<file.json>: invoke one function against the running stack
## (VAR=value make invoke … overrides a variable the function declares, with a note)
invoke: $(VENV)/.synced
	$(PY) -m steppewire_local invoke $(FUNCTION) $(EVENT)

## make import WXR=<export.xml or .xml.gz>: import a WordPress export into the running stack, with progress
import: $(VENV)/.synced
	@test -n "$(WXR)" || { echo "usage: make import WXR=path/to/export.xml" >&2; exit 2; }
	$(PY) -m steppewire_local import "$(WXR)"

## make reindex: rebuild the search index of the running stack from its articles table
reindex: $(VENV)/.synced
	$(PY) -m steppewire_local invoke SearchIndexFunction events/search_reindex.json

deploy: build
	$(SAM) deploy --guided --template-file .aws-sam/build/template.yaml

## make deploy-site STACK=<stack name>: site/ to the stack's SiteBucket, with a config.json naming the edge as the API
deploy-site: $(VENV)/.synced
	@test -n "$(STACK)" || { echo "usage: make deploy-site STACK=<stack name>" >&2; exit 2; }
	$(PY) tools/deploy_site.py "$(STACK)"

## make screenshots: the site's pages at phone and desktop widths, EN and RU, into screenshots/ (needs chromium)
screenshots: $(VENV)/.synced
	$(PY) tools/screenshots.py

clean:
	rm -rf .venv .tools .sam .checkov .aws-sam .local-stack .pytest_cache .mypy_cache .ruff_cache .hypothesis
