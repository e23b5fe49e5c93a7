"""Draw the pictures the shipped trees show, as small PNG diagrams, with nothing but the standard library.

Run ``python trees/media/make_media.py`` from the repository root to redraw every picture under
``trees/media/``. Each picture is a function below that paints a :class:`Canvas`; the PNG writer
(``zlib`` + ``struct``) and a 5x7 pixel font keep the script free of any imaging package, so anyone
can change a diagram and redraw it. The output is deterministic: the same script gives the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent

Colour = tuple[int, int, int]

WHITE: Colour = (255, 255, 255)
INK: Colour = (33, 37, 41)
GREY: Colour = (134, 142, 150)
LIGHT: Colour = (222, 226, 230)
DARK: Colour = (73, 80, 87)
GREEN: Colour = (47, 158, 68)
LED_ON: Colour = (130, 255, 140)
AMBER: Colour = (245, 159, 0)
RED: Colour = (224, 49, 49)
BLUE: Colour = (28, 126, 214)
PCB: Colour = (43, 138, 62)
CHIP: Colour = (52, 58, 64)
GOLD: Colour = (250, 176, 5)

# A 5x7 pixel font: each glyph is seven rows of five bits, the top row first.
_FONT: dict[str, tuple[int, ...]] = {
    "A": (0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E),
    "D": (0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F),
    "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11),
    "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D),
    "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E),
    "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A),
    "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04),
    "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E),
    "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F),
    "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02),
    "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E),
    "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E),
    "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    " ": (0, 0, 0, 0, 0, 0, 0),
    "-": (0, 0, 0, 0x1F, 0, 0, 0),
    ".": (0, 0, 0, 0, 0, 0x0C, 0x0C),
    "/": (0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10),
    "?": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04),
}


class Canvas:
    """An RGB picture in memory, with the few shapes the diagrams need."""

    def __init__(self, width: int, height: int, background: Colour = WHITE) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def dot(self, x: int, y: int, colour: Colour) -> None:
        """One pixel; points outside the picture are ignored, so shapes may overhang its edge."""
        if 0 <= x < self.width and 0 <= y < self.height:
            i = (y * self.width + x) * 3
            self.pixels[i : i + 3] = bytes(colour)

    def box(self, x: int, y: int, w: int, h: int, colour: Colour) -> None:
        """A filled rectangle with its top-left corner at (x, y)."""
        for yy in range(max(0, y), min(self.height, y + h)):
            for xx in range(max(0, x), min(self.width, x + w)):
                self.dot(xx, yy, colour)

    def frame(self, x: int, y: int, w: int, h: int, colour: Colour, thick: int = 2) -> None:
        """The outline of a rectangle."""
        self.box(x, y, w, thick, colour)
        self.box(x, y + h - thick, w, thick, colour)
        self.box(x, y, thick, h, colour)
        self.box(x + w - thick, y, thick, h, colour)

    def disc(self, cx: int, cy: int, r: int, colour: Colour) -> None:
        """A filled circle."""
        for yy in range(cy - r, cy + r + 1):
            for xx in range(cx - r, cx + r + 1):
                if (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r:
                    self.dot(xx, yy, colour)

    def ring(self, cx: int, cy: int, r: int, colour: Colour, thick: int = 2) -> None:
        """A circle's outline."""
        for yy in range(cy - r, cy + r + 1):
            for xx in range(cx - r, cx + r + 1):
                d = (xx - cx) ** 2 + (yy - cy) ** 2
                if (r - thick) ** 2 < d <= r * r:
                    self.dot(xx, yy, colour)

    def line(self, x0: int, y0: int, x1: int, y1: int, colour: Colour, thick: int = 2) -> None:
        """A straight line, drawn as a row of small squares."""
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x = x0 + (x1 - x0) * i // steps
            y = y0 + (y1 - y0) * i // steps
            self.box(x - thick // 2, y - thick // 2, thick, thick, colour)

    def arrow(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        """A line from (x0, y0) with a solid head at (x1, y1)."""
        self.line(x0, y0, x1, y1, colour, 3)
        dx, dy = x1 - x0, y1 - y0
        length = max((dx * dx + dy * dy) ** 0.5, 1.0)
        ux, uy = dx / length, dy / length
        for back in range(12):
            half = back // 2 + 1
            bx, by = x1 - ux * back, y1 - uy * back
            self.line(
                int(bx - uy * half), int(by + ux * half), int(bx + uy * half), int(by - ux * half), colour, 1
            )

    def text(self, x: int, y: int, words: str, colour: Colour = INK, scale: int = 2) -> None:
        """Upper-case words in the 5x7 font, ``scale`` pixels per font dot."""
        for i, ch in enumerate(words.upper()):
            rows = _FONT.get(ch, _FONT["?"])
            for row, bits in enumerate(rows):
                for col in range(5):
                    if bits & (1 << (4 - col)):
                        self.box(x + (i * 6 + col) * scale, y + row * scale, scale, scale, colour)

    def png(self) -> bytes:
        """The picture as PNG bytes: 8-bit RGB, no filter, deflate at level 9."""
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * stride : (y + 1) * stride]) for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def charger_led() -> Canvas:
    """Two chargers side by side: the light on the brick lit (works) and dark (no power)."""
    c = Canvas(320, 200)
    # no words in the pictures: they are shown on pages in every language; the alt text and captions say it
    for x0, lit in ((20, True), (175, False)):
        c.box(x0, 60, 120, 70, DARK)
        c.frame(x0, 60, 120, 70, INK)
        c.line(x0 + 120, 95, x0 + 132, 95, INK, 4)
        c.line(x0, 95, x0 - 12, 95, INK, 4)
        c.disc(x0 + 95, 80, 8, LED_ON if lit else CHIP)
        c.ring(x0 + 95, 80, 9, WHITE, 1)
    c.arrow(160, 30, 118, 72, AMBER)
    return c


def power_button() -> Canvas:
    """A laptop opened from above: the power button at the top right of the keyboard, to hold down."""
    c = Canvas(360, 200)
    c.box(40, 20, 240, 70, LIGHT)
    c.frame(40, 20, 240, 70, INK)
    c.box(55, 30, 210, 52, DARK)
    c.box(30, 92, 260, 96, LIGHT)
    c.frame(30, 92, 260, 96, INK)
    for row in range(4):
        for key in range(11):
            c.box(45 + key * 18, 104 + row * 16, 14, 12, GREY)
    c.box(120, 168, 80, 14, GREY)
    c.disc(262, 106, 9, BLUE)
    c.ring(262, 106, 11, AMBER, 3)
    c.arrow(312, 150, 268, 114, AMBER)
    return c


def status_lights() -> Canvas:
    """The lights a laptop shows when it gets power: power, battery or charging, and Caps Lock."""
    c = Canvas(320, 200)
    c.box(20, 70, 280, 60, LIGHT)
    c.frame(20, 70, 280, 60, INK)
    c.disc(80, 100, 7, LED_ON)
    c.disc(160, 100, 7, AMBER)
    c.disc(240, 100, 7, WHITE)
    c.ring(240, 100, 8, INK, 1)
    return c


def memory_slots() -> Canvas:
    """The underside with the memory cover off: slot A and slot B, each module held by two clips."""
    c = Canvas(320, 200)
    c.box(10, 10, 300, 180, LIGHT)
    c.frame(10, 10, 300, 180, INK)
    for y0, name in ((40, "A"), (110, "B")):
        c.box(60, y0, 200, 50, PCB)
        for chip in range(4):
            c.box(75 + chip * 45, y0 + 10, 30, 22, CHIP)
        for pin in range(24):
            c.box(66 + pin * 8, y0 + 42, 5, 8, GOLD)
        c.box(48, y0 + 10, 10, 30, GREY)
        c.box(262, y0 + 10, 10, 30, GREY)
        c.text(24, y0 + 18, name, INK, 3)
    c.arrow(290, 30, 270, 52, AMBER)
    return c


PICTURES: dict[str, Callable[[], Canvas]] = {
    "laptop/charger-led.png": charger_led,
    "laptop/power-button.png": power_button,
    "laptop/status-lights.png": status_lights,
    "laptop/memory-slots.png": memory_slots,
}
"""Every picture this script draws: its path under ``trees/media/`` and the function that paints it."""


def main() -> None:
    """Redraw every picture and say where it went."""
    for name, draw in PICTURES.items():
        out = HERE / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(draw().png())
        print(f"{out.relative_to(HERE.parent.parent)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
