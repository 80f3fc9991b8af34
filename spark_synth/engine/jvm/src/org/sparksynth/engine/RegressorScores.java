package org.sparksynth.engine;

/**
 * A regressor's normal score among its non-null values, from the value it wrote: Phi^-1 of its
 * marginal's mid-rank CDF, as the fit scored the real value (docs/plan.md §6 step 3c).
 *
 * A CDF search and a Phi^-1 per row cost about as much as drawing a column (flights' air_time,
 * sched_dep_time, time_hour on its hours). So a column of whole numbers whose stored points span
 * at most TABLE_STEPS steps of its granularity keeps the score of every value on that grid, from
 * its first stored point, computed once per plan by the same function; other values are scored
 * one by one. Read-only once built, so every task of a JVM shares it with its plan.
 */
final class RegressorScores {
    /** The widest span of whole numbers kept in a table (8 bytes each). */
    private static final long TABLE_STEPS = 1L << 16;

    private final Plan.ColumnSpec column;
    /** Scores of from, from + step, ..., to; null: no table (not whole numbers, or too wide). */
    private final double[] table;
    private final long from;
    private final long step;
    private final long to;

    RegressorScores(Plan.ColumnSpec column) {
        this.column = column;
        long step = column.exact == null ? 1L : Math.max(column.exact.granularity(), 1L);
        double first = column.cdf.first();
        double last = column.cdf.last();
        boolean whole = column.exact != null && !column.exact.big()
                && first == Math.rint(first) && last == Math.rint(last)
                && Math.abs(first) < 0x1p53 && Math.abs(last) < 0x1p53;
        long span = whole ? (long) last - (long) first : -1L;
        if (span < 0 || span % step != 0 || span / step >= TABLE_STEPS) {
            this.table = null;
            this.from = 0L;
            this.step = 1L;
            this.to = -1L;
            return;
        }
        this.from = (long) first;
        this.step = step;
        this.to = (long) last;
        this.table = new double[(int) (span / step) + 1];
        for (int i = 0; i < table.length; i++) {
            table[i] = of((double) (from + i * step));
        }
    }

    /** The score of a written double. */
    double of(double x) {
        return Normal.inverse(Math.min(Math.max(column.cdf.at(x), Sampler.POSITION_FLOOR), Plan.U_MAX));
    }

    /** The score of a written whole number: from the table where it lies on its grid. */
    double ofExact(long x) {
        if (table != null && x >= from && x <= to && (step == 1 || (x - from) % step == 0)) {
            return table[(int) ((x - from) / step)];
        }
        return of((double) x);
    }
}
