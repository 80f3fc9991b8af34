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
}
