#!/usr/bin/env bash
# Install the containers.podman collection (podman connection plugin, Molecule's
# podman driver) and ansible.posix (the `json` stdout callback lab.py reads
# results with) into build/collections without Ansible Galaxy, which is not
# reachable here: both are taken from PyPI's `ansible` community package wheel.
# Idempotent; a no-op when the same version is already in place.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ANSIBLE_VERSION=${NETMEDIC_ANSIBLE_WHEEL_VERSION:-12.3.0}
DEST=$REPO/build/collections
COLLS="containers/podman ansible/posix"
STAMP=$DEST/ansible_collections/.netmedic-from-ansible-$ANSIBLE_VERSION
PIP=${PIP:-$REPO/.venv/bin/pip}
PY=${PY:-$REPO/.venv/bin/python}
[ -x "$PIP" ] || PIP="python3 -m pip"
[ -x "$PY" ] || PY=python3

if [ -e "$STAMP" ]; then
    echo "containers.podman, ansible.posix from ansible $ANSIBLE_VERSION already in $DEST"
    exit 0
fi

wheels=$REPO/build/wheels
mkdir -p "$wheels" "$DEST"
wheel=$(ls "$wheels"/ansible-"$ANSIBLE_VERSION"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
    $PIP download -q --no-deps --only-binary=:all: -d "$wheels" "ansible==$ANSIBLE_VERSION"
    wheel=$(ls "$wheels"/ansible-"$ANSIBLE_VERSION"-*.whl | head -1)
fi

"$PY" - "$wheel" "$DEST" $COLLS <<'PY'
import json, os, shutil, sys, tempfile, zipfile
wheel, dest, colls = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(dest, exist_ok=True)
for coll in colls:
    prefix = "ansible_collections/%s/" % coll
    target = os.path.join(dest, prefix)
    tmp = tempfile.mkdtemp(dir=dest, prefix=".extract-")
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.startswith(prefix)]
        if not members:
            sys.exit("%s holds no %s" % (wheel, prefix))
        zf.extractall(tmp, members)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(os.path.dirname(target.rstrip("/")), exist_ok=True)
    os.rename(os.path.join(tmp, prefix), target)
    shutil.rmtree(tmp)
    with open(os.path.join(target, "MANIFEST.json")) as fh:
        version = json.load(fh)["collection_info"]["version"]
    print("%s %s (from %s) installed in %s" % (coll.replace("/", "."), version, os.path.basename(wheel), dest))
PY
touch "$STAMP"
