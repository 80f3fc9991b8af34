package org.sparksynth.engine;

/**
 * The piecewise-linear quantile function through the model's stored points (numpy.interp
 * semantics). A guide table over the probabilities finds the segment in O(1); the few hundred
 * points stay in cache, which a dense resampled grid would not.
 */
final class QuantileFunction {
    private final double[] probabilities;
    private final double[] values;
    /** Slope of each segment (value change per unit of probability): no division per value. */
    private final double[] slopes;
    private final GuideTable segments;

    QuantileFunction(double[] probabilities, double[] values) {
        this.probabilities = probabilities;
        this.values = values;
        this.segments = new GuideTable(probabilities);
        this.slopes = new double[Math.max(probabilities.length - 1, 0)];
        for (int i = 0; i < slopes.length; i++) {
            double span = probabilities[i + 1] - probabilities[i];
            slopes[i] = span > 0 ? (values[i + 1] - values[i]) / span : 0.0;
        }
    }

    double at(double p) {
        int upper = segments.lookup(p); // first point with probability > p (or the last point)
        int n = probabilities.length;
        if (upper == 0) {
            return values[0];
        }
        if (probabilities[upper] <= p) {
            return values[n - 1];
        }
        int lower = upper - 1;
        return values[lower] + (p - probabilities[lower]) * slopes[lower];
    }
}
