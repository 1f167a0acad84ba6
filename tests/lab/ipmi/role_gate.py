# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A UDP relay in front of ipmi_sim that refuses RMCP+ sessions at ADMINISTRATOR ("invalid role"),
or (``refuse_admin=False``) only stands for the BMC's LAN cable: ``cabled.clear()`` drops every packet.

Why: a Supermicro X11 whose account is not an administrator answers ipmitool's
default session (ADMINISTRATOR) with "Error in open session response message :
invalid role" (natankeddem/hush issue 14).  ipmi_sim cannot say that: ipmitool
asks for "the highest level" (0) in the Open Session Request when -L is
ADMINISTRATOR and looks the user up by name only in RAKP 1, and ipmi_sim then
grants ADMINISTRATOR to any account (lanserv_ipmi.c, find_user).  So the relay
answers such an Open Session Request itself, as the IPMI 2.0 spec (13.17)
shapes an error response: message tag, status 0x09 invalid role, reserved,
remote console session id.  Everything else, sessions at OPERATOR or USER
included, goes to ipmi_sim unchanged.
"""

import select
import socket
import threading

RMCP_PLUS = 0x06
OPEN_SESSION_REQUEST = 0x10
OPEN_SESSION_RESPONSE = 0x11
INVALID_ROLE = 0x09
ADMIN_REQUESTS = (0, 4)   # "highest level" and ADMINISTRATOR


def refusal(packet: bytes) -> bytes:
    """The Open Session Response that refuses ``packet`` with "invalid role", or b"" to let it through."""
    if len(packet) < 16 + 8 or packet[4] != RMCP_PLUS or packet[5] & 0x3F != OPEN_SESSION_REQUEST:
        return b""
    payload = packet[16:]
    if payload[1] & 0x0F not in ADMIN_REQUESTS:
        return b""
    body = bytes([payload[0], INVALID_ROLE, 0, 0]) + payload[4:8]
    return packet[:4] + bytes([RMCP_PLUS, OPEN_SESSION_RESPONSE]) + bytes(8) + len(body).to_bytes(2, "little") + body


class RoleGate:
    """Listen on 127.0.0.1:``port`` and relay to ipmi_sim on ``upstream``; ``stop()`` ends it."""

    def __init__(self, port: int, upstream: int, refuse_admin: bool = True):
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", port))
        self.upstream = ("127.0.0.1", upstream)
        self.backs = {}            # client address -> its socket towards ipmi_sim
        self.refused = 0
        self.refuse_admin = refuse_admin
        # cleared: the BMC's LAN port is not cabled (issue 16's rollback test); every packet is dropped
        self.cabled = threading.Event()
        self.cabled.set()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="nmbmc-role-gate", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            socks = [self.front] + list(self.backs.values())
            ready, _w, _x = select.select(socks, [], [], 0.2)
            for sock in ready:
                if sock is self.front:
                    packet, client = sock.recvfrom(65535)
                    if not self.cabled.is_set():
                        continue
                    answer = refusal(packet) if self.refuse_admin else b""
                    if answer:
                        self.refused += 1
                        self.front.sendto(answer, client)
                        continue
                    back = self.backs.get(client)
                    if back is None:
                        back = self.backs[client] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    back.sendto(packet, self.upstream)
                else:
                    packet = sock.recv(65535)
                    if not self.cabled.is_set():
                        continue
                    client = next(c for c, s in self.backs.items() if s is sock)
                    self.front.sendto(packet, client)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        for sock in [self.front] + list(self.backs.values()):
            sock.close()
        self.backs.clear()
