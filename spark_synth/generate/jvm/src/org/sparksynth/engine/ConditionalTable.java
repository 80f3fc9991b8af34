package org.sparksynth.engine;

/**
 * P(child code | parent code) laid out for one random access per draw: parent p's cells are
 * rowStart[p] until rowStart[p + 1] (empty = no table row), each packed as one long (upper
 * cumulative probability as float bits, child code), and a guide of two slots per cell maps a
 * uniform to the cell to start from. Floats keep the table small enough to stay in cache;
 * cell probabilities are at least k / rows, far above float resolution.
 */
final class ConditionalTable {
    private final int[] rowStart;
    private final int[] guide;
    private final long[] cells;

    ConditionalTable(int[] rowStart, double[] cumulative, int[] children) {
        this.rowStart = rowStart;
        this.cells = new long[children.length];
        for (int i = 0; i < children.length; i++) {
            cells[i] = ((long) Float.floatToIntBits((float) cumulative[i]) << 32) | (children[i] & 0xffffffffL);
        }
        int parents = rowStart.length - 1;
        this.guide = new int[2 * children.length];
        for (int p = 0; p < parents; p++) {
            int first = rowStart[p];
            int last = rowStart[p + 1] - 1;
            int size = 2 * (last - first + 1);
            int cell = first;
            for (int slot = 0; slot < size; slot++) {
                double grid = (double) slot / size;
                while (cell < last && upper(cell) <= grid) {
                    cell++;
                }
                guide[2 * first + slot] = cell;
            }
        }
    }

    /** The cell of parent p that u falls in, or -1 when p has no table row. */
    int cell(int p, double u) {
        int first = rowStart[p];
        int count = rowStart[p + 1] - first;
        if (count == 0) {
            return -1;
        }
        int last = first + count - 1;
        int cell = guide[2 * first + Math.min((int) (u * (2 * count)), 2 * count - 1)];
        while (cell < last && upper(cell) <= u) {
            cell++;
        }
        return cell;
    }

    int child(int cell) {
        return (int) cells[cell];
    }

    double upper(int cell) {
        return Float.intBitsToFloat((int) (cells[cell] >>> 32));
    }

    /** Lower cumulative probability of a cell (0 for the first cell of its row). */
    double lower(int p, int cell) {
        return cell == rowStart[p] ? 0.0 : upper(cell - 1);
    }
}
