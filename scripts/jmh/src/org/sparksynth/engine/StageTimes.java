package org.sparksynth.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;

/**
 * Where the engine's per-row time goes, stage by stage, on one thread: the flights plan's
 * batches filled as EngineLoopBench fills them, with the sampler's StageClock on (run with
 * -Dspark_synth.engine.stageTimes=true). Timing each stage costs two clock reads per batch, nothing
 * per row. Prints "stage<TAB>ns per row" lines, the costliest first, then the total.
 *
 *     java -Dspark_synth.engine.stageTimes=true -cp ... org.sparksynth.engine.StageTimes PLAN [BATCHES]
 */
public final class StageTimes {
    private StageTimes() {}

    public static void main(String[] args) throws IOException {
        if (!StageClock.ON) {
            throw new IllegalStateException("run with -Dspark_synth.engine.stageTimes=true");
        }
        Plan plan = Plan.parse(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int rows = EngineLoopBench.ROWS;
        Sampler sampler = new Sampler(plan, 7L, rows);
        OnHeapColumnVector[] vectors = OnHeapColumnVector.allocateColumns(rows, plan.schema);
        long next = 0;
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up, untimed
            StageClock.reset();
            long started = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                for (OnHeapColumnVector vector : vectors) {
                    vector.reset();
                }
                sampler.fill(vectors, next, rows);
                next += rows;
            }
            long elapsed = System.nanoTime() - started;
            if (round == 1) {
                double total = (double) batches * rows;
                for (Map.Entry<String, Long> e : StageClock.totals().entrySet()) {
                    System.out.printf("%s\t%.1f%n", e.getKey(), e.getValue() / total);
                }
                System.out.printf("total\t%.1f%n", elapsed / total);
            }
        }
    }
}
