"""Stand-in for the get-pip.py bootstrap script ansible-test downloads.

ansible-test --venv fetches get-pip.py from a host this machine cannot reach.
This script does the same job from what is here: pip's own bundled wheel
(ensurepip), then `pip install` of what ansible-test asked for, from PyPI.
The Makefile copies it into ansible-test's cache under the expected name.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

environ = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null in this process: run the real
# install with the original environment so pip.conf (certificates, mirrors) applies.
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"]
                         + [a for a in sys.argv[1:] if a not in GET_PIP_ONLY], env=environ))
