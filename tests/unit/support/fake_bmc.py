"""A scripted BMC behind a fake ipmitool, for the bmc area's unit tests (issue 13).

It answers the ipmitool command lines netmedic runs the way ipmitool prints a
real BMC's answers: ``mc info`` from published captures (fixtures/
bmc_published, fixtures/bmc_real), ``raw`` answers as ipmitool prints them,
and ``delloem lan get/set`` with the strings and the quirks of ipmitool's
``lib/ipmi_delloem.c`` (11G one line, 12G/13G two lines, a set that keeps the
failover byte, FM001 with exit 0, iDRAC9's empty line).  Unit level only: the
real ipmitool against ipmi_sim is in tests/integration/bmc.
"""

import os

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandTimeout, Result
from support.paths import FIXTURES

PUBLISHED = os.path.join(FIXTURES, "bmc_published")
REAL = os.path.join(FIXTURES, "bmc_real")


def _read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as fh:
        return fh.read()


def mc_info(manufacturer, product, name="Unknown"):
    return ("Device ID                 : 32\nFirmware Revision         : 1.00\nIPMI Version              : 2.0\n"
            "Manufacturer ID           : %d\nManufacturer Name         : x\nProduct ID                : %d (0x%04x)\n"
            "Product Name              : %s\n" % (manufacturer, product, product, name))


# profile -> (mc info text, vendor family, options)
PROFILES = {
    "supermicro": (lambda: _read(REAL, "mc_info.txt"), "supermicro", {"gen": "x9"}),
    "supermicro-47488": (lambda: _read(PUBLISHED, "mc_info_47488_x11spm.txt"), "supermicro", {"gen": "x9"}),
    "supermicro-47488-x9scv": (lambda: _read(PUBLISHED, "mc_info_47488_x9scv.txt"), "supermicro", {"gen": "x9"}),
    "supermicro-x8": (lambda: mc_info(10876, 0x060B, "X8SIA"), "supermicro", {"gen": "x8"}),
    "supermicro-nooem": (lambda: _read(REAL, "mc_info.txt"), "none", {}),
    "dell-11g": (lambda: mc_info(674, 0x0100), "dell", {"imc": 0x0A}),
    "dell-11g-blade": (lambda: mc_info(674, 0x0100), "dell", {"imc": 0x0B}),
    "dell-12g": (lambda: mc_info(674, 0x0100), "dell", {"imc": 0x10}),
    "dell-13g": (lambda: mc_info(674, 0x0100), "dell", {"imc": 0x20}),
    "dell-13g-blade": (lambda: mc_info(674, 0x0100), "dell", {"imc": 0x21}),
    "idrac9": (lambda: mc_info(674, 0x0100), "dell", {"imc": 0x30}),
    "dell-unknown-imc": (lambda: mc_info(674, 0x0100), "dell", {"imc": 0x40}),
    "dell-novalidator": (lambda: mc_info(674, 0x0100), "dell", {"imc": None}),
    "lenovo": (lambda: _read(PUBLISHED, "mc_info_19046_lenovo.txt"), "lenovo", {}),
    "ibm": (lambda: mc_info(2, 220), "lenovo", {}),
    # SR635/SR655's AMI TSM (19046, product 1287: xcat2/xcat-core commit 6dbc16c2); it answers
    # parameter 0xC0 here like an XCC, so a test shows netmedic does not even ask.
    "lenovo-tsm": (lambda: mc_info(19046, 1287, "SR635"), "lenovo", {}),
    "intel": (lambda: _read(PUBLISHED, "mc_info_343_s2600wft.txt"), "intel", {}),
    "hpe": (lambda: mc_info(11, 0x2000), "none", {}),
    "other": (lambda: mc_info(7244, 0x48), "none", {}),
}

X9 = {"dedicated": 0, "shared": 1, "failover": 2}
X8 = {"failover": (0, 0), "dedicated": (1, 0), "shared": (1, 1)}
DELL_START = {"dedicated": (1, 0), "shared": (2, 0), "failover": (2, 6)}
STRINGS_11G = ["shared", "shared with failover lom2", "dedicated", "shared with Failover all loms"]
STRINGS_12G = ["dedicated", "shared with lom1", "shared with lom2", "shared with lom3", "shared with lom4",
               "shared with failover lom1", "shared with failover lom2", "shared with failover lom3",
               "shared with failover lom4", "shared with failover all loms"]
USAGE_11G = "lan set <Mode>\n      sets the NIC Selection Mode :\n"
FLAGS = ("-E", "-v")


class Scripted:
    """A runner answering each call with the next scripted (rc, stdout, stderr) or exception (the last
    one repeats); ``calls`` holds each call's argv, timeout and environment."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def available(self, name):
        return True

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        self.calls.append({"argv": list(argv), "timeout": timeout, "env": dict(env or {})})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        rc, out, err = answer
        return Result(list(argv), rc, out, err, 0.01)


def cc_error(netfn, cmd, cc, text="x"):
    return "Unable to send RAW command (channel=0x0 netfn=0x%x lun=0x0 cmd=0x%x rsp=0x%02x): %s\n" % (
        netfn, cmd, cc, text)


class FakeBmc:
    """A runner for Ipmitool: answers argv lists like ipmitool talking to one BMC."""

    def __init__(self, profile="supermicro", mode="failover", ignore_sets=False, down_after_set=0, answer=None,
                 licence=True, channels=None, port=None):
        self.profile = profile
        info, self.family, self.opts = PROFILES[profile]
        self.info = info()
        self.mode = mode
        self.dell = DELL_START.get(mode, (1, 0))
        self.lenovo = port or ([1] if mode == "dedicated" else [0])
        self.channels = channels if channels is not None else (
            {1: "192.0.2.21", 3: "198.51.100.21"} if mode != "dedicated" else {3: "198.51.100.21"})
        self.ignore_sets, self.down_after_set, self.answer, self.licence = ignore_sets, down_after_set, answer, licence
        self.sets = []       # modes set (what the BMC accepted)
        self.calls = []      # every argv
        self.down = 0

    def available(self, name):
        return True

    def args(self, argv):
        i = argv.index("-I") + 2 if "-I" in argv else 1
        while i < len(argv) and argv[i].startswith("-"):
            i += 1 if argv[i] in FLAGS else 2
        return argv[i:]

    def _res(self, argv, rc=0, out="", err=""):
        return Result(list(argv), rc, out, err, 0.01)

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        self.calls.append(list(argv))
        if self.down:
            self.down -= 1
            raise CommandTimeout("timeout", Result(list(argv), -9, "", "", timeout or 1, True))
        args = self.args(argv)
        if args == ["mc", "info"]:
            return self._res(argv, out=self.info)
        if args[:1] == ["raw"]:
            rc, out, err = self.raw([int(a, 16) for a in args[1:]])
            return self._res(argv, rc, out, err)
        if args[:2] == ["delloem", "lan"]:
            rc, out, err = self.delloem(args[2:])
            return self._res(argv, rc, out, err)
        return self._res(argv, 1, err="unexpected command %r\n" % args)

    def _accepted(self, mode):
        self.sets.append(mode)
        self.down = self.down_after_set
        return not self.ignore_sets

    # ------------------------------------------------------------ raw
    def raw(self, data):
        netfn, cmd, rest = data[0], data[1], data[2:]
        family = self.family
        if family == "supermicro" and (netfn, cmd) == (0x30, 0x70) and rest[:1] == [0x0C]:
            return self.supermicro(rest[1:])
        if family == "dell" and (netfn, cmd) == (0x06, 0x59):
            if self.opts["imc"] is None:
                return 1, "", cc_error(netfn, cmd, 0xC1, "Invalid command")
            return 0, " 11 00 00 00 00 00 00 00 00 00 %02x 00 00 00\n" % self.opts["imc"], ""
        if family == "dell" and netfn == 0x30 and cmd in (0x28, 0x29) and self.opts["imc"] not in (0x0A, 0x0B):
            return self.dell_12g(cmd, rest)
        if family == "lenovo" and (netfn, cmd) == (0x0C, 0x02) and rest[:2] == [0x01, 0xC0]:
            return 0, self.answer or " 11 %s\n" % " ".join("%02x" % b for b in self.lenovo), ""
        if family == "lenovo" and (netfn, cmd) == (0x0C, 0x01) and rest[:2] == [0x01, 0xC0]:
            if self._accepted("dedicated" if rest[2] == 1 else "shared"):
                self.lenovo = rest[2:]
            return 0, "\n", ""
        if family == "intel" and (netfn, cmd) == (0x0C, 0x02) and rest[1:2] == [0x03]:
            addr = self.channels.get(rest[0])
            if addr is None:
                return 1, "", cc_error(netfn, cmd, 0xCB, "Requested sensor, data, or record not found")
            return 0, " 11 %s\n" % " ".join("%02x" % int(p) for p in addr.split(".")), ""
        return 1, "", cc_error(netfn, cmd, 0xC1, "Invalid command")

    def supermicro(self, rest):
        if self.opts["gen"] == "x9":
            if rest == [0]:
                return 0, self.answer or " %02x\n" % X9[self.mode], ""
            if len(rest) == 2 and rest[0] == 1 and rest[1] <= 2:
                if self._accepted({v: k for k, v in X9.items()}[rest[1]]):
                    self.mode = {v: k for k, v in X9.items()}[rest[1]]
                return 0, "\n", ""
            return 1, "", cc_error(0x30, 0x70, 0xC7, "Request data length invalid")
        if rest == [0, 0, 0]:
            return 0, self.answer or " %02x %02x\n" % X8[self.mode], ""
        if len(rest) == 3 and rest[0] == 1:
            mode = {v: k for k, v in X8.items()}.get((rest[1], rest[2]))
            if mode and self._accepted(mode):
                self.mode = mode
            return 0, "\n", ""
        return 1, "", cc_error(0x30, 0x70, 0xC7, "Request data length invalid")

    def dell_12g(self, cmd, rest):
        if cmd == 0x29:
            return 0, self.answer or " %02x %02x\n" % self.dell, ""
        sel, fo = rest
        if sel == 1 and not self.licence:
            return 1, "", cc_error(0x30, 0x28, 0x6F)
        if self._accepted("dedicated" if sel == 1 else "shared" if fo == 0 else "failover"):
            self.dell = (sel, fo)
        return 0, "\n", ""

    # ------------------------------------------------------------ delloem (ipmitool's own logic)
    def delloem(self, words):
        imc = self.opts["imc"]
        is_11g = imc in (0x0A, 0x0D, 0x0E) or imc is None      # no validator: ipmitool takes the 11G path
        if imc in (0x0B,):
            return 255, "", "lan is not supported on this system.\n"
        if words == ["get"]:
            if imc is not None and imc >= 0x30:
                return 0, "\n", ""                              # iDRAC9: ipmitool issue 18
            if is_11g:
                return 0, "%s\n" % STRINGS_11G[self.dell_11g()], ""
            sel, fo = self.dell
            if sel == 1:
                return 0, "dedicated\n", ""
            out = "Shared LOM   :  %s\n" % STRINGS_12G[sel - 1]
            out += "Failover LOM :  None\n" if fo == 0 else "Failover LOM :  %s\n" % STRINGS_12G[fo + 3]
            return 0, out, ""
        if words[:1] != ["set"]:
            return 255, "", USAGE_11G
        words = words[1:]
        if imc is not None and imc >= 0x30:
            return 0, "", "Error in setting nic selection (Unknown (0x80))\n"
        if is_11g:
            table = {("dedicated",): (1, 0), ("shared",): (2, 0), ("shared", "with", "failover", "lom2"): (2, 3),
                     ("shared", "with", "failover", "all", "loms"): (2, 6)}
            if tuple(words) not in table:
                return 255, "", USAGE_11G
            return self._dell_set(table[tuple(words)], "")
        sel, fo = self.dell
        if words == ["dedicated"]:
            return self._dell_set((1, 0), "FM001 : A required license is missing or expired\n")
        if words[:2] != ["shared", "with"]:
            return 255, "", USAGE_11G
        if words[2:3] == ["failover"]:
            if sel == 1:
                return 255, "", "ERROR: Cannot set shared with failover loms when NIC is set to dedicated Mode.\n"
            target = {("none",): 0, ("all", "loms"): 6}.get(tuple(words[3:]))
            if target is None:
                target = {"lom%d" % n: n + 1 for n in range(1, 5)}[words[3]]
            return self._dell_set((sel, target), "")
        lom = int(words[2][3:]) + 1
        return self._dell_set((lom, 0 if fo == lom else fo), "")

    def _dell_set(self, new, licence_error):
        if new[0] == 1 and licence_error and not self.licence:
            return 0, "", licence_error                         # ipmitool exits 0 after FM001
        mode = "dedicated" if new[0] == 1 else "shared" if new[1] == 0 else "failover"
        if self._accepted(mode):
            self.dell = new
        return 0, "configured successfully", ""

    def dell_11g(self):
        sel, fo = self.dell
        return 2 if sel == 1 else 3 if fo == 6 else 1 if fo == 3 else 0

    @property
    def state(self):
        """The mode the BMC is in now."""
        if self.family == "dell":
            sel, fo = self.dell
            return "dedicated" if sel == 1 else "shared" if fo == 0 else "failover"
        if self.family == "lenovo":
            return "dedicated" if self.lenovo[0] == 1 else "shared"
        return self.mode
