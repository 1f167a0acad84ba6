"""Module documentation as the Ansible ecosystem writes it (issue 17).

Attributes through the ansible.builtin.action_common_attributes fragment, with `platform`;
`requirements` as its own key (not in notes); `seealso`; a `sample` on every RETURN value,
nested ones (`contains`) included.
"""

import glob
import importlib
import os

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODULES = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
                 if not p.endswith("__init__.py"))


def docs(name):
    mod = importlib.import_module("ansible_collections.netmedic.network.plugins.modules." + name)
    return yaml.safe_load(mod.DOCUMENTATION), yaml.safe_load(mod.RETURN) or {}


def missing_samples(values, prefix=""):
    out = []
    for key, spec in (values or {}).items():
        if "sample" not in spec:
            out.append(prefix + key)
        out += missing_samples(spec.get("contains"), prefix + key + ".")
    return out


def test_modules_found():
    assert len(MODULES) >= 9


@pytest.mark.parametrize("name", MODULES)
def test_attributes_through_the_common_fragment_with_platform(name):
    doc, _ret = docs(name)
    assert "ansible.builtin.action_common_attributes" in doc.get("extends_documentation_fragment", [])
    attrs = doc["attributes"]
    assert {"check_mode", "diff_mode", "platform"} <= set(attrs), sorted(attrs)
    assert attrs["platform"]["platforms"] == "posix"
    for attr in attrs.values():
        assert attr.get("support", "N/A") in ("full", "partial", "none", "N/A")
        assert "description" not in attr, "the fragment describes the attribute; our words go in details"


@pytest.mark.parametrize("name", MODULES)
def test_requirements_and_seealso(name):
    doc, _ret = docs(name)
    assert doc.get("requirements"), "requirements: is its own key"
    assert not [n for n in doc.get("notes", []) if "Python 3" in n and "standard library" in n], \
        "the Python requirement belongs in requirements, not notes"
    assert doc.get("seealso"), "seealso names the related modules and docs"
    for ref in doc["seealso"]:
        assert ref.get("module") or ref.get("link") or ref.get("ref") or ref.get("plugin"), ref


@pytest.mark.parametrize("name", MODULES)
def test_every_return_value_has_a_sample(name):
    _doc, ret = docs(name)
    assert ret, "RETURN documents the results"
    assert missing_samples(ret) == []
