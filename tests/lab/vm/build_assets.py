#!/usr/bin/env python
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build (once) what the test VMs need (bonding, BMC in-band), under build/nm-vm/.

- the Debian kernel package that ``linux-image-amd64`` depends on, fetched with
  ``apt-get download`` and unpacked with ``dpkg-deb -x`` (nothing is installed);
- ``vmlinux``: the xz stream inside ``vmlinuz`` decompressed with Python's
  ``lzma``; it has a PVH note, so qemu boots it directly (faster under TCG);
- ``initramfs.cpio.gz``: busybox-static plus the few modules needed (9p root,
  bonding, dummy, veth, bridge; the IPMI driver ipmi_si + ipmi_devintf, loaded
  only when the kernel command line says ``nm.modules=``) with a
  ``modules.dep`` made by ``depmod``;
- ``rootfs/``: a debootstrap minbase tree with python3, iproute2, ifupdown,
  ifenslave and systemd (for ``ifup`` and ``systemd-networkd``) and ipmitool
  (the BMC tests), shared read-only with the guest over virtio-9p.

Every step is skipped when its output exists, so a second run takes
milliseconds; the unpacked kernel package is removed once vmlinux and the
initramfs are built (about 310 MB stay: vmlinux, initramfs, rootfs); the rootfs is
rebuilt when its package list changes.  Run: ``python3 tests/lab/vm/build_assets.py``.
Used by tests/integration/bond (guest_bond.py) and tests/integration/bmc
(guest_bmc.py) through guestvm.py; moved here from tests/integration/bond/vm in issue 13.
"""

import fcntl
import glob
import gzip
import hashlib
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CACHE = os.environ.get("NM_VM_CACHE") or os.environ.get("NMBOND_VM_CACHE") or os.path.join(REPO, "build", "nm-vm")
MIRROR = os.environ.get("NM_VM_MIRROR") or os.environ.get("NMBOND_MIRROR", "http://deb.debian.org/debian")
ROOTFS_PACKAGES = "python3,iproute2,ifupdown,ifenslave,systemd,ipmitool"

# In the initramfs; /init loads the first group always and the others when nm.modules= names them.
MODULES = ["bonding", "dummy", "veth", "bridge", "9p", "9pnet_virtio", "virtio_pci",
           "ipmi_msghandler", "ipmi_devintf", "ipmi_si", "virtio_net"]


class BuildError(RuntimeError):
    """An asset could not be built (``str()`` says which and why)."""


def sh(argv, **kw):
    kw.setdefault("timeout", 900)
    print("+ " + " ".join(argv), file=sys.stderr)
    return subprocess.run(argv, check=True, **kw)


def kernel_package():
    for attempt in (1, 2):
        p = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True,
                           timeout=60, check=False)
        for line in p.stdout.splitlines():
            line = line.strip()
            if line.startswith("Depends:") and "linux-image-" in line:
                return line.split()[1]
        if attempt == 1:  # a fresh machine may have no package lists yet
            sh(["apt-get", "update", "-qq"])
    raise BuildError("cannot find the kernel package linux-image-amd64 depends on")


def fetch_kernel():
    """Unpacked kernel package; returns (tree, version)."""
    tree = os.path.join(CACHE, "kernel")
    stamp = os.path.join(tree, ".done")
    if not os.path.exists(stamp):
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(tree)
        pkg = kernel_package()
        dl = tempfile.mkdtemp(prefix="nm-vm-deb-", dir=CACHE)
        try:
            sh(["apt-get", "download", pkg], cwd=dl)
            deb = glob.glob(os.path.join(dl, "*.deb"))[0]
            sh(["dpkg-deb", "-x", deb, tree])
        finally:
            shutil.rmtree(dl, ignore_errors=True)
        open(stamp, "w").close()
    version = sorted(os.listdir(os.path.join(tree, "lib", "modules")))[-1]
    return tree, version


def extract_vmlinux(tree, version):
    out = os.path.join(CACHE, "vmlinux")
    if os.path.exists(out):
        return out
    data = open(os.path.join(tree, "boot", "vmlinuz-" + version), "rb").read()
    start = data.find(b"\xfd7zXZ\x00")
    if start < 0:
        raise BuildError("no xz stream in vmlinuz")
    dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    raw = dec.decompress(data[start:])
    tmp = out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(raw)
    os.replace(tmp, out)
    return out


def module_closure(tree, version, names=None):
    """The modules ``names`` (default: MODULES, the initramfs') need from the kernel package's tree, with their
    dependencies: (moddir, paths)."""
    moddir = os.path.join(tree, "lib", "modules", version)
    if not os.path.exists(os.path.join(moddir, "modules.dep")):
        sh(["depmod", "-b", tree, version])
    deps = {}
    for line in open(os.path.join(moddir, "modules.dep")):
        mod, _colon, rest = line.partition(":")
        deps[mod] = rest.split()
    by_name = {os.path.basename(m).split(".ko")[0].replace("-", "_"): m for m in deps}
    builtin = open(os.path.join(moddir, "modules.builtin")).read()
    need, todo = set(), []
    for name in MODULES if names is None else names:
        if name in by_name:
            todo.append(by_name[name])
        elif "/%s.ko" % name not in builtin:
            raise BuildError("module %s neither built in nor shipped" % name)
    while todo:
        m = todo.pop()
        if m not in need:
            need.add(m)
            todo.extend(deps[m])
    return moddir, sorted(need)


def install_modules(moddir, mods, root, version):
    """Copy ``mods`` (paths under ``moddir``) and the module indexes into ``root``/lib/modules/VERSION, and
    depmod there, so that modprobe works in that tree."""
    dst = os.path.join(root, "lib", "modules", version)
    for m in mods:
        target = os.path.join(dst, m)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(moddir, m), target)
    for f in ("modules.builtin", "modules.order", "modules.builtin.modinfo"):
        shutil.copy2(os.path.join(moddir, f), dst)
    sh(["depmod", "-b", root, version])


INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_pci 9pnet_virtio 9p bonding dummy veth bridge; do modprobe $m || echo "modprobe $m failed"; done
for m in $(sed -n 's/.*nm\.modules=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' '); do modprobe $m || echo "modprobe $m failed"; done
mkdir -p /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose rootfs /newroot || { echo "no rootfs"; poweroff -f; }
mount -t tmpfs tmpfs /newroot/tmp
mount -t tmpfs tmpfs /newroot/run
mount -t tmpfs tmpfs /newroot/var/tmp
mount -t tmpfs tmpfs /newroot/var/lib
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 work /newroot/mnt/work || { echo "no work share"; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose pylib /newroot/mnt/pylib || echo "no pylib share"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/sh /mnt/work/guest.sh
"""


def newc_archive(top):
    """A cpio 'newc' archive of the tree ``top`` (what the kernel unpacks as initramfs)."""
    out, ino = [], 1
    entries = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            entries.append(os.path.join(dirpath, name))

    def add(name, st, data):
        nonlocal ino
        fields = (ino, st.st_mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
        head = "070701" + "".join("%08x" % f for f in fields)
        rec = head.encode() + name.encode() + b"\0"
        rec += b"\0" * ((4 - len(rec) % 4) % 4)
        rec += data + b"\0" * ((4 - len(data) % 4) % 4)
        out.append(rec)
        ino += 1

    for path in entries:
        st = os.lstat(path)
        rel = os.path.relpath(path, top)
        if os.path.islink(path):
            data = os.readlink(path).encode()
        elif os.path.isfile(path):
            data = open(path, "rb").read()
        else:
            data = b""
        add(rel, st, data)
    trailer = "070701" + "%08x" % 0 * 11 + "%08x" % 11 + "%08x" % 0
    rec = trailer.encode() + b"TRAILER!!!\0"
    rec += b"\0" * ((4 - len(rec) % 4) % 4)
    out.append(rec)
    return b"".join(out)


def initramfs_path():
    """The initramfs file name carries a hash of what goes into it: a changed /init rebuilds it."""
    digest = hashlib.sha256((INIT + repr(MODULES)).encode()).hexdigest()[:12]
    return os.path.join(CACHE, "initramfs-%s.cpio.gz" % digest)


def build_initramfs(tree, version):
    out = initramfs_path()
    if os.path.exists(out):
        return out
    for old in glob.glob(os.path.join(CACHE, "initramfs*.cpio.gz")):
        os.unlink(old)
    moddir, mods = module_closure(tree, version)
    work = tempfile.mkdtemp(prefix="nm-vm-initrd-", dir=CACHE)
    try:
        for d in ("bin", "proc", "sys", "dev", "newroot", "lib/modules/" + version):
            os.makedirs(os.path.join(work, d), exist_ok=True)
        shutil.copy2("/bin/busybox", os.path.join(work, "bin", "busybox"))
        install_modules(moddir, mods, work, version)
        with open(os.path.join(work, "init"), "w") as fh:
            fh.write(INIT)
        os.chmod(os.path.join(work, "init"), 0o755)
        cpio = newc_archive(work)
        tmp = out + ".tmp"
        with gzip.open(tmp, "wb", compresslevel=1) as fh:
            fh.write(cpio)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def debootstrap_rootfs(root, packages):
    """A bookworm minbase tree at ``root`` with ``packages`` (comma-separated), without the downloaded .debs,
    and the guest's mount points for the work and pylib shares."""
    shutil.rmtree(root, ignore_errors=True)
    sh(["debootstrap", "--variant=minbase", "--include=" + packages, "bookworm", root, MIRROR],
       stdout=subprocess.DEVNULL)
    shutil.rmtree(os.path.join(root, "var", "cache", "apt", "archives"), ignore_errors=True)
    os.makedirs(os.path.join(root, "var", "cache", "apt", "archives", "partial"), exist_ok=True)
    for d in ("mnt/work", "mnt/pylib"):
        os.makedirs(os.path.join(root, d), exist_ok=True)


def build_rootfs():
    root = os.path.join(CACHE, "rootfs")
    stamp = os.path.join(CACHE, "rootfs.done")
    if os.path.exists(stamp) and open(stamp).read() == ROOTFS_PACKAGES:
        return root
    debootstrap_rootfs(root, ROOTFS_PACKAGES)
    with open(stamp, "w") as fh:
        fh.write(ROOTFS_PACKAGES)   # a changed package list rebuilds the tree
    return root


def main(verbose=False, rootfs=True):
    """``rootfs=False``: vmlinux and the initramfs only (frr_assets.py builds a rootfs of its own)."""
    root = None
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # two test runs side by side build once
        vmlinux, initrd = os.path.join(CACHE, "vmlinux"), initramfs_path()
        if not (os.path.exists(vmlinux) and os.path.exists(initrd)):
            tree, version = fetch_kernel()
            if os.path.exists(vmlinux):   # from an earlier kernel package: its modules must match the initramfs's
                os.unlink(vmlinux)
            vmlinux = extract_vmlinux(tree, version)
            initrd = build_initramfs(tree, version)
            shutil.rmtree(tree)  # about 400 MB of modules and firmware the VM does not need
        if rootfs:
            root = build_rootfs()
    if verbose:
        print("vmlinux=%s\ninitramfs=%s\nrootfs=%s" % (vmlinux, initrd, root))


if __name__ == "__main__":
    main(verbose=True)
