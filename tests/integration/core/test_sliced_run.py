"""A sliced preflight and postflight through ansible-runner, merged, is the unsliced run (issue 18).

AWX runs each slice of a sliced job template with ansible-runner on an execution node:
the inventory sliced as AWX slices it (hosts sorted by name, slice k gets every Nth from
k-1: awx/main/models/inventory.py ``get_sliced_hosts``), the job's meta variables
(``awx_job_id`` per slice, ``awx_workflow_job_id`` shared) as extra vars, and the slices'
``set_stats`` artifacts handed to the next workflow node as its extra vars
(awx/main/models/workflow.py ``get_job_kwargs``, ``get_effective_artifacts``).  This test
does the same with ansible-runner over lab hosts reached by SSH (key login), runs the
merge step as the next node, and compares with one unsliced run over the same inventory:
same hosts, same findings, same Markdown, JUnit and fleet metrics, same exit code.  Then the postflight,
sliced and merged, against the merged preflight report.
"""

import json
import os
import re
import threading

import pytest

import labssh

ansible_runner = pytest.importorskip("ansible_runner")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SLICES = 3
LAB_HOSTS = 5


def env():
    import lab as nmlab
    out = dict(nmlab._ansible_env())
    out["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    out["ANSIBLE_SSH_ARGS"] = "-C -o ControlMaster=auto -o ControlPersist=30s"
    return out


def ini(hosts):
    return "[fleet]\n" + "".join("%s %s\n" % (name, hosts[name]) for name in sorted(hosts))


def run(tmp_path, ident, playbook, hosts, extravars):
    """ansible_runner.run of a playbook of this checkout; returns the Runner (rc, events)."""
    private = tmp_path / "runner" / ident     # one each: runner writes its inputs there
    private.mkdir(parents=True)
    return ansible_runner.run(private_data_dir=str(private), ident=ident, quiet=True,
                              playbook=os.path.join(REPO, "playbooks", playbook), inventory=ini(hosts),
                              extravars=extravars, envvars=env(), timeout=600)


def artifacts(runner):
    """What the job gave set_stats: AWX passes it to the next workflow node as extra vars."""
    for event in runner.events:
        if event.get("event") == "playbook_on_stats":
            return event["event_data"].get("artifact_data") or {}
    return {}


def sliced(tmp_path, phase, hosts, reports, workflow_id, merge_vars=None):
    """The slices of one AWX sliced job, in parallel; then the merge node with their artifacts."""
    names = sorted(hosts)
    runners = {}

    def slice_job(k):
        job_id = str(workflow_id + k)
        runners[k] = run(tmp_path, "%s-slice%d" % (phase, k), "%s.yml" % phase,
                         {h: hosts[h] for h in names[k - 1::SLICES]},
                         {"%s_report_dir" % phase: reports, "preflight_slice": job_id,
                          "awx_job_id": job_id, "awx_workflow_job_id": str(workflow_id)})
    threads = [threading.Thread(target=slice_job, args=(k,)) for k in range(1, SLICES + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    passed = {}
    for k, runner in sorted(runners.items()):
        # a slice does not gate: the merge does, on every host
        assert runner.rc == 0, (k, runner.stdout.read()[-3000:])
        passed.update(artifacts(runner))
    assert passed == {"preflight_slice_run": str(workflow_id)}
    merge = run(tmp_path, "%s-merge" % phase, "%s_merge.yml" % phase, hosts,
                dict(passed, awx_workflow_job_id="900", **{"%s_report_dir" % phase: reports},
                     **(merge_vars or {})))
    return merge


def same(report):
    """The report without what differs between two runs over the same hosts: times and audit durations."""
    report = json.loads(json.dumps(report))
    report.pop("generated")
    for host in report["hosts"].values():
        for audit in host["audits"]:
            audit.pop("duration", None)
        for snapshot in host["snapshots"].values():
            snapshot.pop("taken", None)     # when the link counters were read
    return report


def outputs(directory, name):
    text = {ext: open(os.path.join(directory, name + ext), encoding="utf-8").read()
            for ext in (".json", ".md", ".junit.xml")}
    text[".md"] = re.sub(r"Generated \S+ by", "Generated (time) by", text[".md"])
    # each audit's duration, listed per host since issue 17, as the JSON's durations above
    text[".md"] = re.sub(r" \(\d+\.\d\d s\)", " (duration)", text[".md"])
    return same(json.loads(text.pop(".json"))), text


def metrics(path):
    """The fleet's Prometheus file without what differs between two runs: the run's time and durations."""
    with open(path, encoding="utf-8") as fh:
        return [line for line in fh.read().splitlines()
                if not line.startswith(("netmedic_last_run_timestamp_seconds", "netmedic_audit_duration_seconds"))]


def test_sliced_run_merged_is_the_single_run(lab, tmp_path):
    net = lab.network("ssh")
    hosts = {}
    for i in range(1, LAB_HOSTS + 1):
        host = lab.host("h%d" % i, networks=[net], systemd=False)
        labssh.start_sshd(host)
        hosts[host.short] = labssh.inventory_vars(host.ip(net))
    # a host with a finding of its own: FRR's daemons file without the -T the frr audits check
    first = lab.hosts["h1"]
    first.put_file("bgpd=yes\nzebra=yes\n", "/etc/frr/daemons")
    # one host that cannot be reached: no result, in one run and in the merged one. Without
    # pipelining: with it, ssh's error races the module written to its stdin and the message
    # is one of two texts (ansible/plugins/connection/ssh.py, _send_initial_data or rc 255).
    hosts["gone"] = ("ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh ansible_ssh_timeout=5"
                     " ansible_pipelining=false")

    single = str(tmp_path / "single")
    one = run(tmp_path, "single", "preflight.yml", hosts,
              {"preflight_report_dir": single, "preflight_report_metrics": str(tmp_path / "single.prom")})
    merged = str(tmp_path / "sliced")
    merge = sliced(tmp_path, "preflight", hosts, merged, workflow_id=800,
                   merge_vars={"preflight_report_metrics": str(tmp_path / "merged.prom")})

    assert one.rc != 0 and merge.rc == one.rc, (one.rc, merge.rc, merge.stdout.read()[-3000:])
    report, texts = outputs(merged, "preflight")
    single_report, single_texts = outputs(single, "preflight")
    assert sorted(report["hosts"]) == sorted(hosts)
    assert report["hosts"]["gone"]["status"] == "no-result"
    assert report == single_report
    assert texts == single_texts
    # the fleet metrics come from the merged report as from the single one (issue 17's file)
    fleet = metrics(str(tmp_path / "merged.prom"))
    assert fleet == metrics(str(tmp_path / "single.prom"))
    assert any(line.startswith("netmedic_finding{") for line in fleet), fleet
    assert sorted(os.listdir(merged)) == ["preflight.json", "preflight.junit.xml", "preflight.md"] + [
        "preflight.slice-%d.json" % (800 + k) for k in range(1, SLICES + 1)]

    # The postflight: slices audit again against the merged preflight report, the merge compares and gates.
    post = sliced(tmp_path, "postflight", hosts, merged, workflow_id=810)
    one_post = run(tmp_path, "single-post", "postflight.yml", hosts,
                   {"postflight_report_dir": single, "postflight_fail_on": "warning"})
    assert post.rc == one_post.rc, (post.rc, one_post.rc, post.stdout.read()[-3000:])
    report, texts = outputs(merged, "postflight")
    single_report, single_texts = outputs(single, "postflight")
    assert report == single_report and texts == single_texts
    with open(os.path.join(merged, "postflight-diff.json"), encoding="utf-8") as fh:
        diff = json.load(fh)
    with open(os.path.join(single, "postflight-diff.json"), encoding="utf-8") as fh:
        single_diff = json.load(fh)
    assert diff["hosts"] == single_diff["hosts"]
    # link counters were compared from the merged preflight report on every reachable host
    assert all(diff["hosts"][h]["links_compared"] for h in hosts if h != "gone")
