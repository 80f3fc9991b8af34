package org.sparksynth.engine;

import java.math.BigInteger;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Spark data source "spark_synth_engine": synthetic rows straight into Spark's columnar
 * batches, no Python worker and no Arrow hand-off. Options: plan (the JSON compiled by
 * spark_synth.plan.compiler), rows, seed, partitions (default: see defaultPartitions), first
 * (default 0: a slice of a larger output starts later). Partition p owns the rows
 * [first + rows*p/P, first + rows*(p+1)/P); every value depends only on (seed, column, row), so
 * the result is the same for any P, executor count or retry.
 */
public final class SynthDataSource implements TableProvider, DataSourceRegister {
    @Override
    public String shortName() {
        return "spark_synth_engine";
    }

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        EngineInfo.checkSparkLine();
        return Plan.schemaOf(required(options, "plan"));
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        return new SynthTable(schema, new CaseInsensitiveStringMap(properties));
    }

    static String required(CaseInsensitiveStringMap options, String key) {
        String value = options.get(key);
        if (value == null) {
            throw new IllegalArgumentException("spark_synth_engine needs the option '" + key + "'");
        }
        return value;
    }

    private static final long ROWS_PER_PARTITION = 2_000_000L;

    /**
     * The partition count when none is given: a multiple of the cluster's parallelism (no straggler
     * round), about ROWS_PER_PARTITION rows each, never more than the rows. Decided here, on the
     * driver, so that clients without a SparkContext (Spark Connect) need not know the cluster.
     */
    static long defaultPartitions(long rows) {
        long parallelism = Math.max(1, org.apache.spark.sql.SparkSession.active().sparkContext().defaultParallelism());
        long rounds = Math.max(1, (rows + parallelism * ROWS_PER_PARTITION - 1) / (parallelism * ROWS_PER_PARTITION));
        return Math.min(rows, parallelism * rounds);
    }

    static long positive(CaseInsensitiveStringMap options, String key) {
        String text = required(options, key);
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("spark_synth option '" + key + "' takes a whole number from 1 to "
                    + Long.MAX_VALUE / 2 + ", got '" + text + "'");
        }
        if (value > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("spark_synth option '" + key + "' must be at most " + Long.MAX_VALUE / 2
                    + " (64-bit row indexes), got " + value);
        }
        if (value <= 0) {
            throw new IllegalArgumentException("spark_synth_engine option '" + key + "' must be positive, got " + value);
        }
        return value;
    }

    private static final class SynthTable implements SupportsRead {
        private final StructType schema;
        private final CaseInsensitiveStringMap options;

        SynthTable(StructType schema, CaseInsensitiveStringMap options) {
            this.schema = schema;
            this.options = options;
        }

        @Override
        public String name() {
            return "spark_synth";
        }

        @Override
        public StructType schema() {
            return schema;
        }

        @Override
        public Set<TableCapability> capabilities() {
            return EnumSet.of(TableCapability.BATCH_READ);
        }

        @Override
        public ScanBuilder newScanBuilder(CaseInsensitiveStringMap scanOptions) {
            return () -> new SynthScan(schema, options);
        }
    }

    private static final class SynthScan implements Scan, Batch {
        private final StructType schema;
        private final String plan;
        private final long rows;
        /** The first row's number in the whole output (option "first", default 0): a slice of a larger output. */
        private final long first;
        private final long seed;
        private final int partitions;
        private final int failPartition;

        SynthScan(StructType schema, CaseInsensitiveStringMap options) {
            this.schema = schema;
            this.plan = required(options, "plan");
            this.rows = positive(options, "rows");
            this.first = options.containsKey("first") ? Long.parseLong(options.get("first")) : 0L;
            if (first < 0 || first > Long.MAX_VALUE - rows) {
                throw new IllegalArgumentException("spark_synth: option first must be >= 0 and first + rows fit a long");
            }
            this.seed = Long.parseLong(required(options, "seed"));
            long wanted = options.containsKey("partitions") ? positive(options, "partitions") : defaultPartitions(rows);
            this.partitions = (int) Math.min(Math.min(wanted, rows), Integer.MAX_VALUE);
            this.failPartition = options.getInt(FAIL_OPTION, -1);
            Plan.parse(plan); // fail on the driver, not in every task
        }

        @Override
        public StructType readSchema() {
            return schema;
        }

        @Override
        public String description() {
            return "spark_synth rows=" + rows + (first > 0 ? " first=" + first : "") + " seed=" + seed
                    + " partitions=" + partitions;
        }

        @Override
        public Batch toBatch() {
            return this;
        }

        @Override
        public InputPartition[] planInputPartitions() {
            InputPartition[] out = new InputPartition[partitions];
            BigInteger total = BigInteger.valueOf(rows);
            BigInteger count = BigInteger.valueOf(partitions);
            for (int p = 0; p < partitions; p++) {
                long start = total.multiply(BigInteger.valueOf(p)).divide(count).longValueExact();
                long end = total.multiply(BigInteger.valueOf(p + 1L)).divide(count).longValueExact();
                out[p] = new RowRange(first + start, first + end);
            }
            return out;
        }

        @Override
        public PartitionReaderFactory createReaderFactory() {
            return new ReaderFactory(plan, seed, failPartition);
        }
    }

    /** Rows [start, end) of the output. */
    record RowRange(long start, long end) implements InputPartition {}

    /**
     * Fault injection for tests: the first attempt of this partition's task fails after its
     * first batch (mid-write); the retry must produce the same rows.
     */
    static final String FAIL_OPTION = "test.failFirstAttemptOfPartition";

    private static final class ReaderFactory implements PartitionReaderFactory {
        private static final long serialVersionUID = 1L;
        private final String plan;
        private final long seed;
        private final int failPartition;

        ReaderFactory(String plan, long seed, int failPartition) {
            this.plan = plan;
            this.seed = seed;
            this.failPartition = failPartition;
        }

        @Override
        public boolean supportColumnarReads(InputPartition partition) {
            return true;
        }

        @Override
        public PartitionReader<InternalRow> createReader(InputPartition partition) {
            throw new UnsupportedOperationException("spark_synth_engine reads columnar batches only");
        }

        @Override
        public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
            RowRange range = (RowRange) partition;
            org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
            boolean fail = task != null && task.partitionId() == failPartition && task.attemptNumber() == 0;
            return new BatchReader(Plan.shared(plan), seed, range.start(), range.end(), fail);
        }
    }

    private static final class BatchReader implements PartitionReader<ColumnarBatch> {
        private static final int BATCH_ROWS = 4096;
        private final Sampler sampler;
        private final OnHeapColumnVector[] vectors;
        private final ColumnarBatch batch;
        private long next;
        private final long end;
        private final boolean failAfterFirstBatch;
        private int batches;

        BatchReader(Plan plan, long seed, long start, long end, boolean failAfterFirstBatch) {
            this.sampler = new Sampler(plan, seed, BATCH_ROWS);
            this.vectors = OnHeapColumnVector.allocateColumns(BATCH_ROWS, plan.schema);
            this.batch = new ColumnarBatch(vectors);
            this.next = start;
            this.end = end;
            this.failAfterFirstBatch = failAfterFirstBatch;
        }

        @Override
        public boolean next() {
            if (next >= end) {
                return false;
            }
            if (failAfterFirstBatch && batches++ == 1) {
                throw new IllegalStateException("spark_synth injected failure (" + FAIL_OPTION + ")");
            }
            int n = (int) Math.min(BATCH_ROWS, end - next);
            for (OnHeapColumnVector vector : vectors) {
                vector.reset();
            }
            sampler.fill(vectors, next, n);
            batch.setNumRows(n);
            next += n;
            return true;
        }

        @Override
        public ColumnarBatch get() {
            return batch;
        }

        @Override
        public void close() {
            batch.close();
        }
    }
}
