package org.sparksynth.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
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
 * spark_synth.generate.plan_main`, the same code the Python API uses, so both paths give the same
 * rows); then the scan is spark_synth_engine's.
 */
public final class ModelDataSource implements TableProvider, DataSourceRegister {
    private static final long ROWS_PER_PARTITION = 2_000_000L;
    private static final Map<String, String> PLANS = new ConcurrentHashMap<>();

    @Override
    public String shortName() {
        return "spark_synth";
    }

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        EngineInfo.checkSparkLine();
        return Plan.schemaOf(plan(options));
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        CaseInsensitiveStringMap options = new CaseInsensitiveStringMap(properties);
        long rows = SynthDataSource.positive(options, "rows");
        Map<String, String> engine = new HashMap<>(properties);
        engine.put("plan", plan(options));
        engine.putIfAbsent("seed", "0");
        if (!options.containsKey("partitions")) {
            long parallelism = Math.max(1, SparkSession.active().sparkContext().defaultParallelism());
            long rounds = Math.max(1, (rows + parallelism * ROWS_PER_PARTITION - 1) / (parallelism * ROWS_PER_PARTITION));
            engine.put("partitions", Long.toString(parallelism * rounds));
        }
        return new SynthDataSource().getTable(schema, partitioning, engine);
    }

    private static String plan(CaseInsensitiveStringMap options) {
        String model = SynthDataSource.required(options, "model");
        String rows = SynthDataSource.required(options, "rows");
        return PLANS.computeIfAbsent(model + "\u0000" + rows + "\u0000" + modified(model), key -> compile(model, rows));
    }

    private static long modified(String model) {
        return new java.io.File(model).lastModified();
    }

    /** Runs the driver's Python (PYSPARK_DRIVER_PYTHON, PYSPARK_PYTHON, else python3). */
    private static String compile(String model, String rows) {
        String python = firstSet(System.getenv("PYSPARK_DRIVER_PYTHON"), System.getenv("PYSPARK_PYTHON"), "python3");
        ProcessBuilder builder = new ProcessBuilder(python, "-m", "spark_synth.generate.plan_main", "--model", model,
                "--rows", rows);
        java.io.File errors = null;
        try {
            errors = java.io.File.createTempFile("spark_synth_plan", ".err");
            builder.redirectError(errors); // a file, so a chatty stderr cannot block the stdout read
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
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
