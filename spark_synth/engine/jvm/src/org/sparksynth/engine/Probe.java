package org.sparksynth.engine;

/**
 * Read-only entry points for tests (called through py4j): the engine's own lookups, so the
 * Python suite can check them against the fit-side definitions in spark_synth.model.marginals.
 */
public final class Probe {
    private Probe() {}

    public static int[] guideLookup(double[] uppers, double[] u) {
        GuideTable table = new GuideTable(uppers);
        int[] out = new int[u.length];
        for (int i = 0; i < u.length; i++) {
            out[i] = table.lookup(u[i]);
        }
        return out;
    }

    /** Child code drawn at each (parent code, u) from a conditional table (-1: no table row). */
    public static int[] conditionalChildren(int[] rowStart, double[] cumulative, int[] children,
                                            int[] parents, double[] u) {
        int[] out = new int[u.length];
        new ConditionalTable(rowStart, cumulative, children).draw(parents, u.clone(), out, null, u.length);
        return out;
    }

    /** The uniform place inside its draw of each (parent code, u) (u itself: no table row). */
    public static double[] conditionalPlaces(int[] rowStart, double[] cumulative, int[] children,
                                             int[] parents, double[] u) {
        double[] places = u.clone();
        new ConditionalTable(rowStart, cumulative, children).draw(parents, places, new int[u.length], places, u.length);
        return places;
    }

    /** Code of each u for a copula column of a plan. */
    public static int[] codes(String plan, String column, double[] u) {
        Plan.Variable v = variable(Plan.parse(plan), column);
        int[] out = new int[u.length];
        for (int i = 0; i < u.length; i++) {
            out[i] = v.codes.lookup(u[i]);
        }
        return out;
    }

    /** The value a numeric copula column takes at each non-null u. */
    public static double[] values(String plan, String column, double[] u) {
        Plan p = Plan.parse(plan);
        Plan.ColumnSpec c = p.columns[variable(p, column).column];
        double[] out = new double[u.length];
        for (int i = 0; i < u.length; i++) {
            double position = Sampler.position(c, u[i], 1.0 / (1.0 - c.pNull));
            out[i] = c.exact == null ? Sampler.finish(c, c.quantiles.at(position))
                    : c.exact.big() ? c.exact.atBig(position).doubleValue() : (double) c.exact.at(position);
        }
        return out;
    }

    private static Plan.Variable variable(Plan plan, String column) {
        for (Plan.Variable v : plan.order) {
            if (plan.columns[v.column].name.equals(column)) {
                return v;
            }
        }
        throw new IllegalArgumentException("no copula column " + column);
    }
}
