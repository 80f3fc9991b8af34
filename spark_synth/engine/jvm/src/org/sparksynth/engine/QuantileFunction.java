package org.sparksynth.engine;

/**
 * The piecewise-linear quantile function through the model's stored points (numpy.interp
 * semantics: flat beyond the first and last points). Each segment is packed as (lower
 * probability, half the value there, half the slope, upper probability), so evaluating a position
 * touches one guide slot and one cache line; a guide over [0, 1) names the segment to start
 * from. Halves (exact in binary) keep differences of doubles near +-1.8e308 finite; doubling the
 * result gives the same bits as the plain formula wherever that does not overflow.
 */
final class QuantileFunction {
    private static final int FIELDS = 4;
    private static final int GUIDE_PER_POINT = 16;

    /** Segment i (0 <= i < points - 1), then a flat sentinel segment from the last point on. */
    private final double[] segments;
    private final int[] guide;
    private final int guideSize;
    private final double first;

    QuantileFunction(double[] probabilities, double[] values) {
        int n = probabilities.length;
        int count = Math.max(n - 1, 0) + 1;
        segments = new double[FIELDS * count];
        for (int i = 0; i < n - 1; i++) {
            double span = probabilities[i + 1] - probabilities[i];
            segments[FIELDS * i] = probabilities[i];
            segments[FIELDS * i + 1] = values[i] / 2;
            segments[FIELDS * i + 2] = span > 0 ? (values[i + 1] / 2 - values[i] / 2) / span : 0.0;
            segments[FIELDS * i + 3] = probabilities[i + 1];
        }
        int last = FIELDS * (count - 1);
        segments[last] = probabilities[n - 1];
        segments[last + 1] = values[n - 1] / 2;
        segments[last + 2] = 0.0;
        segments[last + 3] = Double.POSITIVE_INFINITY;
        first = probabilities[0];
        guideSize = Math.min(Math.max(GUIDE_PER_POINT * n, 256), 1 << 16);
        guide = new int[guideSize];
        int segment = 0;
        for (int s = 0; s < guideSize; s++) {
            double grid = (double) s / guideSize;
            while (segments[FIELDS * segment + 3] <= grid) {
                segment++;
            }
            guide[s] = segment;
        }
    }

    /** Q(p) for p in [0, 1]. */
    double at(double p) {
        double q = Math.max(p, first);
        int i = FIELDS * guide[Math.min((int) (q * guideSize), guideSize - 1)];
        while (segments[i + 3] <= q) {
            i += FIELDS;
        }
        return 2 * (segments[i + 1] + (q - segments[i]) * segments[i + 2]);
    }
}
