# confine.hardening - the two commands are `make demo` and `make test`.
# Both set up what they need on a fresh Debian 12 machine (apt packages, the venv,
# the container engine) before they run.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export PATH := $(VENV)/bin:$(PATH)

.PHONY: help deps venv engine images demo test unit integration lint sanity clean bench-audit bench-syscalls

help:
	@echo "make demo   - render, install and prove the example profiles (see README)"
	@echo "make test   - every test: lint, sanity, unit, integration, molecule on the lab host"
	@echo "make bench-rerun - benchmark the idempotent re-run cost (docs/benchmarks.md)"
	@echo "make bench-audit - benchmark the audit-log parser on a generated 1 GiB log beside ausearch"
	@echo "                   (docs/benchmarks.md; more options: make bench-audit ARGS=--help)"
	@echo "make bench-syscalls - what each profile costs hot syscalls and redis, beside unconfined, an allow-all"
	@echo "                   filter and Docker's builtin; BPF instruction counts (docs/benchmarks.md)"

deps:
	@scripts/install-deps.sh

$(VENV)/.stamp: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(VENV)/.stamp

engine: deps
	@scripts/engine-up.sh

images: engine
	@tests/integration/images.sh

demo: deps venv images
	@scripts/demo.sh

unit: venv
	@$(PYTEST) -q tests/unit

integration: deps venv engine images
	@$(PYTEST) -q tests/integration

lint: venv
	@ansible-lint --profile production

sanity: deps venv
	@scripts/sanity.sh

# lint, sanity, unit and integration beside the lab scenarios (scripts/test.sh)
test:
	@scripts/test.sh

bench-rerun: deps venv lab-image
	lab/with-lab.sh $(VENV)/bin/python bench/rerun_cost.py

# installs auditd (for ausearch) when ausearch is missing; no lab host needed
bench-audit: venv
	$(PY) bench/audit_parse.py $(ARGS)

bench-syscalls: deps venv engine
	$(PY) bench/syscall_cost.py $(ARGS)

clean:
	rm -rf build .pytest_cache

# --- the lab host (a Debian VM with AppArmor under QEMU) ---
# PLATFORM=debian12 (the default), debian13 or debian12-arm64 (lab/platforms.sh), for lab-image and lab-up
.PHONY: lab-image lab-up lab-ssh lab-down molecule bench-rerun
LAB_ENV = $(if $(PLATFORM),LAB_PLATFORM='$(PLATFORM)' )
lab-image: deps
	@$(LAB_ENV)lab/build-image.sh

lab-up: deps
	@$(LAB_ENV)lab/up.sh

lab-ssh:
	@lab/ssh.sh

lab-down:
	@lab/down.sh

molecule: deps venv images lab-image
	@molecule test
	@molecule test -s fleet
	@LAB_PLATFORM=debian13 lab/build-image.sh >/dev/null
	@molecule test -s debian13
	@LAB_PLATFORM=debian12-arm64 lab/build-image.sh >/dev/null
	@molecule test -s arm64
	@$(PYTEST) -q tests/lab
