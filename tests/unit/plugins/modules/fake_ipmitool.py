"""A stand-in for ``ipmitool`` on PATH (unit level only; tests/integration/bmc uses the real one with ipmi_sim).

A Supermicro X9 BMC: ``mc info`` prints the real ipmi_sim answer, ``raw 0x30
0x70 0x0c 0x00`` the mode byte, ``raw 0x30 0x70 0x0c 0x01 B`` sets it.  The
mode lives in the JSON file named by ``$NM_FAKE_BMC`` and is written only by a
set, so a tree snapshot shows whether anything was set.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# run as its own process (no conftest): tests/unit/fixtures by path
MC_INFO = os.path.join(HERE, "..", "..", "fixtures", "bmc_real", "mc_info.txt")
MODES = {"dedicated": 0, "shared": 1, "failover": 2}
FLAGS = ("-E", "-v")


def main(argv):
    state_path = os.environ["NM_FAKE_BMC"]
    with open(state_path) as fh:
        state = json.load(fh)
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 1 if argv[i] in FLAGS else 2
    args = argv[i:]
    if args == ["mc", "info"]:
        with open(MC_INFO) as fh:
            sys.stdout.write(fh.read())
        return 0
    data = [int(a, 16) for a in args[1:]] if args[:1] == ["raw"] else []
    if data == [0x30, 0x70, 0x0C, 0x00]:
        sys.stdout.write(" %02x\n" % MODES[state["mode"]])
        return 0
    if data[:4] == [0x30, 0x70, 0x0C, 0x01] and len(data) == 5:
        state["mode"] = {v: k for k, v in MODES.items()}[data[4]]
        with open(state_path, "w") as fh:
            json.dump(state, fh)
        sys.stdout.write("\n")
        return 0
    sys.stderr.write("Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x70 rsp=0xc1): "
                     "Invalid command\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
