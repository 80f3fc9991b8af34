package org.sparksynth.engine;

/**
 * The piecewise-linear quantile function through the model's stored points (numpy.interp
 * semantics). A guide table over the probabilities finds the segment in O(1); the few hundred
 * points stay in cache, which a dense resampled grid would not.
 */
final class QuantileFunction {
    private final double[] probabilities;
    private final double[] values;
    private final GuideTable segments;

    QuantileFunction(double[] probabilities, double[] values) {
        this.probabilities = probabilities;
        this.values = values;
        this.segments = new GuideTable(probabilities);
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
        double span = probabilities[upper] - probabilities[lower];
        return values[lower] + (p - probabilities[lower]) / span * (values[upper] - values[lower]);
    }
}
