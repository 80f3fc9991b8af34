"""Cost model: what 10^10 rows cost at 100 and 1,000 cores, from scale_bench's measured rates.

Reads docs/results/scale.json (written by scripts/scale_bench.py) and writes
docs/results/cost_model.md/.json. Nothing here is measured anew: every input figure is the scale
bench's, and the page states which and the assumptions that turn rates per core into cluster
times (docs/performance.md explains them):

- CPU bound: generation is embarrassingly parallel (no shuffle, no join; each task owns a row
  range), so time = rows / (cores x rate per core), the rate per core measured on 2 cores (it
  includes the 1 -> 2 core efficiency; the cluster's rate per core is shown beside it);
- I/O bound: the cluster's storage absorbs bytes at some aggregate bandwidth; the page gives the
  bytes to write and the bandwidth per core above which the job stays CPU bound;
- the rates are the largest runs' (10^9 to noop, 10^8 to Parquet), past every fixed cost.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

TARGET_ROWS = 10**10
CLUSTERS = (100, 1000)


def largest(runs: list[dict]) -> dict:
    return max(runs, key=lambda r: r["rows"])


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default=str(ROOT / "docs" / "results" / "scale.json"))
    args = parser.parse_args()
    from results import table, write_results

    scale = json.loads(Path(args.scale).read_text(encoding="utf-8"))
    data = scale["data"]
    cores_used = 2  # scale_bench runs local[2]
    efficiency = min(1.0, data["cores"]["speedup"] / 2) if data.get("cores") else 1.0
    sinks = {"noop": largest(data["noop"])}
    for codec, runs in data.get("parquet", {}).items():
        sinks[f"Parquet {codec}"] = largest(runs)
    lines, model = [], {}
    for sink, run in sinks.items():
        per_core = run["rows"] / run["seconds"] / cores_used
        core_hours = TARGET_ROWS / per_core / 3600
        bytes_per_row = run.get("bytes", 0) / run["rows"]
        row = {"rows_per_core_s": per_core, "core_hours": core_hours, "bytes_per_row": bytes_per_row}
        cells = [sink, f"{run['rows']:,}", f"{per_core / 1e6:.2f} M", f"{core_hours:,.1f}"]
        for cores in CLUSTERS:
            seconds = TARGET_ROWS / (cores * per_core)
            row[f"seconds_at_{cores}"] = seconds
            cells.append(hours(seconds))
        if bytes_per_row:
            total = bytes_per_row * TARGET_ROWS
            per_core_bandwidth = bytes_per_row * per_core
            row.update(total_bytes=total, bandwidth_per_core=per_core_bandwidth)
            cells += [f"{total / 2**40:.2f} TiB", f"{per_core_bandwidth / 2**20:.1f} MiB/s"]
        else:
            cells += ["", ""]
        lines.append(cells)
        model[sink] = row
    cluster = data.get("cores", {}).get("cluster")
    cluster_line = ""
    if cluster:
        ratio = data["cores"]["local[2]"]["seconds"] / cluster["seconds"]
        cluster_line = (
            f"\nThe standalone cluster (2 workers x 1 core) ran the same rows at {ratio:.2f}x local[2]'s "
            "rate per core: the rate per core carries from one JVM to several."
        )
        model["cluster_vs_local"] = ratio
    header = ["sink", "measured at rows", "rows/s per core", "core-hours for 10^10"]
    header += [f"time at {c:,} cores" for c in CLUSTERS] + [
        "bytes for 10^10",
        "storage bandwidth per core to stay CPU bound",
    ]
    fits = data.get("fit") or []
    fit_line = ""
    if fits:
        f = largest(fits)
        per_core = f["rows"] / f["fit"]["seconds"] / cores_used
        fit_line = (
            f"\nFit: {f['rows']:,} rows in {f['fit']['seconds']:.0f} s on {cores_used} cores "
            f"({per_core / 1e6:.2f} M rows/s per core): a 10^10-row table is {TARGET_ROWS / per_core / 3600:,.1f} "
            "core-hours of fitting (its passes scale with rows like generation; merged statistics fit each "
            "slice once, docs/merge.md)."
        )
        model["fit_rows_per_core_s"] = per_core
    body = (
        f"From [scale.md](scale.md) ({scale['date']}, commit {scale['commit']}): rates per core of the largest runs "
        f"on 2 cores. They include the parallel efficiency from 1 to 2 cores ({efficiency:.2f}) and are assumed to "
        "hold at any core count, as the cluster run below suggests.\n\n"
        + table(header, lines)
        + "\n"
        + cluster_line
        + fit_line
        + "\n\nAssumptions: CPU bound unless the storage cannot take the bandwidth in the last column per core "
        "(then time = bytes / aggregate bandwidth); cores as fast as this machine's; no shuffle or join, so no "
        "network between tasks; task start-up (about a second per task) amortised over row ranges of at least "
        "10^7 rows per task. docs/performance.md discusses them."
    )
    write_results("cost_model", "Cost model: 10^10 rows at 100 and 1,000 cores", body, data=model)


if __name__ == "__main__":
    main()
