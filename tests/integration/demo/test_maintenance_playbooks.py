# -*- coding: utf-8 -*-
"""playbooks/remediate.yml and playbooks/postflight.yml through real ansible-playbook.

remediate: hosts with a bond (arp_validate none) on a sysfs fixture tree and
its ifupdown file, changed by the real bond_arp_validate module: nothing
chosen changes nothing; a tag chooses (and limits) the fixes; --check changes
nothing; findings from a preflight report; a second run changes nothing;
serial 1 with max_fail_percentage 0 stops before the next host when one fails.

postflight: a host in a network namespace (veth pair), the preflight report
keeps its link counters (nothing is written on the host, --check or not), the
peer cycles, postflight reports the flaps as new and fails; a report of an older
netmedic (no counters) still works: links not compared, said so.
Everything is named nmdemo-*; the namespace is removed even when a test fails.
"""

import json
import os
import subprocess
import sys
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
BOND = {"mode": "active-backup 1", "arp_interval": "1000", "arp_ip_target": "192.0.2.1 192.0.2.2",
        "arp_validate": "none 0", "arp_all_targets": "any 0", "miimon": "0", "active_slave": "eno1",
        "primary": "eno1", "slaves": "eno1 eno2"}
IFACES = ("auto bond0\niface bond0 inet manual\n    bond-slaves eno1 eno2\n    bond-mode active-backup\n"
          "    bond-arp-interval 1000\n    bond-arp-ip-target 192.0.2.1 192.0.2.2\n    bond-arp-validate none\n")


def bond_root(base, name):
    root = os.path.join(str(base), name)
    d = os.path.join(root, "sys", "class", "net", "bond0")
    os.makedirs(os.path.join(d, "bonding"))
    for k, v in BOND.items():
        with open(os.path.join(d, "bonding", k), "w") as fh:
            fh.write(v + "\n")
    with open(os.path.join(d, "operstate"), "w") as fh:
        fh.write("up\n")
    os.makedirs(os.path.join(root, "etc", "network"))
    with open(os.path.join(root, "etc", "network", "interfaces"), "w") as fh:
        fh.write(IFACES)
    return root


def arp_validate(root):
    with open(os.path.join(root, "sys", "class", "net", "bond0", "bonding", "arp_validate")) as fh:
        sysfs = fh.read().split()[0]
    with open(os.path.join(root, "etc", "network", "interfaces")) as fh:
        line = [ln.split()[-1] for ln in fh if "bond-arp-validate" in ln]
    return sysfs, line


def run(tmp_path, playbook, hosts, *args, extra=None):
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps({"all": {"hosts": hosts, "vars": {"ansible_connection": "local"}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "dev"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCALHOST_WARNING="false", PWD=str(tmp_path))
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", str(inv), os.path.join(REPO, "playbooks", playbook)]
    if extra:
        argv += ["-e", json.dumps(extra)]
    if playbook == "remediate.yml":   # a playbook that changes hosts requires its target (issue 17)
        argv += ["-e", "remediate_targets=all"]
    proc = subprocess.run(argv + list(args), cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    return proc.returncode, proc.stdout


def bond_host(root, **more):
    h = {"ansible_python_interpreter": sys.executable, "preflight_checks": ["bond"], "preflight_root": root,
         "remediate_module_params": {"bond_arp_validate": {"root": root}}}
    h.update(more)
    return h


def test_remediate_choice_tags_check_report_and_idempotence(tmp_path):
    r1, r2 = bond_root(tmp_path, "h1"), bond_root(tmp_path, "h2")
    hosts = {"nmdemo-h1": bond_host(r1), "nmdemo-h2": bond_host(r2)}

    rc, out = run(tmp_path, "remediate.yml", hosts)
    assert rc == 0 and "Nothing chosen, nothing changed" in out and "NM-BOND-001" in out, out[-3000:]
    assert arp_validate(r1) == ("none", ["none"])

    # a tag of another area: the bond task does not run
    rc, out = run(tmp_path, "remediate.yml", hosts, "--tags", "NM-BMC-001")
    assert rc == 0 and "Set arp_validate" not in out, out[-3000:]
    assert arp_validate(r1) == ("none", ["none"])

    # --tags bond chooses the bond findings; --check changes nothing
    rc, out = run(tmp_path, "remediate.yml", hosts, "--tags", "bond", "--check", "--diff")
    assert rc == 0 and "changed: [nmdemo-h1] => (item=bond0 arp_validate=all)" in out, out[-3000:]
    assert "+    bond-arp-validate all" in out
    assert arp_validate(r1) == ("none", ["none"]) and arp_validate(r2) == ("none", ["none"])

    # from a preflight report, by check id
    rc, out = run(tmp_path, "preflight.yml", hosts, extra={"preflight_fail_on": "never"})
    report = tmp_path / "netmedic-reports" / "preflight.json"
    assert rc == 0 and report.exists(), out[-3000:]
    # (a relative path is relative to where ansible-playbook runs; a host not in the report has no findings)
    r3 = bond_root(tmp_path, "h3")
    hosts["nmdemo-h3"] = bond_host(r3)
    extra = {"remediate_checks": ["NM-BOND-001"], "remediate_report": "netmedic-reports/preflight.json"}
    rc, out = run(tmp_path, "remediate.yml", hosts, extra=extra)
    assert rc == 0 and "1 chosen finding(s): NM-BOND-001" in out, out[-3000:]
    assert "nmdemo-h3] => \n    msg: 0 chosen finding(s)" in out.replace("\r", "") or \
        "ok: [nmdemo-h3] => {\n    \"msg\": \"0 chosen finding(s)\"" in out, out[-3000:]
    assert arp_validate(r3) == ("none", ["none"])
    del hosts["nmdemo-h3"]
    assert arp_validate(r1) == ("all", ["all"]) and arp_validate(r2) == ("all", ["all"])
    # with a report the host is not audited again
    audit = out.split("Audit the host now")[1].split("TASK [")[0]
    assert "skipping: [nmdemo-h1]" in audit and "ok: [nmdemo-h1]" not in audit, audit
    # the same report again: the module has nothing left to do
    rc, out = run(tmp_path, "remediate.yml", hosts, extra=extra)
    assert rc == 0 and "changed=0" in out.split("PLAY RECAP")[-1], out[-3000:]
    for line in out.split("PLAY RECAP")[-1].splitlines():
        if line.startswith("nmdemo-"):
            assert "changed=0" in line and "failed=0" in line, line


def test_remediate_serial_stops_after_a_failed_batch(tmp_path):
    r1, r2 = bond_root(tmp_path, "h1"), bond_root(tmp_path, "h2")
    # h1's fix points at a root without the bond: the module fails there
    bad = bond_host(r1, remediate_module_params={"bond_arp_validate": {"root": str(tmp_path / "missing")}})
    hosts = {"nmdemo-h1": bad, "nmdemo-h2": bond_host(r2)}
    rc, out = run(tmp_path, "remediate.yml", hosts,
                  extra={"remediate_areas": ["bond"], "remediate_serial": 1, "remediate_max_fail_percentage": 0})
    assert rc != 0, out[-3000:]
    assert "failed: [nmdemo-h1]" in out
    assert "nmdemo-h2" not in out.split("PLAY RECAP")[0].split("Repair the chosen findings")[-1]
    assert arp_validate(r2) == ("none", ["none"])


class FakeBondKernel(threading.Thread):
    """The kernel side of a fixture bond, for the playbook's view of a rollback (issue 16): once
    arp_validate reads ``all`` the bond loses its active slave (the ARP target does not answer), with
    ``none`` back it has it again.  The real bonding driver does this in tests/integration/bond/test_bond_vm.py
    (step rollback); here only the playbook's reaction is under test."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.bonding = os.path.join(root, "sys", "class", "net", "bond0", "bonding")
        self.stop = threading.Event()

    def run(self):
        active = os.path.join(self.bonding, "active_slave")
        while not self.stop.wait(0.05):
            with open(os.path.join(self.bonding, "arp_validate")) as fh:
                broken = fh.read().split()[:1] == ["all"]
            want = "\n" if broken else "eno1\n"
            with open(active) as fh:
                if fh.read() == want:
                    continue
            # Replaced whole, and only when it changes, as the kernel's attribute reads: a truncate-then-write
            # here let the module's snapshot before the change read an empty active_slave now and then (CI,
            # stop 21), so it watched nothing about the active slave and did not roll back.
            with open(active + ".tmp", "w") as fh:
                fh.write(want)
            os.replace(active + ".tmp", active)


def test_remediate_stops_the_run_when_a_host_rolled_back(tmp_path):
    """A host whose fix rolled back stops the run before the next batch, even where max_fail_percentage would
    let it go (a plain failure does: the control case).  Batches of two: with serial 1 any failure ends the
    run anyway (ansible-playbook ends a play when a whole batch failed)."""
    roots = [bond_root(tmp_path, "h%d" % i) for i in (1, 2, 3)]
    rb = {"rollback": True, "rollback_window": 3, "rollback_settle": 0.5}
    hosts = {"nmdemo-h%d" % i: bond_host(r, remediate_module_params={"bond_arp_validate": dict(rb, root=r)})
             for i, r in enumerate(roots, 1)}
    batches = {"remediate_areas": ["bond"], "remediate_serial": 2, "remediate_max_fail_percentage": 100}
    kernel = FakeBondKernel(roots[0])
    kernel.start()
    try:
        rc, out = run(tmp_path, "remediate.yml", hosts, extra=batches)
    finally:
        kernel.stop.set()
        kernel.join()
    assert rc != 0, out[-3000:]
    assert "ROLLED BACK: the change made the host worse" in out and "bond bond0 has no active slave" in out, out[-3000:]
    assert "nmdemo-h1 rolled_back, stopping the run" in out, out[-3000:]
    assert arp_validate(roots[0]) == ("none", ["none"])              # undone, file included
    assert arp_validate(roots[1]) == ("all", ["all"])                # the same batch, healthy: kept
    assert arp_validate(roots[2]) == ("none", ["none"])              # the next batch never ran
    assert "nmdemo-h3" not in out.split("PLAY RECAP")[-1], out[-3000:]

    # the control case: h1 fails without rolling back (no bond under its root); max_fail_percentage 100
    # lets the next batch go, and h3 is repaired (with rollback on, nothing getting worse)
    hosts["nmdemo-h1"] = bond_host(roots[0], remediate_module_params={
        "bond_arp_validate": dict(rb, root=str(tmp_path / "missing"))})
    rc, out = run(tmp_path, "remediate.yml", hosts, extra=batches)
    assert "failed: [nmdemo-h1]" in out and "stopping the run" not in out, out[-3000:]
    assert arp_validate(roots[2]) == ("all", ["all"]), out[-3000:]
    assert "nmdemo-h3" in out.split("PLAY RECAP")[-1], out[-3000:]


def test_bond_playbook_stops_after_the_batch_where_a_host_rolled_back(tmp_path):
    """playbooks/bond.yml in batches (bond_serial), stopping after a batch in which a host rolled its
    change back (issue 16): the healthy host of the same batch keeps its change, the next batch is
    not touched."""
    roots = [bond_root(tmp_path, "h%d" % i) for i in (1, 2, 3)]
    hosts = {"nmdemo-h%d" % i: {"ansible_python_interpreter": sys.executable, "bond_root": r,
                                "bond_rollback": True, "bond_rollback_window": 3}
             for i, r in enumerate(roots, 1)}
    kernel = FakeBondKernel(roots[0])
    kernel.start()
    try:
        rc, out = run(tmp_path, "bond.yml", hosts, extra={"bond_targets": "all", "bond_serial": 2})
    finally:
        kernel.stop.set()
        kernel.join()
    assert rc != 0, out[-3000:]
    assert "ROLLED BACK" in out and "bond bond0 has no active slave" in out, out[-3000:]
    assert arp_validate(roots[0]) == ("none", ["none"])              # undone, file included
    assert arp_validate(roots[1]) == ("all", ["all"])                # the same batch, healthy: kept
    assert arp_validate(roots[2]) == ("none", ["none"])              # the next batch never ran
    assert "nmdemo-h3" not in out.split("PLAY RECAP")[-1], out[-3000:]


@pytest.fixture
def netns():
    name = "nmdemo-pf%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def host_files():
    """Where the preflight role used to write on the host (its snapshot's default place), with content and mtime."""
    d = "/var/lib/netmedic"
    if not os.path.isdir(d):
        return None
    out = {}
    for name in sorted(os.listdir(d)):
        st = os.lstat(os.path.join(d, name))
        out[name] = (st.st_size, st.st_mtime_ns)
    return out


def test_postflight_reports_link_flaps_since_the_preflight(tmp_path, netns):
    ip = ["ip", "-n", netns]
    subprocess.run(ip + ["link", "add", "eth-a", "type", "veth", "peer", "name", "eth-b"], check=True)
    for dev in ("lo", "eth-a", "eth-b"):
        subprocess.run(ip + ["link", "set", dev, "up"], check=True)
    wrapper = tmp_path / "python"
    wrapper.write_text('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (netns, sys.executable))
    wrapper.chmod(0o755)
    hosts = {"nmdemo-pf": {"ansible_python_interpreter": str(wrapper), "preflight_checks": ["link_flaps"]}}
    before = host_files()
    # issue 11: the preflight wrote its link snapshot on the host, --check included
    rc, out = run(tmp_path, "preflight.yml", hosts, "--check")
    assert rc == 0, out[-3000:]
    assert host_files() == before
    report = json.loads((tmp_path / "netmedic-reports" / "preflight.json").read_text())
    counters = report["hosts"]["nmdemo-pf"]["snapshots"]["link_flaps"]
    assert report["report_version"] == 1 and set(counters["interfaces"]) == {"eth-a", "eth-b"}

    rc, out = run(tmp_path, "postflight.yml", hosts)
    assert rc == 0 and "new since the preflight: none" in out and "links not compared" not in out, out[-3000:]

    for _cycle in range(2):
        subprocess.run(ip + ["link", "set", "eth-b", "down"], check=True)
        subprocess.run(ip + ["link", "set", "eth-b", "up"], check=True)
    rc, out = run(tmp_path, "postflight.yml", hosts)
    assert rc != 0 and "new finding(s) at or above warning since the preflight" in out, out[-3000:]
    diff = json.loads((tmp_path / "netmedic-reports" / "postflight-diff.json").read_text())
    new = {(f["id"], f["subject"]) for f in diff["hosts"]["nmdemo-pf"]["new"]}
    assert new == {("NM-LINK-002", "eth-a"), ("NM-LINK-002", "eth-b")}
    assert diff["hosts"]["nmdemo-pf"]["links_compared"] is True
    post = json.loads((tmp_path / "netmedic-reports" / "postflight.json").read_text())
    assert {f["id"] for f in post["hosts"]["nmdemo-pf"]["findings"]} == {"NM-LINK-002"}
    # the report is the preflight's format: the Markdown and JUnit files are there too
    assert (tmp_path / "netmedic-reports" / "postflight.md").exists()
    assert (tmp_path / "netmedic-reports" / "postflight.junit.xml").exists()
    # postflight_fail_on=never only reports
    rc, out = run(tmp_path, "postflight.yml", hosts, extra={"postflight_fail_on": "never"})
    assert rc == 0, out[-3000:]
    assert host_files() == before


def test_postflight_with_a_report_of_an_older_netmedic(tmp_path, netns):
    """A preflight.json without hosts.<h>.snapshots (written before the counters were kept there):
    the postflight still runs, compares every other finding, and says the links were not compared."""
    subprocess.run(["ip", "-n", netns, "link", "add", "eth-a", "type", "veth", "peer", "name", "eth-b"], check=True)
    wrapper = tmp_path / "python"
    wrapper.write_text('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (netns, sys.executable))
    wrapper.chmod(0o755)
    hosts = {"nmdemo-pf": {"ansible_python_interpreter": str(wrapper), "preflight_checks": ["link_flaps"]}}
    reports = tmp_path / "netmedic-reports"
    reports.mkdir()
    old = {"report_version": 1, "finding_schema_version": 1, "generated": "2025-01-01T00:00:00+00:00",
           "tool": "netmedic.network", "summary": {"critical": 0, "warning": 0, "info": 1, "hosts": 1,
                                                   "hosts_with_findings": 1, "hosts_without_result": []},
           "hosts": {"nmdemo-pf": {"status": "ok", "worst": "info", "summary": {"critical": 0, "warning": 0, "info": 1},
                                   "findings": [{"id": "NM-LINK-005", "severity": "info", "subject": "/var/x.json",
                                                 "summary": "saved carrier counters", "evidence": {}, "fix": None,
                                                 "incident": "000"}],
                                   "audits": [], "error": None}}}
    (reports / "preflight.json").write_text(json.dumps(old))
    rc, out = run(tmp_path, "postflight.yml", hosts, extra={"postflight_fail_on": "info"})
    assert rc == 0, out[-3000:]
    assert "link counters not compared: the preflight report has none for this host" in out
    assert "new since the preflight: none; gone: none" in out
    diff = json.loads((reports / "postflight-diff.json").read_text())["hosts"]["nmdemo-pf"]
    assert diff["links_compared"] is False and diff["new"] == [] and diff["in_baseline"] is True
    post = json.loads((reports / "postflight.json").read_text())["hosts"]["nmdemo-pf"]
    assert [f["id"] for f in post["findings"]] == ["NM-LINK-006"]


def test_postflight_reports_a_bgp_session_lost_since_the_preflight(tmp_path):
    sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
    import frrlab

    conf = ("frr defaults traditional\nhostname {name}\nrouter bgp {asn}\n bgp router-id {me}\n"
            " no bgp ebgp-requires-policy\n timers bgp 3 9\n neighbor {peer} remote-as {peer_asn}\n"
            " neighbor {peer} timers connect 1\nexit\n")
    a, b = "10.92.0.1", "10.92.0.2"
    with frrlab.Lab("nmdemopf-") as lab:
        r1 = lab.router("r1", conf.format(name="r1", asn=65001, me=a, peer=b, peer_asn=65002))
        r2 = lab.router("r2", conf.format(name="r2", asn=65002, me=b, peer=a, peer_asn=65001))
        lab.link(r1, "eth-r2", a + "/30", r2, "eth-r1", b + "/30")
        lab.start()
        r1.wait_bgp_established(b, timeout=90)
        wrapper = tmp_path / "python"
        wrapper.write_text('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (r1.name, sys.executable))
        wrapper.chmod(0o755)
        hosts = {"nmdemo-r1": {
            "ansible_python_interpreter": str(wrapper), "preflight_checks": ["bgp", "link_flaps"],
            "preflight_options": {"bgp": {"pathspace": r1.name, "sample_interval": 0, "min_established_seconds": 0}}}}
        rc, out = run(tmp_path, "preflight.yml", hosts)
        assert rc == 0, out[-3000:]
        before = json.loads((tmp_path / "netmedic-reports" / "preflight.json").read_text())
        assert not [f for f in before["hosts"]["nmdemo-r1"]["findings"] if f["id"].startswith("NM-BGP")]

        # the maintenance takes r2's side of the link down and forgets to bring it back
        r2.exec("ip", "link", "set", "eth-r1", "down")
        deadline = time.monotonic() + 60
        while r1.bgp_peer_state(b) == "Established" and time.monotonic() < deadline:
            time.sleep(0.2)
        rc, out = run(tmp_path, "postflight.yml", hosts)
    assert rc != 0, out[-3000:]
    diff = json.loads((tmp_path / "netmedic-reports" / "postflight-diff.json").read_text())
    new = {f["id"] for f in diff["hosts"]["nmdemo-r1"]["new"]}
    # the session Established at the preflight is not now; the link under it flapped
    assert {"NM-BGP-001", "NM-LINK-002"} <= new, new


def test_preflight_and_postflight_tags_choose_the_audits(tmp_path):
    root = bond_root(tmp_path, "h1")
    # no preflight_checks: every audit would run; the tag keeps only the bond one
    hosts = {"nmdemo-h1": {"ansible_python_interpreter": sys.executable, "preflight_root": root}}
    for tag in ("bond", "NM-BOND-001", "bonding"):
        rc, out = run(tmp_path, "preflight.yml", hosts, "--tags", tag, extra={"preflight_fail_on": "never"})
        assert rc == 0, out[-3000:]
        report = json.loads((tmp_path / "netmedic-reports" / "preflight.json").read_text())["hosts"]["nmdemo-h1"]
        ran = {a["name"]: a["status"] for a in report["audits"]}
        assert ran["bond"] == "ran" and {s for n, s in ran.items() if n != "bond"} == {"excluded"}, ran
        assert [f["id"] for f in report["findings"]] == ["NM-BOND-001"]
    # a check id keeps only its findings (issue 12: the whole area ran and every bond finding came back)
    rc, out = run(tmp_path, "preflight.yml", hosts, "--tags", "NM-BOND-002", extra={"preflight_fail_on": "never"})
    report = json.loads((tmp_path / "netmedic-reports" / "preflight.json").read_text())["hosts"]["nmdemo-h1"]
    assert rc == 0 and report["findings"] == [], report["findings"]
    assert [a["checks"] for a in report["audits"] if a["name"] == "bond"] == [["NM-BOND-002"]]
    # postflight --tags bgp compares only the bgp area: the bond finding is not "gone"
    rc, out = run(tmp_path, "postflight.yml", hosts, "--tags", "bgp")
    assert rc == 0, out[-3000:]
    diff = json.loads((tmp_path / "netmedic-reports" / "postflight-diff.json").read_text())["hosts"]["nmdemo-h1"]
    assert diff["new"] == [] and diff["gone"] == [], diff
