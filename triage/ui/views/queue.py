"""The queue page (being built)."""

from __future__ import annotations

import streamlit as st

from triage.ui.common import page_guard, require, tr


@page_guard
def render() -> None:
    require("queue")
    st.title(tr("ui.nav.queue"))
