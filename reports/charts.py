"""Charts drawn on the server as inline SVG: no script, no network, readable by screen
readers through <title> and <desc>, and printable."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

COLOURS = ["#417690", "#79aec8", "#1a7f37", "#9a6700", "#cf222e", "#6e40c9", "#57606a"]


def bar_chart(items: list[tuple[str, int]], *, title: str, description: str = "", limit: int = 12):
    """Horizontal bars, one per item, each labelled with its name and value."""
    items = items[:limit]
    if not items:
        return format_html('<p class="chart-empty">{}: nothing to show.</p>', title)
    width, label_width, bar_height, gap = 640, 220, 22, 8
    height = len(items) * (bar_height + gap) + gap
    top = max(value for _, value in items) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        y = gap + index * (bar_height + gap)
        length = round((width - label_width - 70) * value / top)
        bars.append(
            format_html(
                "<g><title>{label}: {value}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{short}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}" rx="2"/>'
                '<text x="{vx}" y="{ty}" class="chart-value">{value}</text></g>',
                label=label,
                short=label if len(label) <= 30 else label[:29] + "…",
                value=f"{value:,}",
                lx=label_width - 8,
                ty=f"{y + bar_height * 0.72:.1f}",
                x=label_width,
                y=y,
                w=max(length, 1),
                h=bar_height,
                colour=COLOURS[index % len(COLOURS)] if len(items) <= 7 else COLOURS[0],
                vx=label_width + max(length, 1) + 6,
            )
        )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}-t {id}-d">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{bars}</svg>',
        w=width,
        h=height,
        id=_chart_id(title),
        title=title,
        desc=description or "; ".join(f"{label}: {value:,}" for label, value in items),
        bars=mark_safe("".join(bars)),
    )


def line_chart(points: list[tuple[str, int]], *, title: str, description: str = ""):
    """A line over time with dots, the first, middle and last dates on the axis."""
    if not points:
        return format_html('<p class="chart-empty">{}: nothing to show.</p>', title)
    width, height, left, bottom, top_pad = 640, 220, 44, 28, 14
    plot_w, plot_h = width - left - 12, height - bottom - top_pad
    top = max(value for _, value in points) or 1
    step = plot_w / max(len(points) - 1, 1)
    coords = [
        (left + i * step, top_pad + plot_h - plot_h * value / top)
        for i, (_, value) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="#417690"><title>{}: {}</title></circle>',
        (
            (f"{x:.1f}", f"{y:.1f}", label, f"{value:,}")
            for (x, y), (label, value) in zip(coords, points, strict=True)
        ),
    )
    ticks = sorted({0, len(points) // 2, len(points) - 1})
    axis = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" class="chart-label">{}</text>',
        ((f"{coords[i][0]:.1f}", height - 8, _anchor(i, len(points)), points[i][0]) for i in ticks),
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}-t {id}-d">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>'
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="#999"/>'
        '<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{top}</text>'
        '<text x="{lx}" y="{base}" text-anchor="end" class="chart-label">0</text>'
        '<polyline points="{path}" fill="none" stroke="#417690" stroke-width="2"/>'
        "{dots}{axis}</svg>",
        w=width,
        h=height,
        id=_chart_id(title),
        title=title,
        desc=description
        or f"From {points[0][0]} to {points[-1][0]}; highest {top:,}; "
        f"total {sum(v for _, v in points):,}.",
        left=left,
        right=width - 12,
        base=top_pad + plot_h,
        lx=left - 6,
        ty=top_pad + 4,
        top=f"{top:,}",
        path=path,
        dots=dots,
        axis=axis,
    )


def _chart_id(title: str) -> str:
    return "chart-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]


def _anchor(index: int, count: int) -> str:
    if index == 0:
        return "start"
    return "end" if index == count - 1 else "middle"
