"""Seeded mutations of real inputs, for the fuzz suite (issue 11).

Every parser or reader of outside data (FRR config, vtysh JSON, ``ip -j``,
ipmitool, tinc, bond backends, the daemons file, report input) is fed
thousands of mutations of a real fixture.  The only acceptable outcomes are a
result or the reader's own error type: any other exception is a bug, because
an audit that raises loses its whole check on exactly the host whose output
was odd.

``fuzz(fn, inputs, allowed)`` runs the cases and returns a :class:`Tally`;
tests assert ``tally.unexpected == []`` and print the counts (``-s``), which the
closing notes of issue 11 quote.  Everything is driven by ``random.Random(seed)``:
a failure names its seed and case number, and re-runs identically.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import traceback
from typing import Any, Callable, Iterable, List, Sequence, Tuple, Type

_ODD_STRINGS = ["", " ", "\t", "\r\n", "\x00", "\ufeff", "é", "\u202e", "$(reboot)", "`id`", "; rm -rf /",
                "-", "--", "#", "!", "{", "}", "[", "]", "\"", "'", "\\", "%s", "nan", "inf", "-1", "0",
                "99999999999999999999", "1e308", "None", "null", "true", "a" * 5000]
_ODD_VALUES = [None, True, False, 0, -1, 1.5, float("nan"), float("inf"), 2 ** 70, "", "x", [], {}, [None],
               {"": None}, "1", "-5", "999999999999"]


@dataclasses.dataclass
class Tally:
    name: str
    cases: int = 0
    ok: int = 0
    expected_errors: int = 0
    unexpected: List[str] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        return "fuzz %-40s cases %6d  ok %6d  own errors %6d  unexpected %d" % (
            self.name, self.cases, self.ok, self.expected_errors, len(self.unexpected))


def fuzz(name: str, fn: Callable[[Any], Any], cases: Iterable[Tuple[str, Any]],
         allowed: Sequence[Type[BaseException]] = ()) -> Tally:
    """Call ``fn(case)`` for each ``(label, case)``; exceptions not in ``allowed`` are recorded."""
    tally = Tally(name)
    for label, case in cases:
        tally.cases += 1
        try:
            fn(case)
            tally.ok += 1
        except tuple(allowed):
            tally.expected_errors += 1
        except Exception:  # pylint: disable=broad-except
            if len(tally.unexpected) < 20:
                tally.unexpected.append("%s: %s" % (label, traceback.format_exc(limit=-3)))
            else:
                tally.unexpected.append(label)
    print(tally.line())
    return tally


# ----------------------------------------------------------------- text

def mutate_text(text: str, rng: random.Random, steps: int = 3) -> str:
    """``steps`` random edits of ``text``: lines dropped, duplicated, swapped, cut, spliced with odd strings."""
    lines = text.splitlines(True) or [""]
    for _step in range(steps):
        op = rng.randrange(11)
        i = rng.randrange(len(lines)) if lines else 0
        if op == 0 and lines:
            del lines[i]
        elif op == 1 and lines:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3 and lines:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut]
        elif op == 4 and lines:
            pos = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:pos] + rng.choice(_ODD_STRINGS) + lines[i][pos:]
        elif op == 5 and lines:
            lines[i] = lines[i].replace("\n", "\r\n")
        elif op == 6 and lines:
            lines[i] = " " * rng.randrange(1, 9) + lines[i].lstrip()
        elif op == 7 and lines:
            words = lines[i].split(" ")
            if len(words) > 1:
                del words[rng.randrange(len(words))]
                lines[i] = " ".join(words)
        elif op == 8 and lines:
            lines[i] = "".join(rng.choice("0123456789") if c.isdigit() else c for c in lines[i])
        elif op == 9:
            lines.insert(i, rng.choice(_ODD_STRINGS) + "\n")
        else:
            lines = lines[:i]
    return "".join(lines)


def text_cases(fixtures: Sequence[str], count: int, seed: int, steps: int = 3):
    """``count`` mutated versions of the fixtures (and each fixture itself, unmutated)."""
    rng = random.Random(seed)
    for n, text in enumerate(fixtures):
        yield "fixture %d" % n, text
    for n in range(count):
        yield "seed %d case %d" % (seed, n), mutate_text(rng.choice(fixtures), rng, rng.randint(1, steps))


# ----------------------------------------------------------------- JSON

def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def mutate_json(obj: Any, rng: random.Random, steps: int = 2) -> Any:
    """``steps`` random edits of a parsed JSON document: values of the wrong type, keys removed or renamed."""
    obj = copy.deepcopy(obj)
    for _step in range(steps):
        paths = list(_paths(obj))
        path = rng.choice(paths)
        if not path:
            if rng.random() < 0.2:
                obj = copy.deepcopy(rng.choice(_ODD_VALUES))
            continue
        parent = _get(obj, path[:-1])
        key = path[-1]
        op = rng.randrange(5)
        if op == 0:
            parent[key] = copy.deepcopy(rng.choice(_ODD_VALUES))
        elif op == 1 and isinstance(parent, dict):
            del parent[key]
        elif op == 1 and isinstance(parent, list):
            del parent[key]
        elif op == 2 and isinstance(parent, dict):
            parent[rng.choice(_ODD_STRINGS)] = parent.pop(key)
        elif op == 3:
            parent[key] = rng.choice(["", "x", 0, None, []]) if isinstance(parent[key], (dict, list)) else {}
        else:
            parent[key] = copy.deepcopy(parent[rng.choice(list(parent))] if isinstance(parent, dict)
                                        else rng.choice(parent))
    return obj


def json_cases(fixtures: Sequence[Any], count: int, seed: int, steps: int = 3, as_text: bool = True):
    """Mutated JSON documents (as text by default, sometimes cut short)."""
    rng = random.Random(seed)
    for n, doc in enumerate(fixtures):
        yield "fixture %d" % n, json.dumps(doc) if as_text else doc
    for n in range(count):
        doc = mutate_json(rng.choice(fixtures), rng, rng.randint(1, steps))
        if not as_text:
            yield "seed %d case %d" % (seed, n), doc
            continue
        text = json.dumps(doc)
        if rng.random() < 0.05:
            text = text[:rng.randrange(len(text) + 1)]
        yield "seed %d case %d" % (seed, n), text
