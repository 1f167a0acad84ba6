# -*- coding: utf-8 -*-
"""A sample of the FRR corpus (configs written by others, tests/corpus/frr/) on each lab FRR version (issue 14).

Each sampled config is loaded, checked in check mode (an unchanged router plans
nothing), drifted with a seeded RNG, reconciled by our module's engine and
judged by that version's frr-reload.py --test (tests/corpus/frr_corpus.py).
The test fails on any residual, refusal, error, plan on an unchanged router,
non-empty ``remaining`` or non-idempotent second run that
tests/corpus/frr_known.json does not explain (docs/frr_reconcile.md says why
for each).  ``make frr-corpus`` runs the whole corpus on every version.
"""

import os
import sys

CORPUS_HARNESS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              "corpus")
if CORPUS_HARNESS not in sys.path:
    sys.path.insert(0, CORPUS_HARNESS)

# pylint: disable=wrong-import-position
import frr_corpus  # noqa: E402
from frrfixtures import version_of  # noqa: E402

# A fixed dozen (make test's time budget: about 1 min a version here); NETMEDIC_CORPUS_SAMPLE changes the count.
SAMPLE = int(os.environ.get("NETMEDIC_CORPUS_SAMPLE", "12"))
SEED = frr_corpus.DEFAULT_SEED


def test_corpus_sample_converges(frr_machine, capsys):
    version = version_of(frr_machine)
    cases = frr_corpus.sample(frr_corpus.load_index(), SAMPLE, SEED)
    assert len(cases) == SAMPLE, "the corpus (tests/corpus/frr/index.json) has fewer than %d configs" % SAMPLE
    results = frr_corpus.run_version(version, cases, SEED, log=lambda _line: None, machine=frr_machine)
    frr_corpus.write_json(os.path.join(frr_corpus.REPO, "build", "corpus-sample-%s.json" % version), version, SEED,
                          results, sum(r.seconds for r in results))
    with capsys.disabled():
        print("\n(seed %d)\n%s" % (SEED, frr_corpus.table(version, results)))
    counts = frr_corpus.counts(results)
    assert counts["accepted"] > 0, "no sampled config was accepted by FRR %s" % version
    assert frr_corpus.unexplained(results, frr_corpus.load_known()) == []
