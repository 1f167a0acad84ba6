"""The bmc area's parsers against the YAML cases in fixtures/bmc_parse_cases.yml (published captures
among them, see fixtures/bmc_published/README.md)."""

import os

import pytest
import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bmc import dell, lenovo, supermicro
from ansible_collections.netmedic.network.plugins.module_utils.bmc import parse as P

with open(os.path.join(FIXTURES, "bmc_parse_cases.yml"), encoding="utf-8") as fh:
    CASES = yaml.safe_load(fh)


def text_of(case):
    if "file" in case:
        with open(os.path.join(FIXTURES, case["file"]), encoding="utf-8") as fh:
            return fh.read()
    return case["text"] if "text" in case else case["data"]


def cases(section):
    return [pytest.param(c, id=c["name"]) for c in CASES[section]]


def check(case, func):
    if "error" in case:
        with pytest.raises(P.IpmiParseError, match=case["error"]):
            func(text_of(case))
        return None
    return func(text_of(case))


def as_lists(value):
    return [list(v) if isinstance(v, tuple) else v for v in value]


@pytest.mark.parametrize("case", cases("mc_info"))
def test_mc_info(case):
    info = check(case, P.parse_mc_info)
    if info is not None:
        got = info.to_dict()
        assert {k: got[k] for k in case["expect"]} == case["expect"]


@pytest.mark.parametrize("case", cases("raw"))
def test_raw_response(case):
    got = check(case, P.parse_raw_response)
    if "expect" in case:
        assert got == case["expect"]


@pytest.mark.parametrize("case", cases("completion_code"))
def test_completion_code(case):
    assert P.parse_completion_code(text_of(case)) == case["expect"]


@pytest.mark.parametrize("case", cases("classify"))
def test_classify_error(case):
    assert P.classify_error(text_of(case)) == case["expect"]


@pytest.mark.parametrize("section,func", [("supermicro_x9", supermicro.decode_x9),
                                          ("supermicro_x8", supermicro.decode_x8)])
def test_supermicro(section, func):
    for case in CASES[section]:
        got = check(case, func)
        if "expect" in case:
            assert got == case["expect"], case["name"]


@pytest.mark.parametrize("case", cases("dell_lan_get"))
def test_dell_lan_get(case):
    got = check(case, dell.parse_lan_get)
    if "expect" in case:
        assert as_lists(got) == case["expect"]


@pytest.mark.parametrize("case", cases("dell_12g_bytes"))
def test_dell_12g_bytes(case):
    got = check(case, dell.decode_12g)
    if "expect" in case:
        assert as_lists(got) == case["expect"]


@pytest.mark.parametrize("case", cases("lenovo_port"))
def test_lenovo_port(case):
    got = check(case, lenovo.decode)
    if "expect" in case:
        assert as_lists(got) == case["expect"]


@pytest.mark.parametrize("mode", P.MODES)
def test_supermicro_set_data_round_trips_through_the_decoder(mode):
    data = supermicro.set_data(mode)
    assert data[:2] == [0x0C, 0x01] and supermicro.decode_x9(data[2:]) == mode


def test_supermicro_set_data_rejects_unknown_modes():
    with pytest.raises(ValueError):
        supermicro.set_data("auto")


@pytest.mark.parametrize("name,gen", [("X11DPT", "X11"), ("X9SCV-LN4F+", "X9"), ("H12SSL-i", "H12"),
                                      ("X13SEI-TF", "X13"), ("Unknown (0x964)", None), ("", None),
                                      ("X11SPM-T(P)F", "X11"), ("B8DTT-AI034", "B8")])
def test_board_generation_from_the_product_name(name, gen):
    assert supermicro.board_generation(name) == gen
