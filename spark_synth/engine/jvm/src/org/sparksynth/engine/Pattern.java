package org.sparksynth.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;

/**
 * Draws strings from a learned pattern: a shape (character-class template) by probability, an
 * optional prefix, then one character per position (a learned table, a class range or a
 * literal); or, in the last cell of the shape distribution, free text: a length from the text
 * model's quantile function and characters from its table (a-z when it has none). A word
 * pattern's "words" positions write a whole word: a kept one by its share, or one of a public
 * list's, equally likely (docs/plan.md §8). Uses draws firstDraw, firstDraw+1, ... of the
 * column's stream for the row.
 */
final class Pattern implements Variant {
    private static final int TABLE = 0;
    private static final int CLASS = 1;
    private static final int LITERAL = 2;
    private static final int WORDS = 3;

    private final double[] shapeCumulative;
    /** O(1) lookups over shapeCumulative and textCumulative (vocabularies have thousands of words). */
    private final GuideTable shapeGuide;
    private final GuideTable textGuide;
    private final Shape[] shapes;
    private final QuantileFunction textLengths;
    private final int[] textChars;
    private final double[] textCumulative;

    private static final class Shape {
        int length;
        int[] kind;
        int[][] chars;
        double[][] cumulative;
        int[] first;
        int[] count;
        int prefixLength;
        int[][] prefixes;
        double[] prefixCumulative;
        boolean ascii;
        /** A shape of literal characters only (a vocabulary word): its UTF-8 bytes, shared read-only. */
        byte[] literal;
        /** Per position of a word shape: its words, or null (a character position); null for other shapes. */
        Words[] words;
    }

    /** The words of one "words" position (UTF-8, shared read-only): kept words by cumulative share, the last cell a public list. */
    private static final class Words {
        final byte[][] kept;
        final double[] cumulative;
        final byte[][] list;

        Words(byte[][] kept, double[] cumulative, byte[][] list) {
            this.kept = kept;
            this.cumulative = cumulative;
            this.list = list;
        }

        byte[] pick(double u) {
            int i = GuideTable.pick(cumulative, u);
            if (i < kept.length) {
                return kept[i];
            }
            double below = i > 0 ? cumulative[i - 1] : 0.0;
            double v = (u - below) / (1.0 - below);
            return list[Math.min(list.length - 1, Math.max(0, (int) (v * list.length)))];
        }
    }

    private static byte[][] utf8(JsonNode strings) {
        byte[][] out = new byte[strings.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = strings.get(i).asText().getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    Pattern(JsonNode node) {
        shapeCumulative = Json.doubles(node.get("cumulative"));
        shapeGuide = new GuideTable(shapeCumulative);
        JsonNode lists = node.get("word_lists");
        byte[][][] wordLists = new byte[lists == null || lists.isNull() ? 0 : lists.size()][][];
        for (int i = 0; i < wordLists.length; i++) {
            wordLists[i] = utf8(lists.get(i));
        }
        JsonNode shapeNodes = node.get("shapes");
        shapes = new Shape[shapeNodes.size()];
        for (int s = 0; s < shapes.length; s++) {
            JsonNode n = shapeNodes.get(s);
            Shape shape = new Shape();
            JsonNode positions = n.get("positions");
            shape.length = positions.size();
            shape.kind = new int[shape.length];
            shape.chars = new int[shape.length][];
            shape.cumulative = new double[shape.length][];
            shape.first = new int[shape.length];
            shape.count = new int[shape.length];
            boolean ascii = true;
            for (int p = 0; p < shape.length; p++) {
                JsonNode position = positions.get(p);
                switch (position.get("kind").asText()) {
                    case "table" -> {
                        shape.kind[p] = TABLE;
                        shape.chars[p] = Json.ints(position.get("chars"));
                        shape.cumulative[p] = Json.doubles(position.get("cumulative"));
                        for (int c : shape.chars[p]) {
                            ascii &= c < 128;
                        }
                    }
                    case "words" -> {
                        shape.kind[p] = WORDS;
                        if (shape.words == null) {
                            shape.words = new Words[shape.length];
                        }
                        int list = position.get("list").asInt();
                        shape.words[p] = new Words(utf8(position.get("words")),
                                Json.doubles(position.get("cumulative")), list >= 0 ? wordLists[list] : null);
                        ascii = false;
                    }
                    case "class" -> {
                        shape.kind[p] = CLASS;
                        shape.first[p] = position.get("first").asInt();
                        shape.count[p] = position.get("count").asInt();
                        ascii &= shape.first[p] + shape.count[p] <= 128;
                    }
                    default -> {
                        shape.kind[p] = LITERAL;
                        shape.first[p] = position.get("char").asInt();
                        ascii &= shape.first[p] < 128;
                    }
                }
            }
            shape.prefixLength = n.get("prefix_length").asInt();
            if (shape.prefixLength > 0) {
                JsonNode prefixNodes = n.get("prefixes");
                shape.prefixes = new int[prefixNodes.size()][];
                for (int i = 0; i < shape.prefixes.length; i++) {
                    shape.prefixes[i] = Json.ints(prefixNodes.get(i));
                    for (int c : shape.prefixes[i]) {
                        ascii &= c < 128;
                    }
                }
                shape.prefixCumulative = Json.doubles(n.get("prefix_cumulative"));
            }
            shape.ascii = ascii;
            boolean literal = shape.prefixLength == 0;
            for (int p = 0; p < shape.length && literal; p++) {
                literal = shape.kind[p] == LITERAL;
            }
            if (literal) {
                shape.literal = new String(shape.first, 0, shape.length).getBytes(StandardCharsets.UTF_8);
            }
            shapes[s] = shape;
        }
        JsonNode text = node.get("text");
        if (text != null && !text.isNull()) {
            textLengths = new QuantileFunction(Json.doubles(text.get("probabilities")), Json.doubles(text.get("lengths")));
            textChars = Json.ints(text.get("chars"));
            textCumulative = Json.doubles(text.get("cumulative"));
            textGuide = textCumulative.length > 0 ? new GuideTable(textCumulative) : null;
        } else {
            textLengths = null;
            textChars = null;
            textCumulative = null;
            textGuide = null;
        }
    }

    private byte[] text(long stream, long row, int firstDraw) {
        int[] codePoints = textCodePoints(stream, row, firstDraw);
        return Utf8.encode(codePoints, codePoints.length);
    }

    /** The free-text draw of a row: its length, then its characters. */
    int[] textCodePoints(long stream, long row, int firstDraw) {
        long base = Rng.bits(stream, row); // draws k >= 1 of the row are mix(base + k * step): computed once
        int length = (int) Math.max(0, Math.rint(textLengths.at(Rng.uniform(Rng.drawOf(base, firstDraw + 1)))));
        int[] codePoints = new int[length];
        for (int p = 0; p < length; p++) {
            double u = Rng.uniform(Rng.drawOf(base, firstDraw + 2 + p));
            codePoints[p] = textChars.length == 0 ? 'a' + (int) (u * 26) : textChars[textGuide.lookup(u)];
        }
        return codePoints;
    }

    /** UTF-8 bytes of the string drawn for one row; read-only (a literal shape's bytes are shared). */
    @Override
    public byte[] draw(long stream, long row, int firstDraw) {
        int picked = shapeGuide.lookup(Rng.uniform(Rng.bits(stream, row, firstDraw)));
        if (picked >= shapes.length) {
            return text(stream, row, firstDraw);
        }
        Shape shape = shapes[picked];
        if (shape.literal != null) {
            return shape.literal; // callers copy it (putByteArray) or keep it unchanged (dictionaries)
        }
        long base = Rng.bits(stream, row);
        if (shape.words != null) {
            return wordShape(shape, base, firstDraw);
        }
        int[] codePoints = new int[shape.length];
        for (int p = 0; p < shape.length; p++) {
            switch (shape.kind[p]) {
                case TABLE -> codePoints[p] = shape.chars[p][GuideTable.pick(shape.cumulative[p],
                        Rng.uniform(Rng.drawOf(base, firstDraw + 2 + p)))];
                case CLASS -> codePoints[p] = shape.first[p]
                        + (int) (Rng.uniform(Rng.drawOf(base, firstDraw + 2 + p)) * shape.count[p]);
                default -> codePoints[p] = shape.first[p];
            }
        }
        if (shape.prefixLength > 0) {
            int[] prefix = shape.prefixes[GuideTable.pick(shape.prefixCumulative,
                    Rng.uniform(Rng.drawOf(base, firstDraw + 1)))];
            System.arraycopy(prefix, 0, codePoints, 0, shape.prefixLength);
        }
        if (shape.ascii) {
            byte[] bytes = new byte[shape.length];
            for (int p = 0; p < shape.length; p++) {
                bytes[p] = (byte) codePoints[p];
            }
            return bytes;
        }
        return Utf8.encode(codePoints, shape.length);
    }

    /**
     * A word shape: each position's word (its UTF-8 bytes, copied) or character, from draw
     * firstDraw + 2 + position. Characters are at most 4 bytes, so one pass sizes the buffer.
     */
    private static byte[] wordShape(Shape shape, long base, int firstDraw) {
        byte[][] picked = new byte[shape.length][];
        int[] codePoints = new int[shape.length];
        int size = 0;
        for (int p = 0; p < shape.length; p++) {
            switch (shape.kind[p]) {
                case WORDS -> {
                    picked[p] = shape.words[p].pick(Rng.uniform(Rng.drawOf(base, firstDraw + 2 + p)));
                    size += picked[p].length;
                    continue;
                }
                case TABLE -> codePoints[p] = shape.chars[p][GuideTable.pick(shape.cumulative[p],
                        Rng.uniform(Rng.drawOf(base, firstDraw + 2 + p)))];
                case CLASS -> codePoints[p] = shape.first[p]
                        + (int) (Rng.uniform(Rng.drawOf(base, firstDraw + 2 + p)) * shape.count[p]);
                default -> codePoints[p] = shape.first[p];
            }
            size += Utf8.length(codePoints[p]);
        }
        byte[] out = new byte[size];
        int at = 0;
        for (int p = 0; p < shape.length; p++) {
            if (picked[p] != null) {
                System.arraycopy(picked[p], 0, out, at, picked[p].length);
                at += picked[p].length;
            } else {
                at = Utf8.put(codePoints[p], out, at);
            }
        }
        return out;
    }
}
