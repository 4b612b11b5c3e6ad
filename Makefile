# jampy.deploy: `make demo` runs the main job on an embedded default, `make test` runs the
# whole test-suite. Both set up what they need (venv, services, Jam.py) on a fresh machine.
SHELL := /bin/bash
BASE_PYTHON ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
CACHE := .cache
COLLECTION_LINK := $(CACHE)/collections/ansible_collections/jampy/deploy
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test pytest unit services venv collection jam sanity lint molecule lock changelog clean

# The demo application of Jam.py $(JAM) (7.0.120 unless told: make demo JAM=5.4.136).
JAM ?= 7.0.120
demo: venv collection jam
	$(VENV)/bin/ansible-playbook playbooks/demo.yml -e demo_jam_version=$(JAM)

# Every stage runs even when an earlier one failed; a verdict line per stage at the end.
test: venv collection jam services
	bash scripts/test-stages.sh pytest molecule sanity lint

pytest: venv collection jam
	$(PY) -m pytest tests -n 2 --dist loadgroup --durations=15

# Whole deployments on this host (needs root): see scripts/molecule.sh.
molecule: venv collection jam services
	bash scripts/molecule.sh

# ansible-lint, production profile, on everything Ansible in the collection. A HOME of its
# own: a copy of the collection that molecule installs in ~/.ansible would shadow this checkout.
lint: venv collection
	mkdir -p $(CACHE)/lint-home
	HOME=$(CURDIR)/$(CACHE)/lint-home $(VENV)/bin/ansible-lint --offline --profile production roles/ playbooks/ extensions/

# ansible-test sanity (offline bootstrap of its pip, see scripts/sanity.sh).
sanity: venv
	bash scripts/sanity.sh

unit: venv collection
	$(PY) -m pytest -m unit

# The venv holds exactly requirements/dev.lock (hash-checked), made anew when a lock changes.
venv: $(VENV)/.complete
$(VENV)/.complete: requirements/dev.lock roles/project/files/locks/bootstrap.txt scripts/venv-from-lock.sh
	@test -x $(BASE_PYTHON) || { echo "$(BASE_PYTHON) is missing: install python3 and python3-venv (apt-get install python3-venv)"; exit 1; }
	@if [ "$$(id -u)" = 0 ] && ! dpkg-query -W -f='$${Status}' libmariadb-dev 2>/dev/null | grep -q "ok installed"; then \
	  echo "venv: installing libmariadb-dev and pkg-config (mysqlclient compiles against them)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libmariadb-dev pkg-config python3-venv >/dev/null; fi
	bash scripts/venv-from-lock.sh $(BASE_PYTHON) $(VENV) requirements/dev.lock
	touch $@

# Resolve requirements/*.in again into the locks (a deliberate upgrade): see scripts/lock.sh.
lock:
	bash scripts/lock.sh

# CHANGELOG.rst from changelogs/fragments (add a fragment, then run this): see scripts/changelog.sh.
changelog: venv
	bash scripts/changelog.sh

# The repository is the collection root; Ansible finds it through this link.
collection: $(COLLECTION_LINK)
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

# Every supported Jam.py release from PyPI (5.4.136, the reference; 5.5.4; 7.0.120), each in a
# venv of its own made from the project role's locks, and its sdist (the demo app).
jam: venv
	$(PY) -c "from tests.harness import jamenv; [print('Jam.py', j, 'ready in', j.python(), 'sdist', j.sdist_root()) for j in jamenv.ALL]"

services:
	bash scripts/services.sh

clean:
	rm -rf $(VENV) $(CACHE) tests/output
