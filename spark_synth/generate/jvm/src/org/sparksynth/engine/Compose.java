package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.Map;
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
    private static final int CACHE_LIMIT = 1 << 16;

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
    private final String[] domains;
    private final double[] domainCumulative;
    private final int uniqueWidth;
    private final long uniqueCapacity;
    /** Folded spellings of the names seen by this task's sampler (names repeat: vocabulary words). */
    private final Map<String, String> folded = new HashMap<>();

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
        domains = strings(node.get("domains"));
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

    /** Copies with their own fold cache: one per sampler (tasks run in parallel). */
    Compose(Compose plan) {
        given = plan.given;
        family = plan.family;
        builtShare = plan.builtShare;
        templates = plan.templates;
        templateCumulative = plan.templateCumulative;
        givenPrefix = plan.givenPrefix;
        givenPrefixCumulative = plan.givenPrefixCumulative;
        familyPrefix = plan.familyPrefix;
        familyPrefixCumulative = plan.familyPrefixCumulative;
        digits = plan.digits;
        digitsCumulative = plan.digitsCumulative;
        domains = plan.domains;
        domainCumulative = plan.domainCumulative;
        uniqueWidth = plan.uniqueWidth;
        uniqueCapacity = plan.uniqueCapacity;
    }

    void fill(Plan.ColumnSpec c, long stream, WritableColumnVector[] vectors, WritableColumnVector out,
              long first, int n) {
        long key = Rng.mix(Rng.mix(stream ^ UniqueKeys.UNIQUE_SALT) + 1);
        StringBuilder local = new StringBuilder(48);
        for (int r = 0; r < n; r++) {
            long row = first + r;
            if (c.nullFraction > 0 && Rng.uniform(Rng.bits(stream, row)) < c.nullFraction) {
                out.putNull(r);
                continue;
            }
            if (uniqueWidth == 0 && c.pattern != null && Rng.uniform(Rng.bits(stream, row, 1)) >= builtShare) {
                out.putByteArray(r, c.pattern.draw(stream, row, FALLBACK_DRAW));
                continue;
            }
            String template = templates[GuideTable.pick(templateCumulative, Rng.uniform(Rng.bits(stream, row, 2)))];
            int gp = givenPrefix[GuideTable.pick(givenPrefixCumulative, Rng.uniform(Rng.bits(stream, row, 3)))];
            int fp = familyPrefix[GuideTable.pick(familyPrefixCumulative, Rng.uniform(Rng.bits(stream, row, 4)))];
            local.setLength(0);
            build(local, template, name(vectors, given, r), name(vectors, family, r), gp, fp);
            if (uniqueWidth > 0) {
                String number = Long.toString(UniqueKeys.scramble(row, uniqueCapacity, key));
                for (int i = number.length(); i < uniqueWidth; i++) {
                    local.append('0');
                }
                local.append(number);
            } else {
                int count = digits[GuideTable.pick(digitsCumulative, Rng.uniform(Rng.bits(stream, row, 5)))];
                for (int i = 0; i < count; i++) {
                    local.append((char) ('0' + (int) (Rng.uniform(Rng.bits(stream, row, 7 + i)) * 10)));
                }
            }
            local.append('@').append(domains[GuideTable.pick(domainCumulative, Rng.uniform(Rng.bits(stream, row, 6)))]);
            out.putByteArray(r, local.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The row's folded name in column `column` ("" when null or absent). */
    private String name(WritableColumnVector[] vectors, int column, int r) {
        if (column < 0 || vectors[column].isNullAt(r)) {
            return "";
        }
        UTF8String value = vectors[column].getUTF8String(r);
        String text = value.toString();
        String out = folded.get(text);
        if (out == null) {
            if (folded.size() >= CACHE_LIMIT) {
                folded.clear();
            }
            out = fold(text);
            folded.put(text, out);
        }
        return out;
    }

    /** model/emails.py build_local: the separator only between two non-empty parts, "user" when both are empty. */
    static void build(StringBuilder local, String template, String givenName, String familyName, int gp, int fp) {
        String first = piece(template.charAt(0), givenName, familyName, gp, fp);
        String second = template.length() > 1 ? piece(template.charAt(template.length() - 1), givenName, familyName, gp, fp) : "";
        local.append(first);
        if (template.length() == 3 && !first.isEmpty() && !second.isEmpty()) {
            local.append(template.charAt(1));
        }
        local.append(second);
        if (local.length() == 0) {
            local.append("user");
        }
    }

    private static String piece(char token, String givenName, String familyName, int gp, int fp) {
        String name = token == 'G' || token == 'g' || token == 'P' ? givenName : familyName;
        int length = switch (token) {
            case 'g', 'f' -> 1;
            case 'P' -> gp;
            case 'Q' -> fp;
            default -> name.length();
        };
        return name.substring(0, Math.min(length, name.length()));
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
