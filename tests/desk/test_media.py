"""Shipped pictures: :func:`triage.desk.media.media_file` finds a picture inside ``media/`` and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.desk.media import media_file, media_root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A trees folder with ``media/router/reset.png``, a secret beside it and a link out of ``media/``."""
    media = tmp_path / "trees" / "media"
    (media / "router").mkdir(parents=True)
    (media / "router" / "reset.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (media / "notes.txt").write_text("not a picture", encoding="utf-8")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (media / "out.png").symlink_to(tmp_path / "secret.png")
    (media / "loop.png").symlink_to(media / "loop.png")
    return media


def test_a_picture_inside_media_is_found(root: Path) -> None:
    assert media_file("router/reset.png", root) == (root / "router" / "reset.png").resolve()
    assert media_file("router/./reset.png", root) == (root / "router" / "reset.png").resolve()


@pytest.mark.parametrize(
    "src",
    [
        "../secret.png",  # leaves the folder
        "router/../../secret.png",
        "/etc/passwd.png",  # absolute
        "out.png",  # a symbolic link out of media/
        "loop.png",  # a link to itself
        "notes.txt",  # not a picture type
        "router/missing.png",  # not there
        "router",  # a folder
        "https://example.com/a.png",  # an address is not a file
        "router\\reset.png",  # another system's separator
        "",
    ],
)
def test_anything_else_is_none(root: Path, src: str) -> None:
    """Paths out of the folder, links out, other types, missing files and addresses are never served."""
    assert media_file(src, root) is None


def test_the_default_folder_is_media_in_triage_trees(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_TREES", str(root.parent))
    assert media_root() == root
    assert media_file("router/reset.png") == (root / "router" / "reset.png").resolve()
