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
        moddir, need = build_assets.module_closure(tree, version, GUEST_MODULES)
        build_assets.install_modules(moddir, need, root, version)
    finally:
        shutil.rmtree(tree, ignore_errors=True)   # about 400 MB
    return need


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
        build_assets.debootstrap_rootfs(root, ROOTFS_PACKAGES)
        add_modules(root)
        with open(os.path.join(CACHE, "rootfs-build-seconds"), "w") as fh:
            fh.write("%.0f\n" % (time.monotonic() - start))
        with open(stamp, "w") as fh:
            fh.write(want)
    return root


if __name__ == "__main__":
    print("rootfs=%s" % build_rootfs())
