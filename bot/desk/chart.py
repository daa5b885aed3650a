"""The /stats chart: subscribers and deliveries per day, drawn as a PNG with Pillow.

Pillow rather than matplotlib: one well-kept wheel with no further dependencies (matplotlib
brings numpy, fonttools and more, and ~40 MB), and two lines on a grid need no plotting library.
The picture carries no words, only numbers and dates (Pillow's bundled font has no Cyrillic, and
a system font cannot be counted on): the photo's caption says which colour is which.

Pure and synchronous (a few milliseconds of CPU): call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 960, 480
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 70, 24, 48
BACKGROUND = (255, 255, 255)
GRID = (225, 228, 232)
AXIS = (90, 96, 105)
SUBSCRIBERS = (37, 99, 235)  # blue line, left scale
DELIVERIES = (234, 120, 20)  # orange bars, right scale
GRID_LINES = 4


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    subscribers: int
    deliveries: int


def _nice_top(value: int) -> int:
    """The smallest 1/2/5 × 10ⁿ at or above ``value`` (at least 4, so the grid has integers)."""
    top = max(value, GRID_LINES)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor * GRID_LINES >= top:
                return step * factor * GRID_LINES
        step *= 10


def draw_chart(days: Sequence[Day]) -> bytes:
    """A PNG of ``days``: subscribers as a blue line (left scale), deliveries as orange bars
    (right scale), a date under every fifth day."""
    if not days:
        raise ValueError("no days to draw")
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    subscribers_top = _nice_top(max(day.subscribers for day in days))
    deliveries_top = _nice_top(max(day.deliveries for day in days))

    for line in range(GRID_LINES + 1):
        y = bottom - (bottom - top) * line / GRID_LINES
        draw.line([(left, y), (right, y)], fill=GRID, width=1)
        draw.text(
            (left - 8, y),
            str(subscribers_top * line // GRID_LINES),
            fill=SUBSCRIBERS,
            font=font,
            anchor="rm",
        )
        draw.text(
            (right + 8, y),
            str(deliveries_top * line // GRID_LINES),
            fill=DELIVERIES,
            font=font,
            anchor="lm",
        )
    draw.line([(left, bottom), (right, bottom)], fill=AXIS, width=1)

    slot = (right - left) / len(days)
    points: list[tuple[float, float]] = []
    for index, day in enumerate(days):
        x = left + slot * (index + 0.5)
        height = (bottom - top) * day.deliveries / deliveries_top
        if day.deliveries:
            draw.rectangle(
                [(x - slot * 0.3, bottom - height), (x + slot * 0.3, bottom - 1)], fill=DELIVERIES
            )
        points.append((x, bottom - (bottom - top) * day.subscribers / subscribers_top))
        if index % 5 == 0 or index == len(days) - 1:
            draw.text(
                (x, bottom + 8), day.day.strftime("%d.%m"), fill=AXIS, font=font, anchor="mt"
            )
    if len(points) > 1:
        draw.line(points, fill=SUBSCRIBERS, width=3, joint="curve")
    for x, y in points:
        draw.ellipse([(x - 3, y - 3), (x + 3, y + 3)], fill=SUBSCRIBERS)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
