package org.sparksynth.engine;

/**
 * A numeric column's mid-rank CDF from its stored quantile points: the inverse of its quantile
 * function, a value stored as several equal points (a point mass) at the middle of its mass. The
 * same function as spark_synth/model/marginals.py cdf_mid, so the normal score a regression
 * parent's value gets here is the one the fit measured on the real value (docs/plan.md §6 step 3c).
 */
final class MarginalCdf {
    private final double[] probabilities;
    private final double[] values;

    MarginalCdf(double[] probabilities, double[] values) {
        this.probabilities = probabilities;
        this.values = values;
    }

    /** The smallest stored point (NaN: none). */
    double first() {
        return values.length > 0 ? values[0] : Double.NaN;
    }

    /** The largest stored point (NaN: none). */
    double last() {
        return values.length > 0 ? values[values.length - 1] : Double.NaN;
    }

    /** F(x) in [0, 1]. */
    double at(double x) {
        int n = values.length;
        int left = lowerBound(x);
        if (left < n && values[left] == x) { // x is a stored point, or several: the middle of its mass
            return (probabilities[left] + probabilities[upperBound(x, left) - 1]) / 2.0;
        }
        if (left == 0) {
            return 0.0;
        }
        if (left == n) {
            return 1.0;
        }
        double lo = values[left - 1];
        double hi = values[left];
        double span = hi / 2 - lo / 2;
        double fraction = span > 0 ? Math.min(Math.max((x / 2 - lo / 2) / span, 0.0), 1.0) : 0.0;
        return probabilities[left - 1] + fraction * (probabilities[left] - probabilities[left - 1]);
    }

    /** The first index whose value is >= x. */
    private int lowerBound(double x) {
        int lo = 0;
        int hi = values.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (values[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The first index from `from` whose value is > x (a tie's end: usually a step or two away). */
    private int upperBound(double x, int from) {
        int lo = from;
        int hi = values.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (values[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
