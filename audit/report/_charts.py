"""Chart specs (from the view dict) → inline SVG strings drawn with matplotlib.

Text stays text (``svg.fonttype='none'``), mathtext is off (labels come from data), ids are salted
and prefixed per chart, metadata is blank, and colours are drawn as sentinel values then swapped for CSS
variables so one SVG follows the page's light or dark theme. The result is byte-stable for the same spec.

Security: chart labels come from users' data. matplotlib escapes ``& < >`` in text; `_clean` also
escapes quotes and line separators, strips comments and the SVG's own ``<style>``, and refuses any output
holding a script, an event-handler attribute or an external reference. Only this module's output is
ever marked safe by the HTML renderer.

What it must not do: compute statistics (it draws the numbers in the spec), or touch pyplot's global
state (it uses ``matplotlib.figure.Figure`` directly, inside an ``rc_context``).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported when the first chart is drawn, not with the package
    from matplotlib.figure import Figure

# sentinel colours drawn by matplotlib, replaced by CSS variables in the SVG text
_FG, _MUTED, _REF, _FAIL, _MAIN, _RECORDS, _LINE = (
    "#010101",
    "#020202",
    "#030303",
    "#040404",
    "#050505",
    "#060606",
    "#070707",
)
_SERIES = [f"#0{i}0{i}0a" for i in range(8)]
_VARS = {
    _FG: "var(--fg)",
    _MUTED: "var(--muted)",
    _REF: "var(--c-ref)",
    _FAIL: "var(--c-fail)",
    _MAIN: "var(--c-main)",
    _RECORDS: "var(--c-records)",
    _LINE: "var(--c-line)",
    **{c: f"var(--s{i})" for i, c in enumerate(_SERIES)},
}
_MARK = {"ref": _REF, "fail": _FAIL, "main": _MAIN}
_STYLES = ["-", "--", "-.", ":"]

RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "audit-report",
    "svg.image_inline": True,
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "text.color": _FG,
    "axes.labelcolor": _FG,
    "axes.edgecolor": _MUTED,
    "axes.titlesize": 10,
    "xtick.color": _MUTED,
    "ytick.color": _MUTED,
    "xtick.labelcolor": _FG,
    "ytick.labelcolor": _FG,
    "grid.color": _MUTED,
    "grid.alpha": 0.35,
    "legend.frameon": False,
    "figure.dpi": 72,
    "path.simplify": True,
}
METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def _text_inches(labels, size: float = 9) -> float:
    """Rough width of the longest label, in inches (DejaVu Sans averages ~0.58 em per character).

    A fixed layout from this estimate is three times faster than matplotlib's constrained layout,
    which measures every text twice; labels are cut to 40-odd characters upstream, so it is enough.
    """
    longest = max((len(str(t)) for t in labels), default=0)
    return longest * 0.58 * size / 72


def _figure(
    width: float,
    height: float,
    *,
    left: float = 0.75,
    right: float = 0.2,
    top: float = 0.3,
    bottom: float = 0.55,
    wspace: float = 0.08,
) -> Figure:
    """A transparent figure with fixed margins given in inches."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    left = min(left, 0.45 * width)
    fig.subplots_adjust(
        left=left / width,
        right=1 - min(right, 0.4 * width) / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=wspace,
    )
    fig.patch.set_alpha(0)
    return fig


def _style_axes(ax, *, percent: bool = False, axis: str = "x") -> None:
    from matplotlib.ticker import PercentFormatter

    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(True, axis=axis, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_facecolor("none")
    if percent:
        (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0))


def _xerr(values: list, low: list | None, high: list | None):
    if not low or not high:
        return None
    lo = [
        max(0.0, v - lo) if lo is not None and v is not None else 0.0
        for v, lo in zip(values, low, strict=True)
    ]
    hi = [
        max(0.0, hi - v) if hi is not None and v is not None else 0.0
        for v, hi in zip(values, high, strict=True)
    ]
    return [lo, hi]


def _impact(spec: Mapping) -> Figure:
    cats = spec["categories"]
    k = len(cats)
    fig = _figure(7.2, 0.85 + 0.32 * k, left=_text_inches(cats) + 0.2, bottom=0.35)
    left, right = fig.subplots(1, 2, sharey=True)
    y = list(range(k))[::-1]
    colours = [_MARK.get(m, _MAIN) for m in spec["marks"]]
    left.barh(
        y,
        spec["rates"],
        color=colours,
        height=0.62,
        xerr=_xerr(spec["rates"], spec["low"], spec["high"]),
        error_kw={"ecolor": _FG, "elinewidth": 0.9, "capsize": 2},
    )
    left.set_yticks(y, cats)
    left.set_title(spec.get("rate_title", "adverse rate"), loc="left")
    _style_axes(left, percent=True)
    ratios = [r if r is not None else 0.0 for r in spec["ratios"]]
    right.barh(y, ratios, color=colours, height=0.62)
    right.axvline(spec.get("line", 0.8), color=_LINE, linestyle="--", linewidth=1.2)
    right.set_xlim(0, max([1.05, spec.get("line", 0.8), *ratios]) * 1.05)
    right.set_title(spec.get("ratio_title", "ratio"), loc="left")
    _style_axes(right)
    right.tick_params(axis="y", length=0)
    return fig


def _bars(spec: Mapping) -> Figure:
    cats = spec["categories"]
    series = spec["series"]
    k, s = len(cats), len(series)
    legend = [ser["label"] for ser in series] if s > 1 else []
    fig = _figure(
        7.2,
        0.8 + (0.24 + 0.16 * s) * k + (0.3 if s > 1 else 0),
        left=_text_inches(cats) + 0.2,
        top=0.15,
        **({"right": _text_inches(legend, 8) + 0.55} if legend else {}),
    )
    ax = fig.subplots()
    height = 0.8 / s
    base = list(range(k))[::-1]
    for j, ser in enumerate(series):
        vals = [v if v is not None else 0.0 for v in ser["values"]]
        ys = [b + (s - 1 - 2 * j) * height / 2 for b in base]
        if ser.get("role") == "records":
            colour = _RECORDS
        elif s == 1:
            colour = [_MARK.get(m, _MAIN) for m in spec["marks"]]
        else:
            colour = _MAIN
        ax.barh(
            ys,
            vals,
            height=height * 0.92,
            color=colour,
            label=ser["label"],
            xerr=_xerr(vals, ser.get("low"), ser.get("high")),
            error_kw={"ecolor": _FG, "elinewidth": 0.9, "capsize": 2},
        )
    ax.set_yticks(base, cats)
    if spec.get("vline") is not None:
        ax.axvline(spec["vline"], color=_LINE, linestyle="--", linewidth=1.2)
    if spec.get("zero"):
        ax.axvline(0, color=_FG, linewidth=0.8)
    ax.set_xlabel(spec.get("xlabel", ""))
    _style_axes(ax, percent=spec.get("percent", False))
    if legend:  # beside the plot, never over a bar
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def _lines_axes(spec: Mapping, xs_of, ylabel: str) -> Figure:
    legend = [ser["label"] for ser in spec["series"]] + ["current threshold"]
    fig = _figure(7.2, 3.0, left=0.8, right=_text_inches(legend, 8) + 0.55, top=0.15)
    ax = fig.subplots()
    for i, ser in enumerate(spec["series"]):
        ax.plot(
            xs_of(ser),
            [v if v is not None else float("nan") for v in ser["values"]],
            color=_SERIES[i % len(_SERIES)],
            linestyle=_STYLES[(i // len(_SERIES) + i) % len(_STYLES)],
            linewidth=1.6,
            label=ser["label"],
        )
    if spec.get("vline") is not None:
        ax.axvline(
            spec["vline"], color=_LINE, linestyle="--", linewidth=1.2, label="current threshold"
        )
    ax.set_xlabel(spec.get("xlabel", ""))
    ax.set_ylabel(ylabel)
    _style_axes(ax, percent=spec.get("percent", False), axis="both")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def _hist(spec: Mapping) -> Figure:
    edges = spec["edges"]
    series = []
    for ser in spec["series"]:
        total = sum(v for v in ser["values"] if v is not None) or 1
        # drawn as the share of the group in each bin so groups of different size compare (display only)
        shares = [(v or 0) / total for v in ser["values"]]
        series.append({"label": ser["label"], "values": [*shares, shares[-1]]})
    return _lines_axes(
        {**spec, "series": series, "percent": True}, lambda _ser: edges, "share of the group"
    )


def _draw_steps(fig: Figure) -> None:
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_label() != "current threshold":
                line.set_drawstyle("steps-post")


def render_chart(spec: Mapping) -> str:
    """Draw one chart spec; returns cleaned inline SVG markup (safe to embed; see module docstring)."""
    import matplotlib

    kind = spec["kind"]
    with matplotlib.rc_context(RC), warnings.catch_warnings():
        # glyphs missing from DejaVu (emoji, some scripts) only affect layout measurement
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        warnings.filterwarnings("ignore", message=r".*constrained_layout not applied.*")
        if kind == "impact":
            fig = _impact(spec)
        elif kind == "bars":
            fig = _bars(spec)
        elif kind == "hist":
            fig = _hist(spec)
            _draw_steps(fig)
        elif kind == "lines":
            fig = _lines_axes(spec, lambda _ser: spec["x"], spec.get("ylabel", ""))
        elif kind == "xy":
            fig = _lines_axes(spec, lambda ser: ser["x"], spec.get("ylabel", ""))
        else:
            raise ValueError(
                f"The chart kind must be one of impact, bars, hist, lines, xy. Got {kind!r} instead."
            )
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata=METADATA, transparent=True)
    return _clean(buf.getvalue(), prefix=re.sub(r"[^a-z0-9-]", "", str(spec["id"]).lower()) or "c")


_TAG = re.compile(r"<[^>]*>")

#: class name -> CSS declarations, for every style attribute turned into a class (see `chart_css`)
STYLE_CLASSES: dict[str, str] = {}
_CLASS = re.compile(r'class="(c[0-9a-f]{7})"')


def _style_class(m: re.Match) -> str:
    """``style="..."`` → ``class="c<hash>"``: charts repeat a few dozen styles thousands of times."""
    style = m.group(1).strip()
    name = "c" + hashlib.sha1(style.encode("utf-8")).hexdigest()[:7]
    STYLE_CLASSES[name] = style
    return f' class="{name}"'


def chart_css(html: str) -> str:
    """The CSS rules for the chart style classes used in `html`, sorted (byte-stable)."""
    used = sorted(set(_CLASS.findall(html)) & STYLE_CLASSES.keys())
    return "\n".join(f".chart-svg .{name} {{ {STYLE_CLASSES[name]} }}" for name in used)


def _drop_plain_groups(svg: str) -> str:
    """Remove ``<g>`` wrappers that carry no attribute (and their ``</g>``): structure only."""
    out, stack, pos = [], [], 0
    for m in re.finditer(r"<g>|<g\s[^>]*>|</g>", svg):
        out.append(svg[pos : m.start()])
        tag = m.group(0)
        if tag == "</g>":
            if not stack.pop():
                out.append(tag)
        else:
            plain = tag == "<g>"
            stack.append(plain)
            if not plain:
                out.append(tag)
        pos = m.end()
    out.append(svg[pos:])
    return "".join(out)


_TEXT = re.compile(r">([^<]+)<")
_ID = re.compile(r'\bid="([^"]+)"')


def _clean(svg: str, *, prefix: str) -> str:
    start = svg.find("<svg")
    svg = svg[start:]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)
    ids = set(_ID.findall(svg))
    used = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))

    def fix_tag(m: re.Match) -> str:
        tag = m.group(0)
        # keep only referenced ids, prefixed per chart so several charts share one page
        tag = _ID.sub(lambda i: f'id="{prefix}-{i.group(1)}"' if i.group(1) in used else "", tag)
        tag = re.sub(
            r"url\(#([^)]+)\)",
            lambda u: f"url(#{prefix}-{u.group(1)})" if u.group(1) in ids else u.group(0),
            tag,
        )
        tag = re.sub(
            r'xlink:href="#([^"]+)"', lambda h: f'xlink:href="#{prefix}-{h.group(1)}"', tag
        )
        tag = re.sub(r"\s*font-family:[^;\"]*;?", "", tag)  # the page's font, set in CSS
        tag = re.sub(r'\stransform="rotate\(-?0 [^"]*\)"', "", tag)
        tag = re.sub(r"(\d\.\d\d)\d+", r"\1", tag)  # 1/100 px is plenty
        tag = re.sub(r"\s*\n\s*", " ", tag)
        tag = re.sub(r"#[0-9a-f]{6}\b", lambda c: _VARS.get(c.group(0), c.group(0)), tag)
        tag = re.sub(r'\sstyle="([^"]*)"', _style_class, tag)
        if tag.startswith("<svg"):
            tag = re.sub(r'\s(width|height)="[^"]*"', "", tag)
            tag = tag.replace(
                "<svg", '<svg class="chart-svg" aria-hidden="true" focusable="false"', 1
            )
        return tag

    svg = _TAG.sub(fix_tag, svg)

    def fix_text(m: re.Match) -> str:
        t = m.group(1)
        t = (
            t.replace('"', "&#34;")
            .replace("'", "&#39;")
            .replace("\u2028", "&#8232;")
            .replace("\u2029", "&#8233;")
        )
        return f">{t}<"

    svg = _TEXT.sub(fix_text, svg).strip()
    svg = re.sub(r">\s+<", "><", svg)
    svg = _drop_plain_groups(re.sub(r"<g\s+>", "<g>", svg))
    # the markup is ours; refuse anything that could run or fetch, whatever the data held
    for tag in _TAG.findall(svg):
        name = re.match(r"</?([a-zA-Z:]+)", tag)
        if name and name.group(1).lower() in {
            "script",
            "foreignobject",
            "iframe",
            "a",
            "image",
            "animate",
            "set",
        }:
            raise ValueError(f"chart SVG holds a <{name.group(1)}> element")
        if re.search(r"\son[a-z]+\s*=", tag) or re.search(r'href="(?!#)', tag):
            raise ValueError("chart SVG holds an event handler or an external reference")
    return svg
