"""Counter-based randomness: every random number is a pure function of (seed, column, row, draw).

The JVM engine (spark_synth/engine/jvm, Rng.java) derives one 64-bit stream per column from
(seed, stable_key(column name)) and mixes the row index into it (SplitMix64), so output cannot
depend on partitioning, executors, retries or re-runs. Changing the scheme changes every
generated value: it is versioned with the engine (plan.ENGINE_VERSION).
"""

from __future__ import annotations

import hashlib

MAX_SEED = (1 << 63) - 1


def stable_key(text: str) -> int:
    """64-bit key of a name that is the same in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def stream_key(text: str) -> int:
    """stable_key as a signed 64-bit integer (a Java long): how plans carry stream keys."""
    key = stable_key(text)
    return key - (1 << 64) if key >= 1 << 63 else key


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")
    return seed
