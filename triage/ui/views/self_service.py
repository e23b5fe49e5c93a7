"""The self_service page (being built)."""

from __future__ import annotations

import streamlit as st

from triage.ui.common import page_guard, tr


@page_guard
def render() -> None:
    st.title(tr("ui.nav.self_service"))
