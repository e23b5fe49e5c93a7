"""Pictures a tree shows: where its ``media/`` folder is, and what a picture there (or on the web) must be.

A tree names a picture by its path inside the ``media/`` folder of its trees root (``router/reset-button.png``
for ``trees/media/router/reset-button.png``) or by an ``https`` address on a host listed in
``TRIAGE_IMAGE_HOSTS``. :func:`image_problem` says what is wrong with one, in words for the author: a path that
leaves the folder, a type that is not a picture triage shows, a missing file, a file over
``limits().media_bytes``, or a file whose first bytes are not the type its name says.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from triage.errors import did_you_mean
from triage.limits import ENV_PREFIX, limits
from triage.trees.markdown import IMAGE_HOSTS_ENV
from triage.trees.model import MEDIA_TYPES

__all__ = ["MEDIA_FOLDER", "find_media_folder", "image_problem", "picture_type"]

MEDIA_FOLDER = "media"
"""The folder, beside the category folders of a trees root, that holds its pictures."""

_LEVELS_UP = 2
"""How far above a tree file named on its own the search for a ``media/`` folder goes (``trees/<category>/``)."""

_TYPE_NAMES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WebP"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_INSIDE_HINT = "write the path inside media/, such as router/reset-button.png (no '..', no leading '/')"

Problem = tuple[str, str]
"""What is wrong with a picture, and the hint that fixes it."""


def find_media_folder(tree_file: Path, root: Path | None = None) -> Path:
    """The ``media/`` folder of a tree file: in its folder or the nearest one above that has it.

    The search goes no higher than ``root`` (the folder the file was found under), or, for a file named on its
    own, two folders up; never to the file system's root (``/media`` is the system's). When no folder has one,
    the answer is where it would be (``root/media``), so a picture named there is reported missing.
    """
    start = tree_file.parent
    above = [start, *start.parents]
    last = above.index(root) if root is not None and root in above else _LEVELS_UP
    above = above[: last + 1]
    for folder in above:
        if folder.parent != folder and (folder / MEDIA_FOLDER).is_dir():
            return folder / MEDIA_FOLDER
    return (root if root is not None else start) / MEDIA_FOLDER


def picture_type(head: bytes) -> str | None:
    """The picture type the first bytes of a file say (``PNG``, ``JPEG``, ``GIF``, ``WebP``), or ``None``."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def image_problem(image: str, folder: Path | None, hosts: frozenset[str]) -> Problem | None:
    """What is wrong with the picture ``image`` names, or ``None``.

    ``folder`` is the tree's ``media/`` folder (``None`` when the tree has no file on disk: then the file itself
    is not looked at); ``hosts`` the hosts an ``https`` picture may come from.
    """
    if _SCHEME.match(image):
        return _remote_problem(image, hosts)
    return _path_problem(image) or (_file_problem(image, folder) if folder is not None else None)


def _remote_problem(image: str, hosts: frozenset[str]) -> Problem | None:
    parts = urlsplit(image)
    if parts.scheme != "https" or not parts.hostname:
        return (
            f"image {image!r} is neither a file under media/ nor an https:// address",
            "write a path such as router/reset-button.png, or an https:// address",
        )
    host = parts.hostname.rstrip(".").lower()
    if host in hosts:
        return None
    allowed = ", ".join(sorted(hosts)) or "none"
    return (
        f"image {image!r} is on host {host!r}, which is not an allowed image host",
        f"add the host to {IMAGE_HOSTS_ENV} (now: {allowed}), or ship the picture under media/",
    )


def _path_problem(image: str) -> Problem | None:
    parts = PurePosixPath(image).parts
    if not parts or image.startswith("/") or "\\" in image or "\x00" in image or ".." in parts:
        return f"image {image!r} is outside the media/ folder", _INSIDE_HINT
    if PurePosixPath(image).suffix.lower() not in MEDIA_TYPES:
        return (
            f"image {image!r} is not a picture type triage shows",
            f"use one of {', '.join(MEDIA_TYPES)} (no SVG: it can carry scripts)",
        )
    return None


def _file_problem(image: str, folder: Path) -> Problem | None:
    path = folder / image
    try:
        inside = path.resolve().is_relative_to(folder.resolve())
        if not inside:  # a link inside media/ that points out of it
            return f"image {image!r} is outside the media/ folder", _INSIDE_HINT
        if not path.is_file():
            return f"image {image!r} is not in {str(folder)!r}", _missing_hint(image, folder)
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(12)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of symbolic links
        reason = getattr(exc, "strerror", None) or str(exc)
        return (
            f"image {image!r} cannot be read: {reason}",
            "check the file, its permissions and any links to it",
        )
    return _size_problem(image, size) or _type_problem(image, head)


def _missing_hint(image: str, folder: Path) -> str:
    names: list[str] = []
    if folder.is_dir():
        for p in folder.rglob("*"):
            names.append(p.relative_to(folder).as_posix())
            if len(names) >= 10_000:  # enough to suggest from; a huge folder is not listed whole
                break
    return did_you_mean(image, names) or f"put the picture in {str(folder)!r}, or correct the path"


def _size_problem(image: str, size: int) -> Problem | None:
    limit = limits().media_bytes
    if size <= limit:
        return None
    return (
        f"image {image!r} is {size:,} bytes; a picture is at most {limit:,} bytes ({ENV_PREFIX}MEDIA_BYTES)",
        "make it smaller: fewer pixels, or more compression",
    )


def _type_problem(image: str, head: bytes) -> Problem | None:
    wanted = _TYPE_NAMES[PurePosixPath(image).suffix.lower()]
    found = picture_type(head)
    if found == wanted:
        return None
    what = f"those of a {found} file" if found else "not those of any picture type"
    return (
        f"image {image!r} is not a {wanted} file: its first bytes are {what}",
        "save it as the type its name says, or give it the extension of its type",
    )
