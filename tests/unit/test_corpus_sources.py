"""The FRR corpus written by others (issue 14): every config has its source on record, none is an FRR topotest."""

import json
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(REPO, "tests", "corpus", "frr")
CONFIGS = os.path.join(CORPUS, "configs")
NAME = re.compile(r"^\d{2}-[a-z0-9][a-z0-9.-]*\.conf$")
DAEMONS = {"zebra", "bgpd", "ospfd", "ospf6d", "isisd", "staticd", "bfdd", "pbrd", "ripd", "ripngd",
           "ldpd", "eigrpd", "fabricd", "pimd", "babeld"}


def config_files():
    return sorted(os.listdir(CONFIGS))


def index():
    with open(os.path.join(CORPUS, "index.json")) as fh:
        return json.load(fh)


def sources_rows():
    """First cell -> whole row, for the table rows of SOURCES.md."""
    rows = {}
    with open(os.path.join(CORPUS, "SOURCES.md")) as fh:
        for line in fh:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and cells and cells[0].endswith(".conf"):
                assert cells[0] not in rows, "two SOURCES.md rows for %s" % cells[0]
                rows[cells[0]] = cells
    return rows


def test_the_corpus_has_at_least_sixty_configs_named_nn_slug():
    files = config_files()
    assert len(files) >= 60
    assert [f for f in files if not NAME.match(f)] == []
    assert len({f[:2] for f in files}) == len(files), "two files share a number"


def test_every_config_has_a_sources_row_and_every_row_a_config():
    assert sorted(sources_rows()) == config_files()


def test_every_config_has_an_index_entry_and_every_entry_a_config():
    entries = index()
    names = [e["file"] for e in entries]
    assert len(names) == len(set(names)), "an index.json entry appears twice"
    assert sorted(names) == config_files()


def test_index_entries_name_a_source_and_known_daemons():
    for entry in index():
        assert entry["source"].startswith("https://"), entry["file"]
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"]), entry["file"]
        assert entry["daemons"] and entry["daemons"][0] == "zebra", entry["file"]
        assert set(entry["daemons"]) <= DAEMONS, entry["file"]
        assert entry["features"], entry["file"]
        assert isinstance(entry["parses_8_4"], bool), entry["file"]


def test_sources_and_index_agree_on_where_each_config_came_from():
    rows = sources_rows()
    for entry in index():
        row = rows[entry["file"]]
        assert row[1] == entry["repository"] and row[2] == entry["path"] and row[3] == entry["commit"], entry["file"]


def test_no_config_comes_from_frr_topotests():
    """FRR's own topotests are kept apart as an independent check (issue 14)."""
    for entry in index():
        for text in (entry["path"], entry["source"]):
            assert "topotests" not in text.lower(), entry["file"]
    for row in sources_rows().values():
        assert "topotests" not in " ".join(row[1:4]).lower(), row[0]


def test_at_most_twelve_configs_from_one_repository():
    counts = {}
    for entry in index():
        counts[entry["repository"]] = counts.get(entry["repository"], 0) + 1
    assert max(counts.values()) <= 12, counts
