"""report.html: one self-contained page (inline SVG, no scripts, no downloads) drawn from the
report's aggregates, worst columns and pairs first."""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime, timedelta

REAL, SYNTHETIC = "#1f6fb4", "#f28e2b"
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{margin:0 0 4px}h2{margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin-bottom:16px}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:26px}.card span{color:#666;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.panel{background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px}
.panel h3{margin:0 0 2px;font-size:14px}.panel .m{color:#666;font-size:12px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
.heat{display:flex;gap:24px;flex-wrap:wrap}
"""


def render(details: dict, title: str = "spark_synth evaluation") -> str:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<div class='sub'>Scores follow SDMetrics' definitions, computed by Spark over all rows; "
        "plots are drawn from aggregates, never from collected rows.</div>",
        _cards(details),
        _columns(details),
        _heatmaps(details),
        _pairs(details),
        _nulls(details),
        _privacy(details),
        _realism(details),
        _rules(details),
        _utility(details),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _cards(d: dict) -> str:
    cards = [
        ("overall score", d["score"]),
        ("Column Shapes", d["column_shapes"]),
        ("Column Pair Trends", d["column_pair_trends"]),
        ("Pair Trends, all pairs", d["column_pair_trends_all_pairs"]),
    ]
    copies = d.get("privacy", {}).get("exact_copies")
    out = [f"<div class='card'><b>{_f(v)}</b><span>{_e(k)}</span></div>" for k, v in cards]
    if copies:
        out.append(
            f"<div class='card'><b>{copies['copy_rate']:.2%}</b><span>rows copying a real row "
            f"(real duplicates {copies['real_duplicate_rate']:.2%})</span></div>"
        )
    util = d.get("utility")
    if util:
        out.append(
            f"<div class='card'><b>{_f(util['ratio'])}</b><span>utility ratio "
            f"({_e(util['metric'])} synthetic / real)</span></div>"
        )
    return "<div class='cards'>" + "".join(out) + "</div>"


def _columns(d: dict) -> str:
    dists = d.get("distributions", {})
    panels = []
    for col in d["columns"]:  # worst first
        dist = dists.get(col["column"])
        chart = _bars(dist) if dist else ""
        panels.append(
            f"<div class='panel'><h3>{_e(col['column'])}</h3><div class='m'>{_e(col['metric'])} "
            f"{_f(col['score'])}</div>{chart}</div>"
        )
    legend = (
        f"<div class='legend'><span style='background:{REAL}'></span>real"
        f"<span style='background:{SYNTHETIC}'></span>synthetic</div>"
    )
    return "<h2>Columns, worst first</h2>" + legend + "<div class='grid'>" + "".join(panels) + "</div>"


def _bars(dist: dict, width: int = 284, height: int = 170) -> str:
    """Grouped bars, real beside synthetic. A left margin holds the share axis (0 and the top
    value) and the first rotated label; the pooled "(other)" categories are written under the
    plot instead of drawn, so a large remainder does not flatten the top categories."""
    real, synth = list(dist["real"]), list(dist["synthetic"])
    labels = list(dist.get("labels") or [])
    other = None
    if labels and labels[-1] == "(other)":
        other = (real.pop(), synth.pop())
        labels.pop()
    n = len(real)
    if not n:
        return ""
    left, bottom = 34, 46
    plot_w, plot_h = width - left - 4, height - bottom - 8
    top = max(max(real), max(synth), 1e-12)
    slot = plot_w / n
    base = plot_h + 8
    shapes = []
    for i, (r, s) in enumerate(zip(real, synth)):
        x = left + i * slot
        for k, (v, color) in enumerate(((r, REAL), (s, SYNTHETIC))):
            h = plot_h * v / top
            shapes.append(
                f"<rect x='{x + 1 + k * (slot - 2) / 2:.1f}' y='{base - h:.1f}' "
                f"width='{max((slot - 2) / 2, 0.5):.1f}' height='{h:.1f}' fill='{color}'>"
                f"<title>{_e(_label(dist, i))}: real {r:.3%}, synthetic {s:.3%}</title></rect>"
            )
    axis = [
        f"<line x1='{left}' y1='8' x2='{left}' y2='{base}' stroke='#999'/>",
        f"<text x='{left - 3}' y='12' font-size='9' text-anchor='end'>{top:.0%}</text>"
        if top >= 0.1
        else f"<text x='{left - 3}' y='12' font-size='9' text-anchor='end'>{top:.1%}</text>",
        f"<text x='{left - 3}' y='{base}' font-size='9' text-anchor='end'>0</text>",
    ]
    if dist["kind"] == "histogram":
        axis += [
            f"<text x='{left}' y='{base + 14}' font-size='10'>{_e(_value(dist, dist['lo']))}</text>",
            f"<text x='{width - 4}' y='{base + 14}' font-size='10' text-anchor='end'>"
            f"{_e(_value(dist, dist['hi']))}</text>",
        ]
    else:
        every = max(1, -(-n // 16))  # at most 16 labels
        axis += [
            f"<text x='{left + (i + 0.5) * slot:.1f}' y='{base + 10}' font-size='9' text-anchor='end' "
            f"transform='rotate(-35 {left + (i + 0.5) * slot:.1f} {base + 10})'>{_e(lab[:10])}</text>"
            for i, lab in enumerate(labels)
            if i % every == 0
        ]
    if other is not None:
        axis.append(
            f"<text x='{left}' y='{height - 2}' font-size='9' fill='#555'>(other values): real "
            f"{other[0]:.1%}, synthetic {other[1]:.1%}</text>"
        )
    return (
        f"<svg width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
        f"<line x1='{left}' y1='{base}' x2='{width - 4}' y2='{base}' stroke='#999'/>"
        + "".join(shapes)
        + "".join(axis)
        + "</svg>"
    )


def _label(dist: dict, i: int) -> str:
    if dist["kind"] in ("categories", "values"):
        return dist["labels"][i]
    step = (dist["hi"] - dist["lo"]) / max(len(dist["real"]), 1)
    return f"{_value(dist, dist['lo'] + i * step)} .. {_value(dist, dist['lo'] + (i + 1) * step)}"


def _value(dist: dict, x: float) -> str:
    fam = dist.get("family")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    if fam == "date":
        return (epoch + timedelta(days=x)).strftime("%Y-%m-%d")
    if fam in ("timestamp", "timestamp_ntz"):
        return (epoch + timedelta(microseconds=x)).strftime("%Y-%m-%d %H:%M")
    return f"{x:.4g}"


def _heatmaps(d: dict) -> str:
    pairs = d.get("pairs", [])
    if not pairs:
        return ""
    names = list(dict.fromkeys(n for p in pairs for n in p["columns"]))
    index = {n: i for i, n in enumerate(names)}
    maps = []
    for key, caption in (("real_value", "real"), ("synthetic_value", "synthetic")):
        cell = 14
        pad = 110
        size = pad + cell * len(names)
        shapes = []
        for p in pairs:
            v = p.get(key)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            a, b = index[p["columns"][0]], index[p["columns"][1]]
            for i, j in ((a, b), (b, a)):
                shapes.append(
                    f"<rect x='{pad + j * cell}' y='{pad + i * cell}' width='{cell}' height='{cell}' "
                    f"fill='{_diverging(v)}'><title>{_e(p['columns'][0])} × {_e(p['columns'][1])}: "
                    f"{v:.3f}</title></rect>"
                )
        for i in range(len(names)):
            shapes.append(
                f"<rect x='{pad + i * cell}' y='{pad + i * cell}' width='{cell}' height='{cell}' fill='#333'/>"
            )
        labels = "".join(
            f"<text x='{pad - 4}' y='{pad + i * cell + 10}' font-size='10' text-anchor='end'>{_e(n[:16])}</text>"
            f"<text x='{pad + i * cell + 10}' y='{pad - 4}' font-size='10' transform='rotate(-60 {pad + i * cell + 10} {pad - 4})'>{_e(n[:16])}</text>"
            for i, n in enumerate(names)
        )
        maps.append(
            f"<div><b>{caption}</b><br><svg width='{size}' height='{size}'>{labels}{''.join(shapes)}</svg></div>"
        )
    return (
        "<h2>Associations: real vs synthetic</h2><div class='sub'>Pearson r for two numeric/datetime "
        "columns (blue −1 … red +1), Cramér's V otherwise (0 … red 1).</div><div class='heat'>"
        + "".join(maps)
        + "</div>"
    )


def _diverging(v: float) -> str:
    v = max(-1.0, min(1.0, v))
    if v >= 0:
        return f"rgb(255,{int(255 * (1 - v))},{int(255 * (1 - v))})"
    return f"rgb({int(255 * (1 + v))},{int(255 * (1 + v))},255)"


def _pairs(d: dict, limit: int = 20) -> str:
    rows = "".join(
        f"<tr><td>{_e(' × '.join(p['columns']))}</td><td>{_e(p['metric'])}</td><td>{_f(p['score'])}</td>"
        f"<td>{_f(p.get('real_value'))}</td><td>{_f(p.get('synthetic_value'))}</td>"
        f"<td>{'yes' if p['meets_filter'] else ''}</td></tr>"
        for p in d.get("pairs", [])[:limit]
    )
    return (
        "<h2>Worst column pairs</h2><table><tr><th>pair</th><th>metric</th><th>score</th><th>real</th>"
        f"<th>synthetic</th><th>in default filter</th></tr>{rows}</table>"
    )


def _nulls(d: dict) -> str:
    rows = "".join(
        f"<tr><td>{_e(c)}</td><td>{v['real']:.2%}</td><td>{v['synthetic']:.2%}</td></tr>"
        for c, v in d.get("null_rates", {}).items()
        if v["real"] or v["synthetic"]
    )
    return (
        f"<h2>Null rates</h2><table><tr><th>column</th><th>real</th><th>synthetic</th></tr>{rows}</table>"
        if rows
        else ""
    )


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
            "<table><tr><th>distance to closest real record</th><th>synthetic rows</th><th>real hold-out rows</th></tr>"
            f"<tr><td>median</td><td>{x['synthetic_median']:.4f}</td><td>{x['holdout_median']:.4f}</td></tr>"
            f"<tr><td>5th percentile</td><td>{x['synthetic_p05']:.4f}</td><td>{x['holdout_p05']:.4f}</td></tr>"
            f"<tr><td>share at distance 0</td><td>{x['synthetic_zero_share']:.2%}</td><td>{x['holdout_zero_share']:.2%}</td></tr>"
            "</table>"
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


def _realism(d: dict) -> str:
    r = d.get("realism") or {}
    if not r:
        return ""

    def share(x: dict, key: str) -> str:
        return "" if x.get(key) is None else format(x[key], ".2%")

    rows = "".join(
        f"<tr><td>{_e(c)}</td><td>{_e(x.get('type', ''))}</td><td>{share(x, 'valid')}</td>"
        f"<td>{share(x, 'valid_real')}</td><td>{x['equal_to_real']:.2%}</td><td>{share(x, 'chance_equal')}</td>"
        f"<td>{x['public']:.2%}</td><td>{share(x, 'near_miss')}</td>"
        f"<td>{_e(', '.join(f'{a} ~ {b}' for a, b in x.get('near_miss_examples', [])))}</td></tr>"
        for c, x in r.items()
    )
    return (
        "<h2>Realism and identity</h2><p>Per string column: its type (a public vocabulary, or the validator "
        "most real values pass: e-mail, phone, UUID, IP, URL, Luhn card number, IBAN...) and the share of "
        "synthetic and real values that pass it; synthetic rows equal to some real value, and for columns drawn "
        "from a vocabulary the share that drawing its words by chance explains; rows holding a public word no "
        "real row holds; near misses — within 2 edits of a real value without being it, a kept category or a "
        "public word (they look like corrupted data).</p>"
        "<table><tr><th>column</th><th>type</th><th>valid</th><th>valid (real)</th><th>equal to a real value</th>"
        "<th>by chance</th><th>public words</th><th>near misses</th><th>examples</th></tr>"
        f"{rows}</table>"
    )


def _rules(d: dict) -> str:
    rules = d.get("rules") or []
    if not rules:
        return ""

    def share(x) -> str:
        return "" if x is None else format(x, ".3%")

    rows = "".join(
        f"<tr><td>{_e(r['rule'])}</td><td>{_e(r['form'])}</td><td>{share(r['fitted_share'])}</td>"
        f"<td>{share(r['real'])}</td><td>{r['real_rows']:,}</td><td>{share(r['synthetic'])}</td>"
        f"<td>{r['synthetic_rows']:,}</td></tr>"
        for r in rules
    )
    return (
        "<h2>Rules</h2><p>Rules the model makes every generated row satisfy (null patterns, orderings, "
        "identities, valid dates, dependencies): the share of the rows each speaks of that satisfy it, in the "
        "real and the synthetic table (a mapping speaks of rows whose source values it holds).</p>"
        "<table><tr><th>rule</th><th>form</th><th>at fit</th><th>real</th><th>real rows</th><th>synthetic</th>"
        f"<th>synthetic rows</th></tr>{rows}</table>"
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
        f"{_e(u['metric'])} synthetic / real = <b>{_f(u['ratio'])}</b>.</p><table><tr><th>trained on</th>"
        f"<th colspan='2'>score on real hold-out</th></tr>{scores}</table>"
    )


def _f(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.3f}"


def _e(x) -> str:
    return html.escape(str(x), quote=True)
