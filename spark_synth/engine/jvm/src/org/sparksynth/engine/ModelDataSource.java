package org.sparksynth.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * Spark data source "spark_synth": spark.read.format("spark_synth").option("model", path)
 * .option("rows", n)[.option("seed", s)][.option("partitions", p)].load() gives the same rows as
 * spark_synth.generate(spark, load_model(path), n, s). The model is compiled into the engine's
 * plan once, on the driver, by the installed spark_synth package (`python -m
 * spark_synth.plan.main`, the same code the Python API uses, so both paths give the same
 * rows); then the scan is spark_synth_engine's. The model path may be on any Hadoop file system
 * (s3a://, abfss://, hdfs://, dbfs:/): the driver reads it and hands the JSON to Python on stdin,
 * so the driver needs Python with spark_synth installed, not the file on its local disk.
 */
public final class ModelDataSource implements TableProvider, DataSourceRegister {
    private static final Map<String, String> PLANS = new ConcurrentHashMap<>();

    @Override
    public String shortName() {
        return "spark_synth";
    }

    /** The options a reader may give; anything else is most likely a typo ("row", "sed"). */
    static final java.util.List<String> OPTIONS = java.util.List.of("model", "rows", "seed", "partitions");

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        EngineInfo.checkSparkLine();
        checkOptions(options);
        SynthDataSource.positive(options, "rows");
        return Plan.schemaOf(plan(options));
    }

    /** Unknown option names are refused with the known ones ("path" is Spark's load(path)). */
    static void checkOptions(CaseInsensitiveStringMap options) {
        for (String key : options.keySet()) {
            String name = key.toLowerCase(java.util.Locale.ROOT);
            if (!OPTIONS.contains(name) && !name.equals("path") && !name.startsWith("test.")) {
                throw new IllegalArgumentException("spark_synth: unknown option '" + key + "'; the options are "
                        + String.join(", ", OPTIONS));
            }
        }
        if (options.containsKey("seed")) {
            try {
                Long.parseLong(options.get("seed").trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("spark_synth option 'seed' takes a whole number from "
                        + Long.MIN_VALUE + " to " + Long.MAX_VALUE + ", got '" + options.get("seed") + "'");
            }
        }
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        CaseInsensitiveStringMap options = new CaseInsensitiveStringMap(properties);
        checkOptions(options);
        SynthDataSource.positive(options, "rows");
        Map<String, String> engine = new HashMap<>(properties);
        engine.put("plan", plan(options));
        engine.putIfAbsent("seed", "0");
        return new SynthDataSource().getTable(schema, partitioning, engine);
    }

    /** Compiled once per (model content, rows): the model is read through Hadoop (any scheme). */
    private static String plan(CaseInsensitiveStringMap options) {
        String model = SynthDataSource.required(options, "model");
        String rows = SynthDataSource.required(options, "rows");
        byte[] content = read(model);
        return PLANS.computeIfAbsent(digest(content) + "\u0000" + rows, key -> compile(model, content, rows));
    }

    private static byte[] read(String model) {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(model);
        try {
            org.apache.hadoop.fs.FileSystem fs = ServerOps.fs(path);
            if (!fs.isFile(path)) {
                throw new IllegalArgumentException("spark_synth: model " + model + " does not exist (option 'model' "
                        + "takes a model JSON file on any file system the cluster can read)");
            }
            try (java.io.InputStream in = fs.open(path)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("spark_synth: cannot read model " + model + ": " + e, e);
        }
    }

    private static String digest(byte[] content) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the driver's Python (PYSPARK_DRIVER_PYTHON, PYSPARK_PYTHON, else python3). */
    private static String compile(String model, byte[] content, String rows) {
        String python = firstSet(System.getenv("PYSPARK_DRIVER_PYTHON"), System.getenv("PYSPARK_PYTHON"), "python3");
        ProcessBuilder builder = new ProcessBuilder(python, "-m", "spark_synth.plan.main", "--model", "-", "--name", model,
                "--rows", rows);
        java.io.File errors = null;
        try {
            errors = java.io.File.createTempFile("spark_synth_plan", ".err");
            builder.redirectError(errors); // a file, so a chatty stderr cannot block the stdout read
            Process process = builder.start();
            Thread feed = new Thread(() -> {
                try (java.io.OutputStream in = process.getOutputStream()) {
                    in.write(content);
                } catch (IOException ignored) {
                    // the process ended early; its exit code and stderr say why
                }
            }, "spark_synth-model-feed");
            feed.start();
            byte[] out = process.getInputStream().readAllBytes();
            feed.join();
            if (!process.waitFor(300, TimeUnit.SECONDS) || process.exitValue() != 0) {
                String message = java.nio.file.Files.readString(errors.toPath(), StandardCharsets.UTF_8).strip();
                int cut = message.lastIndexOf('\n');
                throw new IllegalArgumentException("spark_synth: model " + model + ": "
                        + (cut >= 0 ? message.substring(cut + 1) : message));
            }
            return new String(out, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalStateException("spark_synth: cannot run " + python + " to compile the model (install "
                    + "spark_synth in the driver's Python, or set PYSPARK_PYTHON): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("spark_synth: interrupted while compiling " + model, e);
        } finally {
            if (errors != null) {
                errors.delete();
            }
        }
    }

    private static String firstSet(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return values[values.length - 1];
    }
}
