"""Trees: what an author writes and what the engine walks.

- ``model``: the tree format (pydantic, one class per node kind); ``loader``: YAML with file/line/node errors;
- ``yamlsafe``: size and alias budgets checked before a file is parsed; ``parsecache``: parse results by
  content hash; ``schema_messages``: pydantic errors worded for authors;
- ``conditions``: the condition language of logic nodes and guards;
- ``graph``: the tree as a networkx graph (reachability, distances, outline);
- ``checks``: one function per validation rule, run together by ``check_tree`` (``lint``: the rules that only
  warn; ``treeview``: what the rules share about a tree); ``media``: pictures under a trees root's ``media/``;
- ``search``: the tree a customer means, from their words in any language (``_analysis``: words, stems, stop
  words, accents, the query's language);
- ``library``: every tree file under some folders, checked together; ``fix_groups``: a fix group as a
  guidance problem;
- ``export``: Mermaid, DOT and JSON; ``dot``: the one DOT writer (quoting per the DOT language);
- ``markdown``: what people typed as literal Markdown (``escape``), tree texts without remote images
  (``safe_markdown``, hosts allowed by ``TRIAGE_IMAGE_HOSTS``).

May import: :mod:`triage.guidance` (fix groups are planning problems), :mod:`triage.i18n`,
:mod:`triage.errors`. Never the engine, the records or anything above.
"""
