"""Fuzz every reader of outside data in the tinc area, and /proc through procfs (issue 11).

Seeded mutations of real captures (fixtures/tinc/real: the tinc lab's tincd
1.0.36 in a namespace, its /proc files, ``ip -j -d link show``, its log with
SIGUSR1/SIGUSR2 dumps; see fixtures/tinc/real/README.md).  The only
acceptable outcomes are a result or the reader's own error type.  Run with
``-s`` to see the tally lines.
"""

import json
import os
import random

import pytest

from support.fakes import FakeRunner
from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.tinc import audit as audit_tinc
from ansible_collections.netmedic.network.plugins.module_utils.tinc import conf as C
from ansible_collections.netmedic.network.plugins.module_utils.tinc import dumps
from ansible_collections.netmedic.network.plugins.module_utils.tinc import identity
from ansible_collections.netmedic.network.plugins.module_utils.tinc import kernel_log as K
from ansible_collections.netmedic.network.plugins.module_utils.tinc import link
from ansible_collections.netmedic.network.plugins.module_utils.tinc import pidfile
from ansible_collections.netmedic.network.plugins.module_utils.tinc import state as S
from ansible_collections.netmedic.network.plugins.module_utils.tinc import systemd
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import log_tail

from support.fuzz import fuzz, json_cases, text_cases

REAL = os.path.join(FIXTURES, "tinc", "real")
with open(os.path.join(FIXTURES, "tinc", "cases.json")) as _fh:
    CASES = json.load(_fh)


def real(name, mode="r"):
    with open(os.path.join(REAL, name), mode) as fh:
        return fh.read()


def byte_cases(fixtures, count, seed):
    """Mutated bytes: the text mutations (as latin-1) plus byte-level flips, cuts and odd bytes."""
    rng = random.Random(seed)
    texts = [f.decode("latin-1") for f in fixtures]
    for label, text in text_cases(texts, count // 2, seed):
        yield label, text.encode("utf-8", "surrogatepass")
    odd = [b")", b"(", b"\0", b"\xff", b" ", b"\n", b"-", b"9" * 30, b"(tincd)", b") Z "]
    for n in range(count - count // 2):
        data = bytearray(rng.choice(fixtures))
        for _step in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            pos = rng.randrange(len(data) + 1)
            if op == 0 and data:
                data[min(pos, len(data) - 1)] = rng.randrange(256)
            elif op == 1:
                data[pos:pos] = rng.choice(odd)
            elif op == 2:
                del data[pos:pos + rng.randint(1, 20)]
            else:
                data = data[:pos]
        yield "bytes seed %d case %d" % (seed, n), bytes(data)


def runner(ip="[]", systemctl=""):
    """The shared fake runner answering ``ip -j`` and ``systemctl show`` with the case's text."""
    return FakeRunner({"ip -j": ip, "systemctl show": systemctl})


# ---------------------------------------------------------------- tinc configuration

def test_fuzz_tinc_conf_and_host_files():
    fixtures = [real("tinc.conf"), real("hosts_a"), real("hosts_b")] + [c["text"] for c in CASES["tinc_conf"]]
    tally = fuzz("tinc.conf.parse_tinc_conf", C.parse_tinc_conf, text_cases(fixtures, 4000, seed=1101))
    assert tally.unexpected == []


def test_fuzz_tinc_up():
    fixtures = [real("tinc-up")] + [c["text"] for c in CASES["tinc_up"]]
    tally = fuzz("tinc.conf.bridge_in_tinc_up", C.bridge_in_tinc_up, text_cases(fixtures, 3000, seed=1102))
    assert tally.unexpected == []


def test_fuzz_pidfiles(tmp_path):
    fixtures = [real("pidfile"), "11386 2F1C6A0B 10.99.0.1 port 655\n"]
    tally = fuzz("tinc.pidfile.parse_pidfile", pidfile.parse_pidfile, text_cases(fixtures, 3000, seed=1103))
    assert tally.unexpected == []
    path = str(tmp_path / "tinc.pid")

    def read(data):
        with open(path, "wb") as fh:
            fh.write(data)
        pid = pidfile.read_pidfile(path)
        assert pid is None or (isinstance(pid, int) and pid > 0)
    tally = fuzz("tinc.pidfile.read_pidfile (files)", read, byte_cases([real("pidfile", "rb")], 300, seed=1104))
    assert tally.unexpected == []


def test_fuzz_ifupdown_bridge_ports():
    with open(os.path.join(FIXTURES, "nmbond", "ifupdown", "etc", "network", "interfaces")) as fh:
        base = fh.read()
    fixtures = [base, base + "\nauto br-int\niface br-int inet manual\n    bridge_ports eth1 nmtinc-ta\n"]
    tally = fuzz("tinc.audit.bridge_in_interfaces", lambda t: audit_tinc.bridge_in_interfaces(t, "nmtinc-ta"),
                 text_cases(fixtures, 2000, seed=1105))
    assert tally.unexpected == []


# ---------------------------------------------------------------- /proc through procfs

def test_fuzz_proc_stat_and_cmdline():
    stat = real("proc_stat", "rb")
    tally = fuzz("procfs.parse_stat", procfs.parse_stat, byte_cases([stat, b"5 (tinc d) Z 1 1"], 4000, seed=1106))
    assert tally.unexpected == []
    tally = fuzz("procfs.parse_state", procfs.parse_state, byte_cases([stat], 2000, seed=1107))
    assert tally.unexpected == []

    def argv_checks(raw):
        argv = procfs.parse_cmdline(raw)
        identity.serves_network(argv, "nmtinc", "/etc/tinc-lab/a")
        identity.serves_network(argv, "nmtinc")
        for long, short in (("net", "n"), ("config", "c"), ("pidfile", None), ("logfile", None)):
            procfs.argv_option(argv, long, short)
    tally = fuzz("procfs.parse_cmdline + serves_network", argv_checks,
                 byte_cases([real("proc_cmdline", "rb")], 4000, seed=1108))
    assert tally.unexpected == []


def test_fuzz_identify_on_mutated_proc_trees(tmp_path):
    """procfs.read / identify / same_process on a /proc whose stat, comm, cmdline and exe are mutated."""
    proc = tmp_path / "proc" / "11386"
    proc.mkdir(parents=True)
    rng = random.Random(1109)
    stats = list(byte_cases([real("proc_stat", "rb")], 1000, seed=1110))
    cmdlines = list(byte_cases([real("proc_cmdline", "rb")], 1000, seed=1111))
    comms = list(byte_cases([real("proc_comm", "rb")], 1000, seed=1112))
    exes = ["/usr/sbin/tincd", "/usr/sbin/tincd (deleted)", "/usr/bin/sleep", "", "tincd", "/x\udcff"]
    expected = identity.tincd_of("nmtinc", "/etc/tinc-lab/a")

    def case(i):
        for name, cases in (("stat", stats), ("cmdline", cmdlines), ("comm", comms)):
            path = proc / name
            if rng.random() < 0.1:
                if path.exists():
                    path.unlink()
            else:
                path.write_bytes(cases[i][1])
        exe = proc / "exe"
        if os.path.lexists(str(exe)):
            exe.unlink()
        target = rng.choice(exes + [None])
        if target:
            os.symlink(target.encode("utf-8", "surrogateescape"), str(exe))
        found = procfs.identify(11386, expected, str(tmp_path))
        if isinstance(found, procfs.ProcessInfo):
            procfs.same_process(found, str(tmp_path))
            found.describe()
        else:
            assert found.reason
        list(procfs.scan(str(tmp_path), comm="tincd"))
        identity.find_tincd("nmtinc", "/etc/tinc-lab/a", str(tmp_path))
    tally = fuzz("procfs.identify (mutated /proc)", case, ((str(i), i) for i in range(1000)))
    assert tally.unexpected == []


def test_fuzz_established_peers(tmp_path):
    """tincd's /proc/PID/net/tcp (real) mutated, with its real socket fds."""
    pid = 11386
    fd_dir = tmp_path / "proc" / str(pid) / "fd"
    fd_dir.mkdir(parents=True)
    for fd, target in json.loads(real("proc_fd.json")).items():
        os.symlink(target, str(fd_dir / fd))
    net = tmp_path / "proc" / str(pid) / "net"
    net.mkdir()

    def case(data):
        (net / "tcp").write_bytes(data)
        (net / "tcp6").write_bytes(data[::-1])
        for addr in procfs.established_tcp_remotes(pid, str(tmp_path)):
            assert isinstance(addr, str)
    tally = fuzz("procfs.established_tcp_remotes", case, byte_cases([real("proc_net_tcp", "rb")], 1000, seed=1113))
    assert tally.unexpected == []
    (net / "tcp").write_bytes(real("proc_net_tcp", "rb"))
    assert procfs.established_tcp_remotes(pid, str(tmp_path)) == ["10.99.0.2"]


# ---------------------------------------------------------------- ip -j, systemd

def test_fuzz_ip_link_json(tmp_path):
    fixtures = [json.loads(real("ip_link_show.json")), json.loads(real("ip_link_show_master.json"))]

    def case(text):
        links = link.parse_ip_links(text)
        for one in links.values():
            link.link_master(one)
            link.link_is_up(one)
        st = S.TincState(netname="nmtinc", config_dir="/nonexistent", interface="nmtinc-ta")
        S.refresh_link(st, runner(ip=text), root=str(tmp_path))
    tally = fuzz("tinc.link.parse_ip_links + refresh_link", case, json_cases(fixtures, 2000, seed=1114),
                 allowed=(TincStateError,))
    assert tally.unexpected == []


def test_fuzz_systemctl_show():
    fixture = "ActiveState=active\nSubState=running\nMainPID=11386\nLoadState=loaded\n"

    def case(text):
        fake = runner(systemctl=text)
        props = systemd.systemd_props(fake, "tinc@nmtinc.service")
        systemd.systemd_main_pid(fake, "tinc@nmtinc.service", props)
    tally = fuzz("tinc.systemd.systemd_props", case, text_cases([fixture], 2000, seed=1115))
    assert tally.unexpected == []


# ---------------------------------------------------------------- kernel log, tinc's log

def test_fuzz_kmsg_records():
    fixtures = [c["raw"] for c in CASES["kmsg"]]

    def case(raw):
        rec = K.parse_kmsg(raw)
        if rec is not None:
            K.own_address_messages([rec], "t3o")
    tally = fuzz("tinc.kernel_log.parse_kmsg", case, text_cases(fixtures, 2000, seed=1116))
    assert tally.unexpected == []


def test_fuzz_tinc_dumps():
    with open(os.path.join(FIXTURES, "tinc", "dump_connections_nodes.log")) as fh:
        fixtures = [real("tincd.log"), fh.read()]

    def case(text):
        lines = text.splitlines()
        dumps.parse_connections(lines)
        dumps.parse_nodes(lines)
        log_tail(lines)
    tally = fuzz("tinc.dumps.parse_connections/nodes", case, text_cases(fixtures, 3000, seed=1117))
    assert tally.unexpected == []


# ---------------------------------------------------------------- discovery as a whole

def test_fuzz_discover(tmp_path):
    """discover() over a root whose tinc.conf, pidfile and /proc of the daemon are mutated."""
    root = tmp_path
    (root / "etc" / "tinc" / "nmtinc" / "hosts").mkdir(parents=True)
    (root / "run").mkdir()
    proc = root / "proc" / "11386"
    proc.mkdir(parents=True)
    (proc / "comm").write_bytes(real("proc_comm", "rb"))
    confs = list(text_cases([real("tinc.conf")], 300, seed=1118))
    stats = list(byte_cases([real("proc_stat", "rb")], 300, seed=1119))
    cmdlines = list(byte_cases([real("proc_cmdline", "rb").replace(b"/etc/tinc-lab/a", str(
        root / "etc" / "tinc" / "nmtinc").encode())], 300, seed=1120))
    pidfiles = list(text_cases([real("pidfile")], 300, seed=1121))
    links = real("ip_link_show.json")

    def case(i):
        (root / "etc" / "tinc" / "nmtinc" / "tinc.conf").write_text(confs[i][1], encoding="utf-8",
                                                                    errors="surrogatepass")
        (root / "run" / "tinc.nmtinc.pid").write_text(pidfiles[i][1], encoding="utf-8", errors="surrogatepass")
        (proc / "stat").write_bytes(stats[i][1])
        (proc / "cmdline").write_bytes(cmdlines[i][1])
        st = S.discover("nmtinc", runner(ip=links), service="plain", root=str(root))
        st.to_dict()
        st.describe()
    tally = fuzz("tinc.state.discover (mutated host)", case, ((str(i), i) for i in range(300)),
                 allowed=(TincStateError, CommandError))
    assert tally.unexpected == []


@pytest.mark.parametrize("text", ["\ud800", "\x00" * 10, "[" * 100000 + "]" * 100000])
def test_pathological_ip_output_is_an_own_error(text):
    try:
        link.parse_ip_links(text)
    except TincStateError:
        pass
