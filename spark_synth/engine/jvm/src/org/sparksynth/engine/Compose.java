package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * E-mails built from the row's generated names (plan section 9 "compose"), after every other column of
 * the row is written. Draws of the column's stream for a row: 0 null flag, 1 built (u < built
 * share) or the fallback pattern (its draws from FALLBACK_DRAW), 2 template, 3 given prefix
 * length, 4 family prefix length, 5 digit count, 6 domain, 7 + i the i-th digit. A unique column
 * (unique_width w > 0) builds every row and ends its local part with the row's scramble over
 * 10^w, written in w digits, instead of drawn digits: distinct rows, distinct addresses.
 */
final class Compose {
    static final int FALLBACK_DRAW = 16;
    private static final int CACHE_BITS = 14;
    private static final int CACHE_SLOTS = 1 << CACHE_BITS;

    final int given;
    final int family;
    private final double builtShare;
    private final String[] templates;
    private final double[] templateCumulative;
    private final int[] givenPrefix;
    private final double[] givenPrefixCumulative;
    private final int[] familyPrefix;
    private final double[] familyPrefixCumulative;
    private final int[] digits;
    private final double[] digitsCumulative;
    private final byte[][] domainBytes;
    private final double[] domainCumulative;
    private final int uniqueWidth;
    private final long uniqueCapacity;

    /**
     * One sampler's working state (samplers run in parallel, the plan is shared): folded
     * spellings (ASCII bytes) of the names it has seen, by the written array's identity or the
     * name's hash (a slot keeps its last name; names repeat, folding is the slow part), and the
     * buffer an address is built in.
     */
    static final class Scratch {
        private final UTF8String[] cachedNames = new UTF8String[CACHE_SLOTS];
        private final byte[][] cachedFolds = new byte[CACHE_SLOTS][];
        private final byte[][] sourceKeys = new byte[CACHE_SLOTS][];
        private final byte[][] sourceFolds = new byte[CACHE_SLOTS][];
        private byte[] buffer = new byte[64];

        private void room(int length) {
            if (buffer.length < length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.max(length, 2 * buffer.length));
            }
        }
    }

    Compose(JsonNode node) {
        given = node.get("given").asInt();
        family = node.get("family").asInt();
        builtShare = node.get("built_share").asDouble();
        templates = strings(node.get("templates"));
        templateCumulative = Json.doubles(node.get("template_cumulative"));
        givenPrefix = Json.ints(node.get("given_prefix"));
        givenPrefixCumulative = Json.doubles(node.get("given_prefix_cumulative"));
        familyPrefix = Json.ints(node.get("family_prefix"));
        familyPrefixCumulative = Json.doubles(node.get("family_prefix_cumulative"));
        digits = Json.ints(node.get("digits"));
        digitsCumulative = Json.doubles(node.get("digits_cumulative"));
        domainBytes = utf8(strings(node.get("domains")));
        domainCumulative = Json.doubles(node.get("domain_cumulative"));
        uniqueWidth = node.get("unique_width").asInt();
        long capacity = 1;
        for (int i = 0; i < uniqueWidth; i++) {
            capacity *= 10;
        }
        uniqueCapacity = capacity;
    }

    private static String[] strings(JsonNode array) {
        String[] out = new String[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asText();
        }
        return out;
    }

    private static byte[][] utf8(String[] words) {
        byte[][] out = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            out[i] = ("@" + words[i]).getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    void fill(Plan.ColumnSpec c, long stream, WritableColumnVector[] vectors, byte[][][] written,
              WritableColumnVector out, long first, int n, Scratch scratch) {
        long key = Rng.mix(Rng.mix(stream ^ UniqueKeys.UNIQUE_SALT) + 1);
        for (int r = 0; r < n; r++) {
            long row = first + r;
            long base = Rng.bits(stream, row); // draw 0; draw k is Rng.drawOf(base, k)
            if (c.nullFraction > 0 && Rng.uniform(base) < c.nullFraction) {
                out.putNull(r);
                continue;
            }
            if (uniqueWidth == 0 && c.pattern != null && Rng.uniform(Rng.drawOf(base, 1)) >= builtShare) {
                out.putByteArray(r, c.pattern.draw(stream, row, FALLBACK_DRAW));
                continue;
            }
            String template = templates[GuideTable.pick(templateCumulative, Rng.uniform(Rng.drawOf(base, 2)))];
            int gp = givenPrefix[GuideTable.pick(givenPrefixCumulative, Rng.uniform(Rng.drawOf(base, 3)))];
            int fp = familyPrefix[GuideTable.pick(familyPrefixCumulative, Rng.uniform(Rng.drawOf(base, 4)))];
            int length = build(scratch, template, name(scratch, vectors, written, given, r),
                    name(scratch, vectors, written, family, r), gp, fp);
            byte[] buffer = scratch.buffer;
            if (uniqueWidth > 0) {
                long number = UniqueKeys.scramble(row, uniqueCapacity, key);
                scratch.room(length + uniqueWidth);
                buffer = scratch.buffer;
                for (int i = uniqueWidth - 1; i >= 0; i--) {
                    buffer[length + i] = (byte) ('0' + (int) (number % 10));
                    number /= 10;
                }
                length += uniqueWidth;
            } else {
                int count = digits[GuideTable.pick(digitsCumulative, Rng.uniform(Rng.drawOf(base, 5)))];
                scratch.room(length + count);
                buffer = scratch.buffer;
                for (int i = 0; i < count; i++) {
                    buffer[length++] = (byte) ('0' + (int) (Rng.uniform(Rng.drawOf(base, 7 + i)) * 10));
                }
            }
            byte[] domain = domainBytes[GuideTable.pick(domainCumulative, Rng.uniform(Rng.drawOf(base, 6)))];
            scratch.room(length + domain.length);
            buffer = scratch.buffer;
            System.arraycopy(domain, 0, buffer, length, domain.length);
            out.putByteArray(r, buffer, 0, length + domain.length);
        }
    }

    /**
     * The row's folded name in column `column` (empty when null or absent), as ASCII bytes. The
     * array the name was written from, when the sampler kept it (categories, vocabulary words:
     * shared arrays), finds its fold by identity; else the written value is read back.
     */
    private static byte[] name(Scratch scratch, WritableColumnVector[] vectors, byte[][][] written, int column, int r) {
        if (column < 0 || vectors[column].isNullAt(r)) {
            return EMPTY;
        }
        byte[] source = written[column] != null ? written[column][r] : null;
        if (source != null) {
            int slot = (System.identityHashCode(source) * 0x9E3779B9) >>> (32 - CACHE_BITS);
            if (scratch.sourceKeys[slot] != source) {
                scratch.sourceKeys[slot] = source;
                scratch.sourceFolds[slot] = fold(new String(source, StandardCharsets.UTF_8)).getBytes(StandardCharsets.US_ASCII);
            }
            return scratch.sourceFolds[slot];
        }
        UTF8String value = vectors[column].getUTF8String(r);
        int slot = (value.hashCode() * 0x9E3779B9) >>> (32 - CACHE_BITS);
        UTF8String cached = scratch.cachedNames[slot];
        if (cached != null && cached.equals(value)) {
            return scratch.cachedFolds[slot];
        }
        byte[] out = fold(value.toString()).getBytes(StandardCharsets.US_ASCII);
        scratch.cachedNames[slot] = UTF8String.fromBytes(value.getBytes().clone()); // not a view of the reused vector
        scratch.cachedFolds[slot] = out;
        return out;
    }

    private static final byte[] EMPTY = new byte[0];

    /** build_local into the scratch buffer; returns its length. */
    private static int build(Scratch scratch, String template, byte[] givenName, byte[] familyName, int gp, int fp) {
        byte[] firstName = isGiven(template.charAt(0)) ? givenName : familyName;
        int firstLength = pieceLength(template.charAt(0), firstName, gp, fp);
        char last = template.charAt(template.length() - 1);
        byte[] secondName = template.length() > 1 ? (isGiven(last) ? givenName : familyName) : EMPTY;
        int secondLength = template.length() > 1 ? pieceLength(last, secondName, gp, fp) : 0;
        scratch.room(firstLength + 1 + secondLength + USER.length);
        byte[] buffer = scratch.buffer;
        System.arraycopy(firstName, 0, buffer, 0, firstLength);
        int length = firstLength;
        if (template.length() == 3 && firstLength > 0 && secondLength > 0) {
            buffer[length++] = (byte) template.charAt(1);
        }
        System.arraycopy(secondName, 0, buffer, length, secondLength);
        length += secondLength;
        if (length == 0) {
            System.arraycopy(USER, 0, buffer, 0, USER.length);
            length = USER.length;
        }
        return length;
    }

    private static final byte[] USER = {'u', 's', 'e', 'r'};

    private static boolean isGiven(char token) {
        return token == 'G' || token == 'g' || token == 'P';
    }

    private static int pieceLength(char token, byte[] name, int gp, int fp) {
        int length = switch (token) {
            case 'g', 'f' -> 1;
            case 'P' -> gp;
            case 'Q' -> fp;
            default -> name.length;
        };
        return Math.min(length, name.length);
    }

    /** model/emails.py fold: NFKD, non-spacing marks dropped, special letters spelled out, a-z and 0-9 kept. */
    static String fold(String name) {
        String decomposed = Normalizer.normalize(name, Normalizer.Form.NFKD);
        StringBuilder out = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); i++) {
            char ch = decomposed.charAt(i);
            if (Character.getType(ch) == Character.NON_SPACING_MARK) {
                continue;
            }
            String special = special(ch);
            if (special != null) {
                out.append(special);
                continue;
            }
            if (ch >= 'A' && ch <= 'Z') {
                ch = (char) (ch + 32);
            }
            if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
                out.append(ch);
            }
        }
        return out.toString();
    }

    private static String special(char ch) {
        return switch (ch) {
            case '\u00df' -> "ss";
            case '\u00e6', '\u00c6' -> "ae";
            case '\u00f8', '\u00d8' -> "o";
            case '\u0153', '\u0152' -> "oe";
            case '\u0142', '\u0141' -> "l";
            case '\u0111', '\u0110', '\u00f0', '\u00d0' -> "d";
            case '\u00fe', '\u00de' -> "th";
            case '\u0131' -> "i";
            default -> null;
        };
    }
}
