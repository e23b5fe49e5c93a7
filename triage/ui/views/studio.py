"""The author studio: tree files and their checks, a YAML editor and node forms, a picture of the graph,
a preview walk, scenario tests, save and publish, flags from agents, and diffs between versions.

All the logic lives in :mod:`triage.desk.studio`; this page keeps the author's drafts in ``st.session_state``
(so an unsaved edit survives a rerun and a page switch, see :mod:`.studio_state`) and draws. The preview and
scenario tabs are in :mod:`.studio_preview`, the flags and versions tabs in :mod:`.studio_review`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from triage.bootstrap import trees_dir
from triage.desk import flags as step_flags
from triage.desk import studio
from triage.desk.flags import FlagView
from triage.desk.translations import draft_coverage
from triage.errors import Diagnostic, DraftConflict, StoreError, TreeError
from triage.trees.markdown import escape
from triage.trees.translations import TextState
from triage.ui.common import identity, page_guard, require, staff_action, store, tr, ui_locale
from triage.ui.views import studio_figures, studio_preview, studio_review
from triage.ui.views.studio_state import (
    CONFLICT,
    DRAFTS,
    NODE,
    OPEN,
    PREVIEW,
    draft_of,
    notify,
    set_draft,
    show_notice,
    state,
    yaml_key,
)

__all__ = ["render"]


# -- cached checks (pure functions of the files and the draft text) ----------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def _statuses(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> list[studio.TreeStatus]:
    del stamp  # part of the cache key only
    return studio.tree_statuses(folder)


@st.cache_resource(show_spinner=False, max_entries=32)
def _check(
    folder: str, path: str, rel: str, text: str, stamp: tuple[tuple[str, int, int], ...]
) -> studio.DraftCheck:
    """The draft's checks; shared read-only between sessions (same text, same files, same answer)."""
    del stamp
    return studio.check_draft(text, rel, studio.load_others(folder, path))


# -- callbacks (they only change state; the next run draws it) ------------------------------------------


@staff_action("studio")
def _on_pick(key: str) -> None:
    rel = st.session_state.get(key)
    if rel:
        st.session_state[OPEN] = rel
        st.query_params["tree"] = rel


@staff_action("studio")
def _on_yaml(rel: str, key: str) -> None:
    set_draft(draft_of(rel).with_text(st.session_state.get(key, "")))


@staff_action("studio")
def _on_node(rel: str, key: str) -> None:
    state(NODE)[rel] = st.session_state.get(key)


@staff_action("studio")
def _on_form(rel: str, node_id: str, keys: dict[tuple[str | int, ...], str]) -> None:
    draft = draft_of(rel)
    changes = {loc: str(st.session_state.get(k) or "") for loc, k in keys.items()}
    try:
        set_draft(draft.with_text(studio.edit_node(draft.text, node_id, changes)))
    except studio.DraftError as exc:
        notify("error", escape(str(exc)))


@staff_action("studio")
def _on_add_node(rel: str, kind_key: str, id_key: str) -> None:
    draft = draft_of(rel)
    node_id = str(st.session_state.get(id_key) or "").strip()
    try:
        text = studio.new_node(draft.text, str(st.session_state.get(kind_key) or ""), node_id)
    except studio.DraftError as exc:
        notify("error", escape(str(exc)))  # it quotes the id as typed
        return
    set_draft(draft.with_text(text))
    state(NODE)[rel] = node_id
    st.session_state[f"studio.nodesel.{rel}"] = node_id  # the node list shows the new node selected
    st.session_state[id_key] = ""


@staff_action("studio")
def _on_add_media(rel: str, node_id: str, kind_key: str, src_key: str) -> None:
    draft = draft_of(rel)
    src = str(st.session_state.get(src_key) or "")
    where = {"link": src} if st.session_state.get(kind_key) == "link" else {"image": src}
    try:
        set_draft(draft.with_text(studio.add_media(draft.text, node_id, **where)))
    except studio.DraftError as exc:
        notify("error", escape(str(exc)))
        return
    st.session_state[src_key] = ""


@staff_action("studio")
def _on_save(rel: str, errors: int) -> None:
    draft = draft_of(rel)
    if not draft.dirty:
        notify("info", tr("ui.studio.unchanged"))
        return
    try:
        set_draft(studio.save_draft(draft))
    except DraftConflict as exc:
        state(CONFLICT)[rel] = exc
        return
    state(CONFLICT).pop(rel, None)
    if errors:
        notify("warning", tr("ui.studio.saved_errors", file=rel, count=errors))
    else:
        notify("success", tr("ui.studio.saved", file=rel))


@staff_action("studio")
def _on_publish(rel: str, note_key: str) -> None:
    ident = identity()
    if ident is None:
        return
    draft = draft_of(rel)
    try:
        info, saved = studio.publish_draft(
            store(), draft, ident.username, str(st.session_state.get(note_key) or "")
        )
    except DraftConflict as exc:
        state(CONFLICT)[rel] = exc
        return
    except TreeError as exc:
        notify("error", tr("ui.studio.not_published", message=escape(str(exc))))
        return
    except StoreError as exc:
        notify("error", escape(str(exc)))
        return
    set_draft(saved)
    state(CONFLICT).pop(rel, None)
    st.session_state.pop(note_key, None)
    notify("success", tr("ui.studio.published", tree=info.tree_id, version=info.version, file=rel))


@staff_action("studio")
def _on_merged(rel: str) -> None:
    conflict = state(CONFLICT).pop(rel, None)
    if isinstance(conflict, DraftConflict):
        draft = draft_of(rel)
        if conflict.where == "file":
            set_draft(draft.rebased(base_text=conflict.theirs))
        else:
            set_draft(draft.rebased(base_version=conflict.latest))


@staff_action("studio")
def _on_take_theirs(rel: str) -> None:
    conflict = state(CONFLICT).pop(rel, None)
    if isinstance(conflict, DraftConflict):
        draft = draft_of(rel).with_text(conflict.theirs)
        if conflict.where == "file":
            draft = draft.rebased(base_text=conflict.theirs)
        else:
            draft = draft.rebased(base_version=conflict.latest)
        set_draft(draft)


@staff_action("studio")
def _on_reload(folder: str, rel: str) -> None:
    set_draft(studio.open_draft(folder, rel, store()))
    state(CONFLICT).pop(rel, None)
    state(PREVIEW).pop(rel, None)
    notify("info", tr("ui.studio.reloaded", file=rel))


# -- drawing -----------------------------------------------------------------------------------------


def _diag_rows(diags: list[Diagnostic]) -> list[dict[str, Any]]:
    return [
        {
            tr("ui.studio.col.file"): d.path,
            tr("ui.studio.col.line"): d.line,
            tr("ui.studio.col.node"): d.node_id or "",
            tr("ui.studio.col.message"): d.message,
            tr("ui.studio.col.hint"): d.hint or "",
        }
        for d in diags
    ]


def _tree_list(statuses: list[studio.TreeStatus]) -> None:
    st.subheader(tr("ui.studio.trees"))
    st.dataframe(
        [
            {
                tr("ui.studio.col.file"): s.rel,
                tr("ui.studio.col.tree"): s.tree_id or "",
                tr("ui.studio.col.title"): s.title,
                tr("ui.studio.col.status"): ("✓ " + tr("ui.studio.valid"))
                if s.ok
                else ("✗ " + tr("ui.studio.invalid")),
                tr("ui.studio.col.errors"): len(s.errors),
                tr("ui.studio.col.warnings"): len(s.warnings),
                tr("ui.studio.col.flags"): s.open_flags,
                tr("ui.studio.col.offered"): tr("ui.studio.offered", version=s.published)
                if s.offered
                else tr("ui.studio.not_offered"),
            }
            for s in statuses
        ],
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(statuses), 320),
        key="studio.trees",
    )
    broken = [s for s in statuses if not s.ok]
    if broken:
        st.caption(tr("ui.studio.invalid_note"))
    for s in broken:
        with st.expander(tr("ui.studio.invalid_file", file=s.rel, count=len(s.errors))):
            st.dataframe(_diag_rows(s.errors), hide_index=True, width="stretch", key=f"studio.broken.{s.rel}")


def _pick(statuses: list[studio.TreeStatus]) -> str | None:
    rels = [s.rel for s in statuses]
    if not rels:
        return None
    current = st.session_state.get(OPEN) or st.query_params.get("tree")
    if current not in rels:
        current = rels[0]
    st.session_state[OPEN] = current
    labels = {
        s.rel: f"{'✓' if s.ok else '✗'} {s.rel}" + (f"  ⚑{s.open_flags}" if s.open_flags else "")
        for s in statuses
    }
    st.selectbox(
        tr("ui.studio.pick"),
        rels,
        index=rels.index(current),
        format_func=lambda r: labels.get(r, r),
        key="studio.pick",
        on_change=_on_pick,
        args=("studio.pick",),
    )
    return str(current)


def _editor(
    rel: str, draft: studio.Draft, check: studio.DraftCheck, open_flags: list[FlagView]
) -> str | None:
    """The YAML editor and the node form; returns the selected node id."""
    with st.expander(tr("ui.studio.checks"), expanded=True):
        _messages(check)
    _translations(draft, check)
    left, right = st.columns([3, 2])
    with left:
        key = yaml_key(rel)
        if key not in st.session_state:  # a widget's state is dropped while it is not drawn; the draft is not
            st.session_state[key] = draft.text
        st.text_area(
            tr("ui.studio.yaml"),
            key=key,
            height=560,
            help=tr("ui.studio.yaml_help"),
            on_change=_on_yaml,
            args=(rel, key),
        )
    with right:
        selected = _node_form(rel, draft, open_flags)
        if selected is not None:
            _add_media(rel, selected)
        _add_node(rel)
    return selected


def _translations(draft: studio.Draft, check: studio.DraftCheck) -> None:
    """Per locale: texts translated, stale (the English changed since), unstamped and missing."""
    rows = draft_coverage(check.tree, draft.path)
    with st.expander(tr("ui.studio.translations")):
        if not rows:
            st.caption(tr("ui.studio.translations_none"))
            return
        names = {
            TextState.TRANSLATED: tr("ui.studio.translations_translated"),
            TextState.STALE: tr("ui.studio.translations_stale"),
            TextState.UNSTAMPED: tr("ui.studio.translations_unstamped"),
            TextState.MISSING: tr("ui.studio.translations_missing"),
        }
        st.dataframe(
            [
                {tr("ui.studio.translations_locale"): c.locale} | {names[s]: c.counts[s] for s in names}
                for c in rows
            ],
            hide_index=True,
            key="studio.translations",
        )


def _add_node(rel: str) -> None:
    """A new node of any kind, with the fields its kind needs left empty for the form."""
    kind_key, id_key = f"studio.newkind.{rel}", f"studio.newid.{rel}"
    with st.expander(tr("ui.studio.add_node"), icon=":material/add:"):
        st.selectbox(
            tr("ui.studio.new_kind"),
            studio.NEW_KINDS,
            format_func=lambda k: k.replace(":", " · "),
            key=kind_key,
        )
        st.text_input(tr("ui.studio.new_id"), key=id_key, placeholder="check_cable")
        st.button(
            tr("ui.studio.add"),
            key=f"studio.addnode.{rel}",
            on_click=_on_add_node,
            args=(rel, kind_key, id_key),
        )


def _add_media(rel: str, node_id: str) -> None:
    """A picture (a file under media/ or an https address) or a link on the selected node."""
    kind_key, src_key = f"studio.mediakind.{rel}", f"studio.mediasrc.{rel}"
    with st.expander(tr("ui.studio.add_media"), icon=":material/image:"):
        st.radio(
            tr("ui.studio.media_kind"),
            ["image", "link"],
            format_func=lambda k: tr(f"ui.studio.media.{k}"),
            horizontal=True,
            key=kind_key,
        )
        st.text_input(tr("ui.studio.media_src"), key=src_key, help=tr("ui.studio.media_help"))
        st.button(
            tr("ui.studio.add"),
            key=f"studio.addmedia.{rel}",
            on_click=_on_add_media,
            args=(rel, node_id, kind_key, src_key),
        )


def _node_form(rel: str, draft: studio.Draft, open_flags: list[FlagView]) -> str | None:
    node_flags = studio.flags_by_node(open_flags)
    try:
        ids = studio.node_ids(draft.text)
    except studio.DraftError as exc:
        st.info(tr("ui.studio.form_off", message=escape(str(exc))))
        return None
    if not ids:
        st.info(tr("ui.studio.no_nodes"))
        return None
    chosen = state(NODE).get(rel)
    if chosen not in ids:
        chosen = ids[0]
        state(NODE)[rel] = chosen
    sel_key = f"studio.nodesel.{rel}"
    st.selectbox(
        tr("ui.studio.node"),
        ids,
        index=ids.index(chosen),
        format_func=lambda n: f"⚑ {n}" if n in node_flags else n,
        key=sel_key,
        on_change=_on_node,
        args=(rel, sel_key),
    )
    here = [f for f in open_flags if f.node_id == chosen]
    if here:
        lines = [tr("ui.studio.node_flags", count=len(here))]
        lines += [
            # a flag's comment was typed by an agent: shown as typed
            tr(
                "ui.studio.node_flag",
                kind=escape(f.kind),
                author=escape(f.author),
                comment=escape(f.comment or "—"),
            )
            for f in here
        ]
        st.warning("\n\n".join(lines))
    form = studio.node_form(draft.text, chosen)
    keys: dict[tuple[str | int, ...], str] = {}
    with st.form(f"studio.form.{rel}.{chosen}.{draft.rev}", border=True):
        st.caption(f"{form.node_id} · {form.kind}")
        for row in _rows(form.fields):
            cols = st.columns(len(row)) if len(row) > 1 else [st.container()]
            for col, f in zip(cols, row, strict=True):
                k = f"studio.f.{rel}.{draft.rev}.{chosen}.{'.'.join(map(str, f.loc))}"
                keys[f.loc] = k
                _field(col, f, k, ids)
        st.form_submit_button(tr("ui.studio.apply"), on_click=_on_form, args=(rel, chosen, keys))
    return str(chosen)


def _field(col: Any, f: studio.FormField, key: str, ids: list[str]) -> None:
    """One field of the node form: a node picker for a link, a list for fixed values, else text."""
    if f.kind == "link":
        options = ids if f.value in ids or not f.value else [*ids, f.value]
        col.selectbox(
            f.label,
            options,
            index=options.index(f.value) if f.value in options else None,
            key=key,
            accept_new_options=True,
        )
    elif f.choices:
        choices = list(f.choices) if f.value in f.choices or not f.value else [*f.choices, f.value]
        col.selectbox(f.label, choices, index=choices.index(f.value) if f.value else None, key=key)
    elif f.kind == "text" and f.loc[0] in studio.LONG_TEXTS:
        col.text_area(f.label, value=f.value, key=key, height=68)
    else:
        col.text_input(f.label, value=f.value, key=key)


def _rows(fields: list[studio.FormField]) -> list[list[studio.FormField]]:
    """Translations of one text side by side; every other field on its own row."""
    rows: list[list[studio.FormField]] = []
    for f in fields:
        prev = rows[-1][-1] if rows else None
        if prev is not None and f.locale and prev.locale and prev.loc[:-1] == f.loc[:-1]:
            rows[-1].append(f)
        else:
            rows.append([f])
    return rows


def _messages(check: studio.DraftCheck, limit: int = 25) -> None:
    errors, warnings = check.errors, check.warnings
    if not errors and not warnings:
        st.success(tr("ui.studio.clean"))
        return
    st.caption(
        tr(
            "ui.studio.summary",
            errors=tr("ui.studio.errors", count=len(errors)),
            warnings=tr("ui.studio.warnings", count=len(warnings)),
        )
    )
    shown = 0
    for d in errors:
        if shown < limit:
            st.error(escape(str(d)))  # it may quote the pasted file
            shown += 1
    for d in warnings:
        if shown < limit:
            st.warning(escape(str(d)))
            shown += 1
    if len(errors) + len(warnings) > shown:
        st.caption(tr("ui.studio.more", count=len(errors) + len(warnings) - shown))


def _actions(folder: Path, rel: str, draft: studio.Draft, check: studio.DraftCheck) -> None:
    note_key = f"studio.note.{rel}"
    st.text_input(tr("ui.studio.note"), key=note_key)
    a, b, c = st.columns(3)
    a.button(tr("ui.studio.save"), key=f"studio.save.{rel}", on_click=_on_save, args=(rel, len(check.errors)))
    b.button(
        tr("ui.studio.publish"),
        key=f"studio.publish.{rel}",
        type="primary",
        on_click=_on_publish,
        args=(rel, note_key),
    )
    c.button(tr("ui.studio.reload"), key=f"studio.reload.{rel}", on_click=_on_reload, args=(str(folder), rel))
    conflict = state(CONFLICT).get(rel)
    if isinstance(conflict, DraftConflict):
        if conflict.where == "file":
            st.error(tr("ui.studio.conflict.file", file=rel))
        else:
            st.error(tr("ui.studio.conflict.published", tree=conflict.tree_id, version=conflict.latest))
        st.code(conflict.diff() or tr("ui.studio.no_difference"), language="diff")
        m, t = st.columns(2)
        m.button(tr("ui.studio.merged"), key=f"studio.merged.{rel}", on_click=_on_merged, args=(rel,))
        t.button(
            tr("ui.studio.take_theirs"), key=f"studio.theirs.{rel}", on_click=_on_take_theirs, args=(rel,)
        )


def _graph(check: studio.DraftCheck, selected: str | None, node_flags: dict[str, int]) -> None:
    tree = check.tree
    if tree is None:
        st.info(tr("ui.studio.no_graph"))
        return
    st.graphviz_chart(studio.tree_dot(tree, selected, node_flags, ui_locale()), width="stretch")
    if len(tree.nodes) > studio.GRAPH_LIMIT:
        st.caption(tr("ui.studio.neighbourhood", count=len(tree.nodes), node=selected or tree.start))
    st.caption(tr("ui.studio.legend"))


@page_guard
def render() -> None:
    require("studio")
    folder = trees_dir()
    st.title(tr("ui.nav.studio"))
    st.caption(tr("ui.studio.caption", folder=str(folder)))
    # Each part whose element count varies (a notice, broken files, the unsaved-changes warning) sits in a
    # container of its own, so the tabs below keep their place in the page: a block that moves is redrawn
    # as a new one, and the browser briefly holds two editors.
    with st.container():
        show_notice()
    checked = _statuses(str(folder), studio.folder_stamp(folder))
    statuses = studio.annotate(
        checked,
        step_flags.flag_counts(store()),
        studio.published_versions(store(), [s.tree_id for s in checked]),
    )
    with st.container():
        _tree_list(statuses)
    rel = _pick(statuses)
    if rel is None:
        st.info(tr("ui.studio.none", folder=str(folder)))
        return
    if rel not in state(DRAFTS):
        set_draft(studio.open_draft(folder, rel, store()))
    draft = draft_of(rel)
    st.header(tr("ui.studio.editing", file=rel))
    if draft.base_version is not None:
        st.caption(tr("ui.studio.base", version=draft.base_version))
    else:
        st.caption(tr("ui.studio.base_new"))
    with st.container():
        if draft.dirty:
            st.warning(tr("ui.studio.dirty"))
    check = _check(str(folder), draft.path, rel, draft.text, studio.folder_stamp(folder))
    tree_id = check.tree.id if check.tree is not None else draft.tree_id
    open_flags = step_flags.open_flags(store(), tree_id) if tree_id else []
    node_flags = studio.flags_by_node(open_flags)
    tabs = st.tabs(
        [
            tr("ui.studio.tab.edit"),
            tr("ui.studio.tab.graph"),
            tr("ui.studio.tab.preview"),
            tr("ui.studio.tab.scenarios"),
            tr("ui.studio.tab.flags", count=len(open_flags)),
            tr("ui.studio.tab.versions"),
        ]
    )
    with tabs[0]:
        selected = _editor(rel, draft, check, open_flags)
        _actions(folder, rel, draft, check)
    with tabs[1]:
        _graph(check, selected, node_flags)
    with tabs[2]:
        studio_preview.preview(rel, check)
    with tabs[3]:
        studio_preview.scenarios(rel, check)
        studio_figures.tree_figures(tree_id)
    with tabs[4]:
        studio_review.flags(open_flags)
    with tabs[5]:
        studio_review.versions(rel, tree_id)
