#!/usr/bin/env python
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build (once) the FRR rootfs of the VRF VM test (``make frr-vrf``), under build/nm-vm-frr/.

This host's kernel has no VRF driver (``ip link add red type vrf table 10``:
"Unknown device type"); the lab VM's Debian 12 kernel ships ``vrf.ko``.  The
VM boots that kernel with build_assets.py's vmlinux and initramfs (shared,
unchanged); its root is a sibling of build_assets.py's rootfs, its own
directory and stamp, so the bond and BMC VM tests of ``make test`` never see
it:

- a debootstrap bookworm minbase tree with python3, iproute2, kmod and
  ``frr frr-pythontools`` (FRR 8.4.4 and its frr-reload.py);
- ``vrf.ko`` (and what it needs) of the same kernel under
  ``/lib/modules/VERSION`` with ``depmod``, so that ``modprobe vrf`` works in
  the guest (the initramfs does not carry it).

Skipped when the stamp matches.  Run: ``python3 tests/lab/vm/frr_assets.py``.
"""

import fcntl
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_assets  # noqa: E402

CACHE = os.environ.get("NM_VM_FRR_CACHE") or os.path.join(build_assets.REPO, "build", "nm-vm-frr")
ROOTFS_PACKAGES = "python3,iproute2,kmod,procps,frr,frr-pythontools"
GUEST_MODULES = ["vrf"]


def vmlinux_version():
    """The kernel release of build_assets' vmlinux ("6.1.0-41-amd64")."""
    with open(os.path.join(build_assets.CACHE, "vmlinux"), "rb") as fh:
        m = re.search(rb"Linux version (\S+) ", fh.read())
    if not m:
        raise build_assets.BuildError("no 'Linux version' in vmlinux")
    return m.group(1).decode()


def add_modules(root):
    """vrf.ko and its dependencies from the kernel package vmlinux came from, into the rootfs."""
    tree, version = build_assets.fetch_kernel()
    try:
        if version != vmlinux_version():
            raise build_assets.BuildError("kernel package %s is not vmlinux's %s: remove %s and build again"
                                          % (version, vmlinux_version(), build_assets.CACHE))
        moddir = os.path.join(tree, "lib", "modules", version)
        if not os.path.exists(os.path.join(moddir, "modules.dep")):
            build_assets.sh(["depmod", "-b", tree, version])
        deps = {}
        with open(os.path.join(moddir, "modules.dep")) as fh:
            for line in fh:
                mod, _colon, rest = line.partition(":")
                deps[mod] = rest.split()
        by_name = {os.path.basename(m).split(".ko")[0].replace("-", "_"): m for m in deps}
        todo, need = [by_name[n] for n in GUEST_MODULES], set()
        while todo:
            m = todo.pop()
            if m not in need:
                need.add(m)
                todo.extend(deps[m])
        dst = os.path.join(root, "lib", "modules", version)
        for m in sorted(need):
            os.makedirs(os.path.dirname(os.path.join(dst, m)), exist_ok=True)
            shutil.copy2(os.path.join(moddir, m), os.path.join(dst, m))
        for f in ("modules.builtin", "modules.order", "modules.builtin.modinfo"):
            shutil.copy2(os.path.join(moddir, f), dst)
        build_assets.sh(["depmod", "-b", root, version])
    finally:
        shutil.rmtree(tree, ignore_errors=True)   # about 400 MB
    return sorted(need)


def build_rootfs():
    """The FRR rootfs (path); a changed package or module list rebuilds it."""
    build_assets.main(rootfs=False)          # vmlinux and the initramfs, shared with the other VM tests
    root = os.path.join(CACHE, "rootfs")
    stamp = os.path.join(CACHE, "rootfs.done")
    want = "%s %s" % (ROOTFS_PACKAGES, ",".join(GUEST_MODULES))
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(stamp) and open(stamp).read() == want:
            return root
        start = time.monotonic()
        shutil.rmtree(root, ignore_errors=True)
        build_assets.sh(["debootstrap", "--variant=minbase", "--include=" + ROOTFS_PACKAGES, "bookworm", root,
                         build_assets.MIRROR], stdout=subprocess.DEVNULL)
        shutil.rmtree(os.path.join(root, "var", "cache", "apt", "archives"), ignore_errors=True)
        for d in ("mnt/work", "mnt/pylib"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        add_modules(root)
        with open(os.path.join(CACHE, "rootfs-build-seconds"), "w") as fh:
            fh.write("%.0f\n" % (time.monotonic() - start))
        with open(stamp, "w") as fh:
            fh.write(want)
    return root


if __name__ == "__main__":
    print("rootfs=%s" % build_rootfs())
