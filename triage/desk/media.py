"""Pictures shipped with the trees: where a step's ``image: router/reset-button.png`` is on disk.

A tree names a picture by its path under the trees folder's ``media/`` directory. A tree file may come from
anyone who can publish, so the name is treated as untrusted: :func:`media_file` gives the file only when it is
a picture type the trees may ship (:data:`~triage.trees.model.MEDIA_TYPES`) and lies inside ``media/`` once
every ``..`` and symbolic link is resolved; anything else is ``None`` and the page shows the alt text instead.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from triage.trees.library import DEFAULT_TREES
from triage.trees.model import MEDIA_TYPES

__all__ = ["media_file", "media_root"]

MEDIA_DIR = "media"


def media_root() -> Path:
    """The folder shipped pictures live in: ``media/`` in ``TRIAGE_TREES`` (or the shipped ``trees/``)."""
    return Path(os.environ.get("TRIAGE_TREES") or DEFAULT_TREES) / MEDIA_DIR


def media_file(src: str, root: Path | None = None) -> Path | None:
    """The picture file ``src`` names under ``root`` (default :func:`media_root`), or ``None``.

    ``None`` for an address, an absolute path, a path that leaves the folder (``../``, a symbolic link out),
    a type that is not a picture the trees may ship, or a file that is not there.

    >>> media_file("../../etc/passwd.png") is None
    True
    """
    if not src or "\\" in src or "\x00" in src or "://" in src:
        return None
    rel = PurePosixPath(src)
    if rel.is_absolute() or ".." in rel.parts or rel.suffix.lower() not in MEDIA_TYPES:
        return None
    base = (root if root is not None else media_root()).resolve()
    try:
        path = (base / rel).resolve()
    except (OSError, RuntimeError):  # a symbolic link loop
        return None
    if not path.is_relative_to(base) or path.suffix.lower() not in MEDIA_TYPES or not path.is_file():
        return None
    return path
