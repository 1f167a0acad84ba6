import json
import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import registry as R

from support import snapshot


def iface(root, name, ifindex, carrier, changes, up=True):
    d = os.path.join(root, "sys/class/net", name)
    os.makedirs(d, exist_ok=True)
    values = {"ifindex": ifindex, "carrier": carrier, "carrier_changes": changes,
              "carrier_up_count": (changes + 1) // 2, "carrier_down_count": changes // 2,
              "operstate": "up" if carrier else "down", "flags": "0x1003" if up else "0x1002"}
    for k, v in values.items():
        with open(os.path.join(d, k), "w") as fh:
            fh.write("%s\n" % v)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host tree (sysfs with two links, a boot id) and a working directory, both watched for writes."""
    root = tmp_path / "host"
    os.makedirs(str(root / "proc/sys/kernel/random"))
    (root / "proc/sys/kernel/random/boot_id").write_text("b00t-1\n")
    iface(str(root), "lo", 1, 1, 0)
    iface(str(root), "eth0", 2, 1, 2)
    iface(str(root), "eth1", 3, 0, 5)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return str(root)


def test_runs_registered_audits_and_reports_each(run_module, tmp_path):
    res = run_module("preflight", {"root": str(tmp_path)})
    assert not res.failed and res["changed"] is False
    assert res["schema_version"] == 1
    assert [a["name"] for a in res["audits"]] == list(R.registry())
    assert all(a["checks"] == sorted(R.registry()[a["name"]].checks) for a in res["audits"])
    assert set(res["summary"]) == {"critical", "warning", "info"}


def test_unknown_audit_is_a_clear_error(run_module):
    res = run_module("preflight", {"checks": ["no-such-audit"]})
    assert res.failed
    assert "checks: unknown audit, area or check id: 'no-such-audit'. Known areas: bgp, bmc, bond, frr, ip6, link, " \
        "tinc; audits: bond, bmc, bgp, frr_settings, ip6_route_cache, link_flaps, tinc, frr_drift (earlier names: " \
        "bonding, ipv6_route_cache); check ids: NM-BGP-001, " in res["msg"]
    assert "NM-TINC-005. Nothing was audited." in res["msg"]


def test_options_for_unknown_audit(run_module):
    res = run_module("preflight", {"options": {"nope": {"x": 1}}})
    assert res.failed and "options given for unknown audit 'nope'" in res["msg"]


def test_bad_timeout(run_module):
    res = run_module("preflight", {"command_timeout": 0})
    assert res.failed and "command_timeout must be between 0.001 and 86400" in res["msg"]


def test_link_counters_are_returned_not_written(run_module, host, tmp_path, exec_log):
    """Issue 11: the preflight wrote its link snapshot on the host, also in check mode."""
    before = snapshot.tree(str(tmp_path))
    res = run_module("preflight", {"root": host, "checks": ["link_flaps"]}, check_mode=True)
    assert not res.failed and res["changed"] is False
    snap = res["snapshots"]["link_flaps"]
    assert snap["format"] == "netmedic-link-snapshot" and snap["boot_id"] == "b00t-1"
    assert snap["interfaces"]["eth0"]["carrier_changes"] == 2 and sorted(snap["interfaces"]) == ["eth0", "eth1"]
    assert [(f["id"], f["subject"]) for f in res["findings"]] == [("NM-LINK-001", "eth1")]
    assert snapshot.tree(str(tmp_path)) == before
    assert exec_log.commands == [] and exec_log.signals == []


def test_the_retired_snapshot_path_fails_and_writes_nothing(run_module, host, tmp_path):
    """Issue 11: the role passed snapshot_path and the module wrote the file; now the option is refused."""
    before = snapshot.tree(str(tmp_path))
    path = str(tmp_path / "state" / "link-snapshot.json")
    res = run_module("preflight", {"root": host, "options": {"link_flaps": {"phase": "pre", "snapshot_path": path}}},
                     check_mode=True)
    assert res.failed and "options.link_flaps.snapshot_path is no longer used" in res["msg"]
    assert "preflight.json" in res["msg"] and not os.path.exists(path)
    assert snapshot.tree(str(tmp_path)) == before


@pytest.mark.parametrize("check_mode", [True, False])
def test_every_audit_on_a_host_tree_writes_nothing(run_module, host, tmp_path, exec_log, check_mode):
    before = snapshot.tree(str(tmp_path))
    res = run_module("preflight", {"root": host}, check_mode=check_mode)
    assert not res.failed and res["changed"] is False
    assert snapshot.tree(str(tmp_path)) == before and exec_log.signals == []
    # nothing but reading commands (none are needed on this tree)
    assert not [c for c in exec_log.commands if not any(w in c for w in ("show", "-j", "--version"))]


def test_postflight_compares_with_the_counters_it_is_given(run_module, host):
    pre = run_module("preflight", {"root": host, "checks": ["link_flaps"]})
    iface(host, "eth0", 2, 1, 6)
    post = run_module("preflight", {"root": host, "checks": ["link_flaps"], "options": {
        "link_flaps": {"phase": "post", "baseline": pre["snapshots"]["link_flaps"]}}})
    got = {(f["id"], f["subject"]) for f in post["findings"]}
    assert got == {("NM-LINK-001", "eth1"), ("NM-LINK-002", "eth0")}
    # an older report has no counters: an info note, no comparison
    old = run_module("preflight", {"root": host, "checks": ["link_flaps"],
                                   "options": {"link_flaps": {"phase": "post", "baseline": None}}})
    assert {f["id"] for f in old["findings"]} == {"NM-LINK-001", "NM-LINK-006"}
    [note] = [f for f in old["findings"] if f["id"] == "NM-LINK-006"]
    assert note["severity"] == "info" and "not compared" in note["summary"]


def test_numbers_given_as_text_are_numbers(run_module, host):
    res = run_module("preflight", {"root": host, "checks": ["bgp"], "command_timeout": "5",
                                   "options": {"bgp": {"min_established_seconds": "600", "max_queue": "50"}}})
    assert not res.failed, res["msg"] if res.failed else None


# ---------------------------------------------------------------- what to audit

def statuses(res):
    return {a["name"]: a["status"] for a in res["audits"]}


def test_a_check_id_runs_only_the_audit_that_emits_it(run_module, host):
    """Issue 12: `-a 'checks=[NM-FRR-001]'` (Ansible passes the text '[NM-FRR-001]') ran both FRR audits."""
    res = run_module("preflight", {"root": host, "checks": ["[NM-FRR-001]"]})
    assert not res.failed, res.get("msg")
    ran = {n for n, s in statuses(res).items() if s != "excluded"}
    assert ran == {"frr_drift"}
    assert [a["checks"] for a in res["audits"] if a["name"] == "frr_drift"] == [["NM-FRR-001"]]


def test_areas_audits_and_earlier_names(run_module, host):
    res = run_module("preflight", {"root": host, "checks": ["frr", "bonding"]})
    assert {n for n, s in statuses(res).items() if s != "excluded"} == {"frr_settings", "frr_drift", "bond"}


def test_a_check_id_returns_only_its_findings(run_module, host):
    every = run_module("preflight", {"root": host, "checks": ["link"]})
    assert {f["id"] for f in every["findings"]} == {"NM-LINK-001"}
    # the audit still runs for its other checks, without the skipped one
    res = run_module("preflight", {"root": host, "checks": ["link"], "skip": ["NM-LINK-001"]})
    assert statuses(res)["link_flaps"] == "ran" and res["findings"] == []
    assert "NM-LINK-001" not in [a["checks"] for a in res["audits"] if a["name"] == "link_flaps"][0]
    res = run_module("preflight", {"root": host, "checks": ["NM-LINK-001"]})
    assert [f["id"] for f in res["findings"]] == ["NM-LINK-001"]


@pytest.mark.parametrize("tags, checks, ran", [
    (["all"], [], None),                                 # no --tags: everything
    (["all"], ["bgp"], {"bgp"}),                         # no --tags: checks choose
    (["bond", "site-specific"], ["bgp"], {"bond"}),      # tags naming something choose instead of checks
    (["always", "site-specific"], ["bgp"], {"bgp"}),     # tags of other roles are ignored
    (["NM-BGP-001", "link_flaps"], [], {"bgp", "link_flaps"}),
])
def test_tags_passed_by_the_roles(run_module, host, tags, checks, ran):
    res = run_module("preflight", {"root": host, "tags": tags, "checks": checks})
    assert not res.failed, res.get("msg")
    chosen = {n for n, s in statuses(res).items() if s != "excluded"}
    assert chosen == (ran if ran is not None else set(R.registry()))


BOND = {"mode": "active-backup 1", "arp_interval": "1000", "arp_ip_target": "192.0.2.1 192.0.2.2",
        "arp_validate": "none 0", "arp_all_targets": "any 0", "miimon": "0", "active_slave": "eno1",
        "primary": "eno1", "slaves": "eno1 eno2"}


@pytest.mark.parametrize("key", ["bond", "bonding"])
def test_options_under_the_audit_name_or_its_earlier_name(run_module, tmp_path, key):
    d = tmp_path / "sys/class/net/bond0"
    (d / "bonding").mkdir(parents=True)
    for name, text in BOND.items():
        (d / "bonding" / name).write_text(text + "\n")
    (d / "operstate").write_text("up\n")
    res = run_module("preflight", {"root": str(tmp_path), "checks": ["NM-BOND-001"],
                                   "options": {key: {"value": "active", "check_drift": False}}})
    assert not res.failed, res.get("msg")
    [finding] = res["findings"]
    assert finding["id"] == "NM-BOND-001" and finding["fix"]["params"]["value"] == "active"


# ---------------------------------------------------------------- bad input

BAD = [
    ({"command_timeout": float("nan")}, "command_timeout must be a finite number, got nan"),
    ({"command_timeout": "nan"}, "command_timeout must be a finite number"),
    ({"command_timeout": float("inf")}, "command_timeout must be a finite number"),
    ({"command_timeout": 1e308}, "command_timeout must be between 0.001 and 86400"),
    ({"command_timeout": -5}, "command_timeout must be between"),
    ({"command_timeout": ""}, "command_timeout"),
    ({"command_timeout": "twenty"}, "command_timeout"),
    ({"command_timeout": [20]}, "command_timeout"),
    ({"root": ""}, "root must be the absolute path of an existing directory"),
    ({"root": "relative/dir"}, "root must be the absolute path"),
    ({"root": "/nonexistent/netmedic"}, "root must be the absolute path of an existing directory"),
    ({"root": "FILE"}, "root must be the absolute path of an existing directory"),
    ({"root": "/tmp/\u00e9\u202e\r\n"}, "root must be"),
    ({"checks": ["bgp", "bgpp"]}, "checks: unknown audit, area or check id: 'bgpp'. Known areas: bgp, bmc"),
    ({"checks": [""]}, "checks: unknown audit, area or check id: ''"),
    ({"checks": ["b\u00e9gp"]}, "checks: unknown audit, area or check id: 'b\u00e9gp'"),
    ({"checks": ["NM-FRR-099"]}, "checks: unknown audit, area or check id: 'NM-FRR-099'"),
    ({"checks": ["[NM-FRR-001", "NM-LINK-005]"]}, "checks: unknown audit, area or check id: 'NM-LINK-005'"),
    ({"skip": ["tinc", "nope"]}, "skip: unknown audit, area or check id: 'nope'"),
    ({"checks": {"bgp": 1}}, "checks"),
    ({"options": "bgp"}, "options"),
    ({"options": ["bgp"]}, "options"),
    ({"options": {"bgp": "min_established_seconds=5"}}, "options.bgp must be a dictionary"),
    ({"options": {"bgp": [1]}}, "options.bgp must be a dictionary"),
    ({"options": {"nope": {}}}, "options given for unknown audit 'nope'"),
    ({"options": {"bgp": {"min_established_secs": 600}}},
     "options.bgp.min_established_secs is not an option of the bgp audit. Its options: max_connections_dropped"),
    ({"options": {"link_flaps": {"interface": ["eth*"]}}}, "options.link_flaps.interface is not an option"),
    ({"options": {"ip6_route_cache": {"x": 1}}},
     "options.ip6_route_cache.x is not an option of the ip6_route_cache audit. Its options: none"),
    ({"options": {"ipv6_route_cache": {"x": 1}}},
     "options.ipv6_route_cache.x is not an option of the ip6_route_cache audit. Its options: none"),
    ({"options": {"bond": {}, "bonding": {"value": "all"}}}, "options.bond and options.bonding are the same audit"),
    ({"options": {"bgp": {"min_established_seconds": float("nan")}}},
     "options.bgp.min_established_seconds must be a finite number"),
    ({"options": {"bgp": {"sample_interval": "inf"}}}, "options.bgp.sample_interval must be a finite number"),
    ({"options": {"bgp": {"sample_interval": 1e308}}}, "options.bgp.sample_interval must be between 0 and 600"),
    ({"options": {"bgp": {"max_queue": -1}}}, "options.bgp.max_queue must be between 0 and 1000000000"),
    ({"options": {"bgp": {"max_queue": 2.5}}}, "options.bgp.max_queue must be a whole number"),
    ({"options": {"bgp": {"max_queue": True}}}, "options.bgp.max_queue must be a number"),
    ({"options": {"bgp": {"max_queue": "many"}}}, "options.bgp.max_queue must be a number"),
    ({"options": {"bgp": {"max_queue": ""}}}, "options.bgp.max_queue must be a number"),
    ({"options": {"bmc": {"port": 70000}}}, "options.bmc.port must be between 1 and 65535"),
    ({"options": {"bmc": {"timeout": 0}}}, "options.bmc.timeout must be between 0.001 and 86400"),
    ({"options": {"tinc": {"arp_sample_seconds": float("-inf")}}}, "options.tinc.arp_sample_seconds"),
    ({"options": {"frr_settings": {"lines_per_second": 0}}}, "options.frr_settings.lines_per_second"),
    ({"options": {"frr_drift": {"examples": "1e308"}}}, "options.frr_drift.examples must be between"),
    ({"options": {"link_flaps": {"phase": "during"}}}, "options.link_flaps.phase must be one of pre, post"),
    ({"options": {"link_flaps": {"interfaces": "eth*"}}}, "options.link_flaps.interfaces must be a list of strings"),
    ({"options": {"link_flaps": {"baseline": "[]"}}}, "options.link_flaps.baseline must be a dictionary"),
    ({"options": {"link_flaps": {"snapshot_path": "/var/lib/netmedic/link-snapshot.json"}}},
     "options.link_flaps.snapshot_path is no longer used"),
    ({"command_timeout": 0, "options": {"bgp": {"max_queue": -1}}}, "command_timeout must be between"),
]


@pytest.mark.parametrize("args, msg", BAD, ids=[repr(a)[:70] for a, m in BAD])
def test_bad_input(run_module, host, tmp_path, exec_log, args, msg):
    args = dict(args)
    if args.get("root") == "FILE":
        args["root"] = os.path.join(host, "proc/sys/kernel/random/boot_id")
    args.setdefault("root", host)
    before = snapshot.tree(str(tmp_path))
    res = run_module("preflight", args)
    assert res.failed and msg in res["msg"], res["msg"]
    assert "Traceback" not in json.dumps(res) and "exception" not in res
    assert "findings" not in res and exec_log.commands == []
    assert snapshot.tree(str(tmp_path)) == before


def test_every_bad_option_is_named_at_once(run_module, host):
    res = run_module("preflight", {"root": host, "options": {
        "bgp": {"max_queue": -1, "sample_intervall": 3}, "link_flaps": {"phase": "x"}}})
    for part in ("options.bgp.max_queue", "options.bgp.sample_intervall", "options.link_flaps.phase"):
        assert part in res["msg"]
    assert res["msg"].endswith("Nothing was audited.")
