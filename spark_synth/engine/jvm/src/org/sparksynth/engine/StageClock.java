package org.sparksynth.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the sampler's time goes, stage by stage (a tree column's draw, its written values, the
 * rules ...), for profiling: scripts/jmh's StageTimes prints it. Off unless the JVM runs with
 * -Dspark_synth.engine.stageTimes=true; ON is a static final, so when it is off the JIT folds
 * every call away and generation pays nothing.
 */
final class StageClock {
    static final boolean ON = Boolean.getBoolean("spark_synth.engine.stageTimes");
    private static final Map<String, LongAdder> NANOS = new ConcurrentHashMap<>();

    private StageClock() {}

    /** A start time (0 when off). */
    static long start() {
        return ON ? System.nanoTime() : 0L;
    }

    /** Adds the time since `since` to `stage`; returns now, the next stage's start. */
    static long lap(String stage, long since) {
        if (!ON) {
            return 0L;
        }
        long now = System.nanoTime();
        NANOS.computeIfAbsent(stage, k -> new LongAdder()).add(now - since);
        return now;
    }

    /** Nanoseconds per stage so far, the costliest first. */
    static Map<String, Long> totals() {
        Map<String, Long> out = new LinkedHashMap<>();
        NANOS.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
                .forEach(e -> out.put(e.getKey(), e.getValue().sum()));
        return out;
    }

    static void reset() {
        NANOS.clear();
    }
}
