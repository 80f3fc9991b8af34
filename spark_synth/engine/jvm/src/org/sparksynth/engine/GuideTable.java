package org.sparksynth.engine;

/**
 * Inverse-CDF lookup in O(1): the index of the first cell whose upper bound exceeds u
 * (numpy's searchsorted(uppers, u, 'right'), capped at the last cell). A guide array over
 * [0, 1) gives the starting cell; a few steps finish the search.
 */
final class GuideTable {
    private final double[] uppers;
    private final int[] start;
    private final int size;
    private final int last;

    GuideTable(double[] uppers) {
        this.uppers = uppers;
        this.size = Math.min(Math.max(16 * uppers.length, 256), 1 << 16);
        this.last = uppers.length - 1;
        this.start = new int[size];
        int cell = 0;
        for (int i = 0; i < size; i++) {
            double grid = (double) i / size;
            while (cell < uppers.length && uppers[cell] <= grid) {
                cell++;
            }
            start[i] = cell;
        }
    }

    int lookup(double u) {
        int slot = (int) (u * size);
        int i = Math.min(start[Math.min(Math.max(slot, 0), size - 1)], last);
        while (i < last && uppers[i] <= u) {
            i++;
        }
        return i;
    }

    /** First index whose cumulative value exceeds u, for short tables (binary search). */
    static int pick(double[] cumulative, double u) {
        return firstAbove(cumulative, 0, cumulative.length - 1, u);
    }

    /**
     * First index in [lo, hi] whose value exceeds x (hi if none does). Branch-free halving: the
     * loop count depends only on the range length, so random draws cause no mispredictions.
     */
    static int firstAbove(double[] sorted, int lo, int hi, double x) {
        int base = lo;
        int length = hi - lo + 1;
        while (length > 1) {
            int half = length >>> 1;
            base = sorted[base + half - 1] <= x ? base + half : base;
            length -= half;
        }
        return base;
    }
}
