package org.sparksynth.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The engine's per-row loop on one thread, as SynthDataSource's reader runs it: 4,096 rows of a
 * plan filled into Spark's on-heap column vectors per invocation (in batches of batchRows), at row numbers that
 * keep advancing (every batch is new rows, as in a real task). Reported per row
 * (OperationsPerInvocation). {@code toRows} adds what Spark does next to each batch before a
 * writer sees it (ColumnarToRow: every row projected into an UnsafeRow), so the two scores'
 * difference is that conversion's cost. Run by scripts/engine_jmh.py.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EngineLoopBench {
    /** Rows per invocation (the score is divided by it): 4096 / batchRows batches. */
    static final int ROWS = 4096;

    /** A plan compiled by spark_synth.plan.compiler, as a file. */
    @Param("")
    public String planFile;

    /** Rows per batch, a divisor of 4,096 (SynthDataSource's reader uses 4,096). */
    @Param("4096")
    public int batchRows;

    private Sampler sampler;
    private OnHeapColumnVector[] vectors;
    private ColumnarBatch batch;
    private UnsafeProjection toUnsafe;
    private long next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Plan plan = Plan.parse(Files.readString(Path.of(planFile), StandardCharsets.UTF_8));
        sampler = new Sampler(plan, 7L, batchRows);
        vectors = OnHeapColumnVector.allocateColumns(batchRows, plan.schema);
        batch = new ColumnarBatch(vectors);
        toUnsafe = UnsafeProjection.create(plan.schema);
        next = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
    }

    private void fillNext() {
        for (OnHeapColumnVector vector : vectors) {
            vector.reset();
        }
        sampler.fill(vectors, next, batchRows);
        batch.setNumRows(batchRows);
        next += batchRows;
    }

    /** Sampling alone: the plan's rows into the column vectors. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void sample(Blackhole sink) {
        for (int done = 0; done < ROWS; done += batchRows) {
            fillNext();
            sink.consume(batch);
        }
    }

    /** Sampling, then every row of the batch as an UnsafeRow (the hand-off to a writer). */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void sampleToRows(Blackhole sink) {
        for (int done = 0; done < ROWS; done += batchRows) {
            fillNext();
            Iterator<InternalRow> rows = batch.rowIterator();
            while (rows.hasNext()) {
                sink.consume(toUnsafe.apply(rows.next()));
            }
        }
    }
}
