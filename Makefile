# Every target installs what it needs first, so each works on a fresh machine.
# Python 3.11, Node 20 (npm) and a C toolchain are assumed; nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: run test preview synth setup up benchmarks clean

run: setup  ## The main job: local cloud up, stacks deployed, the notebook's five trials run, report written, cloud stopped
	$(VENV)/bin/python -m local_cloud demo

up: setup  ## Local cloud up with the stacks deployed, until Ctrl-C (then use `python -m ops` against it)
	$(VENV)/bin/python -m local_cloud up

test: setup  ## Infra (synth, snapshots, nag, cfn-lint, checkov), jobs, Lambdas, CLI, local cloud, end to end
	$(VENV)/bin/python -m pytest -n 2 --dist loadgroup -q

preview: setup  ## Synthesize both stacks (cdk-nag runs), lint them, print what would be deployed
	npx cdk synth --quiet
	$(VENV)/bin/cfn-lint --config-file .cfnlintrc.yaml cdk.out/*.template.json
	$(VENV)/bin/python -m infra.preview cdk.out

synth: setup
	npx cdk synth --quiet

setup: $(VENV)/.installed node_modules/.installed .venv-checkov/.installed .wheels/lambda/requirements.txt

$(VENV)/.installed: requirements.txt requirements-dev.txt jobs/requirements.txt lambdas/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The functions' pinned wheels for their runtime (Python 3.14, arm64), downloaded once per
# lambdas/requirements.txt; synth bundles them into the functions' code package from here, offline.
.wheels/lambda/requirements.txt: lambdas/requirements.txt $(VENV)/.installed
	$(VENV)/bin/python -m infra.lambda_bundle download

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.venv-checkov/.installed: requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install -q --disable-pip-version-check -r requirements-checkov.txt
	touch $@

benchmarks: setup  ## Print the figures quoted in the README (several minutes)
	$(VENV)/bin/python -m benchmarks.jobs_throughput
	$(VENV)/bin/python -m benchmarks.cleanup_benchmark
	$(VENV)/bin/python -m benchmarks.local_pipeline

clean:
	rm -rf cdk.out .pytest_cache .local-cloud
