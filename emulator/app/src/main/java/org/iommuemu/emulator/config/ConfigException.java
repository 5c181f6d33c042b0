package org.iommuemu.emulator.config;

/**
 * A configuration file (timing profile, scenario) that cannot be used: YAML syntax, an unknown key, a wrong
 * type, a missing or out-of-range value. The message reads {@code source:line: field.path: reason}, for example
 * {@code amd.yaml:14: caches.iotlb.ways: must divide entries (64), not 3}.
 */
public class ConfigException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** {@link #line()} when the error has no position (a missing resource, an unreadable file). */
    public static final int NO_LINE = 0;

    private final String source;
    private final int line;
    private final String fieldPath;
    private final String reason;

    public ConfigException(final String source, final int line, final String fieldPath, final String reason)
    {
        this(source, line, fieldPath, reason, null);
    }

    public ConfigException(final String source, final int line, final String fieldPath, final String reason,
        final Throwable cause)
    {
        super(source + (line == NO_LINE ? "" : ":" + line) + ": " + (fieldPath.isEmpty() ? "" : fieldPath + ": ") + reason);
        if (cause != null)
        {
            initCause(cause);
        }
        this.source = source;
        this.line = line;
        this.fieldPath = fieldPath;
        this.reason = reason;
    }

    /** The file path or bundled resource the configuration came from. */
    public String source()
    {
        return source;
    }

    /** 1-based line, or {@link #NO_LINE}. */
    public int line()
    {
        return line;
    }

    /** Dotted path of the offending field ({@code caches.iotlb.ways}); empty for the document itself. */
    public String fieldPath()
    {
        return fieldPath;
    }

    public String reason()
    {
        return reason;
    }
}
