# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dell iDRAC NIC selection (manufacturer id 674): read, decode, set, per generation.

Dell's words are not Supermicro's.  An iDRAC is either on its dedicated port,
or shares one host LOM ("shared with lom1"), optionally failing over to other
host LOMs ("failover lom2", "all loms") when that LOM loses link.  Dell's
failover is between host NICs: a shared iDRAC is always on the host's NICs.
netmedic's modes: dedicated; shared (a LOM, no failover); failover (a LOM with
failover to other LOMs).  ``detail`` keeps Dell's words.

Everything below is from ipmitool's ``lib/ipmi_delloem.c`` (ipmitool commit
206dba6), ipmitool issue 18 and xCAT's bmcsetup:

* the generation: Get System Info parameter 0xDD, block 2 (ipmitool's
  ``ipmi_idracvalidator_command``); byte 10 of the answer is the IMC type:
  0x0A/0x0D/0x0E 11G (iDRAC6), 0x0B 11G modular, 0x10 12G (iDRAC7),
  0x11 12G modular, 0x20/0x22 13G (iDRAC8), 0x21 13G modular, and
  0x30/0x31/0x32 14G (iDRAC9) in a later ipmi_delloem.c found in public code.
* 11G: ``delloem lan get`` prints one of "shared", "shared with failover lom2",
  "dedicated", "shared with Failover all loms" (netfn 0x30 cmd 0x25);
  ``lan set`` takes those words - "shared with lom1" is rejected on 11G
  (usage), and 11G blades have no NIC selection at all.
* 12G/13G: ``delloem lan get`` prints "dedicated", or two lines
  "Shared LOM   :  shared with lomN" and "Failover LOM :  None | shared with
  failover lomN | shared with failover all loms" (cmd 0x29: byte 1 selection
  1 dedicated, 2-5 LOM1-4; byte 2 failover 0 none, 2-5 LOM1-4, 6 all).
  ``lan set shared with lomN`` keeps the failover byte, so "shared" takes two
  sets (lomN, then "shared with failover none"); failover cannot be set from
  dedicated without a LOM first; blades cannot share.  A set refused for a
  licence (completion code 0x6F) prints "FM001 : A required license is
  missing or expired" and ipmitool EXITS 0: only the read-back tells.
* 14G+ (iDRAC9): ``delloem lan get`` prints an empty line and ``lan set``
  fails with 0x80 (ipmitool issue 18).  The raw 12G commands still work:
  xCAT's bmcsetup sets every Dell with ``raw 0x30 0x28 <sel> <failover>``
  (xcat2/xcat-core pulls 7317 and 7469, citing issue 18); netmedic reads with
  ``raw 0x30 0x29`` and writes with ``raw 0x30 0x28``.  Redfish
  (``NIC.1.Selection`` in /redfish/v1/Managers/iDRAC.Embedded.1/Attributes)
  and racadm (``iDRAC.NIC.Selection``) are the way when IPMI over LAN is off.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import (
    DEDICATED, FAILOVER, MODES, SHARED, IpmiParseError, McInfo)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.reading import (
    Reading, base, hexs, raw_form, sentence)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiCommandError, Ipmitool

NETFN = 0x30
GET_11G, SET_11G = 0x25, 0x24
GET_12G, SET_12G = 0x29, 0x28
CC_LICENSE = 0x6F
VALIDATOR = (0x06, 0x59, [0x00, 0xDD, 0x02, 0x00])   # Get System Info, parameter 0xDD, block 2

# IMC type (validator byte 10) -> (generation, family, blade)
IMC_TYPES = {
    0x0A: ("11G (iDRAC6)", "11g", False), 0x0B: ("11G modular (iDRAC6)", "11g", True),
    0x0D: ("11G (iDRAC6, Maser Lite)", "11g", False), 0x0E: ("11G (iDRAC6, Maser Lite)", "11g", False),
    0x10: ("12G (iDRAC7)", "12g", False), 0x11: ("12G modular (iDRAC7)", "12g", True),
    0x20: ("13G (iDRAC8)", "12g", False), 0x21: ("13G modular (iDRAC8)", "12g", True),
    0x22: ("13G DCS (iDRAC8)", "12g", False),
    0x30: ("14G (iDRAC9)", "raw", False), 0x31: ("14G modular (iDRAC9)", "raw", True),
    0x32: ("14G DCS (iDRAC9)", "raw", False),
}

LOMS = {2: "lom1", 3: "lom2", 4: "lom3", 5: "lom4"}          # selection byte -> LOM
FAILOVERS = {0: None, 2: "lom1", 3: "lom2", 4: "lom3", 5: "lom4", 6: "all loms"}
SELECTION_11G = {"shared": (SHARED, None), "shared with failover lom2": (FAILOVER, "lom2"),
                 "dedicated": (DEDICATED, None), "shared with failover all loms": (FAILOVER, "all loms")}
SET_WORDS_11G = {DEDICATED: ["dedicated"], SHARED: ["shared"], FAILOVER: ["shared", "with", "failover", "all", "loms"]}

_FIELD_RE = re.compile(r"^\s*(shared lom|failover lom)\s*:\s*(.*?)\s*$", re.I)
_LOM_RE = re.compile(r"^shared with (?:failover )?(lom[1-4]|all loms)$")
# What ipmitool prints on stderr when a set did not happen although it exits 0.
_REFUSAL_RE = re.compile(r"FM001[^\n]*|ERROR:[^\n]*|Error in setting nic selection[^\n]*", re.I)


# ---------------------------------------------------------------- pure decoders
def imc_type(data: Sequence[int]) -> int:
    """The IMC type byte of the validator answer (ipmitool reads ``data[10]``)."""
    if len(data) < 11:
        raise IpmiParseError("the iDRAC validator (Get System Info 0xDD) answered %d bytes, expected at least 11 (%s)"
                             % (len(data), hexs(data) or "nothing"))
    return data[10]


def decode_12g(data: Sequence[int]) -> Tuple[str, str, Tuple[int, int]]:
    """(mode, Dell's words, (selection, failover)) of a ``raw 0x30 0x29`` answer."""
    if len(data) < 2:
        raise IpmiParseError("an iDRAC should answer the NIC-selection query with 2 bytes, got %d (%s)"
                             % (len(data), hexs(data) or "nothing"))
    sel, fo = data[0], data[1]
    if sel == 1:
        return DEDICATED, "dedicated", (sel, fo)
    if sel not in LOMS or fo not in FAILOVERS:
        raise IpmiParseError("iDRAC NIC selection bytes %02x %02x are out of range (selection 01 dedicated or 02-05 "
                             "LOM1-4; failover 00 none, 02-05 LOM1-4, 06 all)" % (sel, fo))
    if FAILOVERS[fo] is None:
        return SHARED, "shared with %s, failover none" % LOMS[sel], (sel, fo)
    return FAILOVER, "shared with %s, failover to %s" % (LOMS[sel], FAILOVERS[fo]), (sel, fo)


def parse_lan_get(text: str) -> Tuple[str, str, Tuple[int, int]]:
    """(mode, Dell's words, (selection, failover)) of ``ipmitool delloem lan get`` (11G one line, 12G/13G two)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        raise IpmiParseError("'ipmitool delloem lan get' printed nothing (what it does on iDRAC9, ipmitool issue 18)")
    fields = {}
    for line in lines:
        m = _FIELD_RE.match(line)
        if m:
            fields[m.group(1).lower()] = " ".join(m.group(2).lower().split())
    if not fields:
        words = " ".join(lines[0].lower().split())
        if len(lines) == 1 and words in SELECTION_11G:
            mode, fo = SELECTION_11G[words]
            return mode, lines[0], (0, 0)
        raise IpmiParseError("'ipmitool delloem lan get' printed no NIC selection: %r" % text.strip()[:200])
    shared = _LOM_RE.match(fields.get("shared lom", ""))
    if not shared or shared.group(1) == "all loms":
        raise IpmiParseError("'ipmitool delloem lan get' printed no shared LOM: %r" % text.strip()[:200])
    sel = {v: k for k, v in LOMS.items()}[shared.group(1)]
    if "failover lom" not in fields:
        raise IpmiParseError("'ipmitool delloem lan get' printed the shared LOM but no Failover LOM line (a failover "
                             "byte ipmitool cannot name): %r" % text.strip()[:200])
    failover = fields["failover lom"]
    if failover == "none":
        return SHARED, "shared with %s, failover none" % shared.group(1), (sel, 0)
    m = _LOM_RE.match(failover)
    if not m or not failover.startswith("shared with failover"):
        raise IpmiParseError("'ipmitool delloem lan get' printed a Failover LOM netmedic does not know: %r" % failover)
    fo = {v: k for k, v in FAILOVERS.items() if v}[m.group(1)]
    return FAILOVER, "shared with %s, failover to %s" % (shared.group(1), m.group(1)), (sel, fo)


def refusals(stderr: str) -> List[str]:
    """The lines of a ``delloem lan set`` stderr that say it did not happen (it may exit 0)."""
    return [m.group(0).strip() for m in _REFUSAL_RE.finditer(stderr or "")]


def target_bytes(mode: str, state: Tuple[int, ...]) -> Tuple[int, int]:
    """(selection, failover) that sets ``mode``, keeping the shared LOM the iDRAC has (LOM1 from dedicated)."""
    sel = state[0] if state and state[0] in LOMS else 2
    return {DEDICATED: (1, 0), SHARED: (sel, 0), FAILOVER: (sel, 6)}[mode]


def lan_set_steps(mode: str, state: Tuple[int, ...]) -> List[List[str]]:
    """The ``delloem lan set`` words, in order, that take a 12G/13G iDRAC from ``state`` to ``mode``.

    ipmitool's set starts from the current bytes: ``shared with lomN`` keeps
    the failover byte and ``shared with failover ...`` refuses to run while
    the iDRAC is dedicated, so shared and failover may each take two sets.
    """
    sel, fo = (tuple(state) + (0, 0))[:2]
    if mode == DEDICATED:
        return [["dedicated"]]
    lom = LOMS.get(sel, "lom1")
    steps = []
    if sel not in LOMS:
        steps.append(["shared", "with", lom])
        fo = 0 if fo == 2 else fo              # ipmitool: a failover LOM equal to the new shared LOM is cleared
    if mode == SHARED and fo != 0:
        steps.append(["shared", "with", "failover", "none"])
    if mode == FAILOVER and fo != 6:
        steps.append(["shared", "with", "failover", "all", "loms"])
    return steps


# ---------------------------------------------------------------- reading
def _generation(tool: Ipmitool) -> Tuple[Optional[int], str]:
    """(IMC type or None, the sentence that says how we know)."""
    netfn, cmd, data = VALIDATOR
    try:
        imc = imc_type(tool.raw(netfn, cmd, data))
    except IpmiCommandError as exc:
        if exc.cc is None:
            raise
        return None, "the iDRAC validator (%s) was refused: %s" % (raw_form(netfn, cmd, data), exc)
    except IpmiParseError as exc:
        return None, str(exc)
    return imc, "IMC type 0x%02x from the iDRAC validator (%s, what ipmitool's delloem asks)" % (
        imc, raw_form(netfn, cmd, data))


def read(tool: Ipmitool, info: McInfo, generation: str = "auto") -> Reading:
    """Read the NIC selection the way the iDRAC's generation needs."""
    imc, found = _generation(tool)
    evidence = ["manufacturer id 674 (Dell)", found]
    if imc is None or imc not in IMC_TYPES:
        words = ("IMC type 0x%02x is none netmedic knows from public sources" % imc) if imc is not None else found
        return base(info, method="dell", why=sentence(evidence), generation="unknown iDRAC",
                    reason="%s; set the NIC selection in the iDRAC web interface, with racadm (iDRAC.NIC.Selection) "
                           "or Redfish (NIC.1.Selection)" % words)
    gen, family, blade = IMC_TYPES[imc]
    if family == "11g" and blade:
        return base(info, generation=gen, method="dell", why=sentence(evidence),
                    reason="11G blades have no NIC selection (ipmitool: 'lan is not supported on this system'); "
                           "the chassis CMC decides the iDRAC's network")
    if family == "raw":
        return _read_raw(tool, info, gen, blade, evidence + [
            "iDRAC9 answers nothing useful to 'delloem lan get' (ipmitool issue 18); the 12G NIC-selection "
            "commands are what xCAT's bmcsetup uses on every Dell"])
    return _read_delloem(tool, info, gen, family, blade, evidence)


def _settable(family: str, blade: bool) -> Tuple[Tuple[str, ...], Optional[str]]:
    if blade:
        return (DEDICATED,), ("a blade's iDRAC cannot share a LOM (ipmitool: 'Cannot set shared Mode for Blades'); "
                              "only dedicated is set")
    return MODES, None


def _read_delloem(tool: Ipmitool, info: McInfo, gen: str, family: str, blade: bool,
                  evidence: List[str]) -> Reading:
    form = "ipmitool delloem lan get"
    settable, why_not = _settable(family, blade)
    try:
        out = tool.run(["delloem", "lan", "get"])
    except IpmiCommandError as exc:
        return base(info, generation=gen, form=form, method="dell", why=sentence(evidence),
                    reason="'ipmitool delloem lan get' failed: %s" % exc)
    try:
        mode, words, state = parse_lan_get(out)
    except IpmiParseError as exc:
        return base(info, generation=gen, form=form, method="dell", why=sentence(evidence), raw=out.strip(),
                    reason=str(exc))
    if family == "11g":
        settable, why_not = MODES, None
        evidence.append("11G prints one line: %r" % words)
    else:
        evidence.append("12G/13G print the shared LOM and the failover LOM; both were read")
    return base(info, mode=mode, generation=gen, form=form, method="dell" if family == "12g" else "dell-11g",
                why=sentence(evidence), detail=words, raw=out.strip(), settable=settable, not_settable=why_not,
                state=state)


def _read_raw(tool: Ipmitool, info: McInfo, gen: str, blade: bool, evidence: List[str]) -> Reading:
    form = raw_form(NETFN, GET_12G, [])
    settable, why_not = _settable("raw", blade)
    try:
        data = tool.raw(NETFN, GET_12G)
        mode, words, state = decode_12g(data)
    except IpmiCommandError as exc:
        if exc.cc is None:
            raise
        return base(info, generation=gen, form=form, method="dell-raw", why=sentence(evidence),
                    reason="the iDRAC refused the NIC-selection query: %s" % exc)
    except IpmiParseError as exc:
        return base(info, generation=gen, form=form, method="dell-raw", why=sentence(evidence), reason=str(exc))
    return base(info, mode=mode, generation=gen, form=form, method="dell-raw", why=sentence(evidence), detail=words,
                raw=hexs(data), settable=settable, not_settable=why_not, state=state)


# ---------------------------------------------------------------- writing
def write(tool: Ipmitool, reading: Reading, mode: str) -> List[str]:
    """Set ``mode``; the lines in which ipmitool said a set did not happen (exit 0 or not)."""
    problem = reading.refusal(mode)
    if problem:
        raise ValueError(problem)
    if reading.method == "dell-raw":
        sel, fo = target_bytes(mode, reading.state)
        try:
            tool.raw(NETFN, SET_12G, [sel, fo])
        except IpmiCommandError as exc:
            if exc.cc == CC_LICENSE:
                return ["FM001 (completion code 0x6f): a required licence is missing or expired: %s" % exc]
            raise
        return []
    steps = [SET_WORDS_11G[mode]] if reading.method == "dell-11g" else lan_set_steps(mode, reading.state)
    notes: List[str] = []
    for words in steps:
        try:
            _out, err = tool.run_full(["delloem", "lan", "set"] + words)
        except IpmiCommandError as exc:
            notes.append("'ipmitool delloem lan set %s' failed: %s" % (" ".join(words), exc))
            break
        said = refusals(err)
        if said:
            notes += ["'ipmitool delloem lan set %s' exited 0 but printed: %s" % (" ".join(words), line)
                      for line in said]
            break
    return notes


LICENCE_ADVICE = ("On Dell 12G/13G a dedicated iDRAC port needs an iDRAC Enterprise licence (FM001): install it, "
                  "or keep the iDRAC shared and keep its LOM out of the bond.")


def advice(notes: Sequence[str]) -> str:
    """What the operator can do about the refusals ``write`` returned."""
    return LICENCE_ADVICE if any("FM001" in n for n in notes) else ""


def state_words(state: Tuple[int, ...]) -> Dict[str, Optional[str]]:
    """{"lom": ..., "failover": ...} for evidence (12G bytes)."""
    sel, fo = (tuple(state) + (0, 0))[:2]
    return {"lom": LOMS.get(sel), "failover": FAILOVERS.get(fo)}
