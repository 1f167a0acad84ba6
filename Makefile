# netmedic.network: one Makefile for operators and developers.
#   make preflight   set up and audit this machine (README, first command)
#   make test        install what is missing and run every test stage (README, second command)
SHELL := /bin/bash
.DEFAULT_GOAL := help

# ansible-core 2.21 needs Python 3.12+ on the controller (Debian 12's python3 is 3.11):
# tests/tools/find-python looks on PATH, then in pyenv's versions.
PYTHON  ?= $(or $(shell tests/tools/find-python 3.13 3.12),python3)
VENV    ?= $(CURDIR)/.venv
BIN     := $(VENV)/bin
DEV     := $(CURDIR)/build/dev
STAGE   := $(CURDIR)/tests/stage
export ANSIBLE_COLLECTIONS_PATH := $(DEV):$(CURDIR)/build/collections
export ANSIBLE_ROLES_PATH := $(CURDIR)/roles
export ANSIBLE_FORCE_COLOR := 0
export PATH := $(BIN):$(PATH)
export CONTAINERS_CONF := $(CURDIR)/tests/lab/containers.conf

APT_PACKAGES := $(shell sed -e 's/\#.*//' tests/system-packages.txt)

.PHONY: help
help:
	@echo "make preflight    set up (venv, collection) and audit this machine"
	@echo "make test         everything CI runs: unit, sanity, matrix, lint, galaxy-importer, docsite, integration, molecule"
	@echo "make unit | integration | molecule | sanity | matrix | lint | galaxy-importer | docsite | bench | rr-lab | frr-versions | frr-corpus | frr-vrf"
	@echo "make docs         regenerate docs/roles.md and the audit table of the preflight module's docs"
	@echo "make lab-image | lab-up | lab-down"
	@echo "make demo         a lab with every incident: preflight, remediate, postflight, preflight (docs/demo.md)"

# ---------------------------------------------------------------- setup
.PHONY: system-packages-min system-packages venv venv-test dev-link
system-packages-min:
	@command -v $(PYTHON) >/dev/null && $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))' || \
	  { echo "ansible-core 2.21 needs Python 3.12 or newer on the controller; $(PYTHON) is $$($(PYTHON) -V)."; \
	    echo "Install one (Debian 13: python3; pyenv install 3.13) or run: make PYTHON=/path/to/python3.13 ..."; exit 1; }

system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "system packages: all present"; fi

$(BIN)/ansible-playbook: requirements.txt requirements.lock
	$(MAKE) system-packages-min
	@# a venv of an older Python (the 2.19 era's 3.11) cannot take ansible-core 2.21: start again
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))'; then \
	  echo "$(VENV) has $$($(BIN)/python -V): recreating it with $(PYTHON)"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -c requirements.lock
	touch $@

venv: $(BIN)/ansible-playbook

$(BIN)/molecule: requirements-test.txt requirements.lock $(BIN)/ansible-playbook
	$(BIN)/pip install -q -r requirements-test.txt -c requirements.lock
	touch $@

venv-test: $(BIN)/molecule

dev-link:
	@mkdir -p $(DEV)/ansible_collections/netmedic
	@ln -sfn $(CURDIR) $(DEV)/ansible_collections/netmedic/network

.PHONY: setup build install
setup: venv dev-link

VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
build: venv
	@mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build/ .

# The built tarball, installed the way a user would install it.
install: build
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/installed $(BIN)/ansible-galaxy collection install --force \
	  -p build/installed build/netmedic-network-$(VERSION).tar.gz

# A build context for an AWX / AAP execution environment (ansible-builder).
.PHONY: ee-context
ee-context: build venv-test
	@mkdir -p build/ee && cp $$(ls -t build/netmedic-network-*.tar.gz | head -n1) build/ee/netmedic-network.tar.gz
	$(BIN)/ansible-builder create -f execution-environment.yml -c build/ee/context --output-filename Containerfile

# ---------------------------------------------------------------- the main job
.PHONY: preflight
preflight: install
	@# no inventory on purpose (this machine): not worth a warning
	cd build && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/installed ANSIBLE_LOCALHOST_WARNING=false \
	  ANSIBLE_INVENTORY_UNPARSED_WARNING=false $(BIN)/ansible-playbook \
	  -e preflight_report_dir=$(CURDIR)/netmedic-reports $(PREFLIGHT_ARGS) netmedic.network.preflight

# ---------------------------------------------------------------- generated docs
# docs/roles.md from the roles' argument specs; the audit table in plugins/modules/preflight.py
# (ansible-doc netmedic.network.preflight) from plugins/module_utils/core/registry.py.
.PHONY: docs
docs: venv dev-link
	$(BIN)/python tests/tools/role_docs.py
	$(BIN)/python tests/tools/audit_docs.py

# ---------------------------------------------------------------- tests
.PHONY: test test-setup unit integration molecule sanity matrix lint galaxy-importer docsite bench
TEST_STAGES := unit sanity matrix lint galaxy-importer docsite integration molecule

# Setup must succeed; then every stage runs (a red stage does not hide the others),
# each printing its wall time, and the exit code is non-zero if any stage failed.
test:
	@mkdir -p build && rm -f build/stage-times.txt
	@$(STAGE) setup $(MAKE) -s test-setup
	@failed=0; for s in $(TEST_STAGES); do $(STAGE) $$s $(MAKE) -s $$s || failed=$$((failed+1)); done; \
	echo; echo "stage times:"; cat build/stage-times.txt; \
	echo "stages: $$(( $(words $(TEST_STAGES)) - failed )) passed, $$failed failed"; \
	[ $$failed -eq 0 ]

test-setup: system-packages venv-test dev-link lab-image

unit: venv-test dev-link
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

# The FRR suites run on every lab FRR version (8.4.4 here, 10.3 and 10.7.1 in containers; issue 14), the three
# heaviest tests on 10.7.1 only (CI's time: tests/lab/frrfixtures.py); `make frr-versions` runs those on every
# version too. Measured on 2 cores: 10.3 adds 207 s to this stage (27 tests), its image 55 s cold, 0.4 s cached.
FRR_VERSIONS ?= 8.4,10.3,10.7
integration: venv-test dev-link
	NETMEDIC_FRR_VERSIONS=$(FRR_VERSIONS) $(BIN)/python -m pytest -q -p no:cacheprovider tests/integration

.PHONY: frr-versions
frr-versions: venv-test dev-link lab-image
	NETMEDIC_FRR_VERSIONS=8.4,10.3,10.7 NETMEDIC_FRR_HEAVY_VERSIONS=all $(BIN)/python -m pytest -q \
	  -p no:cacheprovider tests/integration/frr tests/integration/audits/test_bgp_frr_audits.py

# The FRR corpus (issue 14): every config of tests/corpus/frr/ (written by others) loaded, drifted with a seeded
# RNG, reconciled and judged by frr-reload.py --test, on every lab FRR version; a table per version and
# build/corpus-VERSION.json.  `make test` runs a seeded dozen (tests/integration/frr/test_frr_corpus.py).
# CORPUS_ARGS: e.g. --seed 7, --sample 20, --only FILE.
.PHONY: frr-corpus
frr-corpus: venv-test dev-link lab-image
	@$(BIN)/python tests/lab/release_image.py build trixie
	NETMEDIC_FRR_VERSIONS=8.4,10.3,10.7 $(BIN)/python tests/corpus/frr_corpus.py $(CORPUS_ARGS)

# FRRouting/frr#15709/#14439 (`interface X vrf Y` flapping OSPF) need a kernel VRF, which this host's kernel
# lacks: one qemu boot of the lab VM's Debian kernel with an FRR 8.4.4 rootfs (tests/lab/vm/frr_assets.py,
# build/nm-vm-frr/, about 65 s cold). Not in `make test` (its own directory, tests/integration_vm_frr).
.PHONY: frr-vrf
frr-vrf: venv-test dev-link
	$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/integration_vm_frr

# Every scenario under molecule/*/ (one per role), stopping at the first failure.
molecule: venv-test dev-link lab-image
	@for m in molecule/*/molecule.yml; do \
	  [ -e "$$m" ] || continue; s=$$(basename $$(dirname $$m)); t0=$$(date +%s); \
	  echo "== molecule scenario $$s"; \
	  if $(BIN)/molecule test -s $$s; then echo "== molecule scenario $$s passed in $$(( $$(date +%s) - t0 )) s"; \
	  else echo "== molecule scenario $$s FAILED after $$(( $$(date +%s) - t0 )) s"; exit 1; fi; \
	done

sanity: venv-test
	tests/sanity/run

# The ansible-core matrix: sanity and unit on each maintained release older than the pinned one
# (CORE:PYTHON); the pinned one (requirements.txt) is `sanity` and `unit` above, and the only one
# integration and molecule run on.
CORE_MATRIX ?= 2.20.10:3.12
matrix: venv-test dev-link
	tests/sanity/matrix $(CORE_MATRIX)

# Galaxy's importer on the built tarball, as Galaxy runs it (ansible-doc, ansible-lint, the
# galaxy.yml and README checks); ansible-test in a container is left out (tests/galaxy-importer.cfg).
galaxy-importer: build venv-test
	@rm -rf build/importer && mkdir -p build/importer/home
	@# a HOME of its own: ansible-lint would otherwise also resolve modules from whatever copy of the
	@# collection sits in ~/.ansible/collections (a stale one hid a new module)
	@cd build/importer && HOME=$(CURDIR)/build/importer/home GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/galaxy-importer.cfg \
	  $(BIN)/python -m galaxy_importer.main $(CURDIR)/build/netmedic-network-$(VERSION).tar.gz \
	  > log.txt 2>&1; rc=$$?; grep -v '^Loading ' log.txt; \
	  if grep -qE '^(ERROR|WARNING):' log.txt; then echo "galaxy-importer: not clean (warnings are shown on Galaxy)"; exit 1; fi; \
	  exit $$rc

# The collection's docs as the Ansible docsite renders them: antsibull-docs' lint, then the
# Sphinx site in build/docsite/build/html. Tolerated: the intersphinx inventories of
# docs.python.org and docs.ansible.com (unreachable offline) and the two labels that live there.
DOCSITE_OFFLINE := failed to reach any of the inventories|intersphinx inventory|undefined label: .(common_return_values|ansible_configuration_settings).
docsite: venv-test dev-link
	cd $(DEV)/ansible_collections/netmedic/network && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	@rm -rf build/docsite && mkdir -p build/docsite
	$(BIN)/antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir build/docsite netmedic.network >/dev/null
	$(BIN)/antsibull-docs collection --use-current --fail-on-error --dest-dir build/docsite/rst netmedic.network
	$(BIN)/sphinx-build -M html build/docsite/rst build/docsite/build -c build/docsite -q -w build/docsite/warnings.txt 2>/dev/null
	@if grep -v -E "$(DOCSITE_OFFLINE)" build/docsite/warnings.txt | grep -q .; then \
	  echo "docsite: warnings:"; grep -v -E "$(DOCSITE_OFFLINE)" build/docsite/warnings.txt; exit 1; fi
	@echo "docsite: build/docsite/build/html/index.html; $$(grep -c -E "$(DOCSITE_OFFLINE)" build/docsite/warnings.txt) warning(s) from the unreachable intersphinx inventories"

lint: venv-test dev-link
	$(BIN)/ansible-lint --profile production
	$(BIN)/antsibull-changelog lint

bench: venv-test dev-link
	@for b in tests/bench/*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Incident 002 in full (issue 15): the route-reflector lab at 300 exabgp + 40 FRR clients; `make test`
# runs the same test at 200 + 12 (tests/integration/bgp_rr/conftest.py). Timeline in build/rr-lab/.
.PHONY: rr-lab
rr-lab: venv-test dev-link
	NM_RR_CLIENTS=300 NM_RR_FRR_CLIENTS=40 NM_RR_FREEZES=2 $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/integration/bgp_rr

# ---------------------------------------------------------------- the lab (tests/lab/)
.PHONY: lab-image lab-up lab-down
# The lab images (rebuilt only when tests/lab/image-packages*.txt or their script change): bookworm, and
# trixie (FRR 10.3) and forky (FRR 10.7.1) for the FRR suites (tests/lab/release_image.py),
# and containers.podman/ansible.posix from the ansible wheel (no Galaxy here).
lab-image: venv-test dev-link
	@tests/lab/build-image.sh
	@$(BIN)/python tests/lab/release_image.py build trixie forky
	@tests/lab/install-podman-collection.sh

# A lab that stays up: nmlab-dev-h1, nmlab-dev-h2 on nmlab-dev-net (LAB_HOSTS=N for more).
lab-up: lab-image
	@$(BIN)/python tests/lab/lab.py up --hosts $(or $(LAB_HOSTS),2)

# Remove every container and network labelled netmedic-lab (any run, any area).
lab-down:
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) tests/lab/lab.py down

# ---------------------------------------------------------------- the demo (tests/demo/demo.py, docs/demo.md)
.PHONY: demo demo-down
# A lab in network namespaces with each incident's condition, then preflight, remediate
# (dry run, then for real), postflight and preflight again; torn down at the end (about 80 s, root).
demo: system-packages venv dev-link
	$(BIN)/python tests/demo/demo.py $(DEMO_ARGS)

# Remove what a killed demo left behind (nmdemo-* namespaces, FRR pathspaces, tincd, work dirs).
demo-down:
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) tests/demo/demo.py --down
