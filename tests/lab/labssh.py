"""SSH into lab hosts: sshd with key login, for Ansible's real transport (issue 18).

The lab image has openssh-server installed but disabled and without host keys
(build-image.sh), so hosts that do not ask for it run no sshd.  ``start_sshd``
gives one lab host an ed25519 host key of its own, this checkout's client key in
root's authorized_keys and a running sshd (on several ports if asked: one
container can then stand for several inventory hosts, each with its own SSH
connection and ControlPersist master, as ``tests/bench/preflight_fleet.py`` does
past the containers memory allows)::

    import labssh
    net = lab.network("ssh", internal=False)
    h = lab.host("a", networks=[net], systemd=False)
    labssh.start_sshd(h)
    inventory_line = "a " + labssh.inventory_vars(h.ip(net))

The client key is ``build/lab-ssh/id_ed25519`` (made once per checkout).  Host
keys are not checked (``StrictHostKeyChecking=no``, known hosts ``/dev/null``):
lab hosts are recreated with new keys on every run.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Optional, Sequence

import lab as nmlab

KEY = os.path.join(nmlab.REPO, "build", "lab-ssh", "id_ed25519")
# sshd's MAX_LISTEN_SOCKS (openssh sshd.c): more and it exits, "Too many listen sockets"
MAX_PORTS = 16
LOG = "/var/log/netmedic-lab-sshd.log"      # sshd -E, in hosts without systemd
SSH_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"


def client_key() -> str:
    """Path of this checkout's lab client key (private; ``.pub`` beside it), made when missing."""
    if not os.path.exists(KEY):
        os.makedirs(os.path.dirname(KEY), mode=0o700, exist_ok=True)
        res = nmlab.runner.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netmedic-lab", "-f", KEY],
                               timeout=30)
        if not res.ok:
            raise nmlab.CommandError("ssh-keygen failed: %s" % res.describe(), res)
    return KEY


def start_sshd(host: "nmlab.Host", ports: Sequence[int] = (22,), timeout: float = 30) -> None:
    """Start sshd in ``host`` (key login for root on ``ports``); return once it accepts connections."""
    if not ports or any(not isinstance(p, int) or not 0 < p < 65536 for p in ports):
        raise ValueError("ports must be TCP port numbers: %r" % (ports,))
    if len(ports) > MAX_PORTS:
        raise ValueError("sshd listens on %d ports at most: %d asked" % (MAX_PORTS, len(ports)))
    with open(client_key() + ".pub", encoding="ascii") as fh:
        host.put_file(fh.read(), "/root/.ssh/authorized_keys", mode=0o600)
    host.exec(["chmod", "700", "/root/.ssh"])
    host.exec(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "/etc/ssh/ssh_host_ed25519_key"])
    host.put_file("".join("Port %d\n" % p for p in ports) + "HostKey /etc/ssh/ssh_host_ed25519_key\n"
                  "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n"
                  # IPv4 only: one listening socket per port, not two (see MAX_PORTS)
                  "AddressFamily inet\n"
                  # many sessions at once over one ControlPersist master (Ansible's forks)
                  "MaxSessions 64\nMaxStartups 200\n",
                  "/etc/ssh/sshd_config.d/netmedic-lab.conf")
    host.exec(["mkdir", "-p", "/run/sshd"])
    if host.exec(["test", "-d", "/run/systemd/system"], check=False).ok:
        host.exec(["systemctl", "start", "ssh.service"])
        wait_for_port(_address(host), ports[0], timeout)
        return
    # daemonizes; the container's PID 1 (sleep) keeps it.  -E: no syslog here, its errors go to LOG.
    host.exec(["/usr/sbin/sshd", "-E", LOG])
    try:
        wait_for_port(_address(host), ports[0], timeout)
        return
    except nmlab.CommandError as exc:
        # sshd can exit after it daemonized (11 ports on IPv4 and IPv6 were more sockets than it
        # takes): once more when none runs, then fail with what sshd said.
        if host.exec(["pgrep", "-x", "sshd"], check=False).ok:
            raise _with_log(host, exc) from None
    host.exec(["/usr/sbin/sshd", "-E", LOG])
    try:
        wait_for_port(_address(host), ports[0], timeout)
    except nmlab.CommandError as exc:
        raise _with_log(host, exc) from None


def _with_log(host: "nmlab.Host", exc: "nmlab.CommandError") -> "nmlab.CommandError":
    log = host.exec(["tail", "-n", "20", LOG], check=False).stdout.strip()
    return nmlab.CommandError("%s; %s says: %s" % (exc, LOG, log or "(nothing)"), exc.result)


def _address(host: "nmlab.Host") -> str:
    return host.ip(host.networks[0]) if host.networks else "127.0.0.1"


def wait_for_port(address: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=2):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise nmlab.CommandError("sshd on %s:%d does not accept connections after %.0f s: %s"
                                         % (address, port, timeout, exc)) from None
            time.sleep(0.1)


def inventory_vars(address: str, port: Optional[int] = None) -> str:
    """The INI inventory variables that reach a lab host at ``address`` over SSH as root with the lab key."""
    out = ["ansible_connection=ssh", "ansible_host=%s" % address, "ansible_user=root",
           "ansible_ssh_private_key_file=%s" % client_key(), "ansible_ssh_common_args='%s'" % SSH_ARGS,
           "ansible_python_interpreter=/usr/bin/python3"]
    if port:
        out.append("ansible_port=%d" % port)
    return " ".join(out)
