package org.iommuemu.emulator.timing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One mapping of a profile file, read through typed getters that fall back to a base value when a key is
 * absent. It remembers every key asked for, so {@link #rejectUnknownKeys()} can name the ones nobody reads;
 * every error carries the file, the 1-based line (from SnakeYAML's node marks) and the dotted field path.
 */
final class YamlSection
{
    private final String source;
    private final String path;
    private final Node node;
    /** Line of the key that opens this section (of the document, for the root). */
    private final int line;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> asked = new LinkedHashSet<>();

    private YamlSection(final String source, final String path, final Node node, final int line)
    {
        this.source = source;
        this.path = path;
        this.node = node;
        this.line = line;
        if (!(node instanceof MappingNode))
        {
            throw new TimingProfileException(source, lineOf(node), path, "expected a mapping of keys to values");
        }
        for (final NodeTuple tuple : ((MappingNode)node).getValue())
        {
            final Node key = tuple.getKeyNode();
            if (!(key instanceof ScalarNode) || key.getTag().equals(Tag.MERGE))
            {
                throw new TimingProfileException(source, lineOf(key), path, "keys must be plain names");
            }
            final String name = ((ScalarNode)key).getValue();
            if (entries.put(name, tuple) != null)
            {
                throw new TimingProfileException(source, lineOf(key), child(name), "duplicate key");
            }
        }
    }

    static YamlSection root(final String source, final Node node)
    {
        return new YamlSection(source, "", node, lineOf(node));
    }

    /** The nested section under {@code key}, or null if the file does not have it. */
    YamlSection section(final String key)
    {
        final Node value = value(key);
        return value == null ? null :
            new YamlSection(source, child(key), value, lineOf(entries.get(key).getKeyNode()));
    }

    String string(final String key, final String fallback)
    {
        final ScalarNode value = scalar(key, Tag.STR, "a string");
        return value == null ? fallback : value.getValue();
    }

    int intValue(final String key, final int fallback)
    {
        final ScalarNode value = scalar(key, Tag.INT, "an integer");
        if (value == null)
        {
            return fallback;
        }
        final long parsed = parseLong(key, value);
        if (parsed < Integer.MIN_VALUE || parsed > Integer.MAX_VALUE)
        {
            throw error(value, key, "integer out of range: " + value.getValue());
        }
        return (int)parsed;
    }

    long longValue(final String key, final long fallback)
    {
        final ScalarNode value = scalar(key, Tag.INT, "an integer");
        return value == null ? fallback : parseLong(key, value);
    }

    double doubleValue(final String key, final double fallback)
    {
        final Node raw = value(key);
        if (raw == null)
        {
            return fallback;
        }
        if (!(raw instanceof ScalarNode) || !(raw.getTag().equals(Tag.FLOAT) || raw.getTag().equals(Tag.INT)))
        {
            throw error(raw, key, "expected a number, not " + describe(raw));
        }
        final String text = ((ScalarNode)raw).getValue().replace("_", "");
        try
        {
            final double parsed = Double.parseDouble(text);
            if (!Double.isFinite(parsed))
            {
                throw error(raw, key, "expected a finite number, not " + text);
            }
            return parsed;
        }
        catch (final NumberFormatException ex)
        {
            throw error(raw, key, "expected a decimal number, not " + text);
        }
    }

    boolean booleanValue(final String key, final boolean fallback)
    {
        final ScalarNode value = scalar(key, Tag.BOOL, "true or false");
        if (value == null)
        {
            return fallback;
        }
        final String text = value.getValue().toLowerCase(Locale.ROOT);
        return text.equals("true") || text.equals("yes") || text.equals("on");
    }

    /** An enum constant written in lower case with dashes ({@code round-robin} for {@code ROUND_ROBIN}). */
    <E extends Enum<E>> E enumValue(final String key, final Class<E> type, final E fallback)
    {
        final ScalarNode value = scalar(key, Tag.STR, "one of " + spellings(type));
        if (value == null)
        {
            return fallback;
        }
        final String name = value.getValue().trim().replace('-', '_').toUpperCase(Locale.ROOT);
        for (final E constant : type.getEnumConstants())
        {
            if (constant.name().equals(name))
            {
                return constant;
            }
        }
        throw error(value, key, "expected one of " + spellings(type) + ", not '" + value.getValue() + "'");
    }

    List<Integer> intList(final String key, final List<Integer> fallback)
    {
        final Node raw = value(key);
        if (raw == null)
        {
            return fallback;
        }
        if (!(raw instanceof SequenceNode))
        {
            throw error(raw, key, "expected a list of integers, not " + describe(raw));
        }
        final List<Integer> values = new ArrayList<>();
        int index = 0;
        for (final Node item : ((SequenceNode)raw).getValue())
        {
            final String itemKey = key + "[" + index++ + "]";
            if (!(item instanceof ScalarNode) || !item.getTag().equals(Tag.INT))
            {
                throw error(item, itemKey, "expected an integer, not " + describe(item));
            }
            final long parsed = parseLong(itemKey, (ScalarNode)item);
            if (parsed < Integer.MIN_VALUE || parsed > Integer.MAX_VALUE)
            {
                throw error(item, itemKey, "integer out of range: " + parsed);
            }
            values.add((int)parsed);
        }
        return values;
    }

    /**
     * Builds a parameter record; a {@link ParameterException} from its constructor becomes an error at the line
     * of the field it names (or of this section, if this file does not set that field).
     */
    <T> T build(final Supplier<T> constructor)
    {
        try
        {
            return constructor.get();
        }
        catch (final ParameterException ex)
        {
            final NodeTuple tuple = entries.get(ex.field());
            if (tuple == null)
            {
                throw new TimingProfileException(source, line, child(ex.field()),
                    ex.reason() + " (value from the base profile)", ex);
            }
            throw new TimingProfileException(source, lineOf(tuple.getKeyNode()), child(ex.field()), ex.reason(), ex);
        }
    }

    /** Every key of this section must have been asked for by now. */
    void rejectUnknownKeys()
    {
        for (final Map.Entry<String, NodeTuple> entry : entries.entrySet())
        {
            if (!asked.contains(entry.getKey()))
            {
                throw new TimingProfileException(source, lineOf(entry.getValue().getKeyNode()), child(entry.getKey()),
                    "unknown key; expected one of " + asked);
            }
        }
    }

    TimingProfileException error(final String key, final String reason)
    {
        final NodeTuple tuple = entries.get(key);
        return new TimingProfileException(source, tuple == null ? line : lineOf(tuple.getValueNode()), child(key),
            reason);
    }

    String path()
    {
        return path;
    }

    private Node value(final String key)
    {
        asked.add(key);
        final NodeTuple tuple = entries.get(key);
        return tuple == null ? null : tuple.getValueNode();
    }

    private ScalarNode scalar(final String key, final Tag tag, final String expected)
    {
        final Node raw = value(key);
        if (raw == null)
        {
            return null;
        }
        if (!(raw instanceof ScalarNode) || !raw.getTag().equals(tag))
        {
            throw error(raw, key, "expected " + expected + ", not " + describe(raw));
        }
        return (ScalarNode)raw;
    }

    /** Decimal, 0x hexadecimal or 0b binary, with optional sign and underscores (the YAML 1.1 forms we accept). */
    private long parseLong(final String key, final ScalarNode value)
    {
        String text = value.getValue().replace("_", "");
        boolean negative = false;
        if (text.startsWith("-") || text.startsWith("+"))
        {
            negative = text.charAt(0) == '-';
            text = text.substring(1);
        }
        int radix = 10;
        if (text.startsWith("0x") || text.startsWith("0X"))
        {
            radix = 16;
            text = text.substring(2);
        }
        else if (text.startsWith("0b") || text.startsWith("0B"))
        {
            radix = 2;
            text = text.substring(2);
        }
        else if (text.length() > 1 && (text.startsWith("0") || text.contains(":")))
        {
            throw error(value, key, "octal and sexagesimal integers are not accepted: " + value.getValue());
        }
        try
        {
            final long magnitude = Long.parseLong(text, radix);
            return negative ? -magnitude : magnitude;
        }
        catch (final NumberFormatException ex)
        {
            throw error(value, key, "integer out of range: " + value.getValue());
        }
    }

    private TimingProfileException error(final Node at, final String key, final String reason)
    {
        return new TimingProfileException(source, lineOf(at), child(key), reason);
    }

    private String child(final String key)
    {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static int lineOf(final Node node)
    {
        return node.getStartMark() == null ? TimingProfileException.NO_LINE : node.getStartMark().getLine() + 1;
    }

    private static String describe(final Node node)
    {
        if (node instanceof MappingNode)
        {
            return "a mapping";
        }
        if (node instanceof SequenceNode)
        {
            return "a list";
        }
        final ScalarNode scalar = (ScalarNode)node;
        if (scalar.getTag().equals(Tag.NULL))
        {
            return "an empty value";
        }
        return "'" + scalar.getValue() + "'";
    }

    private static <E extends Enum<E>> List<String> spellings(final Class<E> type)
    {
        final List<String> names = new ArrayList<>();
        for (final E constant : type.getEnumConstants())
        {
            names.add(constant.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return names;
    }
}
