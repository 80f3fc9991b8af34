package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;

/**
 * Primary and foreign keys of relational tables, computed from the row index by a small program
 * in the plan (semantics: docs/plan.md, "Key columns"; compiled by spark_synth/plan/keys.py).
 * Index nodes map a row to a whole number (the row, a seeded permutation, a mixed-radix digit, a
 * parent's popularity rank, a spare index past the parents); value nodes turn an index into the
 * column's value (a number, a string in per-position alphabets, a learned category). Only 64-bit
 * integer and IEEE double arithmetic, so any engine can reproduce the keys exactly.
 */
final class Keys {
    private Keys() {}

    /** Salt of every key permutation's parameters (part of the plan's semantics). */
    static final long KEY_SALT = 0x2545f4914f6cdd1dL;

    interface Index {
        long at(long row);
    }

    /**
     * One key column: without a split, its value; with one, x = the split's index: x below
     * `referencing` gives the value, the next `orphans` strata the orphan value (the value where the
     * column has none), the rest null.
     */
    static final class Column {
        final Value value;
        final Value orphan;
        final Index split;
        final long referencing;
        final long orphanEnd;

        Column(JsonNode node, long seed, Output output) {
            value = value(node.get("value"), seed, output);
            JsonNode orphanNode = node.get("orphan");
            orphan = orphanNode == null || orphanNode.isNull() ? value : value(orphanNode, seed, output);
            JsonNode splitNode = node.get("split");
            boolean hasSplit = splitNode != null && !splitNode.isNull();
            split = hasSplit ? index(splitNode.get("of"), seed) : null;
            referencing = hasSplit ? splitNode.get("referencing").asLong() : Long.MAX_VALUE;
            orphanEnd = hasSplit ? referencing + splitNode.get("orphans").asLong() : Long.MAX_VALUE;
        }

        void fill(WritableColumnVector vector, Output output, long first, int n) {
            for (int r = 0; r < n; r++) {
                long row = first + r;
                long x = split == null ? 0L : split.at(row);
                if (x < referencing) {
                    value.write(vector, output, r, row);
                } else if (x < orphanEnd) {
                    orphan.write(vector, output, r, row);
                } else {
                    vector.putNull(r);
                }
            }
        }
    }

    interface Value {
        void write(WritableColumnVector vector, Output output, int r, long row);
    }

    static Value value(JsonNode node, long seed, Output output) {
        Index of = index(node.get("of"), seed);
        switch (node.get("op").asText()) {
            case "number": {
                long start = node.get("start").asLong();
                long step = node.get("step").asLong();
                return (vector, out, r, row) -> out.integer(vector, r, start + step * of.at(row));
            }
            case "string": {
                JsonNode positions = node.get("alphabets");
                int[][] alphabets = new int[positions.size()][];
                for (int p = 0; p < alphabets.length; p++) {
                    alphabets[p] = Json.ints(positions.get(p));
                }
                return (vector, out, r, row) -> vector.putByteArray(r, encode(alphabets, of.at(row)));
            }
            case "category": {
                Plan.ColumnSpec values = new Plan.ColumnSpec();
                Plan.categories(values, node.get("values"), output);
                return (vector, out, r, row) -> out.category(vector, r, values, (int) of.at(row));
            }
            default:
                throw new IllegalArgumentException("spark_synth plan: unknown key value op " + node.get("op"));
        }
    }

    static Index index(JsonNode node, long seed) {
        switch (node.get("op").asText()) {
            case "row":
                return row -> row;
            case "permute": {
                long[] p = permutation(seed, node.get("stream").asLong(), node.get("n").asLong());
                Index of = index(node.get("of"), seed);
                return row -> UniqueKeys.permute(p, of.at(row));
            }
            case "digit": {
                long divisor = node.get("divisor").asLong();
                long size = node.get("size").asLong();
                Index of = index(node.get("of"), seed);
                return size == 0 ? row -> Math.floorDiv(of.at(row), divisor)
                        : row -> Math.floorMod(Math.floorDiv(of.at(row), divisor), size);
            }
            case "popular":
                return new Popular(node, seed);
            case "spare": {
                long stream = Rng.stream(seed, node.get("stream").asLong());
                int draw = node.get("draw").asInt();
                long start = node.get("start").asLong();
                double range = node.get("range").asDouble();
                return row -> start + (long) Math.floor(Rng.uniform(Rng.bits(stream, row, draw)) * range);
            }
            default:
                throw new IllegalArgumentException("spark_synth plan: unknown key index op " + node.get("op"));
        }
    }

    /** The permutation {a, b, n} of [0, n) a key stream gets under a seed. */
    static long[] permutation(long seed, long streamKey, long n) {
        return UniqueKeys.affine(Rng.mix(Rng.stream(seed, streamKey) ^ KEY_SALT), n);
    }

    /** a^-1 mod n of a permutation {a, b, n}: undoing it gives a relational parent's popularity rank. */
    static long inverse(long[] p) {
        return p[2] <= 1 ? 0L : java.math.BigInteger.valueOf(p[0]).modInverse(java.math.BigInteger.valueOf(p[2])).longValue();
    }

    /** Mixed-radix digits of x (last position fastest) as characters of each position's alphabet. */
    static byte[] encode(int[][] alphabets, long x) {
        int length = alphabets.length;
        int[] codePoints = new int[length];
        boolean ascii = true;
        for (int p = length - 1; p >= 0; p--) {
            int size = alphabets[p].length;
            codePoints[p] = alphabets[p][(int) Math.floorMod(x, (long) size)];
            x = Math.floorDiv(x, size);
            ascii &= codePoints[p] < 128;
        }
        if (ascii) {
            byte[] bytes = new byte[length];
            for (int p = 0; p < length; p++) {
                bytes[p] = (byte) codePoints[p];
            }
            return bytes;
        }
        return Utf8.encode(codePoints, length);
    }

    /**
     * A foreign key's parent rank (docs/plan.md, "popular"). x = a permutation of the child rows.
     * The first tailChildren values of x are the tail's strata: w = (x + 0.5) / tailChildren
     * through the tail's popularity curve (piecewise linear from shares to rank fractions), rank =
     * min(floor(f * tailRows), tailRows - 1). The rest, y = x - tailChildren (wrapped at the
     * blocks' end), fall in the block of parents with the same small count c that holds child y:
     * rank = firstRank + (y - firstChild) / c. Without tail or blocks, a uniform rank.
     */
    static final class Popular implements Index {
        final Index of;
        final double count;
        final double[] shares;
        final double[] ranks;
        final long rows;
        final long tailChildren;
        final long tailRows;
        /** Per block: children per parent, first rank, first child (y) of the block. */
        final long[][] blocks;
        final long smallChildren;

        Popular(JsonNode node, long seed) {
            of = index(node.get("of"), seed);
            count = node.get("count").asDouble();
            shares = Json.doubles(node.get("shares"));
            ranks = Json.doubles(node.get("ranks"));
            rows = node.get("rows").asLong();
            tailChildren = node.get("tail_children").asLong();
            tailRows = node.get("tail_rows").asLong();
            JsonNode blockNodes = node.get("blocks");
            blocks = new long[blockNodes.size()][];
            for (int b = 0; b < blocks.length; b++) {
                blocks[b] = Json.longs(blockNodes.get(b));
            }
            smallChildren = node.get("small_children").asLong();
        }

        @Override
        public long at(long row) {
            long x = of.at(row);
            if (x < tailChildren && tailRows > 0) {
                double w = (x + 0.5) / tailChildren;
                int lo = 0;
                int hi = shares.length - 1;
                while (hi - lo > 1) { // shares[lo] <= w < shares[hi]
                    int mid = (lo + hi) >>> 1;
                    if (shares[mid] <= w) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                double fraction = ranks[lo] + (w - shares[lo]) / (shares[hi] - shares[lo]) * (ranks[hi] - ranks[lo]);
                return Math.min((long) Math.floor(fraction * tailRows), tailRows - 1);
            }
            if (smallChildren == 0) {
                return Math.min((long) Math.floor((x + 0.5) / count * rows), rows - 1);
            }
            long y = Math.floorMod(x - tailChildren, smallChildren);
            int j = blocks.length - 1;
            while (blocks[j][2] > y) {
                j--;
            }
            return Math.min(blocks[j][1] + (y - blocks[j][2]) / blocks[j][0], rows - 1);
        }
    }
}
