"""What Galaxy and ansible-builder read from the collection (issue 17); galaxy-importer itself runs in make test."""

import glob
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    with open(os.path.join(REPO, path)) as fh:
        return yaml.safe_load(fh)


def test_galaxy_yml_has_no_placeholder_links_and_ignores_local_output():
    galaxy = load("galaxy.yml")
    with open(os.path.join(REPO, "galaxy.yml")) as fh:
        assert "example.invalid" not in fh.read()
    assert galaxy["repository"].startswith("https://")   # galaxy-importer requires it
    for key in ("documentation", "homepage", "issues"):
        assert key not in galaxy or galaxy[key].startswith("https://"), key
    for local in ("netmedic-reports", "*.prom", ".venv", ".venv-core*", "build"):
        assert local in galaxy["build_ignore"], local


def test_every_role_has_a_readme():
    """galaxy-importer: "No role readme found"."""
    roles = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(REPO, "roles", "*", "tasks")))
    assert roles
    for role in roles:
        with open(os.path.join(REPO, "roles", role, "README.md")) as fh:
            assert fh.read().startswith("# netmedic.network.%s\n" % role)


def test_execution_environment_metadata_where_ansible_builder_finds_it():
    meta = load("meta/execution-environment.yml")
    assert meta["version"] == 1
    for path in meta["dependencies"].values():
        assert os.path.isfile(os.path.join(REPO, path)), path


def test_requires_ansible_is_the_oldest_tested_release():
    """requires_ansible says what is tested: the matrix's oldest release; the pin is the newest."""
    with open(os.path.join(REPO, "Makefile")) as fh:
        matrix = re.search(r"^CORE_MATRIX \?= (.+)$", fh.read(), re.M).group(1).split()
    oldest = min(tuple(int(x) for x in spec.split(":")[0].split(".")[:2]) for spec in matrix)
    assert load("meta/runtime.yml")["requires_ansible"] == ">=%d.%d.0" % oldest
    with open(os.path.join(REPO, "requirements.lock")) as fh:
        pinned = re.search(r"^ansible-core==(\d+)\.(\d+)\.", fh.read(), re.M).groups()
    assert tuple(int(x) for x in pinned) > oldest
    for meta in glob.glob(os.path.join(REPO, "roles", "*", "meta", "main.yml")):
        with open(meta) as fh:
            assert yaml.safe_load(fh)["galaxy_info"]["min_ansible_version"] == "%d.%d" % oldest, meta
