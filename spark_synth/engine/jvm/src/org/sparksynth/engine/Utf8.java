package org.sparksynth.engine;

import java.nio.charset.StandardCharsets;

/** UTF-8 bytes of code points: ASCII (most generated text) byte by byte, the rest through String. */
final class Utf8 {
    private Utf8() {}

    static byte[] encode(int[] codePoints, int length) {
        for (int p = 0; p < length; p++) {
            if (codePoints[p] >= 128) {
                return new String(codePoints, 0, length).getBytes(StandardCharsets.UTF_8);
            }
        }
        byte[] bytes = new byte[length];
        for (int p = 0; p < length; p++) {
            bytes[p] = (byte) codePoints[p];
        }
        return bytes;
    }

    /** How many UTF-8 bytes a code point takes. */
    static int length(int codePoint) {
        return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    }

    /** Writes one code point's UTF-8 bytes at `at`; returns the position after them. */
    static int put(int codePoint, byte[] out, int at) {
        if (codePoint < 0x80) {
            out[at] = (byte) codePoint;
            return at + 1;
        }
        if (codePoint < 0x800) {
            out[at] = (byte) (0xC0 | codePoint >> 6);
            out[at + 1] = (byte) (0x80 | codePoint & 0x3F);
            return at + 2;
        }
        if (codePoint < 0x10000) {
            out[at] = (byte) (0xE0 | codePoint >> 12);
            out[at + 1] = (byte) (0x80 | codePoint >> 6 & 0x3F);
            out[at + 2] = (byte) (0x80 | codePoint & 0x3F);
            return at + 3;
        }
        out[at] = (byte) (0xF0 | codePoint >> 18);
        out[at + 1] = (byte) (0x80 | codePoint >> 12 & 0x3F);
        out[at + 2] = (byte) (0x80 | codePoint >> 6 & 0x3F);
        out[at + 3] = (byte) (0x80 | codePoint & 0x3F);
        return at + 4;
    }
}
