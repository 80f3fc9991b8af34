package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The plan's rules (docs/plan.md §12), applied to a batch after every column is written: null
 * patterns until none changes a row, then orderings and computed columns in the plan's order.
 * Pure functions of the row's written values: no randomness, so the rows stay the same on any
 * partitioning.
 */
final class Rules {
    private static final long[] DATE_LIMITS = {-719_162L, 2_932_896L};

    /** Per null entry: the column, the columns whose null makes it null, its keep share and stream key. */
    private final int[] nullColumns;
    private final int[][] nullWhen;
    private final double[] nullOwn;
    private final long[] nullKeys;
    private final Rule[] values;

    private interface Rule {
        void apply(WritableColumnVector[] v, int n, StringDictionary[] dictionaries);
    }

    Rules(JsonNode node, Plan.ColumnSpec[] columns) {
        java.util.ArrayList<JsonNode> nullRules = new java.util.ArrayList<>();
        java.util.ArrayList<Rule> valueRules = new java.util.ArrayList<>();
        for (JsonNode rule : node) {
            String form = rule.get("form").asText();
            switch (form) {
                case "null_with" -> nullRules.add(rule);
                case "order" -> valueRules.add(order(Json.ints(rule.get("columns")), columns));
                case "map" -> valueRules.add(new MapRule(rule, columns));
                case "linear" -> valueRules.add(linear(rule, columns));
                case "div", "mod" -> valueRules.add(division(rule, columns, form.equals("div")));
                case "clock" -> valueRules.add(clock(rule, columns));
                case "calendar" -> valueRules.add(calendar(rule, columns));
                default -> throw new IllegalArgumentException("spark_synth plan: unknown rule form " + form);
            }
        }
        int count = nullRules.size();
        nullColumns = new int[count];
        nullWhen = new int[count][];
        nullOwn = new double[count];
        nullKeys = new long[count];
        for (int i = 0; i < count; i++) {
            JsonNode rule = nullRules.get(i);
            nullColumns[i] = rule.get("column").asInt();
            nullWhen[i] = Json.ints(rule.get("when_null"));
            nullOwn[i] = rule.get("own").asDouble();
            nullKeys[i] = rule.get("stream").asLong();
        }
        values = valueRules.toArray(new Rule[0]);
    }

    boolean isEmpty() {
        return nullColumns.length == 0 && values.length == 0;
    }

    /**
     * Apply every rule to rows [0, n) of the batch. `dictionaries`: per column, the dictionary of a
     * dictionary-encoded string column (its rows hold ids: a computed string is written as an id).
     */
    void apply(WritableColumnVector[] v, long first, int n, long seed, StringDictionary[] dictionaries) {
        // 1. A column with own >= 0 is null on its own with that probability (a fresh uniform of the
        //    entry's stream), else it shows the fallback value written under its null flag.
        for (int i = 0; i < nullColumns.length; i++) {
            if (nullOwn[i] < 0.0) {
                continue;
            }
            long stream = Rng.stream(seed, nullKeys[i]);
            WritableColumnVector column = v[nullColumns[i]];
            for (int r = 0; r < n; r++) {
                if (Rng.uniform(Rng.bits(stream, first + r)) < nullOwn[i]) {
                    column.putNull(r);
                } else {
                    column.putNotNull(r);
                }
            }
        }
        // 2. The closure: a column is null when any column of its rules is (A null -> B null -> C null,
        //    and groups null together), applied until nothing changes.
        boolean changed = nullColumns.length > 0;
        while (changed) {
            changed = false;
            for (int i = 0; i < nullColumns.length; i++) {
                WritableColumnVector column = v[nullColumns[i]];
                for (int a : nullWhen[i]) {
                    WritableColumnVector when = v[a];
                    for (int r = 0; r < n; r++) {
                        if (when.isNullAt(r) && !column.isNullAt(r)) {
                            column.putNull(r);
                            changed = true;
                        }
                    }
                }
            }
        }
        for (Rule rule : values) {
            rule.apply(v, n, dictionaries);
        }
    }

    // --- whole numbers (integers, days, microseconds) -------------------------------------------

    static boolean whole(Output.Kind k) {
        return k == Output.Kind.LONG || k == Output.Kind.INT || k == Output.Kind.SHORT || k == Output.Kind.BYTE
                || k == Output.Kind.DATE || k == Output.Kind.TIMESTAMP;
    }

    static long get(WritableColumnVector v, Output.Kind k, int r) {
        return switch (k) {
            case LONG, TIMESTAMP -> v.getLong(r);
            case INT, DATE -> v.getInt(r);
            case SHORT -> v.getShort(r);
            case BYTE -> v.getByte(r);
            default -> throw new IllegalStateException("not a whole-number column: " + k);
        };
    }

    /** Whether x can be written in the column's type (else the rule leaves the row's draw). */
    static boolean fits(Output.Kind k, long x) {
        return switch (k) {
            case LONG, TIMESTAMP -> true;
            case INT -> x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE;
            case SHORT -> x >= Short.MIN_VALUE && x <= Short.MAX_VALUE;
            case BYTE -> x >= Byte.MIN_VALUE && x <= Byte.MAX_VALUE;
            case DATE -> x >= DATE_LIMITS[0] && x <= DATE_LIMITS[1];
            default -> false;
        };
    }

    static void put(WritableColumnVector v, Output.Kind k, int r, long x) {
        switch (k) {
            case LONG, TIMESTAMP -> v.putLong(r, x);
            case INT, DATE -> v.putInt(r, (int) x);
            case SHORT -> v.putShort(r, (short) x);
            case BYTE -> v.putByte(r, (byte) x);
            default -> throw new IllegalStateException("not a whole-number column: " + k);
        }
    }

    // --- orderings ------------------------------------------------------------------------------

    /** The row's non-null values of the group, sorted ascending into its non-null columns in order. */
    private static Rule order(int[] group, Plan.ColumnSpec[] columns) {
        Output.Kind kind = columns[group[0]].output.kind;
        boolean exact = whole(kind);
        return (v, n, dictionaries) -> {
            long[] longs = new long[group.length];
            double[] doubles = new double[group.length];
            int[] present = new int[group.length];
            for (int r = 0; r < n; r++) {
                int m = 0;
                for (int c : group) {
                    if (!v[c].isNullAt(r)) {
                        if (exact) {
                            longs[m] = get(v[c], kind, r);
                        } else {
                            doubles[m] = kind == Output.Kind.FLOAT ? v[c].getFloat(r) : v[c].getDouble(r);
                        }
                        present[m++] = c;
                    }
                }
                if (m < 2) {
                    continue;
                }
                if (exact) {
                    Arrays.sort(longs, 0, m);
                } else {
                    Arrays.sort(doubles, 0, m); // Double.compare's order: -0.0 < 0.0, NaN last
                }
                for (int i = 0; i < m; i++) {
                    if (exact) {
                        put(v[present[i]], kind, r, longs[i]);
                    } else if (kind == Output.Kind.FLOAT) {
                        v[present[i]].putFloat(r, (float) doubles[i]);
                    } else {
                        v[present[i]].putDouble(r, doubles[i]);
                    }
                }
            }
        };
    }

    // --- computed columns -----------------------------------------------------------------------

    private static Rule linear(JsonNode rule, Plan.ColumnSpec[] columns) {
        int target = rule.get("target").asInt();
        JsonNode termNodes = rule.get("terms");
        int[] sources = new int[termNodes.size()];
        long[] coefficients = new long[termNodes.size()];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = termNodes.get(i).get(0).asInt();
            coefficients[i] = termNodes.get(i).get(1).asLong();
        }
        long constant = rule.get("constant").asLong();
        Output.Kind targetKind = columns[target].output.kind;
        Output.Kind[] kinds = new Output.Kind[sources.length];
        for (int i = 0; i < sources.length; i++) {
            kinds[i] = columns[sources[i]].output.kind;
        }
        return (v, n, dictionaries) -> {
            rows:
            for (int r = 0; r < n; r++) {
                if (v[target].isNullAt(r)) {
                    continue;
                }
                long x = constant;
                for (int i = 0; i < sources.length; i++) {
                    if (v[sources[i]].isNullAt(r)) {
                        continue rows;
                    }
                    try {
                        x = Math.addExact(x, Math.multiplyExact(coefficients[i], get(v[sources[i]], kinds[i], r)));
                    } catch (ArithmeticException overflow) {
                        continue rows;
                    }
                }
                if (fits(targetKind, x)) {
                    put(v[target], targetKind, r, x);
                }
            }
        };
    }

    private static Rule division(JsonNode rule, Plan.ColumnSpec[] columns, boolean quotient) {
        int target = rule.get("target").asInt();
        int source = rule.get("source").asInt();
        long divisor = rule.get("divisor").asLong();
        Output.Kind targetKind = columns[target].output.kind;
        Output.Kind sourceKind = columns[source].output.kind;
        return (v, n, dictionaries) -> {
            for (int r = 0; r < n; r++) {
                if (v[target].isNullAt(r) || v[source].isNullAt(r)) {
                    continue;
                }
                long x = get(v[source], sourceKind, r);
                long y = quotient ? Math.floorDiv(x, divisor) : Math.floorMod(x, divisor);
                if (fits(targetKind, y)) {
                    put(v[target], targetKind, r, y);
                }
            }
        };
    }

    /** target = clock + minutes on an HHMM clock: ((clock div 100) * 60 + clock mod 100 + minutes) mod 1440 as HHMM. */
    private static Rule clock(JsonNode rule, Plan.ColumnSpec[] columns) {
        int target = rule.get("target").asInt();
        int clock = rule.get("clock").asInt();
        int minutes = rule.get("minutes").asInt();
        long midnight = rule.get("midnight").asLong();
        Output.Kind targetKind = columns[target].output.kind;
        Output.Kind clockKind = columns[clock].output.kind;
        Output.Kind minutesKind = columns[minutes].output.kind;
        return (v, n, dictionaries) -> {
            for (int r = 0; r < n; r++) {
                if (v[target].isNullAt(r) || v[clock].isNullAt(r) || v[minutes].isNullAt(r)) {
                    continue;
                }
                long c = get(v[clock], clockKind, r);
                long total;
                try {
                    total = Math.addExact(Math.addExact(Math.multiplyExact(Math.floorDiv(c, 100L), 60L),
                            Math.floorMod(c, 100L)), get(v[minutes], minutesKind, r));
                } catch (ArithmeticException overflow) {
                    continue;
                }
                long t = Math.floorMod(total, 1440L);
                long hhmm = (t / 60) * 100 + t % 60;
                if (hhmm == 0) {
                    hhmm = midnight;
                }
                if (fits(targetKind, hhmm)) {
                    put(v[target], targetKind, r, hhmm);
                }
            }
        };
    }

    /** Days in a month of the proleptic Gregorian calendar; February has 29 when the year is unknown. */
    static int monthLength(long year, boolean knownYear, long month) {
        if (month == 2) {
            boolean leap = !knownYear || (Math.floorMod(year, 4) == 0
                    && (Math.floorMod(year, 100) != 0 || Math.floorMod(year, 400) == 0));
            return leap ? 29 : 28;
        }
        return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
    }

    private static Rule calendar(JsonNode rule, Plan.ColumnSpec[] columns) {
        int year = rule.get("year").asInt();
        int month = rule.get("month").asInt();
        int day = rule.get("day").asInt();
        Output.Kind yearKind = year >= 0 ? columns[year].output.kind : null;
        Output.Kind monthKind = columns[month].output.kind;
        Output.Kind dayKind = columns[day].output.kind;
        return (v, n, dictionaries) -> {
            for (int r = 0; r < n; r++) {
                if (v[day].isNullAt(r) || v[month].isNullAt(r) || (year >= 0 && v[year].isNullAt(r))) {
                    continue;
                }
                long m = get(v[month], monthKind, r);
                long d = get(v[day], dayKind, r);
                if (m < 1 || m > 12 || d < 1) {
                    continue;
                }
                int length = monthLength(year >= 0 ? get(v[year], yearKind, r) : 0, year >= 0, m);
                if (d > length) {
                    put(v[day], dayKind, r, length);
                }
            }
        };
    }

    /** target = mapping(sources) where the mapping holds the row's source values. */
    private static final class MapRule implements Rule {
        private final int[] sources;
        private final Output.Kind[] sourceKinds;
        private final int target;
        private final Output.Kind targetKind;
        private final Map<Object, Integer> index = new HashMap<>();
        private final long[] longs;
        private final double[] doubles;
        private final boolean[] booleans;
        private final byte[][] strings;
        /** Per mapped string: its category id in the target's dictionary, -1 when it is no category. */
        private final int[] categoryIds;
        /**
         * Sources that are all dictionary-encoded string columns: per combination of their category
         * ids (first source slowest), the mapping's index or -1; null otherwise. An acceleration only:
         * rows holding a drawn rare string use the hash lookup, with the same result.
         */
        private int[] byCategories;
        private int[] categoryCounts;
        private static final int MAX_CATEGORY_CELLS = 1 << 22;

        MapRule(JsonNode rule, Plan.ColumnSpec[] columns) {
            sources = Json.ints(rule.get("sources"));
            sourceKinds = new Output.Kind[sources.length];
            for (int i = 0; i < sources.length; i++) {
                sourceKinds[i] = columns[sources[i]].output.kind;
            }
            target = rule.get("target").asInt();
            targetKind = columns[target].output.kind;
            JsonNode keys = rule.get("keys");
            JsonNode valueNodes = rule.get("values");
            int count = keys.size();
            longs = new long[count];
            doubles = new double[count];
            booleans = new boolean[count];
            strings = new byte[count][];
            categoryIds = new int[count];
            for (int i = 0; i < count; i++) {
                Object[] parts = new Object[sources.length];
                for (int s = 0; s < sources.length; s++) {
                    parts[s] = planValue(keys.get(i).get(s), sourceKinds[s]);
                }
                index.putIfAbsent(key(parts), i);
                JsonNode value = valueNodes.get(i);
                switch (targetKind) {
                    case STRING -> {
                        strings[i] = value.asText().getBytes(StandardCharsets.UTF_8);
                        categoryIds[i] = categoryId(columns[target], strings[i]);
                    }
                    case BOOLEAN -> booleans[i] = value.asBoolean();
                    case DOUBLE, FLOAT -> doubles[i] = value.asDouble();
                    default -> longs[i] = value.asLong();
                }
            }
            categoryTable(keys, columns);
        }

        private void categoryTable(JsonNode keys, Plan.ColumnSpec[] columns) {
            long cells = 1;
            int[] counts = new int[sources.length];
            for (int s = 0; s < sources.length; s++) {
                Plan.ColumnSpec c = columns[sources[s]];
                boolean encoded = "copula".equals(c.source) && !c.numeric && c.output.kind == Output.Kind.STRING
                        && c.variants == null && c.strings != null;
                if (!encoded) {
                    return;
                }
                counts[s] = c.categoryCount;
                cells *= Math.max(1, c.categoryCount);
            }
            if (cells > MAX_CATEGORY_CELLS) {
                return;
            }
            int[] table = new int[(int) cells];
            Arrays.fill(table, -1);
            java.util.List<Map<UTF8String, Integer>> ids = new java.util.ArrayList<>();
            for (int s = 0; s < sources.length; s++) {
                Map<UTF8String, Integer> byValue = new HashMap<>();
                Plan.ColumnSpec c = columns[sources[s]];
                for (int k = 0; k < c.categoryCount; k++) {
                    byValue.putIfAbsent(UTF8String.fromBytes(c.strings[k]), k);
                }
                ids.add(byValue);
            }
            keys:
            for (int i = 0; i < keys.size(); i++) {
                int cell = 0;
                for (int s = 0; s < sources.length; s++) {
                    Integer id = ids.get(s).get(UTF8String.fromString(keys.get(i).get(s).asText()));
                    if (id == null) {
                        continue keys;
                    }
                    cell = cell * counts[s] + id;
                }
                if (table[cell] < 0) {
                    table[cell] = i;
                }
            }
            byCategories = table;
            categoryCounts = counts;
        }

        /** The mapping's index for row r from its sources' category ids; -2 when a source holds no category. */
        private int fromCategories(WritableColumnVector[] v, int r) {
            int cell = 0;
            for (int s = 0; s < sources.length; s++) {
                if (!v[sources[s]].hasDictionary()) {
                    return -2;
                }
                int id = v[sources[s]].getDictionaryIds().getInt(r);
                if (id >= categoryCounts[s]) {
                    return -2;
                }
                cell = cell * categoryCounts[s] + id;
            }
            return byCategories[cell];
        }

        private static int categoryId(Plan.ColumnSpec column, byte[] value) {
            for (int c = 0; column.strings != null && c < column.categoryCount; c++) {
                if (Arrays.equals(column.strings[c], value)) {
                    return c;
                }
            }
            return -1;
        }

        private static Object planValue(JsonNode value, Output.Kind kind) {
            return switch (kind) {
                case STRING -> UTF8String.fromString(value.asText());
                case BOOLEAN -> value.asBoolean();
                default -> value.asLong();
            };
        }

        private static Object rowValue(WritableColumnVector v, Output.Kind kind, int r) {
            return switch (kind) {
                case STRING -> v.getUTF8String(r);
                case BOOLEAN -> v.getBoolean(r);
                default -> get(v, kind, r);
            };
        }

        private static Object key(Object[] parts) {
            return parts.length == 1 ? parts[0] : List.of(parts);
        }

        @Override
        public void apply(WritableColumnVector[] v, int n, StringDictionary[] dictionaries) {
            StringDictionary dictionary = targetKind == Output.Kind.STRING ? dictionaries[target] : null;
            Object[] parts = new Object[sources.length];
            rows:
            for (int r = 0; r < n; r++) {
                if (v[target].isNullAt(r)) {
                    continue;
                }
                for (int s = 0; s < sources.length; s++) {
                    if (v[sources[s]].isNullAt(r)) {
                        continue rows;
                    }
                }
                int i = byCategories != null ? fromCategories(v, r) : -2;
                if (i == -2) {
                    for (int s = 0; s < sources.length; s++) {
                        parts[s] = rowValue(v[sources[s]], sourceKinds[s], r);
                    }
                    Integer found = index.get(key(parts));
                    i = found == null ? -1 : found;
                }
                if (i < 0) {
                    continue;
                }
                switch (targetKind) {
                    case STRING -> {
                        if (dictionary != null) {
                            int id = categoryIds[i] >= 0 ? categoryIds[i] : dictionary.addDrawn(strings[i]);
                            v[target].getDictionaryIds().putInt(r, id);
                        } else {
                            v[target].putByteArray(r, strings[i]);
                        }
                    }
                    case BOOLEAN -> v[target].putBoolean(r, booleans[i]);
                    case DOUBLE -> v[target].putDouble(r, doubles[i]);
                    case FLOAT -> v[target].putFloat(r, (float) doubles[i]);
                    default -> {
                        if (fits(targetKind, longs[i])) {
                            put(v[target], targetKind, r, longs[i]);
                        }
                    }
                }
            }
        }
    }
}
