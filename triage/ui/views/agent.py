"""The agent page (being built)."""

from __future__ import annotations

import streamlit as st

from triage.ui.common import page_guard, require, tr


@page_guard
def render() -> None:
    require("agent")
    st.title(tr("ui.nav.agent"))
