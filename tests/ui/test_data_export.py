"""Streamlit's own table download is off: its CSV writes cells as typed, so a formula would run in a spreadsheet."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.proto.NewSession_pb2 import Config
from streamlit.runtime.app_session import _populate_config_msg

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".streamlit" / "config.toml"


@pytest.fixture
def project_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Streamlit's options as `streamlit run` reads them from the project root (.ci/start starts there)."""
    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    yield
    monkeypatch.undo()
    config.get_config_options(force_reparse=True)


def test_config_file_turns_the_dataframe_download_off() -> None:
    """The project's Streamlit config sets client.disableDataExport."""
    assert tomllib.loads(CONFIG.read_text(encoding="utf-8"))["client"]["disableDataExport"] is True


@pytest.mark.usefixtures("project_config")
def test_browser_is_told_to_hide_the_dataframe_download() -> None:
    """Streamlit reads the option from the project's file and sends it to every new browser session."""
    assert config.get_option("client.disableDataExport") is True
    assert config.get_where_defined("client.disableDataExport") == str(CONFIG)
    msg = Config()
    _populate_config_msg(msg)
    assert msg.disable_data_export is True
