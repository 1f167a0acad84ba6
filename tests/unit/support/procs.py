"""A fake ``/proc`` entry under a test root, as plugins/module_utils/core/procfs.py reads it; and the wait
for a real child to have exec'd."""

import os
import time


def stat_line(pid, comm, state="S", start=12345):
    """``/proc/PID/stat``: field 3 is the state, field 22 the start time in clock ticks."""
    fields = [state] + ["0"] * 18 + [str(start)] + ["0"] * 20
    return "%d (%s) %s\n" % (pid, comm, " ".join(fields))


def fake_process(root, pid, argv, state="S", start=12345):
    """Write stat, comm and cmdline of ``pid`` under ``root/proc`` (no exe link: comm decides)."""
    d = os.path.join(str(root), "proc", str(pid))
    os.makedirs(d, exist_ok=True)
    comm = os.path.basename(argv[0])[:15]
    with open(os.path.join(d, "stat"), "w") as fh:
        fh.write(stat_line(pid, comm, state, start))
    with open(os.path.join(d, "comm"), "w") as fh:
        fh.write(comm + "\n")
    with open(os.path.join(d, "cmdline"), "wb") as fh:
        fh.write(b"\0".join(a.encode() for a in argv) + b"\0")


def wait_exec(pid, comm, timeout=5.0):
    """Until the child ``pid`` has exec'd: its comm is ``comm`` AND its argv is in place.

    The kernel sets comm early in exec (setup_new_exec) and the argument area later
    (create_elf_tables); in between, /proc/PID/cmdline reads empty.  Waiting for comm alone let
    tests snapshot or scan a child with argv == () under load (seen in full unit runs:
    test_scan_finds_a_copy_named_like_the_daemon, test_check_mode_looks_only[reload]).
    """
    deadline = time.monotonic() + timeout
    path = "/proc/%d/" % pid
    while time.monotonic() < deadline:
        try:
            with open(path + "comm") as fh:
                name = fh.read().strip()
            with open(path + "cmdline", "rb") as fh:
                argv = fh.read()
        except OSError:
            name, argv = None, b""
        if name == comm[:15] and argv:
            return
        time.sleep(0.005)
