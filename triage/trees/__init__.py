"""Trees: what an author writes and what the engine walks.

The tree model (pydantic), the YAML loader with file/line/node errors, the condition language,
the tree as a graph (graph), the checks (one function per rule), the library of checked trees,
fix groups as planning problems, and export (Mermaid, JSON, and DOT through the one writer in dot).

May import: :mod:`triage.guidance` (fix groups are planning problems), :mod:`triage.i18n`,
:mod:`triage.errors`. Never the engine, the records or anything above.
"""
