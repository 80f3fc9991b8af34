package org.sparksynth.engine;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

/** Writes numbers on the model's scale (days for dates, microseconds for timestamps) as one Spark type. */
final class Output {
    enum Kind { LONG, INT, SHORT, BYTE, DOUBLE, FLOAT, BOOLEAN, STRING, DATE, TIMESTAMP, DECIMAL }

    final Kind kind;
    private final int precision;
    private final int scale;

    Output(DataType type) {
        int p = 0;
        int s = 0;
        if (type instanceof LongType) {
            kind = Kind.LONG;
        } else if (type instanceof IntegerType) {
            kind = Kind.INT;
        } else if (type instanceof ShortType) {
            kind = Kind.SHORT;
        } else if (type instanceof ByteType) {
            kind = Kind.BYTE;
        } else if (type instanceof DoubleType) {
            kind = Kind.DOUBLE;
        } else if (type instanceof FloatType) {
            kind = Kind.FLOAT;
        } else if (type instanceof BooleanType) {
            kind = Kind.BOOLEAN;
        } else if (type instanceof StringType) {
            kind = Kind.STRING;
        } else if (type instanceof DateType) {
            kind = Kind.DATE;
        } else if (type instanceof TimestampType || type instanceof TimestampNTZType) {
            kind = Kind.TIMESTAMP;
        } else if (type instanceof DecimalType d) {
            kind = Kind.DECIMAL;
            p = d.precision();
            s = d.scale();
        } else {
            throw new IllegalArgumentException("spark_synth engine cannot write Spark type " + type.simpleString());
        }
        precision = p;
        scale = s;
    }

    void number(WritableColumnVector v, int row, double x) {
        switch (kind) {
            case LONG, TIMESTAMP -> v.putLong(row, (long) Math.rint(x));
            case INT, DATE -> v.putInt(row, (int) Math.rint(x));
            case SHORT -> v.putShort(row, (short) Math.rint(x));
            case BYTE -> v.putByte(row, (byte) Math.rint(x));
            case DOUBLE -> v.putDouble(row, x);
            case FLOAT -> v.putFloat(row, (float) x);
            case BOOLEAN -> v.putBoolean(row, x != 0.0);
            // the double's exact value (BigDecimal.valueOf goes through Double.toString, which differs between JDKs)
            case DECIMAL -> v.putDecimal(row, Decimal.apply(new BigDecimal(x).setScale(scale, RoundingMode.HALF_EVEN)),
                    precision);
            default -> throw new IllegalStateException("a number cannot be written as " + kind);
        }
    }

    /** An exact column's whole number of its unit (value, day, microsecond, unscaled decimal). */
    void exact(WritableColumnVector v, int row, long x) {
        switch (kind) {
            case LONG, TIMESTAMP -> v.putLong(row, x);
            case INT, DATE -> v.putInt(row, (int) x);
            case SHORT -> v.putShort(row, (short) x);
            case BYTE -> v.putByte(row, (byte) x);
            case DECIMAL -> decimal(v, row, x);
            default -> throw new IllegalStateException("a whole number of units cannot be written as " + kind);
        }
    }

    /** exact() for rows [0, n), null where code is 0 (the value written under the flag: the row's fallback). */
    void exacts(WritableColumnVector v, long[] x, int[] code, int n) {
        if (kind == Kind.LONG || kind == Kind.TIMESTAMP) {
            for (int r = 0; r < n; r++) {
                v.putLong(r, x[r]);
                if (code[r] == 0) {
                    v.putNull(r);
                }
            }
            return;
        }
        for (int r = 0; r < n; r++) {
            exact(v, r, x[r]);
            if (code[r] == 0) {
                v.putNull(r);
            }
        }
    }

    /** A decimal beyond 18 digits, from its unscaled value. */
    void bigDecimal(WritableColumnVector v, int row, BigInteger unscaled) {
        v.putDecimal(row, Decimal.apply(new BigDecimal(unscaled, scale)), precision);
    }

    /** number() for rows [0, n), null where code is 0 (the value written under the flag: the row's fallback). */
    void numbers(WritableColumnVector v, double[] x, int[] code, int n) {
        switch (kind) {
            case LONG, TIMESTAMP -> {
                for (int r = 0; r < n; r++) {
                    v.putLong(r, (long) Math.rint(x[r]));
                }
            }
            case INT, DATE -> {
                for (int r = 0; r < n; r++) {
                    v.putInt(r, (int) Math.rint(x[r]));
                }
            }
            case DOUBLE -> {
                for (int r = 0; r < n; r++) {
                    v.putDouble(r, x[r]);
                }
            }
            default -> {
                for (int r = 0; r < n; r++) {
                    number(v, r, x[r]);
                }
            }
        }
        for (int r = 0; r < n; r++) {
            if (code[r] == 0) {
                v.putNull(r);
            }
        }
    }

    void integer(WritableColumnVector v, int row, long x) {
        switch (kind) {
            case LONG, TIMESTAMP -> v.putLong(row, x);
            case INT, DATE -> v.putInt(row, (int) x);
            case SHORT -> v.putShort(row, (short) x);
            case BYTE -> v.putByte(row, (byte) x);
            case DECIMAL -> v.putDecimal(row, Decimal.apply(BigDecimal.valueOf(x).setScale(scale)), precision);
            case STRING -> v.putByteArray(row, Long.toString(x).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            default -> number(v, row, (double) x);
        }
    }

    private void decimal(WritableColumnVector v, int row, long unscaled) {
        if (precision <= Decimal.MAX_INT_DIGITS()) {
            v.putInt(row, (int) unscaled);
        } else if (precision <= Decimal.MAX_LONG_DIGITS()) {
            v.putLong(row, unscaled);
        } else {
            v.putDecimal(row, Decimal.apply(BigDecimal.valueOf(unscaled, scale)), precision);
        }
    }

    /** Category i of a column, from the typed arrays the plan filled. */
    void category(WritableColumnVector v, int row, Plan.ColumnSpec c, int i) {
        switch (kind) {
            case STRING -> v.putByteArray(row, c.strings[i]);
            case BOOLEAN -> v.putBoolean(row, c.booleans[i]);
            case DOUBLE, FLOAT -> number(v, row, c.numbers[i]);
            case DECIMAL -> v.putDecimal(row, Decimal.apply(c.decimals[i].setScale(scale, RoundingMode.HALF_EVEN)),
                    precision);
            default -> integer(v, row, c.integers[i]);
        }
    }
}
