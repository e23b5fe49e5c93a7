"""``triage i18n extract`` reads the code for the keys it uses and writes them to a .pot template."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.pofile import read_po

from triage.cli import main
from triage.i18n.extract import extract, render_pot

SOURCE = '''
from triage.i18n import t

TITLES = {"a": "page.title.a"}


def draw(kind: str, ok: bool) -> str:
    """Shows t("doc.example") in a docstring, which is no use."""
    return t("page.intro") + t("page.yes" if ok else "page.no") + t(f"page.kind.{kind}") + tr("page.gone")
'''
ENGLISH = {
    "page.intro": "Hello",
    "page.yes": "Yes",
    "page.no": "No",
    "page.kind.a": "A",
    "page.kind.b": "B",
    "page.title.a": "Title A",
    "page.count": "{count} pages",
    "page.count.one": "{count} page",
    "page.old": "Nobody says this",
}


def _source(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "page.py").write_text(SOURCE, encoding="utf-8")
    return root


def test_extraction_finds_direct_indirect_and_family_keys(tmp_path: Path) -> None:
    """Literal calls (both branches of an if), strings naming a key, and f-string families count as used; a
    key called but missing from English and a key nothing uses are both reported."""
    found = extract(_source(tmp_path))
    assert set(found.direct) == {"page.intro", "page.yes", "page.no", "page.gone"}
    assert found.direct["page.intro"] == [("pkg/page.py", 9)]
    assert found.missing(ENGLISH) == ["page.gone"]
    assert found.unused(ENGLISH) == ["page.count", "page.count.one", "page.old"]


def test_the_template_lists_each_used_key_with_its_english_and_file(tmp_path: Path) -> None:
    """The .pot is valid gettext: each used key with where it is used and its English text as a comment."""
    pot = read_po(io.BytesIO(render_pot(extract(_source(tmp_path)), ENGLISH)))
    ids = sorted(str(m.id) for m in pot if m.id)
    assert ids == [
        "page.gone",
        "page.intro",
        "page.kind.a",
        "page.kind.b",
        "page.no",
        "page.title.a",
        "page.yes",
    ]
    intro = pot["page.intro"]
    assert intro is not None
    assert intro.locations == [("pkg/page.py", None)]
    assert intro.auto_comments == ["English: Hello"]


def test_the_command_writes_the_template_and_reports(tmp_path: Path) -> None:
    """The CLI writes the file and lists what English lacks and what nothing uses; --check fails on either."""
    root, target, out = _source(tmp_path), tmp_path / "messages.pot", io.StringIO()
    assert main(["i18n", "extract", "--root", str(root), "-o", str(target)], out=out) == 0
    assert target.exists()
    text = out.getvalue()
    assert "used but missing from English (4):" in text  # this code's keys are not the shipped catalog's
    assert "  page.gone  (pkg/page.py:9)" in text
    assert (
        main(["i18n", "extract", "--root", str(root), "-o", str(target), "--check"], out=io.StringIO()) == 1
    )


def test_the_shipped_code_uses_only_keys_english_has() -> None:
    """Over triage/ itself, the command reports no key missing from English."""
    out = io.StringIO()
    package = Path(__file__).resolve().parents[1] / "triage"
    main(["i18n", "extract", "--root", str(package), "-o", "/dev/null"], out=out)
    assert "used but missing from English (0):" in out.getvalue()
