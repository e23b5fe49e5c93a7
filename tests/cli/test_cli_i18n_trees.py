"""`triage i18n status|stamp|export|import`: coverage, stamping, and PO/XLIFF round trips on copied trees."""

from __future__ import annotations

import contextlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from triage.cli import main

TREE = """\
# a comment the import must keep
id: mini
title: {en: "Mini tree", de: "Mini-Baum"}
category: connectivity
locales: [en, de]
start: ask
nodes:
  - id: ask   # the first question
    kind: question
    text: {en: "Is any light on?", de: "Leuchtet eine Lampe?"}
    options:
      - {label: {en: "Yes", de: "Ja"}, value: "yes", next: done}
      - {label: {en: "No", de: "Nein"}, value: "no", next: done}
  - id: done
    kind: outcome
    outcome: resolved
    text: Done.
    reason: {en: "It works.", de: "Es geht."}
"""
X = "{urn:oasis:names:tc:xliff:document:1.2}"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def _trees(tmp_path: Path) -> Path:
    path = tmp_path / "trees" / "connectivity" / "mini.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(TREE, encoding="utf-8")
    return path


def _fill_po(src: Path, dst: Path) -> None:
    with src.open("rb") as fh:
        catalog = read_po(fh)
    for m in catalog:
        if m.id:
            m.string = f"PL {m.id}"
    with dst.open("wb") as fh:
        write_po(fh, catalog, width=0, include_lineno=False)


def test_status_and_stamp(tmp_path: Path) -> None:
    """Status counts per locale; stamp writes the record once and then changes nothing."""
    path = _trees(tmp_path)
    trees = str(tmp_path / "trees")
    code, out = run("i18n", "status", "--trees", trees, "--format", "json")
    (row,) = json.loads(out)
    assert code == 0
    assert row["tracked"] is False
    assert row["locales"] == [
        {
            "locale": "de",
            "declared": True,
            "total": 6,
            "translated": 5,
            "stale": 0,
            "unstamped": 0,
            "missing": 1,
        }
    ]
    assert run("i18n", "stamp", "--trees", trees, "mini") == (
        0,
        f"wrote {path.with_name('mini.i18n.toml')}\n1 of 1 translation record(s) changed\n",
    )
    assert run("i18n", "stamp", "--trees", trees)[1] == "0 of 1 translation record(s) changed\n"


def test_po_round_trip_keeps_comments_and_exports_the_same(tmp_path: Path) -> None:
    """Export pl, fill in, import: the YAML keeps its comments and order; exporting again gives the same file."""
    path = _trees(tmp_path)
    trees = str(tmp_path / "trees")
    first, done, again = tmp_path / "pl.po", tmp_path / "pl-done.po", tmp_path / "pl-again.po"
    assert run("i18n", "export", "--trees", trees, "--locale", "pl", "-o", str(first))[0] == 0
    text = first.read_text()
    assert 'msgctxt "mini|ask|options.label|yes"\nmsgid "Yes"\nmsgstr ""' in text
    _fill_po(first, done)
    code, out = run("i18n", "import", "--trees", trees, str(done))
    assert (code, out.splitlines()[-1]) == (
        0,
        "6 written, 0 unchanged, 0 not ready (empty or marked for review)",
    )
    new = path.read_text()
    assert new.startswith("# a comment the import must keep\nid: mini\n")
    assert "  - id: ask   # the first question\n" in new
    assert 'text: {en: "Is any light on?", de: "Leuchtet eine Lampe?", pl: "PL Is any light on?"}' in new
    assert 'text: {en: Done., pl: "PL Done."}' in new
    assert run("i18n", "export", "--trees", trees, "--locale", "pl", "-o", str(again))[0] == 0
    strip = lambda s: [ln for ln in s.splitlines() if "-Date:" not in ln]  # noqa: E731 - the export minute
    assert strip(again.read_text()) == strip(done.read_text())
    code, out = run("validate", "--format", "json", str(path))
    found = [(d["code"], d["message"]) for d in json.loads(out)["diagnostics"]]
    assert code == 0
    assert not [m for _c, m in found if "pl" in m.split()]
    assert (
        "translation-unstamped",
        "5 de translation(s) do not record the text they were made from",
    ) in found


def test_stale_after_english_edit_is_fuzzy_and_refused_on_import(tmp_path: Path) -> None:
    """After an English edit the pl text exports fuzzy; an old file's entry is refused, naming file and entry,
    unless --force, which keeps it marked stale."""
    path = _trees(tmp_path)
    trees = str(tmp_path / "trees")
    first, done = tmp_path / "pl.po", tmp_path / "pl-done.po"
    run("i18n", "export", "--trees", trees, "--locale", "pl", "-o", str(first))
    _fill_po(first, done)
    run("i18n", "import", "--trees", trees, str(done))
    path.write_text(path.read_text().replace('en: "Is any light on?"', 'en: "Is any lamp on?"'))
    stale = tmp_path / "stale.po"
    run("i18n", "export", "--trees", trees, "--locale", "pl", "-o", str(stale))
    assert (
        '#, fuzzy\nmsgctxt "mini|ask|text"\nmsgid "Is any lamp on?"\nmsgstr "PL Is any light on?"'
        in stale.read_text()
    )
    before = path.read_text()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code, _ = run("i18n", "import", "--trees", trees, str(done))
    assert code == 2
    assert f"{done}:" in err.getvalue()
    assert "'mini|ask|text'" in err.getvalue()
    assert "--force" in err.getvalue()
    assert path.read_text() == before
    code, out = run("i18n", "import", "--force", "--trees", trees, str(done))
    assert code == 0
    assert "imported although the English changed (marked stale)" in out
    code, out = run("validate", str(path))
    assert "the pl translation of `text` is stale" in out


def test_xliff_round_trip(tmp_path: Path) -> None:
    """XLIFF 1.2 likewise: fill the targets, import, export again equals; stale units need review."""
    path = _trees(tmp_path)
    trees = str(tmp_path / "trees")
    first, again = tmp_path / "lt.xlf", tmp_path / "lt-again.xlf"
    run("i18n", "export", "--trees", trees, "--locale", "lt", "-o", str(first))
    root = ET.parse(first).getroot()  # noqa: S314 - our own file
    assert root.get("version") == "1.2"
    for unit in root.iter(f"{X}trans-unit"):
        target = unit.find(f"{X}target")
        assert target is not None
        assert target.get("state") == "needs-translation"
        target.text = "LT " + (unit.findtext(f"{X}source") or "")
        target.set("state", "translated")
    ET.indent(root)
    first.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    assert run("i18n", "import", "--trees", trees, str(first))[0] == 0
    run("i18n", "export", "--trees", trees, "--locale", "lt", "-o", str(again))
    assert again.read_bytes() == first.read_bytes()
    path.write_text(path.read_text().replace('en: "It works."', 'en: "It works again."'))
    run("i18n", "export", "--trees", trees, "--locale", "lt", "-o", str(again))
    states = {
        u.get("id"): u.find(f"{X}target").get("state")
        for u in ET.parse(again).getroot().iter(f"{X}trans-unit")
    }  # type: ignore[union-attr]  # noqa: S314
    assert states["mini|done|reason"] == "needs-review-translation"
    assert {s for k, s in states.items() if k != "mini|done|reason"} == {"translated"}
