"""FRR process-settings audit on a fake root (daemons file, frr.conf, pid files, /proc)."""

import os
import shutil
import signal

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_settings as S
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext

from support.fakes import FakeRunner, fixture

HZ = os.sysconf("SC_CLK_TCK")
UPTIME = 100000.0


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)


def proc(root, pid, argv, age, capprm=0x203000, drops=None, pathspace=""):
    """A fake /proc/PID started ``age`` seconds ago, and its pid file."""
    name = os.path.basename(argv[0])
    base = os.path.join(root, "proc", str(pid))
    write(os.path.join(base, "cmdline"), "\0".join(argv) + "\0")
    start = int((UPTIME - age) * HZ)
    fields = ["S"] + ["0"] * 18 + [str(start)] + ["0"] * 20
    write(os.path.join(base, "stat"), "%d (%s) %s\n" % (pid, name, " ".join(fields)))
    write(os.path.join(base, "status"), "Name:\t%s\nCapPrm:\t%016x\nCapEff:\t0000000000000000\n" % (name, capprm))
    shutil.rmtree(os.path.join(base, "fd"), ignore_errors=True)
    os.makedirs(os.path.join(base, "fd"))
    rows = ["sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode"]
    for i, d in enumerate(drops or []):
        inode = str(5000 + i)
        os.symlink("socket:[%s]" % inode, os.path.join(base, "fd", str(10 + i)))
        rows.append("0000000049c9429e 0   %d 00000000 0 0 0 2 %d %s" % (pid, d, inode))
    write(os.path.join(base, "net", "netlink"), "\n".join(rows) + "\n")
    run = os.path.join(root, "var/run/frr", pathspace)
    write(os.path.join(run, name + ".pid"), "%d\n" % pid)


@pytest.fixture
def root(tmp_path):
    r = str(tmp_path)
    write(os.path.join(r, "proc/uptime"), "%.2f 1.00\n" % UPTIME)
    write(os.path.join(r, "proc/sys/net/core/rmem_max"), "4194304\n")
    return r


def healthy(root, pathspace="", daemons=None, conf_lines=100, watchfrr_age=86400, zebra_opts=("-s", "90000000"),
            wf_opts=()):
    etc = os.path.join(root, "etc/frr", pathspace)
    write(os.path.join(etc, "daemons"), daemons if daemons is not None else fixture("daemons.debian") + "bgpd=yes\n")
    write(os.path.join(etc, "frr.conf"), "frr defaults traditional\n!\n" + "".join(
        "ip prefix-list PL seq %d permit 10.0.%d.0/24\n" % (i + 5, i % 250) for i in range(conf_lines)))
    ns = ["-N", pathspace] if pathspace else []
    proc(root, 100, ["/usr/lib/frr/watchfrr"] + ns + ["-d", "-F", "traditional"] + list(wf_opts)
         + ["zebra", "bgpd", "staticd"], watchfrr_age, pathspace=pathspace)
    proc(root, 101, ["/usr/lib/frr/zebra"] + ns + ["-d", "-F", "traditional", "-A", "127.0.0.1"] + list(zebra_opts),
         watchfrr_age - 0.1, drops=[0, 0], pathspace=pathspace)
    proc(root, 102, ["/usr/lib/frr/bgpd"] + ns + ["-d", "-A", "127.0.0.1"], watchfrr_age - 0.1, pathspace=pathspace)
    proc(root, 103, ["/usr/lib/frr/staticd"] + ns + ["-d"], watchfrr_age - 0.1, pathspace=pathspace)


def run(root, answers=None, **opts):
    opts.setdefault("check_drift", answers is not None)
    return S.run(AuditContext(root=root, runner=FakeRunner(answers or {}), options={"frr_settings": opts}))


def ids(findings):
    return sorted((f.id, f.subject) for f in findings)


def test_healthy_debian_router_has_no_findings(root):
    healthy(root)
    assert run(root) == []


def test_20000_line_config_with_default_timeout_is_critical(root):
    healthy(root, conf_lines=20000)
    [f] = run(root)
    assert (f.id, f.severity, f.incident) == ("NM-FRR-010", "critical", "000")
    e = f.evidence
    assert e["config_lines"] == 20001 and e["restart_timeout_seconds"] == 20
    assert e["estimated_load_seconds"] == 200.0 and "20001 config lines / 100 lines per second = 200 s" in e["model"]
    assert f.fix.module == "netmedic.network.frr_daemons_options"
    assert f.fix.params == {"watchfrr_restart_timeout": 400}


def test_warning_when_headroom_is_thin_and_running_value_counts(root):
    # 3,000 lines: 30 s at 100 lines/s; daemons file says -T 40 (margin < 2x), running watchfrr still -T 20
    daemons = fixture("daemons.debian") + 'bgpd=yes\nwatchfrr_options="-T 40"\n'
    healthy(root, daemons=daemons, conf_lines=2999)
    f = {x.id: x for x in run(root)}
    assert f["NM-FRR-010"].severity == "critical"  # the running watchfrr (-T 20) is what bites tonight
    assert f["NM-FRR-010"].evidence["restart_timeout_in_daemons_file"] == 40
    assert f["NM-FRR-010"].evidence["restart_timeout_of_running_watchfrr"] == 20
    assert f["NM-FRR-017"].evidence["differences"] == {"watchfrr -T": {"daemons_file": 40, "running": 20}}


def test_warning_band(root):
    daemons = fixture("daemons.debian") + 'bgpd=yes\nwatchfrr_options="-T 40"\n'
    healthy(root, daemons=daemons, conf_lines=2999, wf_opts=("-T", "40"))
    [f] = run(root)
    assert f.id == "NM-FRR-010" and f.severity == "warning" and "2x headroom" in f.summary
    assert [x.id for x in run(root, lines_per_second=1000)] == []


def test_small_netlink_buffer_and_no_cap(root):
    daemons = 'bgpd=yes\nzebra_options="-A 127.0.0.1"\n'
    healthy(root, daemons=daemons, zebra_opts=())
    os.chmod(root, 0o755)
    f = {x.id: x for x in run(root)}
    assert f["NM-FRR-011"].evidence["nl_bufsize_in_daemons_file"] is None
    assert f["NM-FRR-011"].evidence["nl_bufsize_of_running_zebra"] == 4194304
    assert "4.0 MiB" in f["NM-FRR-011"].summary
    assert "NM-FRR-012" not in f  # 4 MiB == rmem_max


def test_capped_by_rmem_max_without_cap_net_admin(root):
    healthy(root)
    proc(root, 101, ["/usr/lib/frr/zebra", "-d", "-s", "90000000"], 86400, capprm=0)
    f = {x.id: x for x in run(root)}
    assert f["NM-FRR-012"].evidence["net.core.rmem_max"] == 4194304


def test_netlink_drops(root):
    healthy(root)
    proc(root, 101, ["/usr/lib/frr/zebra", "-d", "-s", "90000000"], 86400, drops=[0, 17])
    [f] = run(root)
    assert f.id == "NM-FRR-013" and f.evidence["drops_by_socket_inode"] == {"5000": 0, "5001": 17}


def test_enabled_daemon_not_running_and_stale_pid(root):
    healthy(root)
    os.unlink(os.path.join(root, "var/run/frr/bgpd.pid"))
    write(os.path.join(root, "var/run/frr/staticd.pid"), "101\n")  # zebra's pid: stale
    f = {x.subject: x for x in run(root) if x.id == "NM-FRR-014"}
    assert set(f) == {"bgpd", "staticd"} and f["bgpd"].severity == "critical"
    assert "no pid file" in f["bgpd"].evidence["why"] and "stale pid file" in f["staticd"].evidence["why"]


def test_daemon_restarted_by_watchfrr(root):
    healthy(root)
    proc(root, 102, ["/usr/lib/frr/bgpd", "-d"], 120)
    [f] = run(root)
    assert (f.id, f.subject) == ("NM-FRR-015", "bgpd") and f.evidence["age_seconds"] == pytest.approx(120, abs=1)


def test_fresh_start_is_info(root):
    healthy(root, watchfrr_age=60)
    [f] = run(root)
    assert f.id == "NM-FRR-016" and f.severity == "info"


def test_pathspace(root):
    healthy(root, pathspace="nmaud-r1", conf_lines=20000)
    f = run(root, pathspace="nmaud-r1")
    assert ids(f) == [("NM-FRR-010", "watchfrr (pathspace nmaud-r1)")]
    assert f[0].fix.params == {"pathspace": "nmaud-r1", "watchfrr_restart_timeout": 400}


def test_unreadable_daemons_file_is_a_finding(root):
    [f] = run(root)
    assert f.id == "NM-FRR-019" and "No such file" in f.summary
    write(os.path.join(root, "etc/frr/daemons"), 'zebra_options="-s 1\n')
    [f] = run(root)
    assert f.id == "NM-FRR-019" and "unterminated double quote" in f.summary


def test_applies(root):
    ctx = AuditContext(root=root, runner=FakeRunner({}))
    assert not S.applies(ctx)
    write(os.path.join(root, "etc/frr/daemons"), "bgpd=yes\n")
    assert not S.applies(ctx)  # installed, not running, no systemd: not in use
    os.makedirs(os.path.join(root, "run/systemd/system"))
    os.makedirs(os.path.join(root, "etc/systemd/system/multi-user.target.wants"))
    assert not S.applies(ctx)
    write(os.path.join(root, "etc/systemd/system/multi-user.target.wants/frr.service"), "")
    assert S.applies(ctx)


def test_count_config_lines():
    assert S.count_config_lines("frr version 8.4\n!\n\n# c\nrouter bgp 1\n neighbor x remote-as 2\n!\n") == 3


RUNNING = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname r1
!
ip prefix-list PL seq 5 permit 10.0.0.0/24
!
end
"""


def test_drift_from_the_reconcile_engine(root):
    healthy(root, conf_lines=2)
    # frr.conf has two prefix-list lines, the running config one: one line missing
    assert [f.id for f in run(root, {"show running-config": RUNNING})] == ["NM-FRR-018"]
    [f] = run(root, {"show running-config": RUNNING})
    assert f.severity == "warning" and f.evidence["missing_from_running"] == 1
    assert f.evidence["first_differences"] == ["+ ip prefix-list PL seq 6 permit 10.0.1.0/24"]
    assert f.fix.module == "netmedic.network.frr_reconcile"
    # the same after a recent bgpd restart: incident 000's signature
    proc(root, 102, ["/usr/lib/frr/bgpd", "-d"], 120)
    f = {x.id: x for x in run(root, {"show running-config": RUNNING})}
    assert f["NM-FRR-018"].severity == "critical" and f["NM-FRR-018"].evidence["restarted_recently"] == ["bgpd"]
    assert "bgpd restarted recently and came back with partial config" in f["NM-FRR-018"].summary


def test_drift_unreadable_running_config(root):
    healthy(root, conf_lines=2)
    [f] = run(root, {"show running-config": (1, "", "zebra is not running")})
    assert f.id == "NM-FRR-018" and "cannot compare" in f.summary
    assert run(root, {"show running-config": RUNNING}, check_drift=False) == []


def test_several_pathspaces(root):
    healthy(root, pathspace="ra", conf_lines=20000)
    f = run(root, pathspaces=["ra", "rb"])  # rb has no daemons file: not an FRR instance, skipped
    assert ids(f) == [("NM-FRR-010", "watchfrr (pathspace ra)")]
    [bad] = run(root, pathspaces=["ra", "../x"])
    assert bad.id == "NM-FRR-019" and "is not a plain name" in bad.summary


def test_a_netlink_table_without_an_inode_column_is_no_crash(root):
    """/proc/PID/net/netlink with a Drops column but no Inode column (another kernel's layout) made the audit
    raise ValueError from list.index: the whole frr_settings audit failed (NM-CORE-001)."""
    healthy(root)
    write(os.path.join(root, "proc/101/net/netlink"), "sk Eth Pid Groups Rmem Wmem Dump Locks Drops\n"
                                                      "0000000049c9429e 0 101 00000000 0 0 0 2 17\n")
    assert run(root) == []


def test_a_fifo_for_frr_conf_or_the_daemons_file_does_not_hang_the_audit(root):
    """open() of a FIFO blocks until a writer comes: the audit read frr.conf and the daemons file with open()
    and hung the preflight; FRR's files are read by frr.files.read_frr_file, which takes regular files only."""
    class Hung(BaseException):   # (not an OSError: the old code caught those and reported "None")
        pass

    def hung(signum, frame):
        raise Hung("the audit blocked on a FIFO")

    healthy(root)
    os.unlink(os.path.join(root, "etc/frr/frr.conf"))
    os.mkfifo(os.path.join(root, "etc/frr/frr.conf"))
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    try:
        [f] = run(root)
        assert (f.id, f.summary) == ("NM-FRR-019", "cannot read %s/etc/frr/frr.conf: not a regular file" % root)
        os.unlink(os.path.join(root, "etc/frr/daemons"))
        os.mkfifo(os.path.join(root, "etc/frr/daemons"))
        [f] = run(root)
        assert f.id == "NM-FRR-019" and "not a regular file" in f.summary
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
