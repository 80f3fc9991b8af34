package org.sparksynth.engine;

/**
 * P(child code | parent code) as one alias table per parent code (Walker's method, Vose's
 * construction): a draw costs one guide-free random access. Parent p's slots are
 * rowStart[p] until rowStart[p + 1] (empty = no table row, privacy-filtered). With
 * x = u * count, slot k = floor(x) keeps its own child when frac(x) < threshold[k], else gives
 * its alias's child; the leftover of frac(x) inside that choice is again uniform, which is the
 * child's place inside its code. The order of u is not kept, and need not be: in the tree
 * copula a child's uniform is independent of every other column.
 */
final class ConditionalTable {
    private final int[] rowStart;
    /** Per slot: threshold (float bits) << 32 | own child code. */
    private final long[] slots;
    /** Per slot: the alias's child code. */
    private final int[] aliasChildren;
    /** Per slot: the alias's cell. */
    private final int[] aliasCells;
    private final double[] cumulative;
    private final int[] children;
    /** Per cell: (before - nulls) / (1 - nulls) and mass / (1 - nulls) of its parent code's row. */
    private double[] withinOffset;
    private double[] withinScale;

    ConditionalTable(int[] rowStart, double[] cumulative, int[] children) {
        this.rowStart = rowStart;
        this.cumulative = cumulative;
        this.children = children;
        int cells = children.length;
        slots = new long[cells];
        aliasChildren = new int[cells];
        aliasCells = new int[cells];
        double[] scaled = new double[cells];
        int[] small = new int[cells];
        int[] large = new int[cells];
        for (int p = 0; p + 1 < rowStart.length; p++) {
            int first = rowStart[p];
            int count = rowStart[p + 1] - first;
            int smallCount = 0;
            int largeCount = 0;
            for (int i = first; i < first + count; i++) {
                double probability = cumulative[i] - (i == first ? 0.0 : cumulative[i - 1]);
                scaled[i] = probability * count;
                if (scaled[i] < 1.0) {
                    small[smallCount++] = i;
                } else {
                    large[largeCount++] = i;
                }
            }
            double[] threshold = new double[count];
            int[] alias = new int[count];
            while (smallCount > 0 && largeCount > 0) {
                int s = small[--smallCount];
                int l = large[--largeCount];
                threshold[s - first] = scaled[s];
                alias[s - first] = l;
                scaled[l] = scaled[l] + scaled[s] - 1.0;
                if (scaled[l] < 1.0) {
                    small[smallCount++] = l;
                } else {
                    large[largeCount++] = l;
                }
            }
            while (largeCount > 0) {
                int l = large[--largeCount];
                threshold[l - first] = 1.0;
                alias[l - first] = l;
            }
            while (smallCount > 0) { // rounding leftovers: full slots
                int s = small[--smallCount];
                threshold[s - first] = 1.0;
                alias[s - first] = s;
            }
            for (int k = 0; k < count; k++) {
                int slot = first + k;
                slots[slot] = ((long) Float.floatToIntBits((float) threshold[k]) << 32) | (children[slot] & 0xffffffffL);
                aliasChildren[slot] = children[alias[k]];
                aliasCells[slot] = alias[k];
            }
        }
        withinScales();
    }

    /**
     * Child codes of n rows from their parents' codes and uniforms: -1 where the parent code has
     * no table row. With places != null, also each row's uniform place inside its draw.
     */
    /**
     * Where a child's draw falls inside its parent code's distribution of non-null children:
     * offset + place * scale with offset = (P(cells before) - P(null)) / (1 - P(null)) and
     * scale = P(cell) / (1 - P(null)), cells in child-code order, clipped to [0, 1].
     * Uniform on [0, 1] when the place is, and monotone in (cell, place): the child's place in
     * its parent code's own quantile function.
     */
    /** How many parent codes the table has rows for (some may be empty). */
    int parentCodes() {
        return rowStart.length - 1;
    }

    double withinParent(int cell, double place) {
        double w = withinOffset[cell] + place * withinScale[cell];
        return Math.min(Math.max(w, 0.0), 1.0);
    }

    private void withinScales() {
        withinOffset = new double[children.length];
        withinScale = new double[children.length];
        for (int p = 0; p + 1 < rowStart.length; p++) {
            int first = rowStart[p];
            if (rowStart[p + 1] == first) {
                continue;
            }
            double nulls = children[first] == 0 ? cumulative[first] : 0.0;
            for (int cell = first; cell < rowStart[p + 1]; cell++) {
                double before = cell > first ? cumulative[cell - 1] : 0.0;
                withinOffset[cell] = (before - nulls) / (1.0 - nulls);
                withinScale[cell] = (cumulative[cell] - before) / (1.0 - nulls);
            }
        }
    }

    void draw(int[] parentCodes, double[] uniforms, int[] childOut, double[] places, int n) {
        draw(parentCodes, uniforms, childOut, places, null, n, false);
    }

    /**
     * As above; cellsOut (if not null) gets each row's cell (an index into the plan's cells), -1
     * without a row. With onlyMissing, rows whose childOut is already a code (>= 0, drawn from a
     * second parent's table) are left as they are.
     */
    void draw(int[] parentCodes, double[] uniforms, int[] childOut, double[] places, int[] cellsOut, int n,
            boolean onlyMissing) {
        for (int r = 0; r < n; r++) {
            if (onlyMissing && childOut[r] >= 0) {
                continue;
            }
            int p = parentCodes[r];
            int first = rowStart[p];
            int count = rowStart[p + 1] - first;
            if (count == 0) {
                childOut[r] = -1;
                if (cellsOut != null) {
                    cellsOut[r] = -1;
                }
                continue;
            }
            double x = uniforms[r] * count;
            int k = Math.min((int) x, count - 1);
            double frac = x - k;
            long slot = slots[first + k];
            double threshold = Float.intBitsToFloat((int) (slot >>> 32));
            boolean own = frac < threshold;
            childOut[r] = own ? (int) slot : aliasChildren[first + k];
            if (cellsOut != null) {
                cellsOut[r] = own ? first + k : aliasCells[first + k];
            }
            if (places != null) {
                places[r] = own ? frac / threshold : (frac - threshold) / (1.0 - threshold);
            }
        }
    }

    /**
     * As draw(), by inverse CDF (a binary search of the row's cumulative probabilities, cells in
     * child-code order) instead of the alias table: monotone in the uniform, so a regression
     * child's uniform, tied to its regressor, moves its code the same way (docs/plan.md §6 step 3c).
     */
    void drawInOrder(int[] parentCodes, double[] uniforms, int[] childOut, double[] places, int[] cellsOut, int n) {
        for (int r = 0; r < n; r++) {
            int p = parentCodes[r];
            int first = rowStart[p];
            int end = rowStart[p + 1];
            if (end == first) {
                childOut[r] = -1;
                if (cellsOut != null) {
                    cellsOut[r] = -1;
                }
                continue;
            }
            double x = uniforms[r];
            int lo = first;
            int hi = end - 1;
            while (lo < hi) { // the first cell whose cumulative probability exceeds x
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] > x) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            childOut[r] = children[lo];
            if (cellsOut != null) {
                cellsOut[r] = lo;
            }
            if (places != null) {
                double before = lo > first ? cumulative[lo - 1] : 0.0;
                double mass = cumulative[lo] - before;
                places[r] = mass > 0 ? Math.min(Math.max((x - before) / mass, 0.0), 1.0) : 0.5;
            }
        }
    }
}
