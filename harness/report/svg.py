"""Inline SVG line charts (no scripts, no external assets) for the load section.

Every text placed in the SVG is escaped here; the caller passes numbers and plain labels only.
Colours follow the palette of the page and each line also has its own dash pattern, so lines
stay apart without colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 36
COLOURS = ("#0969da", "#cf222e", "#8250df", "#1a7f37", "#9a6700")
DASHES = ("", "6 3", "2 3", "10 4 2 4", "1 2")

Series = Sequence[tuple[float, float]]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = float(10 ** len(str(int(value)))) / 10
    for factor in (1, 2, 2.5, 5, 10):
        if value <= step * factor:
            return step * factor
    return value


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1 or value == 0 else f"{value:.2g}"


def line_chart(title: str, lines: Mapping[str, Series], unit: str) -> Markup:
    """A chart of `lines` (label -> (x, y) points, x in seconds), y axis in `unit`."""
    points = [p for line in lines.values() for p in line]
    if not points:
        return Markup("")
    x_max = max(max(x for x, _ in points), 1.0)
    y_max = _nice_max(max(y for _, y in points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + plot_w * x / x_max

    def sy(y: float) -> float:
        return TOP + plot_h * (1 - y / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(5):
        y = y_max * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
            'class="grid-line"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{_fmt(y)}</text>')
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle">'
        f"seconds (0 to {_fmt(x_max)}); {escape(unit)}</text>"
    )
    for index, (label, line) in enumerate(lines.items()):
        if not line:
            continue
        colour, dash = COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(line))
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dashed}>'
            f"<title>{escape(label)}</title></polyline>"
        )
        lx = LEFT + 8 + index * 110
        parts.append(
            f'<line x1="{lx}" x2="{lx + 18}" y1="{HEIGHT - 20}" y2="{HEIGHT - 20}" '
            f'stroke="{colour}" stroke-width="2"{dashed}/>'
            f'<text x="{lx + 22}" y="{HEIGHT - 16}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()
