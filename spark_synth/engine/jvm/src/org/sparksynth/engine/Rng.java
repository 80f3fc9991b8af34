package org.sparksynth.engine;

/**
 * Counter-based randomness: every draw is a pure function of (seed, column key, row, draw index),
 * so output never depends on partitioning, executors, retries or re-runs.
 *
 * The mixer is SplitMix64's finaliser (Stafford variant 13). Changing anything here changes
 * every generated value: treat it like a file-format constant (ENGINE_VERSION).
 */
final class Rng {
    static final long GOLDEN = 0x9e3779b97f4a7c15L;
    private static final long DRAW_STEP = 0xd1b54a32d192ed03L;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private Rng() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The stream of one column under one seed. */
    static long stream(long seed, long columnKey) {
        return mix(mix(seed + GOLDEN) ^ columnKey);
    }

    /** Draw 0 of a row: the SplitMix64 sequence of the stream, indexed by row. */
    static long bits(long stream, long row) {
        return mix(stream + (row + 1) * GOLDEN);
    }

    /** Draw k >= 1 of a row (string characters, null flags of copula-free columns...). */
    static long bits(long stream, long row, int draw) {
        return draw == 0 ? bits(stream, row) : mix(bits(stream, row) + draw * DRAW_STEP);
    }

    /** Draw k >= 1 of a row from its draw 0 (`bits(stream, row)`, computed once for many draws). */
    static long drawOf(long base, int draw) {
        return mix(base + draw * DRAW_STEP);
    }

    /** Uniform in [0, 1). */
    static double uniform(long bits) {
        return (bits >>> 11) * TWO_POW_MINUS_53;
    }

    /** Uniform in (0, 1): safe for the inverse normal CDF. */
    static double openUniform(long bits) {
        return ((bits >>> 11) + 0.5) * TWO_POW_MINUS_53;
    }
}
