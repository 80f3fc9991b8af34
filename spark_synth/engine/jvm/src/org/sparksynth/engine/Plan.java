package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * The compiled generation plan: the model file turned into flat tables by
 * spark_synth/plan/compiler.py, so this engine only looks things up and never re-derives
 * statistics. Parsed once per task from the JSON text carried in the scan options.
 */
final class Plan {
    static final int ENGINE_VERSION = 18;
    /** Second-parent key spaces up to this size get a dense row lookup (4 bytes a key). */
    static final long SECOND_DENSE = 1L << 18;
    static final double U_MAX = 1.0 - 1e-12;

    final StructType schema;
    final int dimension;
    final double[] cholesky;
    final Variable[] order;
    /** The tree roots, by their place in the Cholesky factor (dimension of them). */
    final Variable[] roots;
    final ColumnSpec[] columns;
    /** Rules applied after a row's columns are written (docs/plan.md §12), null when the plan has none. */
    final Rules rules;

    /** One Gaussian-copula variable, in dependency order. */
    static final class Variable {
        int index;
        /** Place in the Cholesky factor for a tree root, -1 for a Chow-Liu child. */
        int root = -1;
        int column;
        double[] edges;
        GuideTable codes;
        boolean keepPosition;
        int parent = -1;
        double rho;
        double spread;
        boolean parentNumeric;
        ConditionalTable table;
        /** A second parent (plan "second", §6): its variable index, else -1, and its code count. */
        int secondParent = -1;
        int secondCodes;
        /** Ascending keys parentCode * secondCodes + secondCode of the stored rows of secondTable. */
        long[] secondKeys;
        /** Rows 0..keys-1 as stored, then one rest row per parent code (empty: `table` draws). */
        ConditionalTable secondTable;
        /** Per cell of secondTable: the cell of `table`'s row with the same child code (-1: none). */
        int[] secondFirstCell;
        /** Row of each key parentCode * secondCodes + secondCode (-1: none) when that fits SECOND_DENSE, else null. */
        int[] secondRowOf;
        /** A regression parent (plan "regression", §6 step 3c): its variable index, else -1. */
        int regressionParent = -1;
        double regressionRho;
        double regressionSpread;
        /** Per parent code: the regressor's mean and scale, and the child's null share (-1: its marginal's). */
        double[] regressionMean;
        double[] regressionScale;
        double[] regressionNullShare;
        /** Bands of the regressor's score (plan "bands", v16): their edges, else null. */
        double[] regressionBandEdges;
        /** Per band, its CDF at the places 0, 1/J, .., 1 (0 and 1 included). */
        double[][] regressionBandCdf;
        /** The line also decides the child's nulls, its lowest places (plan "with_nulls", v18). */
        boolean regressionWithNulls;
        /** A second regressor (plan "also", v16): its variable index, else -1, and its draw's terms. */
        int alsoParent = -1;
        double alsoRho;
        double alsoBeta;
        double alsoSpread;
        /** Per parent code: the second regressor's mean and scale there (its score is standardized as s is). */
        double[] alsoMean;
        double[] alsoScale;
        /** Whether a later child regresses on this variable: the sampler keeps its normal scores. */
        boolean keepScore;
        /** Per parent code: the child's own quantile function inside it (null: the marginal's bins); null if none. */
        QuantileFunction[] withinDoubles;
        ExactNumbers[] withinExact;
        /** Per parent code: where its function starts and ends on the within-parent scale (NaN: none). */
        double[] withinLow;
        double[] withinHigh;
        /** Per parent code: the range its tails (placed in the marginal's bins) are clipped to. */
        double[] tailLow;
        double[] tailHigh;
        long[] exactTailLow;
        long[] exactTailHigh;
        /** Per parent code: its own grid (step, share) in place of the column's; null or NaN share: the column's. */
        double[] gridStep;
        double[] gridShare;
        JsonNode withinNode;
        /** Driven variable: its normal comes from the row's popularity rank under this key stream, not a draw. */
        boolean driven;
        long rankStream;
        long rankRows;
        /**
         * A root that follows the row's position (plan "position", §6 step 1): its own normal e
         * becomes positionRho * Phi^-1((row + 0.5) / positionRows) + positionSpread * e.
         */
        boolean positioned;
        double positionRho;
        double positionSpread;
        long positionRows;
        /** A conditioned root (docs/plan.md §13): its uniform is mapped piecewise-linearly from warpFrom onto warpTo. */
        double[] warpFrom;
        double[] warpTo;

        /** The root's uniform under the plan's conditions: the segment j with warpFrom[j] <= u < warpFrom[j + 1]. */
        double warp(double u) {
            int lo = 0;
            int hi = warpFrom.length - 1;
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (warpFrom[mid] <= u) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            double width = warpFrom[hi] - warpFrom[lo];
            double t = width > 0.0 ? (u - warpFrom[lo]) / width : 0.0;
            return warpTo[lo] + t * (warpTo[hi] - warpTo[lo]);
        }
    }

    /** How one output column is produced and written. */
    static final class ColumnSpec {
        String name;
        long key;
        String source;
        double nullFraction;
        Output output;
        // numeric copula columns
        boolean numeric;
        double pNull;
        QuantileFunction quantiles;
        double step = Double.NaN;
        /** 1 / step: a multiplication per value instead of a division. */
        double perStep = Double.NaN;
        double decimalScale = Double.NaN;
        double min;
        double max;
        /** A share of the values rounded to a coarser grid (draw 1 decides), NaN: none. */
        double gridStep = Double.NaN;
        double gridShare;
        /** A numeric column's mid-rank CDF (a regression parent's score), else null. */
        MarginalCdf cdf;
        /** A regressor's scores of its written values (from cdf), else null. */
        RegressorScores regressorScores;
        /** Exact columns (integers, days, microseconds, unscaled decimals), else null. */
        ExactNumbers exact;
        // categories (copula categorical columns; constants have one)
        int categoryCount;
        byte[][] strings;
        long[] integers;
        double[] numbers;
        boolean[] booleans;
        java.math.BigDecimal[] decimals;
        Pattern pattern;
        /** Code k + 1 + v (past the k categories) draws from variants[v] (formats, vocabulary groups), else null. */
        Variant[] variants;
        // ids
        long idStart;
        long idStep;
        /** Unique columns: the plan's description, made a bijection per seed by UniqueKeys. */
        JsonNode unique;
        /** E-mails built from the row's names (source "compose"), else null. */
        Compose compose;
        /** A postcode or city from the geo table for the row's state, written over the column's value, else null. */
        Place place;
        /** Key columns of relational tables: the program Keys runs (the copula still draws the column for its children). */
        JsonNode keyProgram;
    }

    private Plan(JsonNode root) {
        int version = root.get("engine_version").asInt();
        if (version != ENGINE_VERSION) {
            throw new IllegalArgumentException("spark_synth plan has engine_version " + version
                    + " but this engine jar implements " + ENGINE_VERSION
                    + "; rebuild the engine jar from the installed spark_synth package");
        }
        schema = (StructType) DataType.fromJson(root.get("schema").asText());
        JsonNode copula = root.get("copula");
        dimension = copula.get("dimension").asInt();
        cholesky = Json.doubles(copula.get("cholesky"));
        JsonNode variableNodes = copula.get("variables");
        order = new Variable[variableNodes.size()];
        roots = new Variable[dimension];
        for (int i = 0; i < order.length; i++) {
            order[i] = variable(variableNodes.get(i));
            if (order[i].root >= 0) {
                roots[order[i].root] = order[i];
            }
        }
        JsonNode columnNodes = root.get("columns");
        columns = new ColumnSpec[columnNodes.size()];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = column(columnNodes.get(i), schema.fields()[i].dataType());
        }
        JsonNode ruleNodes = root.get("rules");
        Rules parsed = ruleNodes == null || ruleNodes.isNull() ? null : new Rules(ruleNodes, columns);
        rules = parsed == null || parsed.isEmpty() ? null : parsed;
        boolean[] drawn = new boolean[order.length];
        boolean[] scored = new boolean[order.length];
        for (Variable v : order) {
            if (v.secondParent >= 0 && (v.secondParent >= drawn.length || !drawn[v.secondParent])) {
                throw new IllegalArgumentException("spark_synth plan: variable " + v.index
                        + " has a second parent that is not drawn before it");
            }
            for (int regressor : new int[] {v.regressionParent, v.alsoParent}) {
                if (regressor >= 0 && (regressor >= drawn.length || !drawn[regressor] || !scored[regressor])) {
                    throw new IllegalArgumentException("spark_synth plan: variable " + v.index
                            + " regresses on a variable that is not drawn before it with keep_score");
                }
            }
            drawn[v.index] = true;
            scored[v.index] = v.keepScore;
            ColumnSpec c = columns[v.column];
            if (v.keepScore && c.cdf == null) {
                throw new IllegalArgumentException("spark_synth plan: variable " + v.index
                        + " has keep_score but its column " + c.name + " is not numeric");
            }
            if (v.keepScore && c.regressorScores == null) {
                c.regressorScores = new RegressorScores(c);
            }
        }
        for (Variable v : order) {
            if (v.withinNode != null) {
                within(v, columns[v.column], columnNodes.get(v.column).get("numeric"));
            }
        }
    }

    /** A child's per-parent-code quantile functions, in its column's representation (exact or double). */
    private static void within(Variable v, ColumnSpec c, JsonNode numeric) {
        if (!c.numeric) {
            throw new IllegalArgumentException("spark_synth plan: column " + c.name + " has `within` but is not numeric");
        }
        int codes = v.withinNode.size();
        if (c.exact != null) {
            v.withinExact = new ExactNumbers[codes];
            v.exactTailLow = new long[codes];
            v.exactTailHigh = new long[codes];
        } else {
            v.withinDoubles = new QuantileFunction[codes];
            v.tailLow = new double[codes];
            v.tailHigh = new double[codes];
        }
        v.withinLow = new double[codes];
        v.withinHigh = new double[codes];
        java.util.Arrays.fill(v.withinLow, Double.NaN);
        java.util.Arrays.fill(v.withinHigh, Double.NaN);
        for (int p = 0; p < codes; p++) {
            JsonNode f = v.withinNode.get(p);
            if (f == null || f.isNull()) {
                continue;
            }
            double[] probabilities = Json.doubles(f.get("probabilities"));
            v.withinLow[p] = probabilities[0];
            v.withinHigh[p] = probabilities[probabilities.length - 1];
            if (c.exact != null) {
                v.withinExact[p] = new ExactNumbers(f.get("probabilities"), f.get("values"), numeric);
                v.exactTailLow[p] = f.get("tail_low").asLong();
                v.exactTailHigh[p] = f.get("tail_high").asLong();
            } else {
                v.tailLow[p] = f.get("tail_low").asDouble();
                v.tailHigh[p] = f.get("tail_high").asDouble();
                JsonNode share = f.get("grid_share");
                if (share != null && !share.isNull()) {
                    if (v.gridShare == null) {
                        v.gridStep = new double[codes];
                        v.gridShare = new double[codes];
                        java.util.Arrays.fill(v.gridShare, Double.NaN);
                    }
                    JsonNode step = f.get("grid_step");
                    v.gridShare[p] = share.asDouble();
                    v.gridStep[p] = step == null || step.isNull() ? Double.NaN : step.asDouble();
                }
                v.withinDoubles[p] = new QuantileFunction(probabilities, Json.doubles(f.get("values")));
            }
        }
        v.withinNode = null;
    }

    /** Parsed plans by their JSON text, most recently used last. */
    private static final java.util.Map<String, Plan> PARSED = new java.util.LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Plan> eldest) {
            return size() > 4;
        }
    };

    /**
     * The plan of this JSON, parsed once per JVM: every task of a job carries the same text, and
     * parsing the flights plan costs ~35 ms per task. A Plan is read-only after parsing (samplers
     * keep their own buffers), so tasks share it.
     */
    static Plan shared(String json) {
        synchronized (PARSED) {
            Plan plan = PARSED.get(json);
            if (plan == null) {
                plan = parse(json);
                PARSED.put(json, plan);
            }
            return plan;
        }
    }

    static Plan parse(String json) {
        try {
            return new Plan(new ObjectMapper().readTree(json));
        } catch (IOException e) {
            throw new IllegalArgumentException("spark_synth plan is not valid JSON: " + e.getMessage(), e);
        }
    }

    static StructType schemaOf(String json) {
        try {
            return (StructType) DataType.fromJson(new ObjectMapper().readTree(json).get("schema").asText());
        } catch (IOException e) {
            throw new IllegalArgumentException("spark_synth plan is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static Variable variable(JsonNode n) {
        Variable v = new Variable();
        v.index = n.get("index").asInt();
        v.column = n.get("column").asInt();
        v.edges = Json.doubles(n.get("edges"));
        double[] uppers = new double[v.edges.length - 1];
        System.arraycopy(v.edges, 1, uppers, 0, uppers.length);
        v.codes = new GuideTable(uppers);
        v.keepPosition = n.get("keep_position").asBoolean();
        JsonNode keepScore = n.get("keep_score");
        v.keepScore = keepScore != null && keepScore.asBoolean();
        JsonNode root = n.get("root");
        if (root != null && !root.isNull()) {
            v.root = root.asInt();
        }
        JsonNode driven = n.get("driven");
        if (driven != null && !driven.isNull()) {
            v.driven = true;
            v.rankStream = driven.get("stream").asLong();
            v.rankRows = driven.get("rows").asLong();
        }
        JsonNode position = n.get("position");
        if (position != null && !position.isNull()) {
            v.positioned = true;
            v.positionRho = position.get("rho").asDouble();
            v.positionSpread = Math.sqrt(Math.max(1.0 - v.positionRho * v.positionRho, 0.0));
            v.positionRows = position.get("rows").asLong();
        }
        JsonNode warp = n.get("warp");
        if (warp != null && !warp.isNull()) {
            v.warpFrom = Json.doubles(warp.get("from"));
            v.warpTo = Json.doubles(warp.get("to"));
        }
        if (v.positioned && (v.root < 0 || v.driven || v.warpFrom != null || !(Math.abs(v.positionRho) < 1.0)
                || v.positionRows < 1)) {
            throw new IllegalArgumentException("spark_synth plan: variable " + v.index
                    + " has a position but is not a root drawn from its own stream, or |rho| >= 1, or rows < 1");
        }
        JsonNode conditional = n.get("conditional");
        if (conditional != null && !conditional.isNull()) {
            v.parent = n.get("parent").asInt();
            v.rho = n.get("rho").asDouble();
            v.spread = Math.sqrt(Math.max(1.0 - v.rho * v.rho, 1e-9));
            v.parentNumeric = n.get("parent_numeric").asBoolean();
            v.table = new ConditionalTable(Json.ints(conditional.get("row_start")),
                    Json.doubles(conditional.get("cumulative")), Json.ints(conditional.get("children")));
            JsonNode within = n.get("within");
            if (within != null && !within.isNull()) {
                v.withinNode = within;
            }
            JsonNode second = n.get("second");
            if (second != null && !second.isNull()) {
                v.secondParent = second.get("parent").asInt();
                v.secondCodes = second.get("codes").asInt();
                v.secondKeys = Json.longs(second.get("keys"));
                int[] rowStart = Json.ints(second.get("row_start"));
                v.secondTable = new ConditionalTable(rowStart, Json.doubles(second.get("cumulative")),
                        Json.ints(second.get("children")));
                v.secondFirstCell = Json.ints(second.get("first_cell"));
                if (rowStart.length != v.secondKeys.length + v.table.parentCodes() + 1) {
                    throw new IllegalArgumentException("spark_synth plan: second.row_start needs a row per key and "
                            + "one per parent code, plus one entry");
                }
                long keySpace = (long) (v.table.parentCodes()) * v.secondCodes;
                if (keySpace > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("spark_synth plan: second parent codes too many for one key");
                }
                if (keySpace <= SECOND_DENSE) { // a lookup per row instead of a binary search
                    v.secondRowOf = new int[(int) keySpace];
                    java.util.Arrays.fill(v.secondRowOf, -1);
                    for (int i = 0; i < v.secondKeys.length; i++) {
                        v.secondRowOf[(int) v.secondKeys[i]] = i;
                    }
                }
            }
            JsonNode regression = n.get("regression");
            if (regression != null && !regression.isNull()) {
                v.regressionParent = regression.get("parent").asInt();
                v.regressionRho = regression.get("rho").asDouble();
                v.regressionSpread = Math.sqrt(Math.max(1.0 - v.regressionRho * v.regressionRho, 0.0));
                v.regressionMean = Json.doubles(regression.get("mean"));
                v.regressionScale = Json.doubles(regression.get("scale"));
                v.regressionNullShare = Json.doubles(regression.get("null_share"));
                int codes = v.table.parentCodes();
                if (v.regressionMean.length != codes || v.regressionScale.length != codes
                        || v.regressionNullShare.length != codes || !(Math.abs(v.regressionRho) < 1.0)) {
                    throw new IllegalArgumentException("spark_synth plan: regression needs |rho| < 1 and a mean, "
                            + "scale and null share per parent code");
                }
                JsonNode bands = regression.get("bands");
                if (bands != null && !bands.isNull()) {
                    bands(v, bands);
                }
                JsonNode withNulls = regression.get("with_nulls");
                v.regressionWithNulls = withNulls != null && withNulls.asBoolean(false);
                if (v.regressionWithNulls && v.regressionBandEdges != null) {
                    throw new IllegalArgumentException("spark_synth plan: a regression with_nulls is a line, "
                            + "never beside bands");
                }
                JsonNode also = regression.get("also");
                if (also != null && !also.isNull()) {
                    v.alsoParent = also.get("parent").asInt();
                    v.alsoRho = also.get("rho").asDouble();
                    v.alsoBeta = also.get("beta").asDouble();
                    v.alsoSpread = also.get("spread").asDouble();
                    v.alsoMean = Json.doubles(also.get("mean"));
                    v.alsoScale = Json.doubles(also.get("scale"));
                    if (v.regressionBandEdges != null || v.regressionWithNulls
                            || v.alsoParent == v.regressionParent
                            || !(v.alsoSpread > 0.0 && v.alsoSpread <= 1.0)
                            || v.alsoMean.length != codes || v.alsoScale.length != codes) {
                        throw new IllegalArgumentException("spark_synth plan: a second regressor is another "
                                + "variable, not beside bands, with a spread in (0, 1] and a mean and scale "
                                + "per parent code");
                    }
                }
            }

        }
        return v;
    }

    /** A regression's bands (docs/plan.md §6 step 3c, v16), checked as the model checks them. */
    private static void bands(Variable v, JsonNode bands) {
        double[] edges = Json.doubles(bands.get("edges"));
        JsonNode rows = bands.get("cdf");
        if (rows.size() != edges.length + 1 || rows.size() < 2) {
            throw new IllegalArgumentException("spark_synth plan: regression bands need one cdf row per band");
        }
        double[][] cdf = new double[rows.size()][];
        for (int b = 0; b < cdf.length; b++) {
            double[] inner = Json.doubles(rows.get(b));
            if (inner.length != Json.doubles(rows.get(0)).length || inner.length < 1) {
                throw new IllegalArgumentException("spark_synth plan: regression bands' cdf rows differ in length");
            }
            double[] row = new double[inner.length + 2];
            System.arraycopy(inner, 0, row, 1, inner.length);
            row[row.length - 1] = 1.0;
            for (int j = 1; j < row.length; j++) {
                if (!(row[j] >= row[j - 1]) || row[j] > 1.0) {
                    throw new IllegalArgumentException("spark_synth plan: a regression band's cdf must rise "
                            + "from 0 to 1");
                }
            }
            cdf[b] = row;
        }
        for (int b = 1; b < edges.length; b++) {
            if (!(edges[b] > edges[b - 1])) {
                throw new IllegalArgumentException("spark_synth plan: regression band edges must rise strictly");
            }
        }
        v.regressionBandEdges = edges;
        v.regressionBandCdf = cdf;
    }

    private static ColumnSpec column(JsonNode n, DataType type) {
        ColumnSpec c = new ColumnSpec();
        c.name = n.get("name").asText();
        JsonNode key = n.get("key");
        if (key == null || !key.isIntegralNumber()) {
            throw new IllegalArgumentException("spark_synth plan: column " + c.name + " has no integer stream key");
        }
        c.key = key.asLong();
        c.source = n.get("source").asText();
        c.nullFraction = n.get("null_fraction").asDouble();
        c.output = new Output(type);
        JsonNode numeric = n.get("numeric");
        if (numeric != null && !numeric.isNull()) {
            c.numeric = true;
            c.pNull = numeric.get("p_null").asDouble();
            c.cdf = new MarginalCdf(Json.doubles(numeric.get("probabilities")), Json.doubles(numeric.get("values")));
            if (numeric.get("exact").asBoolean()) {
                c.exact = new ExactNumbers(numeric);
            } else {
                c.quantiles = new QuantileFunction(Json.doubles(numeric.get("probabilities")),
                        Json.doubles(numeric.get("values")));
                if (!numeric.get("step").isNull()) {
                    c.step = numeric.get("step").asDouble();
                    c.perStep = 1.0 / c.step;
                }
                if (!numeric.get("decimal_places").isNull()) {
                    c.decimalScale = StrictMath.pow(10.0, numeric.get("decimal_places").asInt()); // fdlibm: the same bits everywhere
                }
                if (!numeric.get("grid_step").isNull()) {
                    c.gridStep = numeric.get("grid_step").asDouble();
                    c.gridShare = numeric.get("grid_share").asDouble();
                }
                c.min = numeric.get("min").asDouble();
                c.max = numeric.get("max").asDouble();
            }
        }
        JsonNode categories = n.get("categories");
        if (categories != null && !categories.isNull()) {
            categories(c, categories, c.output);
        }
        JsonNode pattern = n.get("pattern");
        if (pattern != null && !pattern.isNull()) {
            c.pattern = new Pattern(pattern);
        }
        JsonNode variants = n.get("variants");
        if (variants != null && !variants.isNull()) {
            c.variants = new Variant[variants.size()];
            for (int v = 0; v < c.variants.length; v++) {
                JsonNode unique = variants.get(v).get("unique_shape");
                c.variants[v] = unique != null ? new UniqueShape(unique) : new Pattern(variants.get(v));
            }
        }
        JsonNode id = n.get("id");
        if (id != null && !id.isNull()) {
            c.idStart = id.get("start").asLong();
            c.idStep = id.get("step").asLong();
        }
        JsonNode unique = n.get("unique");
        if (unique != null && !unique.isNull()) {
            c.unique = unique;
        }
        JsonNode place = n.get("place");
        if (place != null && !place.isNull()) {
            c.place = new Place(place);
        }
        JsonNode compose = n.get("compose");
        if (compose != null && !compose.isNull()) {
            c.compose = new Compose(compose);
        }
        JsonNode program = n.get("key_program");
        if (program != null && !program.isNull()) {
            c.keyProgram = program;
        }
        return c;
    }

    /** A column's category values, in the typed arrays Output.category reads. */
    static void categories(ColumnSpec c, JsonNode categories, Output output) {
        c.categoryCount = categories.size();
        c.strings = new byte[c.categoryCount][];
        c.integers = new long[c.categoryCount];
        c.numbers = new double[c.categoryCount];
        c.booleans = new boolean[c.categoryCount];
        c.decimals = new java.math.BigDecimal[c.categoryCount];
        for (int i = 0; i < c.categoryCount; i++) {
            JsonNode value = categories.get(i);
            if (output.kind == Output.Kind.DECIMAL) {
                c.decimals[i] = new java.math.BigDecimal(value.asText());
            } else if (value.isTextual()) {
                c.strings[i] = value.asText().getBytes(StandardCharsets.UTF_8);
            } else if (value.isBoolean()) {
                c.booleans[i] = value.asBoolean();
            } else if (value.canConvertToLong() && value.isIntegralNumber()) {
                c.integers[i] = value.asLong();
                c.numbers[i] = value.asDouble();
            } else {
                c.numbers[i] = value.asDouble();
                c.integers[i] = Math.round(c.numbers[i]);
            }
        }
    }
}
