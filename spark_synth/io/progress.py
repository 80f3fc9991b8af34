"""Progress of long Spark steps, logged: tasks done, rows (when known), rate and time left.

`with progress(spark, "generate flights", rows=10_000_000): df.write...` tags the jobs of the
block with a job group and logs every `every` seconds from a background thread, through the
`spark_synth` loggers (the CLI prints them; API users see them with logging configured). It
reads Spark's status tracker only (on Spark Connect, the progress the server streams to a
registered handler): nothing is collected, nothing changes in the jobs.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import contextmanager

from pyspark.sql import SparkSession

log = logging.getLogger("spark_synth.progress")
EVERY_SECONDS = 5.0


def task_counts(tracker, group: str) -> tuple[int, int]:
    """(tasks completed, tasks known) over the stages of the group's jobs."""
    done = total = 0
    for job in tracker.getJobIdsForGroup(group):
        info = tracker.getJobInfo(job)
        if info is None:
            continue
        for stage in info.stageIds:
            stage_info = tracker.getStageInfo(stage)
            if stage_info is not None:
                done += stage_info.numCompletedTasks
                total += stage_info.numTasks
    return done, total


def describe(what: str, done: int, total: int, elapsed: float, rows: int | None) -> str:
    """'generate flights: 12/40 tasks (30%), ~3.0 M of 10 M rows, 1.0 M rows/s, about 7 s left'."""
    share = done / total if total else 0.0
    parts = [f"{what}: {done}/{total} tasks ({share:.0%})"]
    if rows:
        made = rows * share
        parts.append(f"~{_count(made)} of {_count(rows)} rows")
        if elapsed > 0 and made:
            parts.append(f"{_count(made / elapsed)} rows/s")
    if 0 < share < 1:
        parts.append(f"about {elapsed * (1 - share) / share:.0f} s left")
    return ", ".join(parts)


def _count(x: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= size:
            return f"{x / size:.1f} {unit}"
    return f"{x:.0f}"


@contextmanager
def progress(spark: SparkSession, what: str, rows: int | None = None, every: float = EVERY_SECONDS):
    started = time.time()
    context = getattr(spark, "_sc", None)
    if context is not None:
        group = f"spark_synth-{uuid.uuid4().hex[:8]}"
        previous = context.getLocalProperty("spark.jobGroup.id")
        context.setJobGroup(group, what)
        tracker = context.statusTracker()
        counts = lambda: task_counts(tracker, group)  # noqa: E731
    else:  # Spark Connect: the server reports the running operation's stages to a handler
        seen = {"done": 0, "total": 0}

        def handler(stages, inflight_tasks, operation_id, done) -> None:
            if stages:
                seen["done"] = sum(stage.num_completed_tasks for stage in stages)
                seen["total"] = sum(stage.num_tasks for stage in stages)

        spark.registerProgressHandler(handler)
        counts = lambda: (seen["done"], seen["total"])  # noqa: E731
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(every):
            done, total = counts()
            if done:
                log.info(describe(what, done, total, time.time() - started, rows))

    thread = threading.Thread(target=report, name="spark_synth-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every)
        if context is not None:
            context.setLocalProperty("spark.jobGroup.id", previous or None)
        else:
            spark.removeProgressHandler(handler)
        elapsed = time.time() - started
        log.info(
            "%s: done in %.1f s%s", what, elapsed, f" ({_count(rows / elapsed)} rows/s)" if rows and elapsed > 0 else ""
        )
