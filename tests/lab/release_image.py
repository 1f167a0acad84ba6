"""Lab images of other Debian releases: localhost/netmedic-lab-<release>:latest (trixie, forky).

The bookworm lab image (``build-image.sh``, ``localhost/netmedic-lab:latest``,
FRR 8.4.4) is left as it is: other areas use it, and its hash label covers
that script.  This builds the images of the newer releases the same way
(debootstrap of the machine's Debian mirror, trimmed, ``podman import``),
in two steps because bookworm's debootstrap cannot ``--include`` systemd for
trixie (a pre-dependency error, shared/LAB_NOTES.md):

1. ``debootstrap --variant=minbase RELEASE`` (forky with sid's script:
   bookworm's debootstrap has no script named forky);
2. ``apt-get install`` of ``image-packages-RELEASE.txt`` inside the tree.

Measured here (2 cores): trixie (FRR 10.3) 52 s, forky (FRR 10.7.1) 49 s,
about 330 MB each before trimming.

The image carries ``netmedic.lab.hash`` = hash of the package list and of
this file: it is rebuilt only when one of them changes.  FRR is installed but
disabled (tests start their own instances), the machine-id is empty, units
that cannot work in a container are masked.

systemd is in the images (FRR depends on it) but is not their PID 1 in the
lab: forky's systemd 262 exits at once (status 255, no message) on this
machine's cgroup v1 hierarchy (systemd dropped cgroup v1 after 257; trixie's
257 still boots).  The FRR lab needs no service manager (``frrinit.sh start
PATHSPACE``), so ``frrhost`` runs a small reaper as PID 1 instead.

    python tests/lab/release_image.py build trixie forky   # when out of date
    python tests/lab/release_image.py build --force forky
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import hashlib
import os
import shutil
import sys
import tempfile
import time
from typing import Dict, Iterator, List, Optional, Sequence

import lab as nmlab

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# release -> the debootstrap script to use (None: the release's own)
RELEASES: Dict[str, Optional[str]] = {"trixie": None, "forky": "sid"}
BASE_RELEASE = "bookworm"      # the machine's own release: its mirror serves the others
HASH_LABEL = nmlab.HASH_LABEL

# Units that cannot work (or only add noise) in a container; as in build-image.sh.
MASKED_UNITS = (
    "systemd-remount-fs.service", "systemd-udevd.service", "systemd-udev-trigger.service",
    "systemd-modules-load.service", "sys-kernel-config.mount", "sys-kernel-debug.mount", "sys-kernel-tracing.mount",
    "sys-fs-fuse-connections.mount", "getty.target", "console-getty.service", "systemd-logind.service",
    "apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "e2scrub_all.timer", "fstrim.timer",
)

# The mirror here is a dated snapshot: the testing suite's Release file has passed
# its Valid-Until date (apt refuses it: "Release file ... is expired"), so apt in the
# image does not check that date.  The lab image is a test fixture, not a server.
APT_CONF = """APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
"""
DPKG_NODOC = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
"""


class ImageError(RuntimeError):
    """The image could not be built; the message says which step and why."""


def tag(release: str) -> str:
    return "localhost/netmedic-lab-%s:latest" % release


def packages_file(release: str) -> str:
    return os.path.join(HERE, "image-packages-%s.txt" % release)


def packages(release: str) -> List[str]:
    with open(packages_file(release), encoding="utf-8") as fh:
        return [w for line in fh for w in line.split("#", 1)[0].split()]


def content_hash(release: str) -> str:
    h = hashlib.sha256()
    for path in (packages_file(release), os.path.abspath(__file__)):
        with open(path, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def debian_mirror(base: str = BASE_RELEASE) -> str:
    """The URI this machine's apt sources use for ``base`` (deb822 or one-line), else deb.debian.org."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path, encoding="utf-8", errors="replace") as fh:
            stanzas = fh.read().split("\n\n")
        for stanza in stanzas:
            fields = {}
            for line in stanza.splitlines():
                if line[:1] not in ("#", " ", "\t") and ":" in line:
                    key, _sep, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
            if "deb" in fields.get("types", []) and base in fields.get("suites", []) and fields.get("uris"):
                return fields["uris"][0]
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        with contextlib.suppress(OSError), open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                words = [w for w in line.split("#", 1)[0].split() if not w.startswith("[")]
                if len(words) >= 3 and words[0] == "deb" and words[2] == base:
                    return words[1]
    return "http://deb.debian.org/debian"


def current_hash(release: str) -> str:
    res = nmlab.podman(["image", "inspect", "--format", '{{ index .Labels "%s" }}' % HASH_LABEL, tag(release)],
                       check=False)
    return res.stdout.strip() if res.ok else ""


@contextlib.contextmanager
def _build_lock(release: str) -> Iterator[None]:
    """One build of a release at a time on this machine (several clones may run tests at once)."""
    with open("/var/tmp/netmedic-lab-%s.lock" % release, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _run(argv: Sequence[str], what: str, timeout: float, log: List[str]) -> None:
    res = nmlab.runner.run(list(argv), timeout=timeout, check=False,
                           env={"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"})
    log.append("$ %s\n%s%s" % (" ".join(argv), res.stdout[-4000:], res.stderr[-4000:]))
    if not res.ok:
        raise ImageError("%s failed (rc %s):\n%s" % (what, res.rc, (res.stdout + res.stderr)[-3000:]))


def _write(root: str, path: str, text: str, mode: int = 0o644) -> None:
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(full, mode)


def build(release: str, force: bool = False) -> str:
    """Build ``tag(release)`` when missing or out of date; returns the tag."""
    if release not in RELEASES:
        raise ImageError("unknown release %r (known: %s)" % (release, ", ".join(RELEASES)))
    if os.geteuid() != 0:
        raise ImageError("building a lab image needs root (debootstrap, chroot, podman)")
    want = content_hash(release)
    if not force and current_hash(release) == want:
        return tag(release)
    with _build_lock(release):
        if not force and current_hash(release) == want:   # built by another process meanwhile
            return tag(release)
        start = time.monotonic()
        work = tempfile.mkdtemp(prefix="nmlab-%s." % release, dir="/var/tmp")
        log: List[str] = []
        try:
            _build_tree(release, os.path.join(work, "root"), log)
            _import(release, os.path.join(work, "root"), want)
        except ImageError:
            with open(os.path.join(REPO, "build", "release-image-%s.log" % release), "w") as fh:
                fh.write("\n".join(log))
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print("release image %s built in %.0f s (%s=%s)" % (tag(release), time.monotonic() - start, HASH_LABEL, want))
    return tag(release)


def _build_tree(release: str, root: str, log: List[str]) -> None:
    mirror = debian_mirror()
    argv = ["debootstrap", "--variant=minbase", "--components=main", release, root, mirror]
    script = RELEASES[release]
    if script:
        argv.append(os.path.join("/usr/share/debootstrap/scripts", script))
    _run(argv, "debootstrap %s" % release, 1200, log)
    _write(root, "/etc/apt/apt.conf.d/90netmedic-lab", APT_CONF)
    _write(root, "/etc/dpkg/dpkg.cfg.d/90netmedic-lab-nodoc", DPKG_NODOC)
    _write(root, "/usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755)   # no service starts in the chroot
    _run(["chroot", root, "apt-get", "update", "-qq"], "apt-get update in the %s tree" % release, 600, log)
    _run(["chroot", root, "apt-get", "install", "-y", "-qq", "--no-install-recommends"] + packages(release),
         "apt-get install in the %s tree" % release, 1200, log)
    os.unlink(os.path.join(root, "usr/sbin/policy-rc.d"))
    # Known state: FRR installed but not started at boot; tests start their own instances.
    _run(["chroot", root, "systemctl", "disable", "frr.service"], "systemctl disable frr", 60, log)
    _run(["chroot", root, "systemctl", "mask"] + list(MASKED_UNITS), "systemctl mask", 60, log)
    _run(["chroot", root, "apt-get", "clean"], "apt-get clean", 60, log)
    with open(os.path.join(root, "etc/machine-id"), "w"):
        pass
    for path in ("var/lib/dbus/machine-id", "etc/hostname"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, path))
    for pattern in ("var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/log/*.log", "var/log/apt/*",
                    "usr/share/man/*", "usr/share/info/*", "usr/share/locale/*"):
        for path in glob.glob(os.path.join(root, pattern)):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def _import(release: str, root: str, digest: str) -> None:
    old = nmlab.podman(["image", "inspect", "--format", "{{.Id}}", tag(release)], check=False)
    tarball = root + ".tar"
    nmlab.runner.run(["tar", "-C", root, "--numeric-owner", "-cf", tarball, "."], timeout=600)
    nmlab.podman(["import", "--quiet",
                  "--change", "LABEL %s=%s" % (HASH_LABEL, digest),
                  "--change", "LABEL netmedic.lab.release=%s" % release,
                  "--change", "LABEL netmedic.lab.packages=%s" % ",".join(packages(release)),
                  "--change", 'CMD ["/sbin/init"]', "--change", "ENV container=podman",
                  "--message", "netmedic lab image (%s, %s=%s)" % (release, HASH_LABEL, digest),
                  tarball, tag(release)], timeout=600)
    if old.ok and old.stdout.strip():
        nmlab.podman(["rmi", old.stdout.strip()], check=False)   # still used by a container: left alone


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="release_image.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the images of these releases when missing or out of date")
    b.add_argument("--force", action="store_true", help="rebuild anyway (newer packages)")
    b.add_argument("releases", nargs="*", default=list(RELEASES), help="default: %s" % " ".join(RELEASES))
    args = parser.parse_args(argv)
    try:
        for release in args.releases:
            print(build(release, force=args.force))
    except (ImageError, nmlab.CommandError) as exc:
        print("release_image: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
