"""SVG charts as plain strings, the same in the dashboard and in the PDF findings.

No JavaScript and no external assets: WeasyPrint renders the same inline SVG
the browser shows. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# The label column: 300 px holds about 40 characters of 12 px DejaVu Sans; a longer label
# wraps onto a second line (OPD names run to 65 characters), a third is clipped with "…".
LABEL_W, LABEL_CHARS, LABEL_LINES = 300, 40, 2
ZONE_COLOURS = {"hijau": "#2e7d32", "kuning": "#f9a825", "merah": "#c62828", None: "#90a4ae"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    zone: str | None = None
    note: str = ""


def bar_chart(
    bars: Sequence[Bar],
    maximum: float = 100.0,
    width: int = 640,
    number=lambda v: f"{v:.2f}",
    title: str = "",
) -> str:
    """Horizontal bars, one row per item, coloured by zone, value printed at the end."""
    row, label_w, pad = 36, LABEL_W, 8
    height = pad * 2 + row * max(1, len(bars)) + (24 if title else 0)
    plot_w = width - label_w - 80
    top = pad + (24 if title else 0)
    parts = [_svg_open(width, height, title)]
    if title:
        parts.append(
            f'<text x="0" y="16" class="chart-title" font-size="14" '
            f'font-weight="bold">{escape(title)}</text>'
        )
    for n, bar in enumerate(bars):
        y = top + n * row
        parts.append(_label(bar.label, label_w - 8, y + row // 2, 12))
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{plot_w}" height="{row - 10}" fill="#eceff1"/>'
        )
        if bar.value is not None:
            length = max(0.0, min(1.0, bar.value / maximum)) * plot_w
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{length:.1f}" '
                f'height="{row - 10}" fill="{ZONE_COLOURS.get(bar.zone, "#1565c0")}"/>'
            )
        text = number(bar.value) if bar.value is not None else "-"
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + row // 2 + 4}" font-size="12">'
            f"{escape(text)}{escape(bar.note)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def compare_chart(
    labels: Sequence[str],
    current: Sequence[float | None],
    previous: Sequence[float | None],
    legend: tuple[str, str],
    maximum: float = 100.0,
    width: int = 640,
    number=lambda v: f"{v:.2f}",
) -> str:
    """Pairs of bars (this period against the previous one) per label."""
    row, label_w = 40, LABEL_W
    height = 30 + row * max(1, len(labels))
    plot_w = width - label_w - 80
    parts = [
        _svg_open(width, height, f"{legend[0]} / {legend[1]}"),
        f'<rect x="{label_w}" y="4" width="12" height="12" fill="#1565c0"/>'
        f'<text x="{label_w + 16}" y="14" font-size="11">{escape(legend[0])}</text>'
        f'<rect x="{label_w + 150}" y="4" width="12" height="12" fill="#b0bec5"/>'
        f'<text x="{label_w + 166}" y="14" font-size="11">{escape(legend[1])}</text>',
    ]
    for n, label in enumerate(labels):
        y = 26 + n * row
        parts.append(_label(label, label_w - 8, y + 20, 12))
        for k, (value, colour) in enumerate(((current[n], "#1565c0"), (previous[n], "#b0bec5"))):
            top = y + 4 + k * 16
            if value is not None:
                length = max(0.0, min(1.0, value / maximum)) * plot_w
                parts.append(
                    f'<rect x="{label_w}" y="{top}" width="{length:.1f}" height="13" '
                    f'fill="{colour}"/>'
                )
            parts.append(
                f'<text x="{label_w + plot_w + 6}" y="{top + 11}" font-size="11">'
                f"{escape(number(value) if value is not None else '-')}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, sans-serif"><title>{escape(title)}</title>'
    )


def _label(text: str, x: int, middle: int, size: int) -> str:
    """A right-aligned label on one or two lines, centred on `middle`."""
    lines = _wrap(text, LABEL_CHARS, LABEL_LINES)
    first = middle + size // 3 - (len(lines) - 1) * (size + 1) // 2
    spans = "".join(
        f'<tspan x="{x}" y="{first + n * (size + 1)}">{escape(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    return f'<text text-anchor="end" font-size="{size}"><title>{escape(text)}</title>{spans}</text>'


def _wrap(text: str, width: int, most: int) -> list[str]:
    """Words on lines of at most `width` characters; past `most` lines the last is clipped."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > most:
        lines = [*lines[: most - 1], _clip(" ".join(lines[most - 1 :]), width)]
    return [_clip(line, width) for line in lines] or [""]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
