"""A fake ``/proc`` entry under a test root, as plugins/module_utils/core/procfs.py reads it."""

import os


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
