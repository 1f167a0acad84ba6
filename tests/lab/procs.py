"""Find and kill processes of this machine by their command line (lab cleanup).

The labs start daemons outside any container (tincd, FRR in network
namespaces), so their teardown finds leftovers through /proc.
"""

import os
import signal
from typing import Callable, Iterator, List, Tuple


def processes() -> Iterator[Tuple[int, List[bytes]]]:
    """(pid, argv) of every process whose command line can be read."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        yield int(entry), argv


def named(argv: List[bytes], name: str) -> bool:
    """The process is ``name`` (the basename of argv[0])."""
    return bool(argv) and os.path.basename(argv[0].decode(errors="replace")) == name


def kill_matching(match: Callable[[List[bytes]], bool], sig: int = signal.SIGKILL) -> List[int]:
    """Send ``sig`` to every process whose argv ``match`` accepts; return their pids."""
    killed = []
    for pid, argv in processes():
        if match(argv):
            try:
                os.kill(pid, sig)
                killed.append(pid)
            except OSError:
                pass
    return killed
