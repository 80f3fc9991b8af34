package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One shape of a unique column whose shape follows the row: the row index itself, scrambled over
 * the shape's capacity (UniqueKeys.scramble; the plan guarantees capacity >= rows) and written in
 * mixed radix in the shape's alphabets. Distinct rows of the same shape get distinct strings;
 * rows of different shapes differ in their shape.
 */
final class UniqueShape implements Variant {
    private final int index;
    private final long capacity;
    private final int[][] alphabets;
    private final boolean ascii;
    UniqueShape(JsonNode node) {
        index = node.get("index").asInt();
        capacity = node.get("capacity").asLong();
        JsonNode positions = node.get("alphabets");
        alphabets = new int[positions.size()][];
        boolean plain = true;
        for (int p = 0; p < alphabets.length; p++) {
            alphabets[p] = Json.ints(positions.get(p));
            for (int c : alphabets[p]) {
                plain &= c < 128;
            }
        }
        ascii = plain;
    }

    /** {stream, key} of the last seed: immutable, replaced whole (tasks share plans). */
    private volatile long[] keyOf;

    private long keyFor(long stream) {
        long[] cached = keyOf;
        if (cached != null && cached[0] == stream) {
            return cached[1];
        }
        long key = Rng.mix(Rng.mix(stream ^ UniqueKeys.UNIQUE_SALT) + index + 1);
        keyOf = new long[] {stream, key};
        return key;
    }

    @Override
    public byte[] draw(long stream, long row, int firstDraw) {
        return UniqueKeys.inRadix(UniqueKeys.scramble(row, capacity, keyFor(stream)), alphabets, ascii);
    }
}
