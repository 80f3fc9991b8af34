"""report.html: one self-contained page (inline SVG, no scripts, no downloads) drawn from the
report's details (report.json), worst columns and pairs first.

Every chart is an <svg data-chart="..."> whose marks carry a <title> tooltip with the numbers
report.json holds; charts scale to the page width (viewBox), wide ones scroll inside their own box,
so the page itself never scrolls sideways (tests/test_report_browser.py checks it in Chromium)."""

from __future__ import annotations

import html
import math

from spark_synth.evaluation import display

REAL, SYNTHETIC, HOLDOUT = "#1f6fb4", "#f28e2b", "#59a14f"
NO_VARIATION = "#d9d9d9"
CHAR = 0.6  # average character width of the page's sans-serif font, in font sizes
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{margin:0 0 4px;font-size:26px}h2{margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin-bottom:12px;font-size:14px}.about{font-size:13px;color:#444;margin-bottom:14px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px 12px}
.card b{display:block;font-size:24px}.card span{color:#555;font-size:12px}
.help{background:#fff;border:1px solid #ddd;border-radius:8px;padding:4px 14px;font-size:13px;margin-top:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(300px,100%),1fr));gap:12px}
.panel{background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px;min-width:0}
.panel h3{margin:0 0 2px;font-size:14px;overflow-wrap:anywhere}.panel .m{color:#555;font-size:12px}
svg{max-width:100%;height:auto}.wide{overflow-x:auto;max-width:100%}.wide svg{max-width:none}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}.na{color:#888}
.tables{overflow-x:auto;max-width:100%}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
.heat{display:flex;gap:24px;flex-wrap:wrap}
"""


def render(details: dict, title: str = "spark_synth evaluation") -> str:
    about = details.get("about") or {}
    name = about.get("name")
    heading = f"{title}: {name}" if name else title
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(heading)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(heading)}</h1>",
        _about(about),
        _cards(details),
        _help(details),
        _columns(details),
        _heatmaps(details),
        _pair_pictures(details),
        _pairs(details),
        _nulls(details),
        _privacy(details),
        _realism(details),
        _rules(details),
        _utility(details),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------- header, score boxes, help


def _about(about: dict) -> str:
    if not about:
        return ""
    items = []
    for key, label in (("real", "real"), ("synthetic", "synthetic")):
        rows = about.get(f"{key}_rows")
        where = about.get(key)
        text = f"{label}: " + (f"{_e(where)} " if where else "") + (f"({rows:,} rows)" if rows is not None else "")
        items.append(text)
    if about.get("model"):
        items.append(f"model: {_e(about['model'])}" + (f" (table {_e(about['table'])})" if about.get("table") else ""))
    source = about.get("fitted_on")
    if source:
        items.append(
            f"fitted on {_e(source['format'])} table {_e(source['location'])} version {_e(str(source['version']))} "
            f"(committed {_e(source['committed_at'])})"
        )
    items.append(f"made {_e(about.get('created', ''))} by spark_synth {_e(about.get('version', ''))}")
    return "<div class='about'>" + " · ".join(items) + "</div>"


def _cards(d: dict) -> str:
    cards = [
        ("overall score", _f(d["score"]), "mean of the next two; 1 = same distributions"),
        ("Column Shapes", _f(d["column_shapes"]), "each column alone"),
        ("Column Pair Trends", _f(d["column_pair_trends"]), "strongly related pairs (default filter)"),
        ("Pair Trends, all pairs", _f(d["column_pair_trends_all_pairs"]), "every pair of columns"),
    ]
    privacy = d.get("privacy", {})
    copies = privacy.get("exact_copies")
    if copies:
        cards.append(
            (
                "copies of real rows",
                f"{copies['copy_rate']:.2%}",
                f"real table repeats itself {copies['real_duplicate_rate']:.2%}",
            )
        )
    distance = privacy.get("distance_to_closest_record")
    if distance:
        cards.append(
            (
                "closer than real hold-out",
                f"{distance['closer_than_holdout_probability']:.1%}",
                "50% = as close as fresh real rows",
            )
        )
    util = d.get("utility")
    if util:
        cards.append(("utility ratio", _f(util["ratio"]), f"{util['metric']} trained on synthetic / real"))
    return (
        "<div class='cards'>"
        + "".join(f"<div class='card'><b>{v}</b><span>{_e(k)}<br>{_e(note)}</span></div>" for k, v, note in cards)
        + "</div>"
    )


def _help(d: dict) -> str:
    return (
        "<div class='help'><p><b>How to read the scores.</b> Every score runs from 0 to 1, and 1 means the "
        "synthetic data has the same distribution as the real data. <b>Column Shapes</b> is the mean over "
        "columns of 1 − the Kolmogorov–Smirnov distance (numbers, dates, times) or 1 − the total variation "
        "distance (categories). <b>Column Pair Trends</b> is the mean over pairs of 1 − |r<sub>real</sub> − "
        "r<sub>synthetic</sub>| / 2 (Pearson r, two numbers) or 1 − the total variation distance of the pair's "
        "cross-tab (numbers cut into 10 bins). The <b>default filter</b> (SDMetrics') keeps the pairs that "
        "are strongly related in the real data (|r| > 0.5 or Cramér's V > 0.3): independent pairs are easy to "
        "match, so <b>all pairs</b> reads higher. The <b>overall score</b> is the mean of Column Shapes and "
        "Column Pair Trends (default filter; all pairs when no pair passes it). All counts are Spark "
        "aggregations over every row, nulls dropped except where a table says otherwise.</p></div>"
    )


# ---------------------------------------------------------------- columns


def _columns(d: dict) -> str:
    dists = d.get("distributions", {})
    panels = []
    for col in d["columns"]:  # worst first
        dist = dists.get(col["column"])
        chart = _bars(col["column"], dist) if dist else ""
        scale = dist.get("scale") if dist else None
        note = {"log": " · log scale", "symlog": " · symmetric log scale (sign · log10(1 + |x|))"}.get(scale, "")
        panels.append(
            f"<div class='panel'><h3>{_e(col['column'])}</h3><div class='m'>{_e(col['metric'])} "
            f"{_f(col['score'])}{note}</div>{chart}</div>"
        )
    legend = (
        f"<div class='legend'><span style='background:{REAL}'></span>real"
        f"<span style='background:{SYNTHETIC}'></span>synthetic</div>"
    )
    return (
        "<h2>Columns, worst first</h2><div class='sub'>Bars are shares of the non-null rows. Numbers are cut "
        "into bars over the real range (a log scale where a long tail would leave most of the width empty); "
        "the end bars also count synthetic values beyond it. Whole numbers with few values get a bar each; "
        "categories show the most frequent real values, the rest pooled under the chart.</div>"
        + legend
        + "<div class='grid'>"
        + "".join(panels)
        + "</div>"
    )


def _bars(column: str, dist: dict, width: int = 300, height: int = 180) -> str:
    """Grouped bars, real beside synthetic. The share axis is on the left; histograms are placed
    on their scale with tick values under them, bars of values or categories get rotated labels."""
    real, synth = list(dist["real"]), list(dist["synthetic"])
    labels = list(dist.get("labels") or [])
    other = None
    if labels and labels[-1] == "(other)":
        other = (real.pop(), synth.pop())
        labels.pop()
    n = len(real)
    if not n:
        return "<div class='m'>no non-null value in the real table</div>"
    left, right, top_margin = 40, 8, 10
    bottom = 34 if dist["kind"] == "histogram" else 52
    if other is not None:
        bottom += 12
    plot_w, plot_h = width - left - right, height - bottom - top_margin
    base = top_margin + plot_h
    top = max(max(real), max(synth), 1e-12)
    spans = _spans(dist, n, plot_w)
    shapes = []
    for i, ((x0, x1), r, s) in enumerate(zip(spans, real, synth)):
        w = x1 - x0
        bars = [
            f"<rect x='{left + x0 + 0.5 + k * (w - 1) / 2:.1f}' y='{base - plot_h * v / top:.1f}' "
            f"width='{max((w - 1) / 2, 0.3):.1f}' height='{plot_h * v / top:.1f}' fill='{color}'/>"
            for k, (v, color) in enumerate(((r, REAL), (s, SYNTHETIC)))
        ]
        shapes.append(f"<g><title>{_e(_label(dist, i))}: real {r:.3%}, synthetic {s:.3%}</title>{''.join(bars)}</g>")
    axis = [
        f"<line x1='{left}' y1='{top_margin}' x2='{left}' y2='{base}' stroke='#999'/>",
        f"<line x1='{left}' y1='{base}' x2='{width - right}' y2='{base}' stroke='#999'/>",
        f"<text x='{left - 3}' y='{top_margin + 4}' font-size='9' text-anchor='end'>{_share(top)}</text>",
        f"<text x='{left - 3}' y='{base}' font-size='9' text-anchor='end'>0</text>",
    ]
    if dist["kind"] == "histogram":
        axis += _ticks(dist, left, base, plot_w)
    else:
        axis += _rotated_labels(labels, spans, left, base)
    if other is not None:
        axis.append(
            f"<text x='4' y='{height - 3}' font-size='9' fill='#555'>(other values): real "
            f"{other[0]:.1%}, synthetic {other[1]:.1%}</text>"
        )
    return _svg(f"column:{column}", width, height, shapes + axis)


def _spans(dist: dict, n: int, plot_w: float) -> list[tuple[float, float]]:
    """Left and right x of each bar inside the plot."""
    if dist["kind"] != "histogram" or len(dist.get("edges", [])) != n + 1:
        slot = plot_w / n
        return [(i * slot, (i + 1) * slot) for i in range(n)]
    position = _position(dist, plot_w)
    return [(position(a), position(b)) for a, b in zip(dist["edges"][:-1], dist["edges"][1:])]


def _position(dist: dict, plot_w: float):
    scale, edges = dist.get("scale", "linear"), dist["edges"]
    t0, t1 = (float(display.forward(scale, v)) for v in (edges[0], edges[-1]))
    span = (t1 - t0) or 1.0
    return lambda v: plot_w * (float(display.forward(scale, v)) - t0) / span


def _ticks(dist: dict, left: float, base: float, plot_w: float) -> list[str]:
    """Tick marks and values under a histogram; a value that would overlap the previous one (or
    leave the chart) is left out."""
    if not dist.get("edges"):
        return []
    position = _position(dist, plot_w)
    out, last_end = [], -1e9
    for value in dist.get("ticks", []):
        x = left + position(value)
        text = _value(dist, value)
        half = len(text) * CHAR * 9 / 2
        lo, hi = max(x - half, 0), min(x + half, left + plot_w + 8)
        out.append(f"<line x1='{x:.1f}' y1='{base}' x2='{x:.1f}' y2='{base + 3}' stroke='#999'/>")
        if lo < last_end + 4 or hi - lo < 2 * half - 0.5:
            continue
        out.append(f"<text x='{x:.1f}' y='{base + 13}' font-size='9' text-anchor='middle'>{_e(text)}</text>")
        last_end = hi
    return out


def _rotated_labels(labels: list[str], spans: list[tuple[float, float]], left: float, base: float) -> list[str]:
    every = max(1, -(-len(labels) // 16))  # at most 16 labels
    out = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = left + (spans[i][0] + spans[i][1]) / 2
        out.append(
            f"<text x='{x:.1f}' y='{base + 9}' font-size='9' text-anchor='end' "
            f"transform='rotate(-45 {x:.1f} {base + 9})'>{_e(label[:9])}</text>"
        )
    return out


def _label(dist: dict, i: int) -> str:
    if dist["kind"] in ("categories", "values"):
        return dist["labels"][i]
    edges = dist["edges"]
    closing = "]" if i == len(edges) - 2 else ")"
    return f"[{_value(dist, edges[i])}, {_value(dist, edges[i + 1])}{closing}"


def _value(dist: dict, x: float) -> str:
    return display.format_value(dist.get("family"), x)


# ---------------------------------------------------------------- associations

HEAT_COLUMNS = 60  # columns drawn in the association maps


def _heatmaps(d: dict) -> str:
    pairs = d.get("pairs", [])
    constant = [c for c, dist in d.get("distributions", {}).items() if dist.get("constant")]
    if not pairs and not constant:
        return ""
    names = list(dict.fromkeys([n for p in pairs for n in p["columns"]] + constant))
    shown = names[:HEAT_COLUMNS]
    maps = [
        ("real", "real_value", _diverging, "association, real"),
        ("synthetic", "synthetic_value", _diverging, "association, synthetic"),
        ("difference", None, _difference, "real − synthetic"),
    ]
    drawn = []
    for key, field, color, caption in maps:
        drawn.append(
            f"<div><b>{_e(caption)}</b><br><div class='wide'>"
            f"{_heatmap(key, shown, pairs, field, color, set(constant))}</div></div>"
        )
    notes = []
    if constant:
        notes.append(
            "Grey: no variation in the real data, so no association is defined: " + ", ".join(_e(c) for c in constant)
        )
    if len(names) > HEAT_COLUMNS:
        notes.append(f"The first {HEAT_COLUMNS} of {len(names)} columns are drawn; report.json holds every pair.")
    return (
        "<h2>Associations: real, synthetic and their difference</h2><div class='sub'>Pearson r for two "
        "numeric or datetime columns (−1 … +1), Cramér's V otherwise (0 … 1); the third map is real minus "
        "synthetic, white where the synthetic data keeps the association.</div>"
        + _legend("assoc", _diverging, "association", "−1", "0", "+1")
        + _legend("diff", _difference, "real − synthetic (+: real stronger)", "−1", "0", "+1")
        + "<div class='heat'>"
        + "".join(drawn)
        + "</div>"
        + "".join(f"<p class='sub'>{n}</p>" for n in notes)
    )


def _heatmap(key: str, names: list[str], pairs: list[dict], field, color, constant: set[str]) -> str:
    cell = 14
    pad = 12 + int(max(len(n[:16]) for n in names) * CHAR * 10)
    size = pad + cell * len(names) + 4
    index = {n: i for i, n in enumerate(names)}
    shapes = []
    for p in pairs:
        a, b = p["columns"]
        if a not in index or b not in index:
            continue
        real, synth = p.get("real_value"), p.get("synthetic_value")
        if field is None:
            if not (_finite(real) and _finite(synth)):
                continue
            v = real - synth
        else:
            v = p.get(field)
            if not _finite(v):
                continue
        for i, j in ((index[a], index[b]), (index[b], index[a])):
            shapes.append(
                f"<rect x='{pad + j * cell}' y='{pad + i * cell}' width='{cell}' height='{cell}' "
                f"fill='{color(v)}'><title>{_e(a)} × {_e(b)}: {v:.3f}</title></rect>"
            )
    for i, n in enumerate(names):
        fill = NO_VARIATION if n in constant else "#333"
        shapes.append(f"<rect x='{pad + i * cell}' y='{pad + i * cell}' width='{cell}' height='{cell}' fill='{fill}'/>")
        if n in constant:
            shapes.append(
                f"<rect x='{pad}' y='{pad + i * cell}' width='{cell * len(names)}' height='{cell}' "
                f"fill='{NO_VARIATION}' opacity='0.6'><title>{_e(n)}: no variation in the real data</title></rect>"
            )
    labels = []
    for i, n in enumerate(names):
        y = pad + i * cell + 10
        x = pad + i * cell + 10
        labels.append(f"<text x='{pad - 4}' y='{y}' font-size='10' text-anchor='end'>{_e(n[:16])}</text>")
        labels.append(
            f"<text x='{x}' y='{pad - 4}' font-size='10' transform='rotate(-90 {x} {pad - 4})'>{_e(n[:16])}</text>"
        )
    return _svg(f"heatmap:{key}", size, size, labels + shapes, responsive=False)


def _legend(key: str, color, caption: str, left: str, middle: str, right: str) -> str:
    """A colour scale: the gradient from -1 to +1 with its ends and middle marked."""
    width = 160
    stops = "".join(f"<stop offset='{k * 10}%' stop-color='{color(-1 + k / 5)}'/>" for k in range(11))
    return (
        f"<div class='legend'>{_e(caption)} "
        f"<svg data-chart='legend:{key}' width='{width + 8}' height='28' viewBox='0 0 {width + 8} 28' "
        "style='vertical-align:middle'>"
        f"<defs><linearGradient id='g-{key}'>{stops}</linearGradient></defs>"
        f"<rect x='4' y='2' width='{width}' height='10' fill='url(#g-{key})' stroke='#999'/>"
        f"<text x='4' y='24' font-size='10'>{_e(left)}</text>"
        f"<text x='{4 + width / 2}' y='24' font-size='10' text-anchor='middle'>{_e(middle)}</text>"
        f"<text x='{4 + width}' y='24' font-size='10' text-anchor='end'>{_e(right)}</text>"
        "</svg></div>"
    )


def _diverging(v: float) -> str:
    v = max(-1.0, min(1.0, v))
    if v >= 0:
        return f"rgb(255,{int(255 * (1 - v))},{int(255 * (1 - v))})"
    return f"rgb({int(255 * (1 + v))},{int(255 * (1 + v))},255)"


def _difference(v: float) -> str:
    v = max(-1.0, min(1.0, v))
    if v >= 0:
        return f"rgb({int(255 - 137 * v)},{int(255 - 205 * v)},{int(255 - 119 * v)})"  # to purple
    return f"rgb({int(255 - 228 * -v)},{int(255 - 135 * -v)},{int(255 - 200 * -v)})"  # to green


# ---------------------------------------------------------------- worst pairs


def _pair_pictures(d: dict) -> str:
    pictures = d.get("pair_pictures") or []
    if not pictures:
        return ""
    panels = []
    for p in pictures:
        a, b = p["columns"]
        top = max([v for side in ("real", "synthetic") for row in p[side] for v in row] + [1e-12])
        grids = "".join(_grid(p, side, top) for side in ("real", "synthetic"))
        boxes = _boxes(p) if p["kind"] == "mixed" else ""
        what = {"numbers": "binned scatter", "categories": "cross-tab", "mixed": "cross-tab and box plots"}[p["kind"]]
        panels.append(
            f"<div class='panel'><h3>{_e(a)} × {_e(b)}</h3><div class='m'>{_e(p['metric'])} {_f(p['score'])}"
            f" · {what}; rows: {_e(a)}, columns: {_e(b)}</div>{_cell_legend(top)}"
            f"<div class='heat'>{grids}</div>{boxes}</div>"
        )
    return (
        "<h2>The worst pairs, pictured</h2><div class='sub'>Shares of all rows in each cell, real beside "
        "synthetic on one colour scale (white 0 … darkest the largest cell); numbers cut into the 10 bins the "
        "score uses, categories into their most frequent real values. Box plots: 5 %, 25 %, 50 %, 75 % and "
        "95 % of the number per category, estimated from its bins.</div><div class='grid'>" + "".join(panels) + "</div>"
    )


def _cell_legend(top: float) -> str:
    """The pictures' colour scale: white for no rows up to the full colour for the largest cell."""
    swatches = "".join(
        f"<span style='background:linear-gradient(90deg,#fff,{color})'></span>{side}"
        for side, color in (("real", REAL), ("synthetic", SYNTHETIC))
    )
    return f"<div class='legend m'>0 → {_share(top)} of rows:{swatches}</div>"


def _grid(p: dict, side: str, top: float) -> str:
    rows, cols, matrix = p["rows"], p["cols"], p[side]
    cell = max(10, min(22, 180 // max(len(cols), 1)))
    pad_left = 8 + int(max(len(r[:12]) for r in rows) * CHAR * 9)
    pad_top = 8 + int(max(len(c[:12]) for c in cols) * CHAR * 9)
    width, height = pad_left + cell * len(cols) + 4, pad_top + cell * len(rows) + 4
    shapes = []
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            fill = _shade(REAL if side == "real" else SYNTHETIC, v / top)
            shapes.append(
                f"<rect x='{pad_left + j * cell}' y='{pad_top + i * cell}' width='{cell}' height='{cell}' "
                f"fill='{fill}' stroke='#eee'><title>{_e(rows[i])} × {_e(cols[j])}: {side} {v:.3%}</title></rect>"
            )
    labels = [
        f"<text x='{pad_left - 3}' y='{pad_top + i * cell + cell / 2 + 3:.1f}' font-size='9' "
        f"text-anchor='end'>{_e(r[:12])}</text>"
        for i, r in enumerate(rows)
    ]
    labels += [
        f"<text x='{pad_left + j * cell + cell / 2 + 3:.1f}' y='{pad_top - 3}' font-size='9' "
        f"transform='rotate(-90 {pad_left + j * cell + cell / 2 + 3:.1f} {pad_top - 3})'>{_e(c[:12])}</text>"
        for j, c in enumerate(cols)
    ]
    columns = " × ".join(p["columns"])
    return f"<div><b>{side}</b><br>" + _svg(f"pair:{columns}:{side}", width, height, labels + shapes) + "</div>"


def _boxes(p: dict, width: int = 300) -> str:
    box = p["boxes"]
    levels = box["levels"]
    values = [b for side in ("real", "synthetic") for b in box[side] if b]
    if not values:
        return ""
    lo, hi = min(b["p05"] for b in values), max(b["p95"] for b in values)
    span = (hi - lo) or 1.0
    left = 8 + int(max(len(v[:12]) for v in levels) * CHAR * 9)
    row_h = 18
    height = row_h * len(levels) + 22
    plot_w = width - left - 8

    def x(v: float) -> float:
        return left + plot_w * (v - lo) / span

    def _v(v: float) -> str:
        return _e(display.format_value(box.get("family"), v))

    shapes = []
    for i, level in enumerate(levels):
        y0 = 4 + i * row_h
        shapes.append(f"<text x='{left - 3}' y='{y0 + 11}' font-size='9' text-anchor='end'>{_e(level[:12])}</text>")
        for k, (side, color) in enumerate((("real", REAL), ("synthetic", SYNTHETIC))):
            b = box[side][i]
            if not b:
                continue
            y = y0 + 2 + k * 8
            shapes.append(
                f"<g><title>{_e(level)}, {side}: median {_v(b['median'])}, quartiles {_v(b['q1'])} … "
                f"{_v(b['q3'])}, 5–95 % {_v(b['p05'])} … {_v(b['p95'])}</title>"
                f"<line x1='{x(b['p05']):.1f}' y1='{y + 3}' x2='{x(b['p95']):.1f}' y2='{y + 3}' stroke='{color}'/>"
                f"<rect x='{x(b['q1']):.1f}' y='{y}' width='{max(x(b['q3']) - x(b['q1']), 1):.1f}' height='6' "
                f"fill='{color}' opacity='0.7'/>"
                f"<line x1='{x(b['median']):.1f}' y1='{y - 1}' x2='{x(b['median']):.1f}' y2='{y + 7}' stroke='#000'/>"
                "</g>"
            )
    base = height - 14
    family = box.get("family")
    shapes += [
        f"<text x='{left}' y='{base + 11}' font-size='9'>{_e(display.format_value(family, lo))}</text>",
        f"<text x='{left + plot_w}' y='{base + 11}' font-size='9' text-anchor='end'>"
        f"{_e(display.format_value(family, hi))}</text>",
        f"<text x='{left + plot_w / 2}' y='{base + 11}' font-size='9' text-anchor='middle'>"
        f"{_e(box['number'][:24])}</text>",
    ]
    return _svg(f"boxes:{' × '.join(p['columns'])}", width, height, shapes)


def _pairs(d: dict, limit: int = 20) -> str:
    rows = "".join(
        f"<tr><td>{_e(' × '.join(p['columns']))}</td><td>{_e(p['metric'])}</td><td>{_f(p['score'])}</td>"
        f"<td>{_f(p.get('real_value'))}</td><td>{_f(p.get('synthetic_value'))}</td>"
        f"<td>{'yes' if p['meets_filter'] else 'no'}</td></tr>"
        for p in d.get("pairs", [])[:limit]
    )
    if not rows:
        return ""
    return (
        "<h2>Worst column pairs</h2><div class='sub'>real and synthetic: Pearson r or Cramér's V; "
        "in default filter: strongly related in the real data (|r| > 0.5 or V > 0.3), so counted in "
        "Column Pair Trends.</div><div class='tables'><table><tr><th>pair</th><th>metric</th><th>score</th>"
        f"<th>real</th><th>synthetic</th><th>in default filter</th></tr>{rows}</table></div>"
    )


def _nulls(d: dict) -> str:
    rows = "".join(
        f"<tr><td>{_e(c)}</td><td>{v['real']:.2%}</td><td>{v['synthetic']:.2%}</td></tr>"
        for c, v in d.get("null_rates", {}).items()
        if v["real"] or v["synthetic"]
    )
    return (
        "<h2>Null rates</h2><div class='tables'><table><tr><th>column</th><th>real</th><th>synthetic</th></tr>"
        f"{rows}</table></div>"
        if rows
        else ""
    )


# ---------------------------------------------------------------- privacy


def _privacy(d: dict) -> str:
    p = d.get("privacy", {})
    out = ["<h2>Privacy</h2>"]
    if "exact_copies" in p:
        c = p["exact_copies"]
        out.append(
            f"<p>{c['copied_rows']:,} of {c['synthetic_rows']:,} synthetic rows equal a real row "
            f"({c['copy_rate']:.3%}); the real table repeats its own rows at {c['real_duplicate_rate']:.3%}.</p>"
        )
    if "distance_to_closest_record" in p:
        x = p["distance_to_closest_record"]
        out.append(
            "<p>Distance to the closest real record (DCR): the mean over columns of |a − b| / the column's real "
            "range for numbers, dates and times (at most 1) and 0 or 1 for categories, so 0 is an identical row "
            f"and 1 a row unlike any real one in every column. {x['synthetic_rows']:,} synthetic rows and "
            f"{x['holdout_rows']:,} real rows held out of the fit's reference sample are measured against "
            f"{x['reference_rows']:,} other real rows.</p>"
        )
        if x.get("histogram"):
            out.append(_dcr_histogram(x["histogram"]))
        out.append(
            "<div class='tables'><table><tr><th>distance to closest real record</th><th>synthetic rows</th>"
            "<th>real hold-out rows</th></tr>"
            f"<tr><td>median</td><td>{x['synthetic_median']:.4f}</td><td>{x['holdout_median']:.4f}</td></tr>"
            f"<tr><td>5th percentile</td><td>{x['synthetic_p05']:.4f}</td><td>{x['holdout_p05']:.4f}</td></tr>"
            f"<tr><td>share at distance 0</td><td>{x['synthetic_zero_share']:.2%}</td>"
            f"<td>{x['holdout_zero_share']:.2%}</td></tr></table></div>"
            f"<p>Probability that a synthetic row lies closer to the real rows than a real hold-out row: "
            f"{x['closer_than_holdout_probability']:.1%} (50% = as close as fresh real data; near 100% = "
            "memorised records).</p>"
        )
    if "model_audit" in p:
        audit = p["model_audit"]
        out.append(
            "<p>Model-file audit: "
            + (
                "no stored value occurs fewer than k times in the real data.</p>"
                if not audit
                else f"{len(audit)} stored values are rarer than k:</p>"
                + "<table><tr><th>column</th><th>value</th><th>real count</th></tr>"
                + "".join(
                    f"<tr><td>{_e(a['column'])}</td><td>{_e(a['value'])}</td><td>{a['real_count']}</td></tr>"
                    for a in audit[:50]
                )
                + "</table>"
            )
        )
    return "".join(out)


def _dcr_histogram(h: dict, width: int = 520, height: int = 190) -> str:
    edges, synth, hold = h["edges"], h["synthetic"], h["holdout"]
    left, bottom, top_margin, right = 40, 30, 10, 8
    plot_w, plot_h = width - left - right, height - bottom - top_margin
    base = top_margin + plot_h
    top = max(synth + hold + [1e-12])
    slot = plot_w / len(synth)
    shapes = []
    for i, (s, r) in enumerate(zip(synth, hold)):
        bars = [
            f"<rect x='{left + i * slot + 0.5 + k * (slot - 1) / 2:.1f}' y='{base - plot_h * v / top:.1f}' "
            f"width='{(slot - 1) / 2:.1f}' height='{plot_h * v / top:.1f}' fill='{color}'/>"
            for k, (v, color) in enumerate(((s, SYNTHETIC), (r, HOLDOUT)))
        ]
        closing = "]" if i == len(synth) - 1 else ")"
        shapes.append(
            f"<g><title>DCR [{edges[i]:.3f}, {edges[i + 1]:.3f}{closing}: synthetic {s:.2%}, hold-out {r:.2%}"
            f"</title>{''.join(bars)}</g>"
        )
    for value in (edges[0], edges[len(edges) // 2], edges[-1]):
        x = left + plot_w * (value - edges[0]) / ((edges[-1] - edges[0]) or 1)
        anchor = "start" if value == edges[0] else "end" if value == edges[-1] else "middle"
        shapes.append(f"<text x='{x:.1f}' y='{base + 12}' font-size='9' text-anchor='{anchor}'>{value:.3f}</text>")
    shapes += [
        f"<line x1='{left}' y1='{base}' x2='{width - right}' y2='{base}' stroke='#999'/>",
        f"<line x1='{left}' y1='{top_margin}' x2='{left}' y2='{base}' stroke='#999'/>",
        f"<text x='{left - 3}' y='{top_margin + 4}' font-size='9' text-anchor='end'>{_share(top)}</text>",
        f"<text x='{left - 3}' y='{base}' font-size='9' text-anchor='end'>0</text>",
        f"<text x='{left + plot_w / 2}' y='{height - 4}' font-size='10' text-anchor='middle'>"
        "distance to the closest real record (share of columns)</text>",
    ]
    legend = (
        f"<div class='legend'><span style='background:{SYNTHETIC}'></span>synthetic rows"
        f"<span style='background:{HOLDOUT}'></span>real hold-out rows</div>"
    )
    return legend + _svg("dcr", width, height, shapes)


# ---------------------------------------------------------------- realism, rules, utility

REALISM_COLUMNS = [
    ("type", "type", "no type found: not a public vocabulary, and no validator passes most real values"),
    ("valid", "valid", "no type, so nothing to validate"),
    ("valid_real", "valid (real)", "no type, so nothing to validate"),
    ("equal_to_real", "equal to a real value", None),
    ("chance_equal", "by chance", "not drawn from a public vocabulary's words"),
    ("public", "public words", None),
    ("near_miss", "near misses", "not compared: more than 3,000 distinct real values"),
    ("near_miss_examples", "examples", "no near miss"),
]


def _realism(d: dict) -> str:
    r = d.get("realism") or {}
    if not r:
        return ""
    present = [(key, head, why) for key, head, why in REALISM_COLUMNS if any(x.get(key) for x in r.values())]
    left_out = [head for key, head, why in REALISM_COLUMNS if (key, head, why) not in present]

    def cell(x: dict, key: str, why: str | None) -> str:
        value = x.get(key)
        if key == "near_miss_examples":
            return _e(", ".join(f"{a} ~ {b}" for a, b in value)) if value else f"<span class='na'>{_e(why)}</span>"
        if value is None:
            return f"<span class='na' title='{_e(why)}'>n/a</span>"
        return _e(value) if key == "type" else format(value, ".2%")

    rows = "".join(
        f"<tr><td>{_e(c)}</td>" + "".join(f"<td>{cell(x, k, why)}</td>" for k, _, why in present) + "</tr>"
        for c, x in r.items()
    )
    note = (
        f"<p class='sub'>Left out, empty for every column: {_e(', '.join(left_out))}. n/a in a cell: hover for "
        "the reason.</p>"
        if left_out
        else "<p class='sub'>n/a in a cell: hover for the reason.</p>"
    )
    return (
        "<h2>Realism and identity</h2><p>Per string column: its type (a public vocabulary, or the validator "
        "most real values pass: e-mail, phone, UUID, IP, URL, Luhn card number, IBAN...) and the share of "
        "synthetic and real values that pass it; synthetic rows equal to some real value, and for columns drawn "
        "from a vocabulary the share that drawing its words by chance explains; rows holding a public word no "
        "real row holds; near misses — within 2 edits of a real value without being it, a kept category or a "
        "public word (they look like corrupted data).</p>"
        + note
        + "<div class='tables'><table><tr><th>column</th>"
        + "".join(f"<th>{_e(head)}</th>" for _, head, _ in present)
        + f"</tr>{rows}</table></div>"
    )


def _rules(d: dict) -> str:
    rules = d.get("rules") or []
    if not rules:
        return ""

    def share(x) -> str:
        return "<span class='na'>n/a</span>" if x is None else format(x, ".3%")

    at_fit = any(
        r["fitted_share"] is not None and (r["real"] is None or abs(r["fitted_share"] - r["real"]) > 5e-6)
        for r in rules
    )
    rows = "".join(
        f"<tr><td>{_e(r['rule'])}</td><td>{_e(r['form'])}</td>"
        + (f"<td>{share(r['fitted_share'])}</td>" if at_fit else "")
        + f"<td>{share(r['real'])}</td><td>{r['real_rows']:,}</td><td>{share(r['synthetic'])}</td>"
        f"<td>{r['synthetic_rows']:,}</td></tr>"
        for r in rules
    )
    fit_note = (
        "<i>at fit</i>: the share the fit measured on the rows it learned from."
        if at_fit
        else "The shares the fit measured equal the real ones here (the real table is the one the model "
        "was fitted on), so they are not repeated."
    )
    return (
        "<h2>Rules</h2><p>Rules the model makes every generated row satisfy (null patterns, orderings, "
        "identities, valid dates, dependencies): the share of the rows each speaks of that satisfy it, in the "
        "real and the synthetic table (a mapping speaks of rows whose source values it holds). "
        f"{fit_note}</p><div class='tables'><table><tr><th>rule</th><th>form</th>"
        + ("<th>at fit</th>" if at_fit else "")
        + f"<th>real</th><th>real rows</th><th>synthetic</th><th>synthetic rows</th></tr>{rows}</table></div>"
    )


def _utility(d: dict) -> str:
    u = d.get("utility")
    if not u:
        return ""
    scores = "".join(
        f"<tr><td>{_e(name)}</td>" + "".join(f"<td>{_e(k)} {_f(v)}</td>" for k, v in s.items()) + "</tr>"
        for name, s in u["scores"].items()
    )
    return (
        f"<h2>Utility: predicting {_e(u['target'])}</h2><p>{_e(u['model'])} ({_e(u['task'])}) trained on real "
        f"vs synthetic data, both scored on the same real hold-out ({_e(u['split'])}). Ratio "
        f"{_e(u['metric'])} synthetic / real = <b>{_f(u['ratio'])}</b>.</p><div class='tables'><table><tr>"
        f"<th>trained on</th><th colspan='2'>score on real hold-out</th></tr>{scores}</table></div>"
    )


# ---------------------------------------------------------------- helpers


def _svg(chart: str, width: float, height: float, parts: list[str], responsive: bool = True) -> str:
    size = f"width='{width:.0f}' height='{height:.0f}'"
    return (
        f"<svg data-chart='{_e(chart)}' {size} viewBox='0 0 {width:.0f} {height:.0f}'"
        + ("" if responsive else " class='fixed'")
        + ">"
        + "".join(parts)
        + "</svg>"
    )


def _shade(color: str, strength: float) -> str:
    """`color` (#rrggbb) mixed with white: 0 white, 1 the colour itself."""
    rgb = [int(color[k : k + 2], 16) for k in (1, 3, 5)]
    return "rgb(" + ",".join(str(int(255 - (255 - c) * strength)) for c in rgb) + ")"


def _share(x: float) -> str:
    return f"{x:.0%}" if x >= 0.1 else f"{x:.1%}"


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _f(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.3f}"


def _e(x) -> str:
    return html.escape(str(x), quote=True)
