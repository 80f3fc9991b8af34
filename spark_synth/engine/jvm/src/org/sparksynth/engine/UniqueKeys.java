package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Unique values as a bijection of the row index (semantics in spark_synth/plan/compiler.py):
 * integers start + permutation(row); strings a block of the permuted row index per shape,
 * permuted again inside the block and written in mixed radix in the shape's alphabets. Distinct
 * rows give distinct values at any row count the plan was compiled for.
 */
final class UniqueKeys {
    /** Salt of the permutation parameters, part of the plan's semantics. */
    static final long UNIQUE_SALT = 0x5f3759df9e3779b9L;

    private final boolean integers;
    private final long start;
    private final long[] outer;
    private final long[] blockStart;
    private final long[] blockSize;
    private final long[] innerKey;
    private final long[] capacity;
    private final int[][][] alphabets;
    private final boolean[] ascii;
    /** Free text with a unique suffix: the text model, the suffix alphabet and length. */
    private final Pattern text;
    private final int[] suffixAlphabet;
    private final int suffixLength;
    private final long stream;

    UniqueKeys(JsonNode node, long stream) {
        this.stream = stream;
        long n = node.get("modulus").asLong();
        long x = Rng.mix(stream ^ UNIQUE_SALT);
        outer = affine(x, n);
        JsonNode textNode = node.get("text");
        if (textNode != null && !textNode.isNull()) {
            text = new Pattern(textNode);
            suffixAlphabet = Json.ints(node.get("alphabet"));
            suffixLength = node.get("digits").asInt();
        } else {
            text = null;
            suffixAlphabet = null;
            suffixLength = 0;
        }
        JsonNode shapes = node.get("shapes");
        integers = (shapes == null || shapes.isNull()) && text == null;
        start = integers ? node.get("start").asLong() : 0L;
        int count = shapes == null || shapes.isNull() ? 0 : shapes.size();
        blockStart = new long[count];
        blockSize = new long[count];
        innerKey = new long[count];
        capacity = new long[count];
        alphabets = new int[count][][];
        ascii = new boolean[count];
        for (int s = 0; s < count; s++) {
            JsonNode shape = shapes.get(s);
            blockStart[s] = shape.get("start").asLong();
            blockSize[s] = shape.get("size").asLong();
            innerKey[s] = Rng.mix(x + s + 1);
            capacity[s] = shape.get("capacity").asLong();
            JsonNode positions = shape.get("alphabets");
            alphabets[s] = new int[positions.size()][];
            boolean plain = true;
            for (int p = 0; p < alphabets[s].length; p++) {
                alphabets[s][p] = Json.ints(positions.get(p));
                for (int c : alphabets[s][p]) {
                    plain &= c < 128;
                }
            }
            ascii[s] = plain;
        }
    }

    /** {a, b, n}: i -> (a * i + b) mod n is a permutation of [0, n), exact in 64 bits. */
    static long[] affine(long x, long n) {
        if (n <= 1) {
            return new long[] {1L, 0L, Math.max(n, 1L)};
        }
        long top = Math.max(2L, Math.min(n, (Long.MAX_VALUE - n + 1) / n));
        long a = 1 + Math.floorMod(x, top - 1);
        while (gcd(a, n) != 1) {
            a = a + 1 < top ? a + 1 : 1;
        }
        return new long[] {a, Math.floorMod(Rng.mix(x), n), n};
    }

    /**
     * A bijection of [0, n) that moves every digit (an affine map keeps neighbours' high digits,
     * so consecutive rows shared a prefix): on k = bitLength(n - 1) bits, three rounds of
     * (multiply by an odd key, xor-shift right by ceil(k / 2), add a key) mod 2^k, repeated
     * (cycle walking) until the value is below n. Each step is a bijection of [0, 2^k).
     */
    static long scramble(long x, long n, long key) {
        if (n <= 1) {
            return 0L;
        }
        int k = 64 - Long.numberOfLeadingZeros(n - 1);
        long mask = k == 64 ? -1L : (1L << k) - 1;
        int shift = (k + 1) / 2;
        long y = x;
        do {
            for (int round = 0; round < 3; round++) {
                long roundKey = Rng.mix(key + round);
                y = (y * (roundKey | 1L)) & mask;
                y ^= y >>> shift;
                y = (y + (roundKey >>> 7)) & mask;
            }
        } while (y >= n);
        return y;
    }

    static long permute(long[] p, long i) {
        return (p[0] * i + p[1]) % p[2];
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    long integer(long row) {
        return start + permute(outer, row);
    }

    byte[] string(long row) {
        if (text != null) { // the suffix is the scrambled row: neighbours differ in every suffix character
            return suffixed(scramble(row, outer[2], Rng.mix(stream ^ UNIQUE_SALT)), text.textCodePoints(stream, row, 1));
        }
        long j = permute(outer, row);
        int s = 0;
        while (s + 1 < blockStart.length && blockStart[s + 1] <= j) {
            s++;
        }
        return inRadix(scramble(j - blockStart[s], capacity[s], innerKey[s]), alphabets[s], ascii[s]);
    }

    /** UTF-8 bytes of m written in mixed radix over per-position alphabets, last position fastest. */
    static byte[] inRadix(long m, int[][] alphabets, boolean ascii) {
        int length = alphabets.length;
        int[] digits = new int[length];
        for (int p = length - 1; p >= 0 && m != 0; p--) { // m >= 0; once 0, every digit left is 0
            int size = alphabets[p].length;
            if (size == 1) {
                continue;
            }
            if ((size & (size - 1)) == 0) { // a power of two (hex digits): a mask and a shift
                digits[p] = (int) (m & (size - 1));
                m >>>= Integer.numberOfTrailingZeros(size);
            } else {
                digits[p] = (int) (m % size);
                m /= size;
            }
        }
        if (ascii) {
            byte[] bytes = new byte[length];
            for (int p = 0; p < length; p++) {
                bytes[p] = (byte) alphabets[p][digits[p]];
            }
            return bytes;
        }
        int[] codePoints = new int[length];
        for (int p = 0; p < length; p++) {
            codePoints[p] = alphabets[p][digits[p]];
        }
        return Utf8.encode(codePoints, length);
    }

    /** Free text whose last suffixLength characters are j in mixed radix: distinct j, distinct strings. */
    private byte[] suffixed(long j, int[] drawn) {
        int length = Math.max(drawn.length, suffixLength);
        int[] codePoints = java.util.Arrays.copyOf(drawn, length);
        long size = suffixAlphabet.length;
        for (int p = length - 1; p >= length - suffixLength; p--) {
            codePoints[p] = suffixAlphabet[(int) (j % size)];
            j /= size;
        }
        for (int p = drawn.length; p < length - suffixLength; p++) {
            codePoints[p] = suffixAlphabet[0];
        }
        return Utf8.encode(codePoints, length);
    }

    boolean integers() {
        return integers;
    }
}
