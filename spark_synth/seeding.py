"""Counter-based randomness: every random number is a pure function of (seed, column, block).

Rows are cut into fixed blocks of BLOCK_ROWS; each (seed, column, block) gets its own numpy
Generator from a SeedSequence. A task that owns rows [a, b) draws exactly the blocks overlapping
them and slices, so output cannot depend on partitioning, executors, retries or re-runs.
Changing BLOCK_ROWS changes every generated value: treat it like a file-format constant.
"""

from __future__ import annotations

import hashlib

import numpy as np

BLOCK_ROWS = 1 << 16
MAX_SEED = (1 << 63) - 1


def stable_key(text: str) -> int:
    """64-bit key of a name that is the same in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def block_generator(seed: int, column: str, block: int) -> np.random.Generator:
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(stable_key(column), block))
    return np.random.Generator(np.random.PCG64(sequence))


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")
    return seed
