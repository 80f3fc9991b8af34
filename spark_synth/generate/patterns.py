"""Drawing strings from a learned PatternModel, vectorised in numpy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from spark_synth.model.schema import CLASS_CHARS, PatternModel, Shape


class _ShapeSampler:
    def __init__(self, shape: Shape):
        self.length = len(shape.shape)
        self.positions = []
        for pos, dist in enumerate(shape.positions):
            if dist is not None:
                chars = np.array([ord(c) for c in dist.chars], dtype=np.uint32)
                self.positions.append(("table", chars, _cumulative(list(dist.chars.values()))))
            elif shape.shape[pos] in CLASS_CHARS:
                self.positions.append(("class",) + CLASS_CHARS[shape.shape[pos]])
            else:
                self.positions.append(("literal", ord(shape.shape[pos])))
        self.prefix_length = shape.prefix_length if shape.prefixes else 0
        if self.prefix_length:
            self.prefixes = np.array([[ord(c) for c in p] for p in shape.prefixes], dtype=np.uint32)
            self.prefix_cum = _cumulative(list(shape.prefixes.values()))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        matrix = np.empty((n, self.length), dtype=np.uint32)
        for pos, spec in enumerate(self.positions):
            if spec[0] == "table":
                matrix[:, pos] = spec[1][_pick(spec[2], rng.random(n))]
            elif spec[0] == "class":
                matrix[:, pos] = spec[1] + rng.integers(0, spec[2], n, dtype=np.uint32)
            else:
                matrix[:, pos] = spec[1]
        if self.prefix_length:
            matrix[:, : self.prefix_length] = self.prefixes[_pick(self.prefix_cum, rng.random(n))]
        return matrix.view(f"<U{self.length}").ravel()


class PatternSampler:
    def __init__(self, model: PatternModel):
        self.shapes = [_ShapeSampler(s) for s in model.shapes]
        self.cumulative = _cumulative([s.probability for s in model.shapes])
        self.width = max(s.length for s in self.shapes)

    def draw(self, rng: np.random.Generator, n: int) -> pa.Array:
        choice = _pick(self.cumulative, rng.random(n))
        out = np.empty(n, dtype=f"<U{self.width}")
        for index, sampler in enumerate(self.shapes):
            rows = np.flatnonzero(choice == index)
            if len(rows):
                out[rows] = sampler.draw(rng, len(rows))
        return pa.array(out, type=pa.string())


def _cumulative(probabilities: list[float]) -> np.ndarray:
    cum = np.cumsum(np.asarray(probabilities, dtype=np.float64))
    return cum / cum[-1]


def _pick(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)
