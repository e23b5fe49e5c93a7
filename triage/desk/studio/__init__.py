"""The author studio's logic: tree files, drafts, round-trip edits, live checks, pictures, save and publish.

A :class:`Draft` is an author's working copy of one tree file: the text in the editor, plus what it was
based on (the file's digest when it was opened, and the published version the author started from).
Edits go through a ruamel.yaml round-trip document, so saving keeps comments, key order and quoting:
changing one node's text changes exactly that line of the file.

Conflicts never lose work::

    TriageError
    ├── DraftError (ValueError)   the draft is not YAML the node form can edit
    └── DraftConflict             the file changed on disk, or someone published in between;
                                  carries the author's text and the other side's

Saving a draft with errors is allowed (the file is the author's); publishing needs a valid tree.

Modules, in the order an author meets them: :mod:`.folder` (the tree files and their status),
:mod:`.drafts` (open, save, publish), :mod:`.forms` (the node form and its edits, written through
:mod:`.roundtrip`), :mod:`.kinds` (new nodes of every kind, pictures and links), :mod:`.preview` (live checks and a preview walk), :mod:`.pictures` (the graph).
"""

from __future__ import annotations

from triage.desk.studio.drafts import Draft, digest, open_draft, publish_draft, save_draft, text_diff
from triage.desk.studio.folder import (
    TreeStatus,
    annotate,
    flags_by_node,
    folder_stamp,
    load_others,
    published_versions,
    tree_file,
    tree_statuses,
)
from triage.desk.studio.forms import CHOICES, LONG_TEXTS, FormField, NodeForm, edit_node, node_form, node_ids
from triage.desk.studio.kinds import NEW_KINDS, add_media, new_node
from triage.desk.studio.pictures import GRAPH_LIMIT, graph_nodes, neighbourhood, tree_dot
from triage.desk.studio.preview import DraftCheck, check_draft, start_preview
from triage.errors import DraftConflict, DraftError

__all__ = [
    "CHOICES",
    "GRAPH_LIMIT",
    "LONG_TEXTS",
    "NEW_KINDS",
    "Draft",
    "DraftCheck",
    "DraftConflict",
    "DraftError",
    "FormField",
    "NodeForm",
    "TreeStatus",
    "add_media",
    "annotate",
    "check_draft",
    "digest",
    "edit_node",
    "flags_by_node",
    "folder_stamp",
    "graph_nodes",
    "load_others",
    "neighbourhood",
    "new_node",
    "node_form",
    "node_ids",
    "open_draft",
    "publish_draft",
    "published_versions",
    "save_draft",
    "start_preview",
    "text_diff",
    "tree_dot",
    "tree_file",
    "tree_statuses",
]
