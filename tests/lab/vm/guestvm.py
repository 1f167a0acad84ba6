# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Boot the Debian kernel under qemu (TCG) and run a Python script against its real sysfs.

Shared by the bonding and the BMC VM tests (moved here from
tests/integration/bond/vm/bondvm.py in issue 13).  ``qemu_args`` adds devices
(the BMC test's KCS interface to ipmi_sim); ``modules`` names initramfs
modules to load (``nm.modules=`` on the kernel command line).

The guest gets three virtio-9p shares: the debootstrap rootfs (read-only), a
work directory (the collection's plugins, the guest script, results) and the
controller's site-packages (read-only, for ``ansible.module_utils`` so the
module's own ``main()`` runs in the guest).  The guest script writes JSON to
``/mnt/work/results.json``; :func:`boot` returns it with the console log.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import build_assets  # noqa: E402

GUEST_SH = """#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PYTHONDONTWRITEBYTECODE=1 HOME=/tmp
cd /mnt/work
/usr/bin/python3 /mnt/work/%(script)s > /mnt/work/guest.log 2>&1
echo "guest exit $?" >> /mnt/work/guest.log
sync
echo o > /proc/sysrq-trigger
sleep 30
"""


class VMError(Exception):
    pass


def site_packages():
    import ansible
    return os.path.dirname(os.path.dirname(os.path.abspath(ansible.__file__)))


def boot(script_path, files=None, timeout=240, memory=768, qemu_args=(), modules=(), rootfs=None):
    """Run ``script_path`` as the guest's program; returns (results dict, info dict).

    ``rootfs``: another root tree (the FRR VM's, tests/lab/vm/frr_assets.py) instead of build_assets'."""
    assets = build_assets.CACHE
    build_assets.main(rootfs=rootfs is None)
    vmlinux = os.path.join(assets, "vmlinux")
    initrd = build_assets.initramfs_path()
    rootfs = rootfs or os.path.join(assets, "rootfs")
    work = tempfile.mkdtemp(prefix="nm-vm-", dir=assets)
    try:
        coll = os.path.join(work, "collections", "ansible_collections", "netmedic", "network")
        os.makedirs(coll)
        shutil.copytree(os.path.join(REPO, "plugins"), os.path.join(coll, "plugins"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        name = os.path.basename(script_path)
        shutil.copy2(script_path, os.path.join(work, name))
        shutil.copy2(os.path.join(HERE, "guest_util.py"), os.path.join(work, "guest_util.py"))
        for src in files or ():
            shutil.copy2(src, os.path.join(work, os.path.basename(src)))
        with open(os.path.join(work, "guest.sh"), "w") as fh:
            fh.write(GUEST_SH % {"script": name})
        argv = [
            "qemu-system-x86_64", "-accel", "tcg", "-m", str(memory), "-smp", "1",
            "-nographic", "-no-reboot", "-net", "none",
            "-kernel", vmlinux, "-initrd", initrd,
            "-append", "console=ttyS0 quiet loglevel=4 panic=-1" + (
                " nm.modules=" + ",".join(modules) if modules else ""),
            "-virtfs", "local,path=%s,mount_tag=rootfs,security_model=passthrough,readonly=on" % rootfs,
            "-virtfs", "local,path=%s,mount_tag=work,security_model=passthrough" % work,
            "-virtfs", "local,path=%s,mount_tag=pylib,security_model=passthrough,readonly=on" % site_packages(),
        ] + list(qemu_args)
        start = time.monotonic()
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=timeout, check=False)
            console = proc.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as exc:
            console = (exc.stdout or b"").decode("utf-8", "replace")
            raise VMError("the VM did not power off within %d s; console:\n%s\nguest log:\n%s"
                          % (timeout, console[-3000:], _read(os.path.join(work, "guest.log"))))
        elapsed = time.monotonic() - start
        log = _read(os.path.join(work, "guest.log"))
        results_path = os.path.join(work, "results.json")
        if not os.path.exists(results_path):
            raise VMError("the guest wrote no results; console:\n%s\nguest log:\n%s" % (console[-3000:], log))
        with open(results_path) as fh:
            results = json.load(fh)
        return results, {"seconds": elapsed, "console": console, "log": log}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def step_reader(results):
    """``get(name)`` -> that guest step's observations; an assertion with the guest's log or traceback
    when the guest did not finish or the step crashed (the ``step`` fixtures of the VM tests)."""
    def get(name):
        assert results.get("done"), "the guest did not finish:\n" + results.get("_log", "")[-3000:]
        data = results[name]
        assert "error" not in data, "guest step %s crashed:\n%s" % (name, data["error"])
        return data
    return get


def _read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""
