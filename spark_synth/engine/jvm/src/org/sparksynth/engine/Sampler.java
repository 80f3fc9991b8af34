package org.sparksynth.engine;

import org.apache.spark.sql.execution.vectorized.WritableColumnVector;

/**
 * Fills column vectors with the rows [first, first + n) of one (plan, seed).
 *
 * The copula is sampled as a Gaussian tree (semantics in spark_synth/plan/compiler.py): the
 * tree roots get correlated normals (draw 0 of their streams, Cholesky over the roots only);
 * each Chow-Liu child, in dependency order, uses draw 0 of its stream as the uniform that picks
 * its code from P(child code | parent code), then (numbers) its place inside that code; u ->
 * code -> value. Columns outside the copula use their own streams.
 */
final class Sampler {
    static final double POSITION_FLOOR = 1e-12;

    private final Plan plan;
    private final long seed;
    private final long[] streams;
    private final int capacity;
    /** Independent normals of the roots, by place in the Cholesky factor. */
    private final double[][] normals;
    /** Correlated normals of the roots, by variable index (null for children). */
    private final double[][] z;
    private final int[][] codes;
    /** Normal-scale place inside its code, by variable index, for parents of numeric children. */
    private final double[][] positions;
    /** Normal score among non-null values (NaN: null), by variable index, for regressors (plan keep_score). */
    private final double[][] scores;
    /** Per column: the dictionary of a categorical string column, else null. */
    private final StringDictionary[] dictionaries;
    private final double[] u;
    /** A child with per-parent-code quantiles: each row's cell of the conditional table (-1: none). */
    private final int[] cells;
    /** ... and its place in its parent code's quantile function (NaN: use the marginal's bins). */
    private final double[] within;
    /** A child with a second parent: each row's row of its second table (a stored pair's, or its parent code's rest). */
    private final int[] secondRows;
    private final double[] scratchFree;
    private final long[] scratchExact;
    /** Per column: the bijection of a unique column under this seed, else null. */
    private final UniqueKeys[] uniques;
    /** Per column: a relational key column's program under this seed, else null. */
    private final Keys.Column[] keys;
    /** Per variable: {a^-1, b, n} of the permutation that drives it, else null. */
    private final long[][] drivenBy;
    /** Per column built from the row's names (plan "compose"): this sampler's working state, else null. */
    private final Compose.Scratch[] composing;
    /**
     * Per column a Compose reads: the byte array each row's string was written from (shared
     * arrays for categories and vocabulary words, so Compose folds each word once), else null.
     */
    private final byte[][][] written;
    /** Columns with a place, postcodes first (a city reads its postcode's shape), and their draw streams. */
    private final int[] placed;
    private final long[] placeStreams;
    /** Per placed column: its state column's group, and whether it is the group's first (it computes the ZIP codes). */
    private final int[] placeGroup;
    private final boolean[] placeGroupFirst;
    private final int[][] placeZips;
    /** Per column: its stages' names for StageClock (profiling only). */
    private final String[] drawStage;
    private final String[] writeStage;

    Sampler(Plan plan, long seed, int capacity) {
        this.plan = plan;
        this.seed = seed;
        this.capacity = capacity;
        streams = new long[plan.columns.length];
        drawStage = new String[plan.columns.length];
        writeStage = new String[plan.columns.length];
        for (int i = 0; i < streams.length; i++) {
            streams[i] = Rng.stream(seed, plan.columns[i].key);
            drawStage[i] = "draw " + plan.columns[i].name;
            writeStage[i] = "write " + plan.columns[i].name;
        }
        int d = plan.order.length;
        normals = new double[plan.dimension][capacity];
        z = new double[d][];
        codes = new int[d][capacity];
        positions = new double[d][];
        scores = new double[d][];
        for (Plan.Variable v : plan.order) {
            if (v.keepScore) {
                scores[v.index] = new double[capacity];
            }
            if (v.root >= 0) {
                z[v.index] = new double[capacity];
            }
            if (v.keepPosition) {
                positions[v.index] = new double[capacity];
            }
        }
        dictionaries = new StringDictionary[plan.columns.length];
        for (int c = 0; c < plan.columns.length; c++) {
            Plan.ColumnSpec spec = plan.columns[c];
            if ("copula".equals(spec.source) && !spec.numeric && spec.output.kind == Output.Kind.STRING
                    && spec.variants == null) {
                dictionaries[c] = new StringDictionary(spec.strings);
            }
        }
        u = new double[capacity];
        cells = new int[capacity];
        within = new double[capacity];
        secondRows = new int[capacity];
        scratchFree = new double[capacity];
        scratchExact = new long[capacity];
        uniques = new UniqueKeys[plan.columns.length];
        keys = new Keys.Column[plan.columns.length];
        for (int c = 0; c < plan.columns.length; c++) {
            if (plan.columns[c].unique != null) {
                uniques[c] = new UniqueKeys(plan.columns[c].unique, streams[c]);
            }
            if (plan.columns[c].keyProgram != null) {
                keys[c] = new Keys.Column(plan.columns[c].keyProgram, seed, plan.columns[c].output);
            }
        }
        composing = new Compose.Scratch[plan.columns.length];
        written = new byte[plan.columns.length][][];
        for (int c = 0; c < plan.columns.length; c++) {
            Compose compose = plan.columns[c].compose;
            if (compose != null) {
                composing[c] = new Compose.Scratch();
                for (int source : new int[] {compose.given, compose.family}) {
                    if (source >= 0 && written[source] == null) {
                        written[source] = new byte[capacity][];
                    }
                }
            }
        }
        placed = java.util.stream.IntStream.range(0, plan.columns.length)
                .filter(c -> plan.columns[c].place != null)
                .boxed().sorted(java.util.Comparator.comparing(c -> plan.columns[c].place.postcode ? 0 : 1))
                .mapToInt(Integer::intValue).toArray();
        placeStreams = new long[placed.length];
        placeGroup = new int[placed.length];
        placeGroupFirst = new boolean[placed.length];
        java.util.Map<Integer, Integer> groups = new java.util.HashMap<>();
        for (int i = 0; i < placed.length; i++) {
            Place place = plan.columns[placed[i]].place;
            placeStreams[i] = Rng.stream(seed, place.key);
            Integer group = groups.get(place.state);
            placeGroupFirst[i] = group == null;
            if (group == null) {
                group = groups.size();
                groups.put(place.state, group);
            }
            placeGroup[i] = group;
        }
        placeZips = new int[groups.size()][capacity];
        drivenBy = new long[d][];
        for (Plan.Variable v : plan.order) {
            if (v.driven) {
                long[] p = Keys.permutation(seed, v.rankStream, v.rankRows);
                drivenBy[v.index] = new long[] {Keys.inverse(p), p[1], p[2]};
            }
        }
    }

    void fill(WritableColumnVector[] vectors, long first, int n) {
        if (n > capacity) {
            throw new IllegalArgumentException("chunk of " + n + " rows exceeds capacity " + capacity);
        }
        long clock = StageClock.start();
        correlatedRoots(first, n);
        for (byte[][] column : written) {
            if (column != null) {
                java.util.Arrays.fill(column, 0, n, null);
            }
        }
        clock = StageClock.lap("tree roots: correlated normals", clock);
        for (Plan.Variable v : plan.order) {
            if (v.table == null) {
                root(v, n);
            } else {
                child(v, first, n);
            }
            clock = StageClock.lap(drawStage[v.column], clock);
            Plan.ColumnSpec spec = plan.columns[v.column];
            if (keys[v.column] != null) {
                continue; // drawn for its children, written by its key program
            }
            if (dictionaries[v.column] != null) {
                strings(spec, streams[v.column], dictionaries[v.column], vectors[v.column], codes[v.index], first, n,
                        written[v.column]);
            } else {
                write(spec, v, streams[v.column], vectors[v.column], codes[v.index], first, n, written[v.column]);
            }
            clock = StageClock.lap(writeStage[v.column], clock);
        }
        for (int c = 0; c < plan.columns.length; c++) {
            Plan.ColumnSpec spec = plan.columns[c];
            if (keys[c] != null) {
                keys[c].fill(vectors[c], spec.output, first, n);
            } else if (spec.compose == null && !"copula".equals(spec.source)) {
                independent(spec, streams[c], uniques[c], vectors[c], first, n, written[c]);
            }
        }
        clock = StageClock.lap("keys and columns outside the tree", clock);
        for (int i = 0; i < placed.length; i++) { // over the columns' own values, once the state is written
            int c = placed[i];
            Place place = plan.columns[c].place;
            int[] zip = placeZips[placeGroup[i]];
            if (placeGroupFirst[i]) { // before its postcode part writes: the row's ZIP code, for every part
                place.zipIndices(placeStreams[i], vectors, zip, first, n);
            }
            place.fill(placeStreams[i], zip, vectors[c], dictionaries[c], first, n);
        }
        clock = StageClock.lap("places", clock);
        for (int c = 0; c < plan.columns.length; c++) { // last: they read the row's other columns
            if (composing[c] != null) {
                plan.columns[c].compose.fill(plan.columns[c], streams[c], vectors, written, vectors[c], first, n,
                        composing[c]);
            }
        }
        clock = StageClock.lap("composed columns", clock);
        if (plan.rules != null) { // after every column: rules read the row's written values
            plan.rules.apply(vectors, first, n, seed, dictionaries);
        }
        StageClock.lap("rules", clock);
    }

    private void correlatedRoots(long first, int n) {
        int d = plan.dimension;
        for (Plan.Variable v : plan.roots) {
            long stream = streams[v.column];
            double[] e = normals[v.root];
            if (v.driven) {
                long[] driving = drivenBy[v.index];
                for (int r = 0; r < n; r++) {
                    e[r] = Normal.inverse(1.0 - (rank(driving, first + r) + 0.5) / v.rankRows);
                }
                continue;
            }
            if (v.warpFrom != null) {
                for (int r = 0; r < n; r++) {
                    e[r] = Normal.inverse(v.warp(Rng.openUniform(Rng.bits(stream, first + r))));
                }
                continue;
            }
            for (int r = 0; r < n; r++) {
                e[r] = Normal.inverse(Rng.openUniform(Rng.bits(stream, first + r)));
            }
            if (v.positioned) { // ids are written in row order: this root follows the row's place
                double rho = v.positionRho;
                double spread = v.positionSpread;
                double rows = (double) v.positionRows;
                for (int r = 0; r < n; r++) {
                    double place = Normal.inverse((first + r + 0.5) / rows);
                    e[r] = rho * place + spread * e[r];
                }
            }
        }
        double[] l = plan.cholesky;
        for (int i = 0; i < d; i++) {
            double[] out = z[plan.roots[i].index];
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

    /**
     * Popularity rank of a parent row under the driving foreign key: the child's "popular" index
     * is permute(rank), so rank = a^-1 * (row - b) mod n ({inverse, b, n} of that permutation).
     */
    static long rank(long[] driving, long row) {
        long x = Math.floorMod(row - driving[1], driving[2]);
        if (driving[2] < (1L << 31)) {
            return driving[0] * x % driving[2];
        }
        return java.math.BigInteger.valueOf(driving[0]).multiply(java.math.BigInteger.valueOf(x))
                .mod(java.math.BigInteger.valueOf(driving[2])).longValue();
    }

    /** A tree root: u = Phi(z), its code, and its place inside the code if a child needs it. */
    private void root(Plan.Variable v, int n) {
        double[] zj = z[v.index];
        int[] code = codes[v.index];
        for (int r = 0; r < n; r++) {
            u[r] = Math.min(Normal.cdf(zj[r]), Plan.U_MAX);
        }
        for (int r = 0; r < n; r++) {
            code[r] = v.codes.lookup(u[r]);
        }
        if (v.keepPosition) {
            double[] edges = v.edges;
            double[] pos = positions[v.index];
            for (int r = 0; r < n; r++) {
                double lo = edges[code[r]];
                double width = edges[code[r] + 1] - lo;
                double p = width > 0 ? (u[r] - lo) / width : 0.5;
                pos[r] = Normal.inverse(Math.min(Math.max(p, POSITION_FLOOR), Plan.U_MAX));
            }
        }
    }

    /**
     * A Chow-Liu child: its code from P(child | parent code) with its own uniform; a number also
     * gets a place inside its code, tied to the parent's place when the parent is numeric.
     */
    private void child(Plan.Variable v, long first, int n) {
        int[] code = codes[v.index];
        int[] parentCode = codes[v.parent];
        double[] edges = v.edges;
        ConditionalTable table = v.table;
        long stream = streams[v.column];
        double[] free = scratchFree;
        for (int r = 0; r < n; r++) {
            free[r] = Rng.openUniform(Rng.bits(stream, first + r));
        }
        if (v.regressionParent >= 0) {
            regress(v, parentCode, free, n);
        }
        boolean numeric = plan.columns[v.column].numeric;
        boolean hasWithin = v.withinDoubles != null || v.withinExact != null;
        // A second parent: where the pair of codes has a stored row, its draw (same uniform) is
        // the child's; the first table draws the other rows. draw() writes each row's place
        // inside the drawn code over its uniform (a number needs it).
        boolean second = v.secondTable != null;
        if (second) {
            drawGivenTwo(v, parentCode, free, code, numeric, hasWithin, n);
        }
        if (v.regressionParent >= 0) {
            table.drawInOrder(parentCode, free, code, free, hasWithin ? cells : null, n);
        } else {
            table.draw(parentCode, free, code, numeric ? free : null, hasWithin ? cells : null, n, second);
        }
        for (int r = 0; r < n; r++) {
            if (code[r] < 0) { // no (privacy-filtered) table row for this parent code: the marginal
                int c = v.codes.lookup(free[r]);
                code[r] = c;
                double lower = edges[c];
                double upper = edges[c + 1];
                free[r] = upper > lower ? (free[r] - lower) / (upper - lower) : 0.5;
            }
        }
        if (!numeric) {
            return; // a categorical child is done once its code is drawn
        }
        for (int r = 0; r < n; r++) {
            free[r] = Math.min(Math.max(free[r], POSITION_FLOOR), Plan.U_MAX);
        }
        if (v.parentNumeric) {
            // Inside its code the child follows the parent's place with the edge's correlation.
            double[] parentPosition = positions[v.parent];
            double[] own = v.keepPosition ? positions[v.index] : null;
            double rho = v.rho;
            double spread = v.spread;
            for (int r = 0; r < n; r++) {
                double x = rho * parentPosition[r] + spread * Normal.inverse(free[r]);
                if (own != null) {
                    own[r] = x;
                }
                free[r] = Math.min(Math.max(Normal.cdf(x), POSITION_FLOOR), Plan.U_MAX);
            }
        } else if (v.keepPosition) {
            double[] own = positions[v.index];
            for (int r = 0; r < n; r++) {
                own[r] = Normal.inverse(free[r]);
            }
        }
        for (int r = 0; r < n; r++) {
            int c = code[r];
            double lo = edges[c];
            u[r] = lo + free[r] * (edges[c + 1] - lo);
        }
        if (hasWithin) {
            double[] low = v.withinLow;
            double[] high = v.withinHigh;
            for (int r = 0; r < n; r++) {
                int p = parentCode[r];
                if (cells[r] < 0 || code[r] == 0 || p >= low.length) {
                    within[r] = Double.NaN;
                    continue;
                }
                double w = table.withinParent(cells[r], free[r]);
                within[r] = w >= low[p] && w <= high[p] ? w : Double.NaN; // NaN bounds: no function
            }
        }
    }

    /** A regressor's normal score among its non-null values (RegressorScores); NaN where null. */
    private void keepScores(Plan.ColumnSpec c, Plan.Variable v, int[] code, double[] doubles, long[] exacts, int n) {
        double[] out = scores[v.index];
        RegressorScores scoring = c.regressorScores;
        for (int r = 0; r < n; r++) {
            if (code[r] == 0) {
                out[r] = Double.NaN;
            } else if (exacts != null) {
                out[r] = scoring.ofExact(exacts[r]);
            } else {
                out[r] = scoring.of(doubles[r]);
            }
        }
    }

    /**
     * A regression parent (docs/plan.md §6 step 3c): the child's uniform among its non-null
     * values in its parent code's row becomes Phi(rho * s + sqrt(1 - rho^2) * Phi^-1(w)), s the
     * regressor's score standardized inside the parent code, or (with bands) the inverse of the
     * CDF of the band that holds that score, or (with a second regressor whose score t is not
     * null) Phi(rho2 * s + beta * t + spread2 * Phi^-1(w)), t standardized inside the parent code
     * as s is (v17); the null share and a null regressor's rows keep their uniform, except that
     * with_nulls (v18) places the row over its whole uniform, the nulls its lowest places, so the
     * regressor decides them too.
     */
    private void regress(Plan.Variable v, int[] parentCode, double[] free, int n) {
        double[] score = scores[v.regressionParent];
        double[] mean = v.regressionMean;
        double[] scale = v.regressionScale;
        double[] nullShares = v.regressionNullShare;
        double rho = v.regressionRho;
        double spread = v.regressionSpread;
        double[] bandEdges = v.regressionBandEdges;
        double[][] bandCdf = v.regressionBandCdf;
        boolean withNulls = v.regressionWithNulls;
        double[] also = v.alsoParent >= 0 ? scores[v.alsoParent] : null;
        double alsoRho = v.alsoRho;
        double alsoBeta = v.alsoBeta;
        double alsoSpread = v.alsoSpread;
        double[] alsoMean = v.alsoMean;
        double[] alsoScale = v.alsoScale;
        double marginalNull = v.edges[1];
        for (int r = 0; r < n; r++) {
            double s = score[r];
            if (s != s) {
                continue;
            }
            int p = parentCode[r];
            double nullShare = nullShares[p] < 0.0 ? marginalNull : nullShares[p];
            double x = free[r];
            if (withNulls) {
                // The nulls are the row's lowest places: the line places the row over all of it.
                if (nullShare < 1.0) {
                    double whole = Math.min(Math.max(x, POSITION_FLOOR), Plan.U_MAX);
                    double line = Normal.cdf(rho * (s - mean[p]) / scale[p] + spread * Normal.inverse(whole));
                    free[r] = Math.min(line, Plan.U_MAX);
                }
                continue;
            }
            if (x < nullShare || nullShare >= 1.0) {
                continue;
            }
            double w = Math.min(Math.max((x - nullShare) / (1.0 - nullShare), POSITION_FLOOR), Plan.U_MAX);
            double g;
            if (bandEdges != null) {
                g = bandInverse(bandCdf[band(bandEdges, (s - mean[p]) / scale[p])], w);
            } else if (also != null && also[r] == also[r]) {
                double t = (also[r] - alsoMean[p]) / alsoScale[p];
                g = Normal.cdf(alsoRho * (s - mean[p]) / scale[p] + alsoBeta * t + alsoSpread * Normal.inverse(w));
            } else {
                g = Normal.cdf(rho * (s - mean[p]) / scale[p] + spread * Normal.inverse(w));
            }
            free[r] = Math.min(nullShare + (1.0 - nullShare) * g, Plan.U_MAX);
        }
    }

    /** The band of a score: how many edges are at or below it. */
    static int band(double[] edges, double score) {
        int b = 0;
        while (b < edges.length && edges[b] <= score) {
            b++;
        }
        return b;
    }

    /**
     * The inverse of a band's piecewise-linear CDF (its values at 0, 1/J, .., 1) at w: within the
     * first place j whose upper value passes w, linear, so a place the band never holds is skipped.
     */
    static double bandInverse(double[] cdf, double w) {
        int places = cdf.length - 1;
        int j = 1;
        while (j < places && !(cdf[j] > w)) {
            j++;
        }
        double below = cdf[j - 1];
        double mass = cdf[j] - below;
        double inside = mass > 0.0 ? Math.min(Math.max((w - below) / mass, 0.0), 1.0) : 0.5;
        return (j - 1 + inside) / places;
    }

    /**
     * Each row's child code from P(child | parent code, second parent code), or from its parent
     * code's rest row where the pair has no row (-1 where that is empty too), its place over its
     * uniform and, for `within`, the cell of the first table with that child code.
     */
    private void drawGivenTwo(Plan.Variable v, int[] parentCode, double[] free, int[] code, boolean numeric,
            boolean hasWithin, int n) {
        int[] second = codes[v.secondParent];
        int[] dense = v.secondRowOf;
        long[] keys = v.secondKeys;
        int width = v.secondCodes;
        int rest = keys.length; // then the parent code's rest row (empty: the first table draws)
        for (int r = 0; r < n; r++) {
            int key = parentCode[r] * width + second[r];
            int row = dense != null ? dense[key] : java.util.Arrays.binarySearch(keys, (long) key);
            secondRows[r] = row >= 0 ? row : rest + parentCode[r];
        }
        v.secondTable.draw(secondRows, free, code, numeric ? free : null, hasWithin ? cells : null, n, false);
        if (hasWithin) {
            int[] firstCell = v.secondFirstCell;
            for (int r = 0; r < n; r++) {
                if (code[r] >= 0) {
                    cells[r] = cells[r] < 0 ? -1 : firstCell[cells[r]];
                }
            }
        }
    }

    private void write(Plan.ColumnSpec c, Plan.Variable v, long stream, WritableColumnVector vector, int[] code,
                       long first, int n, byte[][] written) {
        Output out = c.output;
        if (c.numeric) {
            double perNotNull = c.pNull < 1.0 ? 1.0 / (1.0 - c.pNull) : 0.0;
            int[] parentCode = v.parent >= 0 ? codes[v.parent] : null;
            if (c.exact != null) {
                exact(c, v, parentCode, vector, code, n, perNotNull);
                return;
            }
            double[] values = scratchFree;
            QuantileFunction[] own = v.withinDoubles;
            for (int r = 0; r < n; r++) {
                double x;
                int p = own != null ? parentCode[r] : -1;
                if (p < 0 || p >= own.length || own[p] == null) {
                    x = c.quantiles.at(position(c, u[r], perNotNull));
                } else if (within[r] == within[r]) {
                    x = own[p].at(within[r]);
                } else { // the category's tails: the marginal's bins, kept near the category
                    x = Math.min(Math.max(c.quantiles.at(position(c, u[r], perNotNull)), v.tailLow[p]), v.tailHigh[p]);
                }
                values[r] = finish(c, x);
            }
            if (v.gridShare != null) { // per parent code (docs/plan.md §3): its own grid where it has one
                double[] steps = v.gridStep;
                double[] shares = v.gridShare;
                for (int r = 0; r < n; r++) {
                    int p = parentCode[r];
                    boolean ownGrid = p >= 0 && p < shares.length && shares[p] == shares[p];
                    double share = ownGrid ? shares[p] : c.gridStep == c.gridStep ? c.gridShare : 0.0;
                    double step = ownGrid ? steps[p] : c.gridStep;
                    if (share > 0.0 && Rng.uniform(Rng.bits(stream, first + r, 1)) < share) {
                        values[r] = Math.min(Math.max(onGrid(values[r], step, 1.0 / step), c.min), c.max);
                    }
                }
            } else if (c.gridStep == c.gridStep) {
                for (int r = 0; r < n; r++) {
                    if (Rng.uniform(Rng.bits(stream, first + r, 1)) < c.gridShare) {
                        values[r] = Math.min(Math.max(onGrid(values[r], c.gridStep, 1.0 / c.gridStep), c.min), c.max);
                    }
                }
            }
            out.numbers(vector, values, code, n); // null where code == 0
            if (v.keepScore) {
                keepScores(c, v, code, values, null, n);
            }
            return;
        }
        int k = c.categoryCount;
        for (int r = 0; r < n; r++) {
            int index = code[r] - 1;
            if (index < 0) {
                vector.putNull(r);
            } else if (index < k) {
                out.category(vector, r, c, index);
                if (written != null && out.kind == Output.Kind.STRING) {
                    written[r] = c.strings[index];
                }
            } else {
                byte[] drawn = rare(c, stream, first + r, index - k);
                vector.putByteArray(r, drawn);
                if (written != null) {
                    written[r] = drawn;
                }
            }
        }
    }

    /** An exact column in integer arithmetic: 64-bit, or BigInteger for wide decimals. */
    private void exact(Plan.ColumnSpec c, Plan.Variable v, int[] parentCode, WritableColumnVector vector,
                       int[] code, int n, double perNotNull) {
        ExactNumbers numbers = c.exact;
        if (numbers.big()) { // beyond 64 bits: no per-category functions (the fit keeps the bins)
            for (int r = 0; r < n; r++) {
                if (code[r] == 0) {
                    vector.putNull(r);
                } else {
                    c.output.bigDecimal(vector, r, numbers.atBig(position(c, u[r], perNotNull)));
                }
            }
            if (v.keepScore) { // no score beyond 64 bits: its regressing children keep their uniforms
                java.util.Arrays.fill(scores[v.index], 0, n, Double.NaN);
            }
            return;
        }
        long[] values = scratchExact;
        ExactNumbers[] own = v.withinExact;
        for (int r = 0; r < n; r++) {
            int p = own != null ? parentCode[r] : -1;
            if (p < 0 || p >= own.length || own[p] == null) {
                values[r] = numbers.at(position(c, u[r], perNotNull));
            } else if (within[r] == within[r]) {
                values[r] = own[p].at(within[r]);
            } else { // the category's tails: the marginal's bins, kept near the category
                values[r] = Math.min(Math.max(numbers.at(position(c, u[r], perNotNull)), v.exactTailLow[p]),
                        v.exactTailHigh[p]);
            }
        }
        c.output.exacts(vector, values, code, n);
        if (v.keepScore) {
            keepScores(c, v, code, null, values, n);
        }
    }

    /**
     * Where a copula u falls among the non-null values, in [0, 1]. A null row (u < pNull) gets
     * u / pNull: its *fallback* value, written under the null flag, which only a null rule that
     * keeps the column's null rate can reveal (docs/plan.md §7, §12).
     */
    static double position(Plan.ColumnSpec c, double u, double perNotNull) {
        if (u < c.pNull) {
            return Math.min(Math.max(u / c.pNull, 0.0), 1.0);
        }
        return Math.min(Math.max((u - c.pNull) * perNotNull, 0.0), 1.0);
    }

    /** A categorical string column: dictionary ids, no copies of the category bytes. */
    private static void strings(Plan.ColumnSpec c, long stream, StringDictionary dictionary,
                                WritableColumnVector vector, int[] code, long first, int n, byte[][] written) {
        if (!vector.hasDictionary()) {
            vector.setDictionary(dictionary);
        }
        dictionary.clearDrawn();
        WritableColumnVector ids = vector.reserveDictionaryIds(n);
        int k = c.categoryCount;
        for (int r = 0; r < n; r++) {
            int index = code[r] - 1;
            if (index < 0) {
                vector.putNull(r);
            } else if (index < k) {
                ids.putInt(r, index);
                if (written != null) {
                    written[r] = c.strings[index];
                }
            } else {
                byte[] drawn = rare(c, stream, first + r, index - k);
                ids.putInt(r, dictionary.addDrawn(drawn));
                if (written != null) {
                    written[r] = drawn;
                }
            }
        }
    }

    /** The string of a code past the categories: its variant's draw, or the rare remainder's pattern. */
    private static byte[] rare(Plan.ColumnSpec c, long stream, long row, int past) {
        return (c.variants != null ? c.variants[past] : c.pattern).draw(stream, row, 1);
    }

    /** A value of the quantile function rounded to the column's step and places, clipped to its range. */
    static double finish(Plan.ColumnSpec c, double x) {
        if (c.step == c.step) {
            x = onGrid(x, c.step, c.perStep);
        }
        if (c.decimalScale == c.decimalScale) {
            double scaled = x * c.decimalScale;
            x = Math.abs(scaled) < ON_GRID_ALREADY ? Math.rint(scaled) / c.decimalScale : x;
        }
        return Math.min(Math.max(x, c.min), c.max);
    }

    /** Beyond 2^52 steps every double is a whole number of steps: leave it (and never overflow). */
    private static final double ON_GRID_ALREADY = 0x1p52;

    /** The nearest multiple of step (perStep = 1 / step). */
    static double onGrid(double x, double step, double perStep) {
        double steps = x * perStep;
        return Math.abs(steps) < ON_GRID_ALREADY ? Math.rint(steps) * step : x;
    }

    private static void independent(Plan.ColumnSpec c, long stream, UniqueKeys unique, WritableColumnVector vector,
                                    long first, int n, byte[][] written) {
        switch (c.source) {
            case "null" -> vector.putNulls(0, n);
            case "pattern" -> {
                for (int r = 0; r < n; r++) {
                    long row = first + r;
                    if (isNull(c, stream, row)) {
                        vector.putNull(r);
                    } else {
                        byte[] drawn = c.pattern.draw(stream, row, 1);
                        vector.putByteArray(r, drawn);
                        if (written != null) {
                            written[r] = drawn;
                        }
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
            case "unique" -> {
                boolean integers = unique.integers();
                for (int r = 0; r < n; r++) {
                    long row = first + r;
                    if (isNull(c, stream, row)) {
                        vector.putNull(r);
                    } else if (integers) {
                        c.output.exact(vector, r, unique.integer(row));
                    } else {
                        vector.putByteArray(r, unique.string(row));
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
