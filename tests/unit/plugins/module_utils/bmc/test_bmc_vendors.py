"""Per-vendor reads and writes against a scripted BMC (issue 13): Supermicro 10876/47488 and its
generations, Dell 11G to iDRAC9, Lenovo/IBM, Intel, HPE.  The same cases against the real ipmitool
and ipmi_sim profiles are in tests/integration/bmc/test_bmc_profiles.py."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bmc import lan as L
from ansible_collections.netmedic.network.plugins.module_utils.bmc import vendors as V
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import Ipmitool, Target

from support.fake_bmc import FakeBmc


def tool(bmc):
    return Ipmitool(Target(), runner=bmc, timeout=5)


def read(profile, mode="failover", generation="auto", **kw):
    bmc = FakeBmc(profile, mode=mode, **kw)
    return L.read_lan_mode(tool(bmc), generation), bmc


def ensure(profile, mode, wanted, **kw):
    bmc = FakeBmc(profile, mode=mode, **kw)
    return L.ensure_lan_mode(tool(bmc), wanted, sleep=lambda s: None), bmc


def commands(bmc):
    return [" ".join(bmc.args(c)) for c in bmc.calls]


# ---------------------------------------------------------------- vendor ids

@pytest.mark.parametrize("manufacturer,vendor", [(10876, "supermicro"), (47488, "supermicro"), (674, "dell"),
                                                 (19046, "lenovo"), (20301, "lenovo"), (2, "lenovo"),
                                                 (343, "intel"), (11, "hpe"), (7244, "other"), (0, "other")])
def test_vendor_of_every_cited_id(manufacturer, vendor):
    assert V.vendor_of(manufacturer) == vendor


def test_supermicro_47488_is_supermicro_and_fixable():
    """Issue 13: boards answering 47488 (0xB980) were vendor 'other', mode unknown, NM-BMC-003."""
    r, bmc = read("supermicro-47488")
    assert (r.vendor, r.mode, r.method) == ("supermicro", "failover", "supermicro-x9")
    assert "47488" in r.why and "Supermicro" in r.why and r.settable == ("dedicated", "shared", "failover")
    out, bmc = ensure("supermicro-47488", "failover", "dedicated")
    assert out.changed and bmc.state == "dedicated" and bmc.sets == ["dedicated"]


# ---------------------------------------------------------------- every read says how it knows

@pytest.mark.parametrize("profile", ["supermicro", "supermicro-47488", "supermicro-x8", "dell-11g", "dell-12g",
                                     "dell-13g", "idrac9", "lenovo", "intel"])
def test_every_read_says_vendor_generation_form_and_why(profile):
    r, _bmc = read(profile, mode="shared")
    assert r.known, r.reason
    assert r.vendor and r.generation and r.form.startswith("ipmitool ") and r.why
    assert str(r.manufacturer_id) in r.why or "674" in r.why


# ---------------------------------------------------------------- Supermicro generations

def test_x9_form_is_decided_by_the_boards_answer_and_its_product_id():
    r, bmc = read("supermicro")
    assert r.generation == "X11, X9+ command form" and r.form == "ipmitool raw 0x30 0x70 0x0c 0x00"
    assert "answered the X9+ get with one byte, 02 = failover" in r.why
    assert "product id 0x0937 is not on ipmitool's X8-family list" in r.why
    assert commands(bmc) == ["mc info", "raw 0x30 0x70 0x0c 0x00"]


def test_x8_is_read_but_never_written():
    r, bmc = read("supermicro-x8")
    assert (r.mode, r.method, r.settable) == ("failover", "supermicro-x8", ())
    assert "refused with 0xc7" in r.why and "disagree" in r.not_settable
    with pytest.raises(L.LanModeRefused, match="never writes the X8 form"):
        ensure("supermicro-x8", "failover", "dedicated")


def test_x8_form_never_goes_out_even_when_the_operator_names_the_generation():
    bmc = FakeBmc("supermicro-x8")
    with pytest.raises(L.LanModeRefused):
        L.ensure_lan_mode(tool(bmc), "dedicated", generation="x8")
    assert bmc.sets == [] and not [c for c in commands(bmc) if "0x0c 0x01" in c]


def test_a_board_on_the_x8_list_that_speaks_the_x9_form_is_not_written_unless_the_operator_says_x9():
    """The published X9SCV-LN4F+ answers product id 0x061e, which ipmitool lists among X8-family boards."""
    r, _bmc = read("supermicro-47488-x9scv")
    assert r.mode == "failover" and r.settable == () and "0x061e is on ipmitool's X8-family list" in r.not_settable
    with pytest.raises(L.LanModeRefused):
        ensure("supermicro-47488-x9scv", "failover", "dedicated")
    bmc = FakeBmc("supermicro-47488-x9scv")
    out = L.ensure_lan_mode(tool(bmc), "dedicated", generation="x9")
    assert out.changed and bmc.state == "dedicated"


def test_generation_x9_does_not_fall_back_to_x8():
    r, bmc = read("supermicro-x8", generation="x9")
    assert r.mode == "unknown" and "0xc7" in r.reason and len(bmc.calls) == 2


def test_invalid_command_is_unknown_not_an_error():
    r, _bmc = read("supermicro-nooem")
    assert r.mode == "unknown" and "invalid command" in r.reason and "0xc1" in r.reason


@pytest.mark.parametrize("answer", [" 07\n", " zz\n", " 01 00 00\n"])
def test_malformed_answers_are_unknown(answer):
    r, _bmc = read("supermicro", generation="x9", answer=answer)
    assert r.mode == "unknown"


# ---------------------------------------------------------------- Dell

def test_dell_12g_reads_both_lines():
    """Issue 13: only 'Shared LOM' was read, so shared + failover to all LOMs was reported as shared."""
    r, _bmc = read("dell-12g", mode="failover")
    assert (r.mode, r.detail, r.generation) == ("failover", "shared with lom1, failover to all loms", "12G (iDRAC7)")
    assert r.form == "ipmitool delloem lan get" and "IMC type 0x10" in r.why


def test_dell_shared_really_turns_failover_off():
    """Issue 13: 'lan set shared with lom1' keeps the failover byte; the read-back used to pass anyway."""
    out, bmc = ensure("dell-12g", "failover", "shared")
    assert bmc.state == "shared" and bmc.dell == (2, 0)
    assert out.after.detail == "shared with lom1, failover none"
    assert "delloem lan set shared with failover none" in commands(bmc)


def test_dell_failover_from_dedicated_takes_a_lom_first():
    out, bmc = ensure("dell-13g", "dedicated", "failover")
    sets = [c for c in commands(bmc) if c.startswith("delloem lan set")]
    assert sets == ["delloem lan set shared with lom1", "delloem lan set shared with failover all loms"]
    assert bmc.dell == (2, 6) and out.after.mode == "failover"


def test_dell_11g_uses_the_11g_words():
    """Issue 13: 'lan set shared with lom1' is rejected by ipmitool on 11G."""
    out, bmc = ensure("dell-11g", "failover", "shared")
    assert "delloem lan set shared" in commands(bmc) and bmc.state == "shared"
    assert out.after.detail == "shared" and out.before.method == "dell-11g"


def test_dell_licence_refusal_with_exit_0_reaches_the_operator():
    """Issue 13: ipmitool exits 0 after FM001; only the read-back tells, and its reason must be said."""
    with pytest.raises(L.LanModeError, match="still reports shared .*FM001 : A required license is missing"
                                             ".*iDRAC Enterprise licence") as err:
        ensure("dell-13g", "shared", "dedicated", licence=False)
    assert err.value.reading.mode == "shared"


def test_dell_blade_only_dedicated():
    r, _bmc = read("dell-13g-blade", mode="dedicated")
    assert r.settable == ("dedicated",) and "Blades" in r.not_settable
    with pytest.raises(L.LanModeRefused, match="cannot share a LOM"):
        ensure("dell-13g-blade", "dedicated", "shared")


def test_dell_11g_blade_has_no_nic_selection():
    r, _bmc = read("dell-11g-blade")
    assert r.mode == "unknown" and "11G blades" in r.reason


def test_idrac9_is_read_and_set_with_the_raw_commands():
    """Issue 13: on 14G 'delloem lan get' prints nothing (ipmitool issue 18)."""
    r, bmc = read("idrac9", mode="failover")
    assert (r.mode, r.method, r.form) == ("failover", "dell-raw", "ipmitool raw 0x30 0x29")
    assert "issue 18" in r.why and not [c for c in commands(bmc) if c.startswith("delloem")]
    out, bmc = ensure("idrac9", "failover", "dedicated")
    assert bmc.dell == (1, 0) and "raw 0x30 0x28 0x01 0x00" in commands(bmc)
    out, bmc = ensure("idrac9", "dedicated", "shared")
    assert bmc.dell == (2, 0) and out.after.detail == "shared with lom1, failover none"


def test_idrac9_licence_refusal_is_said():
    with pytest.raises(L.LanModeError, match="FM001 \\(completion code 0x6f\\)"):
        ensure("idrac9", "shared", "dedicated", licence=False)


@pytest.mark.parametrize("profile,words", [("dell-unknown-imc", "IMC type 0x40 is none netmedic knows"),
                                           ("dell-novalidator", "validator")])
def test_dell_of_an_unknown_generation_is_left_alone(profile, words):
    r, bmc = read(profile)
    assert r.mode == "unknown" and words in r.reason and "NIC.1.Selection" in r.reason
    assert not [c for c in commands(bmc) if "0x28" in c or " set" in c]


# ---------------------------------------------------------------- Lenovo, Intel, HPE

def test_lenovo_reads_and_sets_the_port():
    r, _bmc = read("lenovo", mode="shared")
    assert (r.mode, r.detail, r.form) == ("shared", "shared (onboard interface)",
                                          "ipmitool raw 0x0c 0x02 0x01 0xc0 0x00 0x00")
    out, bmc = ensure("lenovo", "shared", "dedicated")
    assert bmc.lenovo == [1] and out.after.mode == "dedicated"
    assert "raw 0x0c 0x01 0x01 0xc0 0x01" in commands(bmc)


def test_lenovo_shared_keeps_the_port_byte_sd650():
    out, bmc = ensure("lenovo", "dedicated", "shared", port=[1])
    assert bmc.lenovo == [0]
    bmc = FakeBmc("lenovo", mode="dedicated", port=[1])
    reading = L.read_lan_mode(tool(bmc))
    reading = reading.__class__(**dict(reading.__dict__, state=(0, 2), mode="dedicated"))
    L.write_lan_mode(tool(bmc), reading, "shared")
    assert bmc.lenovo == [0, 2]


def test_lenovo_has_no_failover_and_ibm_is_read_only():
    with pytest.raises(L.LanModeRefused, match="no failover value"):
        ensure("lenovo", "shared", "failover")
    r, _bmc = read("ibm", mode="shared")
    assert r.known and r.settable == () and "x3755 M3" in r.not_settable


def test_lenovo_sr635_tsm_is_not_an_xcc_and_left_alone():
    """19046 product 1287 is an AMI TSM (xCAT sets its port with raw 0x32 0x71): parameter 0xC0 was read and written."""
    r, bmc = read("lenovo-tsm", mode="shared")
    assert (r.mode, r.generation, r.method) == ("unknown", "ThinkSystem SR635/SR655 (AMI TSM)", "lenovo-tsm")
    assert "1287" in r.why and "TSM web interface" in r.reason and r.settable == ()
    out, bmc = ensure("lenovo-tsm", "shared", "dedicated")
    assert not out.changed and out.after.mode == "unknown"
    assert commands(bmc) == ["mc info"] and bmc.lenovo == [0]


def test_intel_reports_its_lan_channels_and_writes_nothing():
    r, bmc = read("intel", mode="shared")
    assert r.mode == "shared" and "channel 1 (LAN1, onboard NIC shared with the host): 192.0.2.21" in r.detail
    assert "channel 2 (LAN2, onboard NIC shared with the host): absent" in r.detail
    assert r.settable == () and "no LAN mode switch" in r.not_settable
    r, _bmc = read("intel", mode="dedicated")
    assert r.mode == "dedicated"
    r, _bmc = read("intel", channels={})
    assert r.mode == "unknown" and "no LAN channel" in r.reason


def test_hpe_says_what_can_be_done():
    r, bmc = read("hpe")
    assert r.mode == "unknown" and "iLO" in r.reason and "Redfish" in r.reason and len(bmc.calls) == 1


def test_unknown_vendor_names_the_vendors_netmedic_knows():
    r, bmc = read("other")
    assert r.mode == "unknown" and "7244" in r.reason and "Supermicro 10876/47488" in r.reason
    assert len(bmc.calls) == 1
