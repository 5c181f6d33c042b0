package org.iommuemu.emulator.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.iommuemu.emulator.timing.ParameterException;
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
public final class YamlSection
{
    /** Makes the exception a reader throws (so a profile error and a scenario error keep their own types). */
    @FunctionalInterface
    public interface ErrorFactory
    {
        ConfigException create(String source, int line, String fieldPath, String reason);
    }

    private final ErrorFactory errors;
    private final String source;
    private final String path;
    private final Node node;
    /** Line of the key that opens this section (of the document, for the root). */
    private final int line;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> asked = new LinkedHashSet<>();

    private YamlSection(final ErrorFactory errors, final String source, final String path, final Node node, final int line)
    {
        this.errors = errors;
        this.source = source;
        this.path = path;
        this.node = node;
        this.line = line;
        if (!(node instanceof MappingNode))
        {
            throw errors.create(source, lineOf(node), path, "expected a mapping of keys to values");
        }
        for (final NodeTuple tuple : ((MappingNode)node).getValue())
        {
            final Node key = tuple.getKeyNode();
            if (!(key instanceof ScalarNode) || key.getTag().equals(Tag.MERGE))
            {
                throw errors.create(source, lineOf(key), path, "keys must be plain names");
            }
            final String name = ((ScalarNode)key).getValue();
            if (entries.put(name, tuple) != null)
            {
                throw errors.create(source, lineOf(key), child(name), "duplicate key");
            }
        }
    }

    /**
     * A YAML reader failure that has no position, in words: "not UTF-8 text" for a byte that is no UTF-8
     * character (SnakeYAML's message would name the Java exception), else SnakeYAML's own message.
     */
    public static String describe(final Throwable ex)
    {
        for (Throwable cause = ex; cause != null; cause = cause.getCause())
        {
            if (cause instanceof CharacterCodingException)
            {
                return "not UTF-8 text";
            }
        }
        if (ex instanceof IOException)
        {
            return "cannot read the file" + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
        }
        final String message = ex.getMessage();
        return message == null ? "unreadable YAML" : "YAML: " + message;
    }

    public static YamlSection root(final String source, final Node node, final ErrorFactory errors)
    {
        return new YamlSection(errors, source, "", node, lineOf(node));
    }

    /** The nested section under {@code key}, or null if the file does not have it. */
    public YamlSection section(final String key)
    {
        final Node value = value(key);
        return value == null ? null :
            new YamlSection(errors, source, child(key), value, lineOf(entries.get(key).getKeyNode()));
    }

    public String string(final String key, final String fallback)
    {
        final ScalarNode value = scalar(key, Tag.STR, "a string");
        return value == null ? fallback : value.getValue();
    }

    public int intValue(final String key, final int fallback)
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

    public long longValue(final String key, final long fallback)
    {
        final ScalarNode value = scalar(key, Tag.INT, "an integer");
        return value == null ? fallback : parseLong(key, value);
    }

    public double doubleValue(final String key, final double fallback)
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

    public boolean booleanValue(final String key, final boolean fallback)
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
    public <E extends Enum<E>> E enumValue(final String key, final Class<E> type, final E fallback)
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

    public List<Integer> intList(final String key, final List<Integer> fallback)
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
    public <T> T build(final Supplier<T> constructor)
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
                throw withCause(errors.create(source, line, child(ex.field()),
                    ex.reason() + " (value from the base profile)"), ex);
            }
            throw withCause(errors.create(source, lineOf(tuple.getKeyNode()), child(ex.field()), ex.reason()), ex);
        }
    }

    /** Whether {@code key} holds a mapping (asking counts as reading it for {@link #rejectUnknownKeys()}). */
    public boolean isMapping(final String key)
    {
        return value(key) instanceof MappingNode;
    }

    /** Whether the section has {@code key} (asking counts as reading it for {@link #rejectUnknownKeys()}). */
    public boolean has(final String key)
    {
        return value(key) != null;
    }

    /** The nested section under {@code key}; an error naming the key when it is absent. */
    public YamlSection requiredSection(final String key)
    {
        final YamlSection section = section(key);
        if (section == null)
        {
            throw errors.create(source, line, child(key), "required, but missing");
        }
        return section;
    }

    /** The list of mappings under {@code key} (empty when absent), each a section named {@code key[i]}. */
    public List<YamlSection> sections(final String key)
    {
        final Node raw = value(key);
        if (raw == null)
        {
            return List.of();
        }
        if (!(raw instanceof SequenceNode))
        {
            throw error(raw, key, "expected a list, not " + describe(raw));
        }
        final List<YamlSection> items = new ArrayList<>();
        int index = 0;
        for (final Node item : ((SequenceNode)raw).getValue())
        {
            items.add(new YamlSection(errors, source, child(key) + "[" + index++ + "]", item, lineOf(item)));
        }
        return items;
    }

    /** The list of strings under {@code key} (empty when absent). */
    public List<String> strings(final String key)
    {
        final Node raw = value(key);
        if (raw == null)
        {
            return List.of();
        }
        if (!(raw instanceof SequenceNode))
        {
            throw error(raw, key, "expected a list, not " + describe(raw));
        }
        final List<String> items = new ArrayList<>();
        for (final Node item : ((SequenceNode)raw).getValue())
        {
            if (!(item instanceof ScalarNode))
            {
                throw error(item, key, "expected a list of plain values, not " + describe(item));
            }
            items.add(((ScalarNode)item).getValue());
        }
        return items;
    }

    /** A string that must be present. */
    public String requiredString(final String key)
    {
        final String value = string(key, null);
        if (value == null)
        {
            throw errors.create(source, line, child(key), "required, but missing");
        }
        return value;
    }

    /** An integer (decimal, 0x hex, 0b binary) that must be present. */
    public long requiredLong(final String key)
    {
        if (!has(key))
        {
            throw errors.create(source, line, child(key), "required, but missing");
        }
        return longValue(key, 0);
    }

    /**
     * A size or address: a non-negative integer (decimal, 0x hex) or a number with a binary suffix K, M, G or T
     * ({@code 4K}, {@code 2M}, {@code 64G}); {@code fallback} when absent.
     */
    public long size(final String key, final long fallback)
    {
        final Node raw = value(key);
        if (raw == null)
        {
            return fallback;
        }
        if (!(raw instanceof ScalarNode) || !(raw.getTag().equals(Tag.INT) || raw.getTag().equals(Tag.STR)))
        {
            throw error(raw, key, "expected a size like 4K, 2M, 1G or an integer, not " + describe(raw));
        }
        final ScalarNode scalar = (ScalarNode)raw;
        if (scalar.getTag().equals(Tag.INT))
        {
            final long value = parseLong(key, scalar);
            if (value < 0)
            {
                throw error(raw, key, "a size or address is not negative: " + scalar.getValue());
            }
            return value;
        }
        final long value;
        try
        {
            value = Numbers.parseSize(scalar.getValue());
        }
        catch (final NumberFormatException ex)
        {
            throw error(raw, key, "expected a size like 4K, 2M, 1G or an integer, not '" + scalar.getValue() + "'");
        }
        if (value < 0)
        {
            throw error(raw, key, "size out of range: " + scalar.getValue());
        }
        return value;
    }

    /** A size or address that must be present (see {@link #size}). */
    public long requiredSize(final String key)
    {
        if (!has(key))
        {
            throw errors.create(source, line, child(key), "required, but missing");
        }
        return size(key, 0);
    }

    /** An error at this section's own line (for a rule that spans several of its keys). */
    public ConfigException error(final String reason)
    {
        return errors.create(source, line, path, reason);
    }

    /** The 1-based line of this section (its key, or its first item for a list element). */
    public int line()
    {
        return line;
    }

    /** The source (file path or resource) being read. */
    public String source()
    {
        return source;
    }

    /** Every key of this section must have been asked for by now. */
    public void rejectUnknownKeys()
    {
        for (final Map.Entry<String, NodeTuple> entry : entries.entrySet())
        {
            if (!asked.contains(entry.getKey()))
            {
                throw errors.create(source, lineOf(entry.getValue().getKeyNode()), child(entry.getKey()),
                    "unknown key; expected one of " + asked);
            }
        }
    }

    public ConfigException error(final String key, final String reason)
    {
        final NodeTuple tuple = entries.get(key);
        return errors.create(source, tuple == null ? line : lineOf(tuple.getValueNode()), child(key),
            reason);
    }

    public String path()
    {
        return path;
    }

    private static ConfigException withCause(final ConfigException error, final Throwable cause)
    {
        error.initCause(cause);
        return error;
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

    private ConfigException error(final Node at, final String key, final String reason)
    {
        return errors.create(source, lineOf(at), child(key), reason);
    }

    private String child(final String key)
    {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static int lineOf(final Node node)
    {
        return node.getStartMark() == null ? ConfigException.NO_LINE : node.getStartMark().getLine() + 1;
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
