package org.sparksynth.engine;

/**
 * What a copula column's code past its categories draws its string from (plan §7 "variants"):
 * a pattern (a shape, a text model, a vocabulary group's words) or one shape of a unique column.
 */
interface Variant {
    /** UTF-8 bytes of the row's string; draws firstDraw, firstDraw + 1, ... of the column's stream. */
    byte[] draw(long stream, long row, int firstDraw);
}
