#!/usr/bin/env bash
# Build the lab image localhost/netmedic-lab:latest from the Debian mirror this
# machine is configured with (no container registry is reachable here).
#
#   tests/lab/build-image.sh           build when missing or out of date (fast no-op otherwise)
#   tests/lab/build-image.sh --force   rebuild anyway
#
# How: one `debootstrap --variant=minbase --include=<tests/lab/image-packages.txt>`
# (one resolver run and one download pass is faster than a base image plus a
# `podman build` layer), then the tree is trimmed, tarred and `podman import`ed.
# The image carries the label netmedic.lab.hash = hash of image-packages.txt and
# of this script: it is rebuilt only when one of them changes.
#
# The image starts from a known state: frr, tinc and sshd are installed but DISABLED
# (tests start the daemons they need with their own configuration), the
# machine-id is empty (each container gets its own), units that cannot work in a
# container are masked so `systemctl is-system-running` says "running".
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
IMAGE=${NETMEDIC_LAB_IMAGE:-localhost/netmedic-lab:latest}
SUITE=bookworm
LABEL=netmedic.lab.hash
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/containers.conf}

die() { echo "build-image: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and podman need it)"
command -v podman >/dev/null || die "podman is not installed (make system-packages)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (make system-packages)"

packages=$(sed -e 's/#.*//' "$HERE/image-packages.txt" | xargs)
[ -n "$packages" ] || die "no packages in $HERE/image-packages.txt"
hash=$(cat "$HERE/image-packages.txt" "$HERE/build-image.sh" | sha256sum | cut -c1-16)

current=$(podman image inspect --format "{{ index .Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null || true)
if [ "$current" = "$hash" ] && [ "${1:-}" != "--force" ]; then
    echo "lab image $IMAGE is up to date ($LABEL=$hash)"
    exit 0
fi

# The machine's configured Debian mirror for $SUITE (deb822 .sources or one-line .list).
mirror=$(python3 - "$SUITE" <<'PY'
import glob, sys
suite = sys.argv[1]
found = []
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path, encoding="utf-8", errors="replace").read().split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.split()
        if ("deb" in fields.get("types", []) and suite in fields.get("suites", [])
                and fields.get("enabled", ["yes"])[0] != "no"):
            found += fields.get("uris", [])
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = [w for w in line.split("#")[0].split() if not w.startswith("[")]
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            found.append(words[1])
print(found[0] if found else "http://deb.debian.org/debian")
PY
)

start=$SECONDS
work=$(mktemp -d /var/tmp/nmlab-image.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
cache=$REPO/build/lab-debs       # downloaded .debs, kept so a package-list change rebuilds faster
mkdir -p "$cache"
root=$work/root

echo "build-image: debootstrap $SUITE from $mirror with: $packages"
debootstrap --variant=minbase --components=main --cache-dir="$cache" \
    --include="$(echo "$packages" | tr ' ' ',')" "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
echo "build-image: debootstrap done in $((SECONDS - start)) s"

# Known state: daemons installed but not started at boot; tests start what they need.
chroot "$root" systemctl disable frr.service tinc.service ssh.service ssh.socket >/dev/null 2>&1 || true
# No sshd host keys in the image: every lab host that starts sshd makes its own (lab.py Host.start_sshd).
rm -f "$root"/etc/ssh/ssh_host_*
# Units that cannot work (or only add noise) in a container.
chroot "$root" systemctl mask \
    systemd-remount-fs.service systemd-udevd.service systemd-udev-trigger.service \
    systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    sys-fs-fuse-connections.mount getty.target console-getty.service systemd-logind.service \
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
    >/dev/null 2>&1 || true
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"
# Derived images (ensure_derived_image in lab.py) stay lean too.
cat >"$root/etc/apt/apt.conf.d/90netmedic-lab" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
cat >"$root/etc/dpkg/dpkg.cfg.d/90netmedic-lab-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
# No apt caches, no docs, no logs.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
       "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/usr/share/locale/*
find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true

old_id=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
tar -C "$root" --numeric-owner -cf - . | podman import --quiet \
    --change "LABEL $LABEL=$hash" \
    --change "LABEL netmedic.lab.packages=$(echo "$packages" | tr ' ' ',')" \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=podman' \
    --message "netmedic lab image ($SUITE, $LABEL=$hash)" - "$IMAGE" >/dev/null
if [ -n "$old_id" ]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true    # still used by a container: leave it
fi
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "build-image: $IMAGE built in $((SECONDS - start)) s, $((size / 1000000)) MB ($LABEL=$hash)"
