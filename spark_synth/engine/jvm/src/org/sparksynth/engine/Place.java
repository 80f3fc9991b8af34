package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A postcode, city or phone area code drawn from the public geo table for the row's state (plan
 * section 8, "place"), written over the column's own value after the other columns of the row. A row is
 * placed when its state column holds one of `states` and, when `shape_of` names a postcode
 * column, that column's value in the row is ZIP-shaped (5 digits, optionally "-" and 4 more);
 * null values stay null. The ZIP code's index inside its state is floor(u * count), u the
 * uniform of draw 0 of the stream (seed, key): every part of one state column shares the key, so
 * the postcode and the city of a row come from the same ZIP code.
 */
final class Place {
    final int state;
    final int shapeOf;
    final boolean postcode;
    /** Part "area_code": the value is a phone number whose area code is replaced. */
    private final boolean areaCode;
    /** Area codes of a unique column: its NANP numbers' last 7 digits become the row's scramble over this. */
    private final long uniqueTail;
    final long key;
    private final Map<UTF8String, Integer> stateIndex = new HashMap<>();
    private final int[] start;
    private final byte[][] values;

    Place(JsonNode node) {
        state = node.get("state").asInt();
        shapeOf = node.get("shape_of").asInt();
        postcode = "postcode".equals(node.get("part").asText());
        areaCode = "area_code".equals(node.get("part").asText());
        uniqueTail = node.get("unique_tail").asLong();
        key = node.get("key").asLong();
        JsonNode states = node.get("states");
        for (int s = 0; s < states.size(); s++) {
            stateIndex.put(UTF8String.fromString(states.get(s).asText()), s);
        }
        start = Json.ints(node.get("start"));
        JsonNode valueNodes = node.get("values");
        values = new byte[valueNodes.size()][];
        for (int i = 0; i < values.length; i++) {
            values[i] = valueNodes.get(i).asText().getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * Writes the part over the column's values; `zip[r]` is the row's ZIP code index (zipIndices,
     * shared by every part of one state column), -1 to keep the row's own value. `stream`:
     * Rng.stream(seed, key).
     */
    void fill(long stream, int[] zip, WritableColumnVector out, StringDictionary dictionary, long first, int n) {
        long tailKey = areaCode && uniqueTail > 0 ? Rng.mix(stream ^ UniqueKeys.UNIQUE_SALT) : 0L;
        for (int r = 0; r < n; r++) {
            int i = zip[r];
            if ((i < 0 && !(areaCode && uniqueTail > 0)) || out.isNullAt(r)) {
                continue;
            }
            long row = first + r;
            byte[] value;
            if (!areaCode) {
                value = values[i];
            } else {
                value = phone(out.getUTF8String(r).getBytes(), i < 0 ? null : values[i], stream, row, tailKey);
                if (value == null) {
                    continue;
                }
            }
            if (dictionary != null) {
                out.getDictionaryIds().putInt(r, dictionary.addDrawn(value));
            } else {
                out.putByteArray(r, value);
            }
        }
    }

    /** Each row's ZIP code index into `values` (the same for every part of this state column), -1: none. */
    void zipIndices(long stream, WritableColumnVector[] vectors, int[] zip, long first, int n) {
        WritableColumnVector states = vectors[state];
        for (int r = 0; r < n; r++) {
            zip[r] = zipIndex(stream, vectors, states, r, first + r);
        }
    }

    /** The row's ZIP code index into `values`, or -1 when the row keeps its own value. */
    private int zipIndex(long stream, WritableColumnVector[] vectors, WritableColumnVector states, int r, long row) {
        if (states.isNullAt(r)) {
            return -1;
        }
        Integer s = stateIndex.get(states.getUTF8String(r));
        if (s == null || start[s + 1] == start[s] || (shapeOf >= 0 && !zipShaped(vectors[shapeOf], r))) {
            return -1;
        }
        int count = start[s + 1] - start[s];
        return start[s] + Math.min((int) (Rng.uniform(Rng.bits(stream, row)) * count), count - 1);
    }

    /**
     * A NANP-shaped number (only digits and " -.()+", 10 digits or 11 starting with 1) with its
     * area code (first 3 national digits) replaced by one of `codes` (3 digits each, draw 1 of
     * the place stream picks) and, for a unique column, its last 7 national digits by the row's
     * scramble m over uniqueTail: '2' + m / 10^6, then m mod 10^6 in 6 digits. Null: unchanged.
     */
    private byte[] phone(byte[] own, byte[] codes, long stream, long row, long tailKey) {
        int[] at = new int[11];
        int digits = 0;
        for (int p = 0; p < own.length; p++) {
            byte b = own[p];
            if (b >= '0' && b <= '9') {
                if (digits == 11) {
                    return null;
                }
                at[digits++] = p;
            } else if (b != ' ' && b != '-' && b != '.' && b != '(' && b != ')' && b != '+') {
                return null;
            }
        }
        int national = digits == 10 ? 0 : (digits == 11 && own[at[0]] == '1' ? 1 : -1);
        boolean replaceCode = codes != null && codes.length >= 3;
        if (national < 0 || (!replaceCode && uniqueTail == 0)) {
            return null;
        }
        byte[] out = own.clone();
        if (replaceCode) {
            int pick = Math.min((int) (Rng.uniform(Rng.drawOf(Rng.bits(stream, row), 1)) * (codes.length / 3)),
                    codes.length / 3 - 1);
            for (int d = 0; d < 3; d++) {
                out[at[national + d]] = codes[3 * pick + d];
            }
        }
        if (uniqueTail > 0) {
            long m = UniqueKeys.scramble(row, uniqueTail, tailKey);
            out[at[national + 3]] = (byte) ('2' + m / 1_000_000);
            long rest = m % 1_000_000;
            for (int d = 9; d >= 4; d--) {
                out[at[national + d]] = (byte) ('0' + rest % 10);
                rest /= 10;
            }
        }
        return out;
    }

    /** 5 ASCII digits, optionally followed by '-' and 4 more. */
    static boolean zipShaped(WritableColumnVector vector, int r) {
        if (vector.isNullAt(r)) {
            return false;
        }
        byte[] b = vector.getUTF8String(r).getBytes();
        if (b.length != 5 && b.length != 10) {
            return false;
        }
        for (int i = 0; i < b.length; i++) {
            boolean digit = b[i] >= '0' && b[i] <= '9';
            if (i == 5 ? b[i] != '-' : !digit) {
                return false;
            }
        }
        return true;
    }
}
