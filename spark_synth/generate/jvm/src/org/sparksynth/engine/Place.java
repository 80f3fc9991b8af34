package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A postcode or city drawn from the public geo table for the row's state (plan section 8,
 * "place"), written over the column's own value after the other columns of the row. A row is
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
    final long key;
    private final Map<UTF8String, Integer> stateIndex = new HashMap<>();
    private final int[] start;
    private final byte[][] values;

    Place(JsonNode node) {
        state = node.get("state").asInt();
        shapeOf = node.get("shape_of").asInt();
        postcode = "postcode".equals(node.get("part").asText());
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

    /** `stream`: Rng.stream(seed, key). */
    void fill(long stream, WritableColumnVector[] vectors, WritableColumnVector out, StringDictionary dictionary,
              long first, int n) {
        WritableColumnVector states = vectors[state];
        for (int r = 0; r < n; r++) {
            if (out.isNullAt(r) || states.isNullAt(r)) {
                continue;
            }
            Integer s = stateIndex.get(states.getUTF8String(r));
            if (s == null || start[s + 1] == start[s] || (shapeOf >= 0 && !zipShaped(vectors[shapeOf], r))) {
                continue;
            }
            int count = start[s + 1] - start[s];
            int i = start[s] + Math.min((int) (Rng.uniform(Rng.bits(stream, first + r)) * count), count - 1);
            if (dictionary != null) {
                out.getDictionaryIds().putInt(r, dictionary.addDrawn(values[i]));
            } else {
                out.putByteArray(r, values[i]);
            }
        }
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
