"""Make this checkout importable as ``ansible_collections.netmedic.network``.

The collection's Python code imports itself by its full name (Ansible needs
that to ship module_utils to hosts), so tests need a directory tree
``<dir>/ansible_collections/netmedic/network`` pointing at the checkout.
``build/dev`` is that tree (a symlink, made here when missing).
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV = os.path.join(REPO, "build", "dev")
LINK = os.path.join(DEV, "ansible_collections", "netmedic", "network")


def _ensure_dev_tree():
    if "ansible_collections" in REPO.split(os.sep):
        # Running from a real collection tree (ansible-test copies): already importable.
        parts = REPO.split(os.sep)
        root = os.sep.join(parts[: len(parts) - 1 - parts[::-1].index("ansible_collections")])
        return root or os.sep
    if not os.path.islink(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        try:
            os.symlink(REPO, LINK)
        except FileExistsError:
            pass
    return DEV


_root = _ensure_dev_tree()
if _root not in sys.path:
    sys.path.insert(0, _root)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", _root)
