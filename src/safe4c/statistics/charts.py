"""Charts as SVG made with matplotlib, rendered on the server (no JavaScript); each page shows the chart's table
beside it. Rendered charts are cached per rollup version, so a page costs one render per change of figures.

The map is a tile-grid map: one equal square per province, placed roughly where it lies (west to east, north to
south), which keeps small provinces visible and needs no boundary file. All 38 provinces since the 2022 Papua split
have a tile.
"""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from types import SimpleNamespace


@lru_cache(maxsize=1)
def _mpl() -> SimpleNamespace:
    """matplotlib, imported once: ``warm()`` does it in the background when a server starts, so neither the
    start-up nor the first visitor waits for it (about a second of CPU), and commands that draw no chart never
    pay for it. Text stays text in the SVG (smaller, searchable, read by screen readers); stable ids, so the same
    figures give the same bytes."""
    import matplotlib
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = "safe4c"
    return SimpleNamespace(colormaps=colormaps, Normalize=Normalize, Figure=Figure, Rectangle=Rectangle)


def warm() -> None:
    _mpl()

# (column, row) of each province's tile, by Kemendagri code.
TILES: dict[str, tuple[int, int]] = {
    "11": (0, 0), "12": (1, 0), "21": (3, 0), "13": (1, 1), "14": (2, 1), "17": (1, 2), "15": (2, 2),
    "19": (3, 2), "16": (2, 3), "18": (2, 4), "31": (4, 4), "36": (3, 5), "32": (4, 5), "33": (5, 5),
    "34": (5, 6), "35": (6, 5), "51": (7, 6), "52": (8, 6), "53": (9, 6), "61": (5, 2), "65": (7, 1),
    "64": (7, 2), "62": (6, 3), "63": (7, 3), "75": (9, 1), "71": (10, 1), "76": (8, 2), "72": (9, 2),
    "73": (8, 3), "74": (9, 3), "82": (11, 1), "81": (11, 3), "96": (12, 1), "92": (13, 1), "91": (14, 1),
    "94": (13, 2), "95": (14, 2), "93": (14, 3),
}
INK, ACCENT, MUTED = "#1b1b1b", "#005ea2", "#757575"

_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 64


def cached(key: tuple, render) -> str:
    """``render()`` once per key (the key carries the rollup version and the language)."""
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    svg = render()
    with _lock:
        _cache[key] = svg
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return svg


def _figure(width: float, height: float):
    return _mpl().Figure(figsize=(width, height), dpi=72)


def _svg(fig, label: str) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)  # the page's CSP allows no inline style
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = STYLE_ATTRIBUTE.sub(_presentation_attributes, svg)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ', 1)


STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')


def _presentation_attributes(match: re.Match) -> str:
    """``style="fill: #fff; stroke-width: 0.8"`` -> ``fill="#fff" stroke-width="0.8"``: the page's CSP refuses
    inline style attributes, and SVG presentation attributes say the same without them."""
    out = []
    for declaration in match.group(1).split(";"):
        if ":" in declaration:
            name, value = declaration.split(":", 1)
            out.append(f'{name.strip()}="{value.strip()}"')
    return " ".join(out)


def bars(labels: list[str], values: list[float], *, label: str, unit: str = "") -> str:
    fig = _figure(6, max(1.2, 0.32 * len(labels) + 0.6))
    ax = fig.add_subplot()
    ax.barh(range(len(labels)), values, color=ACCENT)
    ax.set_xlim(0, 100 if unit == "%" else max([*values, 1]) * 1.05)
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=9, color=INK)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=8, colors=INK)
    ax.spines[["top", "right"]].set_visible(False)
    if unit:
        ax.set_xlabel(unit, fontsize=9, color=INK)
    return _svg(fig, label)


def trend(months: list[str], values: list[float | None], *, label: str) -> str:
    fig = _figure(6, 2.4)
    ax = fig.add_subplot()
    xs = [i for i, v in enumerate(values) if v is not None]
    ax.plot(xs, [values[i] for i in xs], color=ACCENT, marker="o", markersize=3)
    ax.set_xticks(range(len(months)), labels=months, rotation=45, ha="right", fontsize=8, color=INK)
    ax.tick_params(axis="y", labelsize=8, colors=INK)
    ax.set_ylim(bottom=0)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig, label)


def tile_map(values: dict[str, float | None], names: dict[str, str], *, label: str, legend: str,
             missing: str) -> str:
    """Each province a square, shaded by its value (darker = higher); hatched when it has no value."""
    known = [v for v in values.values() if v is not None]
    low, high = min(known, default=0), max(known, default=1)
    norm = _mpl().Normalize(vmin=low if high > low else 0, vmax=high or 1)
    cmap = _mpl().colormaps["Blues"]
    fig = _figure(9, 3.6)
    ax = fig.add_subplot()
    for code, (col, row) in TILES.items():
        v = values.get(code)
        face = cmap(0.15 + 0.85 * norm(v)) if v is not None else "#ffffff"
        ax.add_patch(_mpl().Rectangle((col, -row), 0.92, 0.92, facecolor=face, edgecolor=INK, linewidth=0.6,
                               hatch=None if v is not None else "///"))
        dark = v is not None and norm(v) > 0.55
        ax.text(col + 0.46, -row + 0.46, code, ha="center", va="center", fontsize=8,
                color="#ffffff" if dark else INK,
                bbox=None if v is not None else {"facecolor": "#ffffff", "edgecolor": "none", "pad": 1.5})
    ax.set_xlim(-0.2, 15.2)
    ax.set_ylim(-6.3, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.text(0, -6.25, f"{legend}  ·  ▨ {missing}", fontsize=8, color=INK)
    return _svg(fig, label)
