"""Translation files for translators working outside git: gettext PO (via Babel) and XLIFF 1.2 (xml.etree).

One entry per tree text: the context is ``tree id|node id|field[|item]`` (PO ``msgctxt``, XLIFF ``trans-unit``
``id``), the source is the English (``msgid``, ``<source>``), the target the translation (``msgstr``,
``<target>``). A stale translation is marked for review: ``#, fuzzy`` in PO, ``state="needs-review-translation"``
in XLIFF; reading, a marked entry is not ready (a translator has not confirmed it), and neither is an empty one.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from babel import Locale
from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from triage.errors import Refused

__all__ = ["FORMATS", "Incoming", "Unit", "read_translations", "render_po", "render_xliff"]

FORMATS = ("po", "xliff")

_XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
_NOT_READY = ("needs-review-translation", "needs-review-l10n", "needs-review-adaptation")
_PROJECT = "triage trees"


@dataclass(frozen=True)
class Unit:
    """One text to translate, as exported."""

    context: str
    source: str
    target: str
    stale: bool
    file: str
    source_locale: str = "en"

    @property
    def tree_id(self) -> str:
        """The tree the text belongs to (the context's first part)."""
        return self.context.split("|", 1)[0]


@dataclass(frozen=True)
class Incoming:
    """One entry of a translator's file: what it translates, into what, and whether it is ready to import."""

    context: str
    source: str
    target: str
    ready: bool
    where: str
    """``FILE:LINE`` (PO) or ``FILE: trans-unit 'ID'`` (XLIFF), for messages."""


def _language(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise Refused(f"{locale!r} is not a language Babel knows (try pl, nl, lt, de)") from exc


def render_po(units: list[Unit], locale: str, now: datetime | None = None) -> bytes:
    """A PO file of ``units`` for ``locale``: msgctxt the context, msgid the English, stale entries fuzzy."""
    when = now or datetime.now(UTC).replace(microsecond=0)
    catalog = Catalog(
        locale=_language(locale),
        project=_PROJECT,
        version="1",
        creation_date=when,
        revision_date=when,
        fuzzy=False,
        header_comment=(
            f"# Tree texts of triage to translate into {_language(locale).english_name}.\n"
            "# msgctxt is tree|node|field[|item]; translate the msgstr only. A fuzzy entry was translated from\n"
            "# an older English text: check it against the msgid, then remove the fuzzy flag."
        ),
    )
    for u in units:
        catalog.add(
            u.source,
            u.target,
            locations=[(u.file, 0)],  # no line: see below
            flags=("fuzzy",) if u.stale else (),
            context=u.context,
        )
    out = io.BytesIO()
    # no line numbers: an import moves lines, and the file exported again must read the same
    write_po(out, catalog, width=0, include_lineno=False)
    return out.getvalue()


def render_xliff(units: list[Unit], locale: str) -> bytes:
    """An XLIFF 1.2 document of ``units`` for ``locale``: one ``<file>`` per tree file, stale units marked
    ``needs-review-translation``, untranslated ones ``needs-translation``."""
    _language(locale)
    ET.register_namespace("", _XLIFF_NS)
    root = ET.Element(f"{{{_XLIFF_NS}}}xliff", {"version": "1.2"})
    files: dict[str, ET.Element] = {}
    for u in units:
        body = files.get(u.file)
        if body is None:
            attrs = {
                "original": u.file,
                "source-language": u.source_locale,
                "target-language": locale,
                "datatype": "plaintext",
            }
            body = ET.SubElement(ET.SubElement(root, f"{{{_XLIFF_NS}}}file", attrs), f"{{{_XLIFF_NS}}}body")
            files[u.file] = body
        unit = ET.SubElement(body, f"{{{_XLIFF_NS}}}trans-unit", {"id": u.context})
        ET.SubElement(unit, f"{{{_XLIFF_NS}}}source").text = u.source
        state = "needs-review-translation" if u.stale else "translated" if u.target else "needs-translation"
        ET.SubElement(unit, f"{{{_XLIFF_NS}}}target", {"state": state}).text = u.target
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def read_translations(data: bytes, name: str) -> tuple[str, list[Incoming]]:
    """The locale and entries of a PO or XLIFF file (told apart by their content); :class:`Refused` naming
    the file if it is neither, or says no language."""
    head = data.lstrip()[:200]
    if head.startswith(b"<"):
        return _read_xliff(data, name)
    return _read_po(data, name)


def _read_po(data: bytes, name: str) -> tuple[str, list[Incoming]]:
    try:
        catalog = read_po(io.BytesIO(data), abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"{name}: not a PO file Babel can read ({exc})") from exc
    if catalog.locale is None:
        raise Refused(f"{name}: the PO header names no Language; export the file again with --locale")
    out = []
    for m in catalog:
        if not m.id or not isinstance(m.id, str) or not isinstance(m.string, str):
            continue  # the header, or a plural entry (tree texts have none)
        line = m.lineno if m.lineno is not None else "?"
        out.append(
            Incoming(m.context or "", m.id, m.string, bool(m.string) and not m.fuzzy, f"{name}:{line}")
        )
    return str(catalog.locale).replace("_", "-"), out


def _read_xliff(data: bytes, name: str) -> tuple[str, list[Incoming]]:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Refused(
            f"{name}: an XLIFF file with a DOCTYPE or entities is not read (they can expand without end)"
        )
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE, so no entity can expand
    except ET.ParseError as exc:
        raise Refused(f"{name}: not well-formed XML ({exc})") from exc
    ns = {"x": _XLIFF_NS}
    if root.tag != f"{{{_XLIFF_NS}}}xliff" or root.get("version") != "1.2":
        raise Refused(f"{name}: not an XLIFF 1.2 document (export one with --format xliff)")
    locales = {f.get("target-language") for f in root.iterfind("x:file", ns)}
    if len(locales) != 1 or None in locales:
        raise Refused(f"{name}: every <file> must name the same target-language")
    out = []
    for unit in root.iterfind("x:file/x:body/x:trans-unit", ns):
        uid = unit.get("id", "")
        target = unit.find("x:target", ns)
        text = (target.text or "") if target is not None else ""
        state = target.get("state", "") if target is not None else ""
        source = unit.find("x:source", ns)
        out.append(
            Incoming(
                uid,
                (source.text or "") if source is not None else "",
                text,
                bool(text) and state not in _NOT_READY,
                f"{name}: trans-unit {uid!r}",
            )
        )
    return str(locales.pop()), out
