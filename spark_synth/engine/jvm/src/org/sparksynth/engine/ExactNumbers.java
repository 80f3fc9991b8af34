package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * The quantile function of an exact column (integers, dates as days, timestamps as
 * microseconds, decimals as unscaled integers) in integer arithmetic: between stored points
 * v_i and v_(i+1) the value is v_i + rint(t * (v_(i+1) - v_i)), then the nearest multiple of the
 * granularity (ties up), clipped to [min, max]. The difference of two longs is taken as an
 * unsigned 64-bit number, so a column spanning the whole long range loses no digit; a decimal
 * beyond 18 digits uses BigInteger (slow path, only for those columns).
 */
final class ExactNumbers {
    private final double[] probabilities;
    private final int[] guide;
    private final boolean big;
    private final long[] values;
    private final long min;
    private final long max;
    private final long granularity;
    private final BigInteger[] bigValues;
    private final BigInteger bigMin;
    private final BigInteger bigMax;
    private final BigInteger bigGranularity;

    ExactNumbers(JsonNode numeric) {
        this(numeric.get("probabilities"), numeric.get("values"), numeric);
    }

    /** Points of their own (a quantile function inside one parent code) with the column's min, max and granularity. */
    ExactNumbers(JsonNode probabilityNodes, JsonNode valueNodes, JsonNode numeric) {
        probabilities = Json.doubles(probabilityNodes);
        boolean fitsLong = numeric.get("min").canConvertToLong() && numeric.get("max").canConvertToLong()
                && numeric.get("granularity").canConvertToLong();
        for (JsonNode v : valueNodes) {
            fitsLong &= v.canConvertToLong();
        }
        big = !fitsLong;
        if (big) {
            bigValues = new BigInteger[valueNodes.size()];
            for (int i = 0; i < bigValues.length; i++) {
                bigValues[i] = valueNodes.get(i).bigIntegerValue();
            }
            bigMin = numeric.get("min").bigIntegerValue();
            bigMax = numeric.get("max").bigIntegerValue();
            bigGranularity = numeric.get("granularity").bigIntegerValue();
            values = null;
            min = max = granularity = 0;
        } else {
            values = Json.longs(valueNodes);
            min = numeric.get("min").asLong();
            max = numeric.get("max").asLong();
            granularity = numeric.get("granularity").asLong();
            bigValues = null;
            bigMin = bigMax = bigGranularity = null;
        }
        int size = Math.min(Math.max(16 * probabilities.length, 256), 1 << 16);
        guide = new int[size];
        int segment = 0;
        for (int s = 0; s < size; s++) {
            double grid = (double) s / size;
            while (segment + 1 < probabilities.length - 1 && probabilities[segment + 1] <= grid) {
                segment++;
            }
            guide[s] = segment;
        }
    }

    /** The whole units between neighbouring values (an hour for hourly timestamps), 0 beyond 64 bits. */
    long granularity() {
        return granularity;
    }

    boolean big() {
        return big;
    }

    /** The segment i with probabilities[i] <= p < probabilities[i + 1] (the last one for p = 1). */
    private int segment(double p) {
        int i = guide[Math.min((int) (p * guide.length), guide.length - 1)];
        while (i + 1 < probabilities.length - 1 && probabilities[i + 1] <= p) {
            i++;
        }
        return i;
    }

    private double fraction(int i, double p) {
        double span = probabilities[i + 1] - probabilities[i];
        return span > 0 ? Math.min(Math.max((p - probabilities[i]) / span, 0.0), 1.0) : 0.0;
    }

    /** Q(p) for p in [0, 1], exact in 64 bits. */
    long at(double p) {
        int i = segment(p);
        long lo = values[i];
        long diff = values[i + 1] - lo; // unsigned: values are non-decreasing
        double offset = Math.rint(fraction(i, p) * unsignedToDouble(diff));
        long x = lo + doubleToUnsigned(Math.min(offset, unsignedToDouble(diff)));
        if (Long.compareUnsigned(x - lo, diff) > 0) { // rounding past the segment's end
            x = lo + diff;
        }
        if (granularity > 1) {
            long r = Math.floorMod(x, granularity);
            long down = x - r;
            x = (r >= granularity - r && down <= max - granularity) ? down + granularity : down;
        }
        return Math.min(Math.max(x, min), max);
    }

    /** Q(p) for columns beyond 64 bits (wide decimals). */
    BigInteger atBig(double p) {
        int i = segment(p);
        BigInteger lo = bigValues[i];
        BigInteger diff = bigValues[i + 1].subtract(lo);
        // new BigDecimal(double) is the double's exact binary value: Double.toString (valueOf) differs between JDKs
        BigInteger offset = new BigDecimal(diff).multiply(new BigDecimal(fraction(i, p)))
                .setScale(0, RoundingMode.HALF_EVEN).toBigIntegerExact();
        BigInteger x = lo.add(offset.min(diff));
        if (bigGranularity.compareTo(BigInteger.ONE) > 0) {
            BigInteger r = x.mod(bigGranularity);
            BigInteger down = x.subtract(r);
            x = r.shiftLeft(1).compareTo(bigGranularity) >= 0 ? down.add(bigGranularity) : down;
        }
        return x.max(bigMin).min(bigMax);
    }

    static double unsignedToDouble(long x) {
        return x >= 0 ? (double) x : (double) (x >>> 1) * 2.0 + (x & 1);
    }

    static long doubleToUnsigned(double x) {
        return x < 0x1p63 ? (long) x : ((long) (x - 0x1p63)) ^ Long.MIN_VALUE;
    }
}
