package org.sparksynth.engine;

import org.apache.spark.sql.execution.vectorized.WritableColumnVector;

/**
 * Fills column vectors with the rows [first, first + n) of one (plan, seed).
 *
 * Per row: one normal per copula variable (draw 0 of its column's stream), correlated by the
 * Cholesky factor; then variables in dependency order: u = Phi(z), or for a Chow-Liu child a
 * draw from P(child code | parent code) using the child's copula residual given the parent;
 * u -> code -> value. Columns outside the copula use their own streams. Mirrors the semantics
 * documented in spark_synth/generate/plan.py.
 */
final class Sampler {
    private static final double POSITION_FLOOR = 1e-12;

    private final Plan plan;
    private final long[] streams;
    private final int capacity;
    private final double[][] normals;
    private final double[][] z;
    private final int[][] codes;
    private final double[][] positions;
    private final double[] u;
    private final double[] scratchFree;
    private final int[] scratchCells;

    Sampler(Plan plan, long seed, int capacity) {
        this.plan = plan;
        this.capacity = capacity;
        streams = new long[plan.columns.length];
        for (int i = 0; i < streams.length; i++) {
            streams[i] = Rng.stream(seed, plan.columns[i].key);
        }
        int d = plan.dimension;
        normals = new double[d][capacity];
        z = new double[d][capacity];
        codes = new int[d][capacity];
        positions = new double[d][];
        for (Plan.Variable v : plan.order) {
            if (v.keepPosition) {
                positions[v.index] = new double[capacity];
            }
        }
        u = new double[capacity];
        scratchFree = new double[capacity];
        scratchCells = new int[capacity];
    }

    void fill(WritableColumnVector[] vectors, long first, int n) {
        if (n > capacity) {
            throw new IllegalArgumentException("chunk of " + n + " rows exceeds capacity " + capacity);
        }
        correlatedNormals(first, n);
        for (Plan.Variable v : plan.order) {
            variable(v, vectors[v.column], first, n);
        }
        for (int c = 0; c < plan.columns.length; c++) {
            Plan.ColumnSpec spec = plan.columns[c];
            if (!"copula".equals(spec.source)) {
                independent(spec, streams[c], vectors[c], first, n);
            }
        }
    }

    private void correlatedNormals(long first, int n) {
        int d = plan.dimension;
        for (Plan.Variable v : plan.order) {
            long stream = streams[v.column];
            double[] e = normals[v.index];
            if (v.driven) {
                for (int r = 0; r < n; r++) {
                    e[r] = Normal.inverse(1.0 - (rank(v, first + r) + 0.5) / v.rankRows);
                }
                continue;
            }
            for (int r = 0; r < n; r++) {
                e[r] = Normal.inverse(Rng.openUniform(Rng.bits(stream, first + r)));
            }
        }
        double[] l = plan.cholesky;
        for (int i = 0; i < d; i++) {
            double[] out = z[i];
            java.util.Arrays.fill(out, 0, n, 0.0);
            for (int k = 0; k <= i; k++) {
                double weight = l[i * d + k];
                if (weight == 0.0) {
                    continue;
                }
                double[] e = normals[k];
                for (int r = 0; r < n; r++) {
                    out[r] += weight * e[r];
                }
            }
        }
    }

    /** Popularity rank of a parent row under the driving foreign key (keys.popularity_rank). */
    static long rank(Plan.Variable v, long row) {
        long x = Math.floorMod(row - v.rankOffset, v.rankRows);
        if (v.rankRows < (1L << 31)) {
            return v.rankInverse * x % v.rankRows;
        }
        return java.math.BigInteger.valueOf(v.rankInverse).multiply(java.math.BigInteger.valueOf(x))
                .mod(java.math.BigInteger.valueOf(v.rankRows)).longValue();
    }

    private void variable(Plan.Variable v, WritableColumnVector vector, long first, int n) {
        double[] zj = z[v.index];
        int[] code = codes[v.index];
        if (v.table == null) {
            for (int r = 0; r < n; r++) {
                u[r] = Math.min(Normal.cdf(zj[r]), Plan.U_MAX);
            }
        } else {
            conditionalUniforms(v, zj, code, n);
        }
        double[] edges = v.edges;
        if (v.table == null) {
            for (int r = 0; r < n; r++) {
                code[r] = v.codes.lookup(u[r]);
            }
        } // a tree child's code was drawn from its table (conditionalUniforms)
        if (v.keepPosition) {
            double[] pos = positions[v.index];
            for (int r = 0; r < n; r++) {
                double lo = edges[code[r]];
                double width = edges[code[r] + 1] - lo;
                double p = width > 0 ? (u[r] - lo) / width : 0.5;
                pos[r] = Normal.inverse(Math.min(Math.max(p, POSITION_FLOOR), Plan.U_MAX));
            }
        }
        write(plan.columns[v.column], streams[v.column], vector, code, first, n);
    }

    /** A tree child: P(child | parent code) sampled with the child's copula residual. */
    private void conditionalUniforms(Plan.Variable v, double[] zj, int[] code, int n) {
        double[] zp = z[v.parent];
        int[] parentCode = codes[v.parent];
        double[] parentPosition = v.parentNumeric ? positions[v.parent] : null;
        double rho = v.rho;
        double spread = v.spread;
        double[] edges = v.edges;
        ConditionalTable table = v.table;
        // Only numbers and numeric parents use the position inside the child's code; a
        // categorical child is done once its code is drawn.
        boolean needsPosition = plan.columns[v.column].numeric || v.keepPosition;
        // Separate simple passes: each loop body is short and branch-light, so the CPU overlaps
        // the table loads of many rows.
        double[] free = scratchFree;
        int[] cells = scratchCells;
        for (int r = 0; r < n; r++) {
            free[r] = Math.min(Normal.cdf((zj[r] - rho * zp[r]) / spread), Plan.U_MAX);
        }
        for (int r = 0; r < n; r++) {
            cells[r] = table.cell(parentCode[r], free[r]);
        }
        for (int r = 0; r < n; r++) {
            int cell = cells[r];
            if (cell < 0) { // no (privacy-filtered) table row for this parent: copula draw
                u[r] = Math.min(Normal.cdf(zj[r]), Plan.U_MAX);
                code[r] = v.codes.lookup(u[r]);
            } else {
                code[r] = table.child(cell);
            }
        }
        if (!needsPosition) {
            return;
        }
        for (int r = 0; r < n; r++) {
            int cell = cells[r];
            if (cell < 0) {
                continue;
            }
            double lower = table.lower(parentCode[r], cell);
            free[r] = Math.min(Math.max((free[r] - lower) / (table.upper(cell) - lower), 0.0), Plan.U_MAX);
        }
        if (parentPosition != null) {
            // Inside its cell the child follows the parent's position with the copula
            // correlation, so tails stay together (long delays with long delays).
            for (int r = 0; r < n; r++) {
                double inner = Normal.inverse(Math.max(free[r], POSITION_FLOOR));
                free[r] = Math.min(Normal.cdf(rho * parentPosition[r] + spread * inner), Plan.U_MAX);
            }
        }
        for (int r = 0; r < n; r++) {
            int cell = cells[r];
            if (cell >= 0) {
                int child = code[r];
                double lo = edges[child];
                u[r] = lo + free[r] * (edges[child + 1] - lo);
            }
        }
    }

    private void write(Plan.ColumnSpec c, long stream, WritableColumnVector vector, int[] code, long first, int n) {
        Output out = c.output;
        if (c.numeric) {
            double notNull = 1.0 - c.pNull;
            double[] values = scratchFree;
            for (int r = 0; r < n; r++) {
                double position = notNull > 0 ? Math.min(Math.max((u[r] - c.pNull) / notNull, 0.0), 1.0) : 0.0;
                values[r] = finish(c, position);
            }
            out.numbers(vector, values, code, n); // null where code == 0
            return;
        }
        int k = c.categoryCount;
        for (int r = 0; r < n; r++) {
            int index = code[r] - 1;
            if (index < 0) {
                vector.putNull(r);
            } else if (index < k) {
                out.category(vector, r, c, index);
            } else {
                vector.putByteArray(r, c.pattern.draw(stream, first + r, 1));
            }
        }
    }

    /** Quantile function, rounded to the column's step and places, clipped to its range. */
    static double finish(Plan.ColumnSpec c, double position) {
        double x = c.quantiles.at(position);
        if (c.step == c.step) {
            x = Math.rint(x / c.step) * c.step;
        }
        if (c.decimalScale == c.decimalScale) {
            x = Math.rint(x * c.decimalScale) / c.decimalScale;
        }
        return Math.min(Math.max(x, c.min), c.max);
    }

    private static void independent(Plan.ColumnSpec c, long stream, WritableColumnVector vector, long first, int n) {
        switch (c.source) {
            case "null" -> vector.putNulls(0, n);
            case "pattern" -> {
                for (int r = 0; r < n; r++) {
                    long row = first + r;
                    if (isNull(c, stream, row)) {
                        vector.putNull(r);
                    } else {
                        vector.putByteArray(r, c.pattern.draw(stream, row, 1));
                    }
                }
            }
            case "constant" -> {
                for (int r = 0; r < n; r++) {
                    if (isNull(c, stream, first + r)) {
                        vector.putNull(r);
                    } else {
                        c.output.category(vector, r, c, 0);
                    }
                }
            }
            case "id" -> {
                for (int r = 0; r < n; r++) {
                    long row = first + r;
                    if (isNull(c, stream, row)) {
                        vector.putNull(r);
                    } else {
                        c.output.integer(vector, r, c.idStart + row * c.idStep);
                    }
                }
            }
            default -> throw new IllegalStateException("column " + c.name + ": unknown source " + c.source);
        }
    }

    private static boolean isNull(Plan.ColumnSpec c, long stream, long row) {
        return c.nullFraction > 0 && Rng.uniform(Rng.bits(stream, row)) < c.nullFraction;
    }
}
