"""Beyond the tree (fit/block.py): shares of a whole sampled as one Gaussian block."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spark_synth import fit, generate


def shares_table(seed: int, rows: int = 6000) -> pd.DataFrame:
    """Six shares that sum to 100 (every pair pulled negative together) and a count tied to one."""
    rng = np.random.default_rng(seed)
    shares = np.round(rng.dirichlet(np.full(6, 2.0), rows) * 100, 1)
    frame = pd.DataFrame({f"share{i + 1}": shares[:, i] for i in range(6)})
    frame["votes"] = np.round(np.exp(3 + shares[:, 0] / 25 + rng.normal(0, 0.3, rows))).astype(int)
    return frame


def _pair_error(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    columns = [c for c in real.columns if c.startswith("share")]
    r, s = real[columns].corr().to_numpy(), synthetic[columns].corr().to_numpy()
    upper = np.triu_indices(len(columns), 1)
    return float(np.abs(r - s)[upper].mean())


def test_shares_of_a_whole_keep_their_correlations_as_a_block(spark):
    real = shares_table(4)
    df = spark.createDataFrame(real)
    tree = fit(df, table="ratings", block="none")
    block = fit(df, table="ratings")  # block="auto" is the default
    children = {d.child for d in block.spec.dependencies}
    roots = [c for c in block.spec.copula.columns if c not in children]
    assert {f"share{i + 1}" for i in range(6)} <= set(roots)
    from_tree = generate(spark, tree, rows=len(real), seed=1).toPandas()
    from_block = generate(spark, block, rows=len(real), seed=1, partitions=3).toPandas()
    assert _pair_error(real, from_block) < 0.03 < _pair_error(real, from_tree)
    again = generate(spark, block, rows=len(real), seed=1, partitions=1).toPandas()
    pd.testing.assert_frame_equal(from_block, again)
    # the count still follows its share through the tree hanging from the block
    assert np.corrcoef(from_block["share1"], from_block["votes"])[0, 1] > 0.5
