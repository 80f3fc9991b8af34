package org.sparksynth.engine;

import org.apache.spark.sql.execution.vectorized.Dictionary;

/**
 * The strings of one categorical column for one batch, as a Spark column-vector dictionary: the
 * model's categories (ids 0..k-1, shared by every batch), then the strings this batch drew from
 * the column's pattern (ids k, k+1, ...). A row stores an int id instead of a copy of its bytes,
 * as Parquet's vectorized reader does for dictionary-encoded pages.
 */
final class StringDictionary implements Dictionary {
    private final byte[][] categories;
    private byte[][] drawn = new byte[64][];
    private int drawnCount;

    StringDictionary(byte[][] categories) {
        this.categories = categories;
    }

    /** Forget the previous batch's pattern draws. */
    void clearDrawn() {
        java.util.Arrays.fill(drawn, 0, drawnCount, null);
        drawnCount = 0;
    }

    /** Id of a string drawn for this batch. */
    int addDrawn(byte[] value) {
        if (drawnCount == drawn.length) {
            drawn = java.util.Arrays.copyOf(drawn, 2 * drawn.length);
        }
        drawn[drawnCount] = value;
        return categories.length + drawnCount++;
    }

    @Override
    public byte[] decodeToBinary(int id) {
        return id < categories.length ? categories[id] : drawn[id - categories.length];
    }

    @Override
    public int decodeToInt(int id) {
        throw new UnsupportedOperationException("a string dictionary holds no ints");
    }

    @Override
    public long decodeToLong(int id) {
        throw new UnsupportedOperationException("a string dictionary holds no longs");
    }

    @Override
    public float decodeToFloat(int id) {
        throw new UnsupportedOperationException("a string dictionary holds no floats");
    }

    @Override
    public double decodeToDouble(int id) {
        throw new UnsupportedOperationException("a string dictionary holds no doubles");
    }
}
