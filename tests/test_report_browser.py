"""The report as a reader sees it: rendered by headless Chromium at a desktop and a phone width.
No sideways scrolling, every SVG text inside its chart, every section there, and the numbers in
the charts' tooltips equal to report.json's.

Chromium is Debian's `chromium` package (.ci/run installs it). Without it the test skips and says
why, except under CI=true, where a missing browser fails."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
SECTIONS = [
    "Columns, worst first",
    "Associations: real, synthetic and their difference",
    "The worst pairs, pictured",
    "Worst column pairs",
    "Null rates",
    "Privacy",
    "Realism and identity",
    "Rules",
]

# Run inside the page after layout; the results go to the wrapper page (FRAME), which prints
# them for --dump-dom. The report sits in an iframe of the width under test: a headless window
# cannot be narrower than 500 px.
FRAME = """<!doctype html><html><body style='margin:0'>
<iframe src='report.html' style='width:{width}px;height:900px;border:0'></iframe>
<script>window.addEventListener('message', e => {{
  const pre = document.createElement('pre'); pre.id = 'checks'; pre.textContent = e.data;
  document.body.replaceChildren(pre);
}});</script></body></html>"""
CHECKS = """
<script>
window.addEventListener('load', () => {
  const out = {width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
               sections: [...document.querySelectorAll('h2')].map(h => h.textContent),
               outside: [], tooltips: {}};
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        out.outside.push([svg.dataset.chart, t.textContent]);
    }
    out.tooltips[svg.dataset.chart] = [...svg.querySelectorAll('title')].map(t => t.textContent);
  }
  parent.postMessage(JSON.stringify(out), '*');
});
</script>
"""


def chromium() -> str:
    found = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if found is None:
        message = "no Chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def rendered(browser: str, report: str, folder, width: int) -> dict:
    """The checks' results for `report` (the page's HTML) shown `width` px wide."""
    (folder / "report.html").write_text(report.replace("</body>", CHECKS + "</body>"), encoding="utf-8")
    page = folder / "frame.html"
    page.write_text(FRAME.format(width=width), encoding="utf-8")
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={width + 100},1000",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"<pre id=\"checks\">(.*?)</pre>", done.stdout, re.S)
    assert found, f"Chromium printed no checks (exit {done.returncode}): {done.stderr[-2000:]}"
    import html

    return json.loads(html.unescape(found.group(1)))


def _fixture(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    carriers = [f"C{i}" for i in range(16)]
    weights = 1 / np.arange(1, 17)
    carrier = rng.choice(carriers, rows, p=weights / weights.sum())
    delay = np.rint(rng.exponential(15, rows) - 5 + (carrier == "C0") * 20).astype(int)
    delay[rng.random(rows) < 0.004] = 1200
    distance = np.rint(rng.lognormal(6.5, 0.7, rows)).astype(int) + 17
    frame = pd.DataFrame(
        {
            "carrier": carrier,
            "carrier_name": [f"Airline {c[1:]}" for c in carrier],  # a rule: carrier -> carrier_name
            "month": rng.integers(1, 13, rows),
            "delay": delay,
            "arrival_delay": delay + rng.integers(-10, 10, rows),
            "distance": distance,
            "air_time": np.rint(distance / 8 + rng.normal(0, 5, rows)),
            "day": [dt.date(2013, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 365, rows)],
            "year": 2013,  # no variation
            "tail": [f"N{rng.integers(10_000, 99_999)}" for _ in range(rows)],  # identifiers: "(other)"
        }
    )
    frame.loc[rng.random(rows) < 0.03, "arrival_delay"] = None
    return frame


@pytest.fixture(scope="module")
def report_dir(spark, tmp_path_factory):
    from spark_synth import evaluate, fit, generate

    real = spark.createDataFrame(_fixture(3000, 1))
    model = fit(real, table="fixture_flights")
    synthetic = generate(spark, model, rows=3000, seed=3)
    out = tmp_path_factory.mktemp("report")
    evaluate(real, synthetic, model, about={"real": "fixture", "synthetic": "generated"}).save(out)
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_the_report_reads_well_in_chromium(report_dir, tmp_path, width):
    browser = chromium()
    seen = rendered(browser, (report_dir / "report.html").read_text(encoding="utf-8"), tmp_path, width)
    details = json.loads((report_dir / "report.json").read_text())

    assert seen["width"] == width
    assert seen["scrollWidth"] <= width, "the page scrolls sideways"
    assert seen["outside"] == [], "SVG text outside its chart"
    assert [s for s in SECTIONS if s not in seen["sections"]] == []

    tips = seen["tooltips"]
    for column, dist in details["distributions"].items():
        shown = tips[f"column:{column}"]
        labels = dist.get("labels") or [None] * len(dist["real"])
        expected = [
            (r, s)
            for label, r, s in zip(labels, dist["real"], dist["synthetic"])
            if label != "(other)"  # written under the chart, not drawn
        ]
        got = [tuple(float(x) / 100 for x in re.findall(r"real ([\d.]+)%, synthetic ([\d.]+)%", t)[0]) for t in shown]
        np.testing.assert_allclose(got, expected, atol=5.01e-6, err_msg=column)
    pairs = {" × ".join(p["columns"]): p for p in details["pairs"]}
    assert "year: no variation in the real data" in tips["heatmap:real"]
    real_map = [t for t in tips["heatmap:real"] if " × " in t]
    assert real_map, "the association map has cells"
    for tip in real_map:
        names, value = tip.rsplit(": ", 1)
        a, b = names.split(" × ")
        pair = pairs.get(f"{a} × {b}") or pairs[f"{b} × {a}"]
        assert float(value) == pytest.approx(pair["real_value"], abs=5e-4)
    hist = details["privacy"]["distance_to_closest_record"]["histogram"]
    dcr = [
        tuple(float(x) / 100 for x in re.findall(r"synthetic ([\d.]+)%, hold-out ([\d.]+)%", t)[0]) for t in tips["dcr"]
    ]
    np.testing.assert_allclose(dcr, list(zip(hist["synthetic"], hist["holdout"])), atol=5.01e-5)
    assert details["pair_pictures"], "the worst pairs are pictured"
    for picture in details["pair_pictures"]:
        assert picture["pooled"] <= 0.5 and "tail" not in picture["columns"]
        key = " × ".join(picture["columns"])
        for side in ("real", "synthetic"):
            cells = [float(t.rsplit(" ", 1)[1].rstrip("%")) / 100 for t in tips[f"pair:{key}:{side}"]]
            np.testing.assert_allclose(cells, np.ravel(picture[side]), atol=5.01e-6)
