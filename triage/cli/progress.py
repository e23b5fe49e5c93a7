"""A text progress bar for long work in the terminal: bulk validation, publishing, simulation."""

from __future__ import annotations

from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """A progress callback ``(done, total, what)`` drawing a text bar, redrawn in place on ``stream``."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self._last = 0

    def __call__(self, done: int, total: int, what: str) -> None:
        filled = self.width * done // total if total else self.width
        text = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {what}"
        pad = " " * max(0, self._last - len(text))
        self._last = len(text)
        self.stream.write(f"\r{text}{pad}" + ("\n" if done >= total else ""))
        self.stream.flush()
