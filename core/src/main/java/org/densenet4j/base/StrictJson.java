package org.densenet4j.base;

import com.google.gson.JsonSyntaxException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON text from a file read as plain values (maps, lists, numbers as doubles, strings, booleans, null), as Gson's
 * lenient {@code fromJson(text, Object.class)} reads it, except that a key given twice in one object is refused at any
 * depth: readers disagree on which of the two counts (Gson keeps the last), so such a file would mean one thing here
 * and another to whoever checked it. Nesting is bounded by Gson's reader (255 levels).
 */
public final class StrictJson {

    private StrictJson() {}

    /**
     * The value {@code json} holds, or null for empty text.
     *
     * @throws JsonSyntaxException if it is not JSON, holds more than one value, or gives a key twice in an object
     */
    public static Object parse(String json) {
        if (json.isBlank()) {
            return null;
        }
        try (JsonReader in = new JsonReader(new StringReader(json))) {
            in.setStrictness(Strictness.LENIENT);
            Object value = read(in);
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonSyntaxException("JSON document was not fully consumed");
            }
            return value;
        } catch (IOException e) { // malformed or cut short
            throw new JsonSyntaxException(e.getMessage(), e);
        }
    }

    private static Object read(JsonReader in) throws IOException {
        switch (in.peek()) {
            case BEGIN_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                in.beginObject();
                while (in.hasNext()) {
                    String key = in.nextName();
                    if (object.containsKey(key)) {
                        throw new JsonSyntaxException("duplicate key: " + TerminalText.excerpt(key, 40));
                    }
                    object.put(key, read(in));
                }
                in.endObject();
                return object;
            }
            case BEGIN_ARRAY -> {
                List<Object> array = new ArrayList<>();
                in.beginArray();
                while (in.hasNext()) {
                    array.add(read(in));
                }
                in.endArray();
                return array;
            }
            case STRING -> {
                return in.nextString();
            }
            case NUMBER -> {
                return in.nextDouble();
            }
            case BOOLEAN -> {
                return in.nextBoolean();
            }
            case NULL -> {
                in.nextNull();
                return null;
            }
            default -> throw new JsonSyntaxException("unexpected " + in.peek() + " at " + in.getPath());
        }
    }
}
