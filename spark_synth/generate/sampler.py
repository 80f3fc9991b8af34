"""Sampling one block of rows from a model, in numpy; runs inside each Spark task.

For a block: correlated normals from the copula (one generator per column), uniforms through
the normal CDF, then columns in dependency order: a child with a conditional table turns its own
copula uniform into a code of P(child | parent code) plus a position inside that code, so it keeps
both the exact pairwise table and its rank correlation with the rest. Values come from
spark_synth.model.marginals, the same scale the fit used.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import types as T
from scipy.special import ndtr, ndtri

from spark_synth.generate.arrow import arrow_type, numbers_to_arrow, values_to_arrow
from spark_synth.generate.patterns import PatternSampler
from spark_synth.model.io import SynthModel, dependency_order
from spark_synth.model.marginals import U_MAX, FastQuantile, GuideTable, UniformScale, finish_values
from spark_synth.model.schema import (CategoricalColumn, ConstantColumn, IdColumn, NullColumn,
                                      NumericColumn, PatternColumn)
from spark_synth.seeding import BLOCK_ROWS, block_generator


def spark_type(column) -> T.DataType:
    return T._parse_datatype_json_string(column.spark_type)


def output_schema(model: SynthModel) -> T.StructType:
    return T.StructType([T.StructField(c.name, spark_type(c), c.nullable) for c in model.columns])


class ConditionalTable:
    """P(child code | parent code), flattened: parent p's cells live on [p, p+1), so one guide
    table over [0, parents) serves every parent at once."""

    def __init__(self, table: dict[str, dict[str, float]], parent_codes: int):
        self.has_row = np.zeros(parent_codes, dtype=bool)
        uppers, lowers, children = [], [], []
        last_upper = 0.0
        for parent in range(parent_codes):
            row = table.get(str(parent))
            if row:
                cells = sorted(row.items(), key=lambda kv: int(kv[0]))
                probs = np.array([p for _, p in cells], dtype=np.float64)
                cum = np.cumsum(probs) / probs.sum()
                cum[-1] = 1.0
                self.has_row[parent] = True
                lowers.extend(parent + np.concatenate([[0.0], cum[:-1]]))
                uppers.extend(parent + cum)
                children.extend(int(c) for c, _ in cells)
            else:  # a placeholder cell keeps the key space contiguous
                lowers.append(float(parent))
                uppers.append(parent + 1.0)
                children.append(0)
            last_upper = parent + 1.0
        self.parent_codes = parent_codes
        self.lowers = np.asarray(lowers)
        self.uppers = np.asarray(uppers)
        self.children = np.asarray(children, dtype=np.int64)
        self.guide = GuideTable(self.uppers / last_upper, size=min(max(4 * len(uppers), 64), 1 << 20))

    def sample(self, parent_codes: np.ndarray, u: np.ndarray):
        """(has a row, child code, position in [0,1) inside the child's cell) per row."""
        has_row = self.has_row[parent_codes]
        key = parent_codes + u
        index = self.guide.lookup(key / self.parent_codes)
        width = self.uppers[index] - self.lowers[index]
        position = np.clip((key - self.lowers[index]) / width, 0.0, U_MAX)
        return has_row, self.children[index], position


class BlockSampler:
    def __init__(self, model: SynthModel, seed: int):
        self.model = model
        self.seed = seed
        self.schema = output_schema(model)
        spec = model.spec
        self.copula_names = list(spec.copula.columns) if spec.copula else []
        self.scales = {n: UniformScale(model.column(n), spec.copula.bins) for n in self.copula_names}
        if self.copula_names:
            corr = np.asarray(spec.copula.correlation, dtype=np.float64)
            self.correlation = corr
            self.cholesky = np.linalg.cholesky(corr)
        self.copula_index = {name: j for j, name in enumerate(self.copula_names)}
        self.order = dependency_order(spec)
        self.parents = {d.child: d.parent for d in spec.dependencies}
        self.conditionals = {d.child: ConditionalTable(d.table, self.scales[d.parent].n_codes)
                             for d in spec.dependencies}
        self.numeric_parents = {d.parent for d in spec.dependencies if self.scales[d.parent].numeric}
        self.fast_quantiles = {c.name: FastQuantile(c.quantiles) for c in model.columns
                               if isinstance(c, NumericColumn)}
        self.patterns = {c.name: PatternSampler(c.pattern) for c in model.columns
                         if getattr(c, "pattern", None) is not None}

    # ------------------------------------------------------------------------------------------
    def batches(self, start: int, stop: int) -> Iterator[pa.RecordBatch]:
        """Record batches for global rows [start, stop): whole blocks drawn, then sliced."""
        for block in range(start // BLOCK_ROWS, (stop - 1) // BLOCK_ROWS + 1):
            base = block * BLOCK_ROWS
            lo, hi = max(start, base) - base, min(stop, base + BLOCK_ROWS) - base
            batch = self.block(block)
            yield batch.slice(lo, hi - lo) if (lo, hi) != (0, BLOCK_ROWS) else batch

    def block(self, block: int) -> pa.RecordBatch:
        n = BLOCK_ROWS
        rngs = {c.name: block_generator(self.seed, c.name, block) for c in self.model.columns}
        arrays: dict[str, pa.Array] = {}
        if self.copula_names:
            normals = np.empty((len(self.copula_names), n))
            for j, name in enumerate(self.copula_names):
                rngs[name].standard_normal(n, out=normals[j])
            z = (self.cholesky @ normals).T
            codes: dict[str, np.ndarray] = {}
            positions: dict[str, np.ndarray] = {}  # normal scores of positions inside cells
            for name in self.order:
                scale = self.scales[name]
                u = self._final_uniform(name, z, codes, positions)
                codes[name] = scale.code_of_uniform(u)
                if name in self.numeric_parents:
                    positions[name] = ndtri(np.clip(scale.position_in_code(codes[name], u), 1e-12, U_MAX))
                arrays[name] = self._copula_values(self.model.column(name), scale, u, codes[name], rngs[name])
        first_row = block * BLOCK_ROWS
        for column in self.model.columns:
            if column.name not in arrays:
                arrays[column.name] = self._independent_values(column, rngs[column.name], n, first_row)
        return pa.RecordBatch.from_arrays([arrays[f.name] for f in self.schema.fields],
                                          names=[f.name for f in self.schema.fields])

    def _final_uniform(self, name: str, z: np.ndarray, codes: dict, positions: dict) -> np.ndarray:
        """The column's u: its copula draw, or for a tree child a draw from P(child | parent)."""
        j = self.copula_index[name]
        if name not in self.conditionals:
            return np.minimum(ndtr(z[:, j]), U_MAX)
        parent = self.parents[name]
        p = self.copula_index[parent]
        rho = self.correlation[j, p]
        spread = np.sqrt(max(1.0 - rho * rho, 1e-9))
        # The table needs a uniform independent of the parent: the child's copula residual given
        # the parent, which keeps its rank link to everything else the copula ties it to.
        free = np.minimum(ndtr((z[:, j] - rho * z[:, p]) / spread), U_MAX)
        has_row, child, position = self.conditionals[name].sample(codes[parent], free)
        if parent in self.numeric_parents:
            # Inside its cell the child follows the parent's position with the copula
            # correlation, so tails stay together (big delays with big delays).
            position = np.minimum(ndtr(rho * positions[parent] + spread * ndtri(position)), U_MAX)
        u = self.scales[name].uniform_in_code(child, position)
        if not has_row.all():  # parent codes without a (privacy-filtered) row: copula draw
            u = np.where(has_row, u, np.minimum(ndtr(z[:, j]), U_MAX))
        return u

    # ------------------------------------------------------------------------------------------
    def _copula_values(self, column, scale: UniformScale, u: np.ndarray, codes: np.ndarray,
                       rng: np.random.Generator) -> pa.Array:
        data_type = spark_type(column)
        if isinstance(column, CategoricalColumn):
            k = len(column.values)
            index = codes - 1  # -1 = null, 0..k-1 categories, k = rare remainder
            other = np.flatnonzero(index == k)
            if len(other) == 0:
                return values_to_arrow(column.values, index, data_type)
            drawn = self.patterns[column.name].draw(rng, len(other))
            index = index.copy()
            index[other] = k + np.arange(len(other))
            dictionary = pa.concat_arrays([pa.array(column.values, type=pa.string()), drawn])
            indices = pa.array(np.where(index < 0, 0, index).astype(np.int32), mask=index < 0)
            return pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()
        values = finish_values(column, scale.non_null_position(u), self.fast_quantiles[column.name])
        return numbers_to_arrow(values, codes == 0, data_type)

    def _independent_values(self, column, rng: np.random.Generator, n: int, first_row: int) -> pa.Array:
        data_type = spark_type(column)
        if isinstance(column, NullColumn):
            return pa.nulls(n, type=arrow_type(data_type))
        is_null = rng.random(n) < column.null_fraction
        if isinstance(column, PatternColumn):
            strings = self.patterns[column.name].draw(rng, n)
            return pc.if_else(pa.array(is_null), pa.scalar(None, pa.string()), strings) if is_null.any() else strings
        if isinstance(column, ConstantColumn):
            if isinstance(column.value, (int, float)) and not isinstance(column.value, bool):
                return numbers_to_arrow(np.full(n, column.value), is_null, data_type)
            return values_to_arrow([column.value], np.where(is_null, -1, 0), data_type)
        if isinstance(column, IdColumn):
            rows = np.arange(first_row, first_row + n, dtype=np.int64)
            return numbers_to_arrow(column.start + rows * column.step, is_null, data_type)
        raise TypeError(f"column {column.name!r} of kind {column.kind!r} must be sampled by the copula")
