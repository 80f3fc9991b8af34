"""One run per output target: a lease beside the target, held while the run writes and publishes.

A scheduler that fires twice, or an orchestrator's retry while the first attempt still runs,
would otherwise do the work twice and publish twice. The lease (".NAME.lease" beside NAME) names
its holder (run id, host, process, start) and carries a heartbeat (its modification time) that a
thread of the holder's driver refreshes every HEARTBEAT_SECONDS. A second run of the same target
is refused with the holder's name and the heartbeat's age, unless the heartbeat is older than
STALE_SECONDS (the holder died): then it takes the lease over and says so. A lease file that
cannot be read is treated as stale, and said so. The file steps run on the Spark driver (the
engine's ServerOps/Leases), so Spark Connect behaves the same.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager

from spark_synth.errors import GenerateError

log = logging.getLogger("spark_synth.lease")
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0


def stale_seconds() -> float:
    """STALE_SECONDS, or SPARK_SYNTH_LEASE_STALE_SECONDS (tests and impatient schedulers)."""
    return float(os.environ.get("SPARK_SYNTH_LEASE_STALE_SECONDS", STALE_SECONDS))


def heartbeat_seconds() -> float:
    return min(HEARTBEAT_SECONDS, stale_seconds() / 4)


class LeaseHeld(GenerateError):
    """Another live run holds the target."""


def holder_text(run: str) -> str:
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"run={run}\nhost={socket.gethostname()}\npid={os.getpid()}\nstarted={started}\n"


def describe_holder(text: str) -> str:
    """'run 3f2a… (host h, process 123, started …), last heartbeat 4 s ago' from the op's answer."""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    age = int(fields.get("age_ms", "0")) / 1000
    return (
        f"run {fields.get('run', '?')} (host {fields.get('host', '?')}, process {fields.get('pid', '?')}, "
        f"started {fields.get('started', '?')}), last heartbeat {age:.0f} s ago"
    )


@contextmanager
def leased(files, target: str, lease_path: str):
    """Hold the lease of `target` for the block; yields a `check()` that raises when the lease was
    lost (taken over after a stall), to call before publishing."""
    run = uuid.uuid4().hex[:12]
    stale_ms = int(stale_seconds() * 1000)
    answer = files.lease(lease_path, "lease_acquire", holder=holder_text(run), stale_ms=str(stale_ms))
    status, _, rest = answer.partition("\n")
    if status == "held":
        raise LeaseHeld(
            f"output {target} is being written by another run: {describe_holder(rest)}. Wait for it to finish, "
            f"or, if it died, rerun after {stale_seconds():.0f} s without a heartbeat (its lease is then taken over)"
        )
    if status == "taken over":
        reason, _, previous = rest.partition("\n")
        log.warning(
            "took over the lease of %s: %s%s", target, reason, f" ({describe_holder(previous)})" if previous else ""
        )
    stop = threading.Event()
    lost: list[str] = []

    def beat() -> None:
        while not stop.wait(heartbeat_seconds()):
            try:
                answer = files.lease(lease_path, "lease_heartbeat", run=run)
            except Exception as exc:  # a failed heartbeat is retried; staleness decides
                log.warning("lease heartbeat for %s failed: %s", target, exc)
                continue
            if answer:
                lost.append(answer)
                return

    thread = threading.Thread(target=beat, name="spark_synth-lease", daemon=True)
    thread.start()

    def check() -> None:
        answer = lost[0] if lost else files.lease(lease_path, "lease_heartbeat", run=run)
        if answer:
            _, _, holder = answer.partition("\n")
            who = describe_holder(holder + "age_ms=0") if holder else "nobody"
            raise LeaseHeld(
                f"output {target}: this run's lease was taken over (now held by {who}) while it wrote; "
                "nothing was published"
            )

    try:
        yield check
    finally:
        stop.set()
        thread.join(timeout=heartbeat_seconds() + 5)
        files.lease(lease_path, "lease_release", run=run)
