"""Progress of long Spark steps, logged: tasks done, rows (when known), rate and time left.

`with progress(spark, "generate flights", rows=10_000_000): df.write...` tags the jobs of the
block with a job group and logs every `every` seconds from a background thread, through the
`spark_synth` loggers (the CLI prints them; API users see them with logging configured). It
reads Spark's status tracker only (on Spark Connect, the progress the server streams to a
registered handler): nothing is collected, nothing changes in the jobs. On classic sessions the
lines and the closing summary also count failed task attempts (Spark retried them) and name the
executors lost meanwhile, so a rescued run does not look like a clean one; Spark Connect's
progress stream carries no failures.
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


def task_counts(tracker, group: str) -> tuple[int, int, int]:
    """(tasks completed, tasks known, task attempts failed) over the stages of the group's jobs."""
    done = total = failed = 0
    for job in tracker.getJobIdsForGroup(group):
        info = tracker.getJobInfo(job)
        if info is None:
            continue
        for stage in info.stageIds:
            stage_info = tracker.getStageInfo(stage)
            if stage_info is not None:
                done += stage_info.numCompletedTasks
                total += stage_info.numTasks
                failed += stage_info.numFailedTasks
    return done, total, failed


def executors(context) -> set[str]:
    """host:port of the executors the driver knows now (classic sessions; the driver included)."""
    try:
        infos = context._jsc.sc().statusTracker().getExecutorInfos()
        return {f"{info.host()}:{info.port()}" for info in infos}
    except Exception:  # a gateway without the call: retries are still counted
        return set()


def retries(failed: int, lost: set[str]) -> str:
    """'; 3 failed task attempts were retried, executors lost: h:1' or '' for a clean run."""
    parts = []
    if failed:
        parts.append(
            f"{failed} failed task attempt{'s' if failed > 1 else ''} {'were' if failed > 1 else 'was'} retried"
        )
    if lost:
        parts.append(f"{len(lost)} executor{'s' if len(lost) > 1 else ''} lost ({', '.join(sorted(lost))})")
    return "; " + ", ".join(parts) if parts else ""


def describe(what: str, done: int, total: int, elapsed: float, rows: int | None, failed: int = 0) -> str:
    """'generate flights: 12/40 tasks (30%), ~3.0 M of 10 M rows, 1.0 M rows/s, about 7 s left'
    (and ', 2 failed attempts retried' when tasks failed)."""
    share = done / total if total else 0.0
    parts = [f"{what}: {done}/{total} tasks ({share:.0%})"]
    if rows:
        made = rows * share
        parts.append(f"~{_count(made)} of {_count(rows)} rows")
        if elapsed > 0 and made:
            parts.append(f"{_count(made / elapsed)} rows/s")
    if 0 < share < 1:
        parts.append(f"about {elapsed * (1 - share) / share:.0f} s left")
    if failed:
        parts.append(f"{failed} failed attempt{'s' if failed > 1 else ''} retried")
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
        known = executors(context)
        watch = lambda: known.update(executors(context))  # noqa: E731
    else:  # Spark Connect: the server reports the running operation's stages (no failures)
        seen = {"done": 0, "total": 0}

        def handler(stages, inflight_tasks, operation_id, done) -> None:
            if stages:
                seen["done"] = sum(stage.num_completed_tasks for stage in stages)
                seen["total"] = sum(stage.num_tasks for stage in stages)

        spark.registerProgressHandler(handler)
        counts = lambda: (seen["done"], seen["total"], 0)  # noqa: E731
        known = set()
        watch = lambda: None  # noqa: E731
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(every):
            watch()
            done, total, failed = counts()
            if done:
                log.info(describe(what, done, total, time.time() - started, rows, failed))

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
        failed = counts()[2]
        lost = known - executors(context) if context is not None else set()
        speed = f" ({_count(rows / elapsed)} rows/s)" if rows and elapsed > 0 else ""
        log.info("%s: done in %.1f s%s%s", what, elapsed, speed, retries(failed, lost))
