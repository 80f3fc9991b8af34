package org.sparksynth.engine;

/**
 * Standard normal CDF and inverse CDF, fast and identical on every JVM (StrictMath only).
 *
 * cdf: Hart's double-precision approximation (as given by G. West, "Better approximations to
 * cumulative normal functions", 2005) and the density, tabulated on a 1/32 grid over [-9, 9]
 * and joined by cubic Hermite interpolation: absolute error below 2e-9, and a 9 KB table that
 * stays in L1 next to the conditional tables (a 1/1024 linear table took 147 KB).
 * inverse: P. J. Acklam's rational approximation (relative error below 1.2e-9), its central
 * branch tabulated (absolute error below 1e-6).
 */
public final class Normal {
    private static final double LOW = -9.0;
    private static final double HIGH = 9.0;
    private static final double STEPS_PER_UNIT = 32.0;
    private static final int INTERVALS = (int) ((HIGH - LOW) * STEPS_PER_UNIT);
    /** Phi and its derivative phi at each grid point, interleaved: small enough for L1. */
    private static final double[] CDF_TABLE = new double[2 * (INTERVALS + 1)];

    static {
        for (int i = 0; i <= INTERVALS; i++) {
            double x = LOW + i / STEPS_PER_UNIT;
            CDF_TABLE[2 * i] = exactCdf(x);
            CDF_TABLE[2 * i + 1] = StrictMath.exp(-x * x / 2.0) / StrictMath.sqrt(2.0 * Math.PI) / STEPS_PER_UNIT;
        }
    }

    private Normal() {}

    /** Phi(x): cubic Hermite interpolation of Phi and phi on a 1/32 grid (error below 1e-10). */
    public static double cdf(double x) {
        if (!(x > LOW)) {
            return x != x ? x : 0.0;
        }
        double scaled = (x - LOW) * STEPS_PER_UNIT;
        if (scaled >= INTERVALS) {
            return 1.0;
        }
        int i = (int) scaled;
        double t = scaled - i;
        double p0 = CDF_TABLE[2 * i];
        double d0 = CDF_TABLE[2 * i + 1];
        double p1 = CDF_TABLE[2 * i + 2];
        double d1 = CDF_TABLE[2 * i + 3];
        double delta = p1 - p0;
        // Hermite basis in Horner form: p0 + t*(d0 + t*((3*delta - 2*d0 - d1) + t*(d0 + d1 - 2*delta)))
        return p0 + t * (d0 + t * ((3.0 * delta - 2.0 * d0 - d1) + t * (d0 + d1 - 2.0 * delta)));
    }

    /** Phi(x) by Hart's approximation (double precision); used to build the table. */
    public static double exactCdf(double x) {
        double a = Math.abs(x);
        double tail;
        if (a > 37.0) {
            tail = 0.0;
        } else {
            double e = StrictMath.exp(-a * a / 2.0);
            if (a < 7.07106781186547) {
                double num = 3.52624965998911e-02 * a + 0.700383064443688;
                num = num * a + 6.37396220353165;
                num = num * a + 33.912866078383;
                num = num * a + 112.079291497871;
                num = num * a + 221.213596169931;
                num = num * a + 220.206867912376;
                double den = 8.83883476483184e-02 * a + 1.75566716318264;
                den = den * a + 16.064177579207;
                den = den * a + 86.7807322029461;
                den = den * a + 296.564248779674;
                den = den * a + 637.333633378831;
                den = den * a + 793.826512519948;
                den = den * a + 440.413735824752;
                tail = e * num / den;
            } else {
                double b = a + 0.65;
                b = a + 4.0 / b;
                b = a + 3.0 / b;
                b = a + 2.0 / b;
                b = a + 1.0 / b;
                tail = e / b / 2.506628274631;
            }
        }
        return x > 0 ? 1.0 - tail : tail;
    }

    private static final double P_LOW = 0.02425;
    /** Acklam's central branch tabulated on [P_LOW, 1 - P_LOW]: one lookup instead of a
     * rational function; linear interpolation error below 1e-6 in z, far inside sampling noise. */
    private static final int INVERSE_INTERVALS = 1 << 13;
    private static final double INVERSE_SCALE = INVERSE_INTERVALS / (1.0 - 2 * P_LOW);
    private static final double[] INVERSE_TABLE = new double[INVERSE_INTERVALS + 1];

    static {
        for (int i = 0; i <= INVERSE_INTERVALS; i++) {
            INVERSE_TABLE[i] = central(P_LOW + i / INVERSE_SCALE);
        }
    }

    /** Phi^-1(p) for p in (0, 1). */
    public static double inverse(double p) {
        if (p < P_LOW) {
            double q = Math.sqrt(-2.0 * StrictMath.log(p));
            return tail(q);
        }
        if (p > 1.0 - P_LOW) {
            double q = Math.sqrt(-2.0 * StrictMath.log(1.0 - p)); // 1 - p is exact here (Sterbenz)
            return -tail(q);
        }
        double scaled = (p - P_LOW) * INVERSE_SCALE;
        int i = Math.min((int) scaled, INVERSE_INTERVALS - 1);
        return INVERSE_TABLE[i] + (scaled - i) * (INVERSE_TABLE[i + 1] - INVERSE_TABLE[i]);
    }

    /** Acklam's central rational function. */
    static double central(double p) {
        double q = p - 0.5;
        double r = q * q;
        double num = ((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r
                - 2.759285104469687e+02) * r + 1.383577518672690e+02) * r
                - 3.066479806614716e+01) * r + 2.506628277459239e+00;
        double den = ((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r
                - 1.556989798598866e+02) * r + 6.680131188771972e+01) * r
                - 1.328068155288572e+01) * r + 1.0;
        return num * q / den;
    }

    private static double tail(double q) {
        double num = ((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q
                - 2.400758277161838e+00) * q - 2.549732539343734e+00) * q
                + 4.374664141464968e+00) * q + 2.938163982698783e+00;
        double den = (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q
                + 2.445134137142996e+00) * q + 3.754408661907416e+00) * q + 1.0;
        return num / den;
    }
}
