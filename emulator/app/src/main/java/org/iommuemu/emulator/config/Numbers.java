package org.iommuemu.emulator.config;

import java.util.Locale;

/**
 * The one parser (and printer) of the numbers users type: addresses, sizes, register values and PCI requester IDs,
 * on the command line, in scenario files and in requests files. Every caller adds where the text came from (an
 * option, a {@code file:line: field}); the messages here say what is wrong with the text itself, without Java's
 * parser internals.
 * <ul>
 * <li>A number is {@code 0x} hexadecimal (up to 64 bits) or decimal (up to 2^64 - 1), unsigned, with optional
 * {@code _} separators ({@link #parseNumber}).</li>
 * <li>A size is a number with an optional binary suffix K, M, G or T ({@code 4K}, {@code 2M}, {@code 0x10M}),
 * checked against overflow ({@link #parseSize}).</li>
 * <li>A register value is hexadecimal with or without {@code 0x} ({@link #parseHex}): register dumps print hex.</li>
 * <li>A requester ID is a BDF {@code bb:dd.f} (hex bus, device 00-1f, function 0-7), optionally with PCI segment
 * 0000 ({@code 0000:bb:dd.f}), or a {@code 0x}-prefixed 16-bit ID ({@link #parseRequesterId}). A bare decimal is
 * refused: in a BDF-speaking tool "16" is as likely meant as hex. (Scenario files also take a YAML integer, which is
 * typed as a number by YAML itself.)</li>
 * </ul>
 */
public final class Numbers
{
    private static final int HEX_DIGITS = 16;

    private Numbers()
    {
    }

    /** {@link #parseNumber} or {@link #parseSize} failed: the message says why, without the location. */
    public static final class NumberSyntaxException extends NumberFormatException
    {
        private static final long serialVersionUID = 1L;

        NumberSyntaxException(final String message)
        {
            super(message);
        }
    }

    /** {@code 0x} hexadecimal or decimal, unsigned 64 bits, {@code _} separators allowed. */
    public static long parseNumber(final String text)
    {
        final String s = text.trim().replace("_", "");
        if (s.startsWith("0x") || s.startsWith("0X"))
        {
            return hexDigits(text, s.substring(2));
        }
        if (s.isEmpty() || !allDigits(s, 10))
        {
            throw new NumberSyntaxException("\"" + text + "\" is not a number (0x hex or decimal)");
        }
        try
        {
            return Long.parseUnsignedLong(s);
        }
        catch (final NumberFormatException tooLong)
        {
            throw new NumberSyntaxException("\"" + text + "\" is beyond 64 bits");
        }
    }

    /** Hexadecimal digits with or without {@code 0x}, up to 64 bits: a register value. */
    public static long parseHex(final String text)
    {
        final String s = text.trim().replace("_", "");
        return hexDigits(text, s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s);
    }

    /** A number with an optional binary suffix K, M, G or T: {@code 4096}, {@code 4K}, {@code 0x200000}, {@code 2M}. */
    public static long parseSize(final String text)
    {
        String s = text.trim().replace("_", "");
        int shift = 0;
        if (!s.isEmpty())
        {
            final char unit = Character.toUpperCase(s.charAt(s.length() - 1));
            shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : unit == 'T' ? 40 : 0;
            if (shift != 0)
            {
                s = s.substring(0, s.length() - 1);
            }
        }
        final long value;
        try
        {
            value = parseNumber(s);
        }
        catch (final NumberSyntaxException ex)
        {
            throw new NumberSyntaxException("\"" + text + "\" is not a size (0x hex or decimal, or a K/M/G/T size such as 4K)");
        }
        if (shift != 0 && Long.compareUnsigned(value, -1L >>> shift) > 0)
        {
            throw new NumberSyntaxException("\"" + text + "\" is beyond 64 bits");
        }
        return value << shift;
    }

    /** A 16-bit PCI requester ID: a BDF {@code bb:dd.f} (segment 0000 allowed) or {@code 0x} hex. */
    public static int parseRequesterId(final String text)
    {
        final String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("0x"))
        {
            final long value;
            try
            {
                value = parseHex(s);
            }
            catch (final NumberSyntaxException ex)
            {
                throw new NumberSyntaxException("\"" + text + "\" is not a hexadecimal requester ID");
            }
            if (value > 0xFFFF)
            {
                throw new NumberSyntaxException("\"" + text + "\" is wider than a 16-bit requester ID");
            }
            return (int)value;
        }
        final String[] parts = s.split(":", -1);
        final String last = parts[parts.length - 1];
        final int dot = last.indexOf('.');
        if ((parts.length != 2 && parts.length != 3) || dot < 0)
        {
            throw new NumberSyntaxException("\"" + text + "\" is neither a 0x-prefixed requester ID nor a BDF like 00:02.0");
        }
        final String segment = parts.length == 3 ? parts[0] : "0";
        final String bus = parts[parts.length - 2];
        final String device = last.substring(0, dot);
        final String function = last.substring(dot + 1);
        if (!hexField(segment, 4) || !hexField(bus, 2) || !hexField(device, 2) || !hexField(function, 1))
        {
            throw new NumberSyntaxException("\"" + text + "\" is not a BDF like 00:02.0");
        }
        if (Integer.parseInt(segment, 16) != 0)
        {
            throw new NumberSyntaxException("\"" + text + "\": PCI segment " + segment + " is not 0000 (one IOMMU serves one segment)");
        }
        final int b = Integer.parseInt(bus, 16);
        final int d = Integer.parseInt(device, 16);
        final int f = Integer.parseInt(function, 16);
        if (d > 0x1F || f > 7)
        {
            throw new NumberSyntaxException("\"" + text + "\" is out of range (bus 00-ff, device 00-1f, function 0-7)");
        }
        return b << 8 | d << 3 | f;
    }

    /**
     * {@link #parseSize} for an option or a field named {@code what}: its errors read {@code what "text" is not a
     * size ...}.
     */
    public static long parse(final String text, final String what)
    {
        try
        {
            return parseSize(text);
        }
        catch (final NumberSyntaxException ex)
        {
            throw new NumberSyntaxException(what + " " + ex.getMessage());
        }
    }

    /** {@code 0x1f}. */
    public static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    /** 4K, 8K, 2M, 1G, 512G... for a power-of-two size of {@code 2^lg2} bytes. */
    public static String size(final int lg2)
    {
        final String[] units = {"", "K", "M", "G", "T", "P", "E"};
        return (1L << (lg2 % 10)) + units[lg2 / 10];
    }

    /** {@code 0x0010}. */
    public static String requesterId(final int requesterId)
    {
        return String.format("0x%04x", requesterId);
    }

    /** {@code 00:02.0}. */
    public static String bdf(final int requesterId)
    {
        return String.format("%02x:%02x.%x", requesterId >>> 8, (requesterId >>> 3) & 0x1F, requesterId & 7);
    }

    private static long hexDigits(final String text, final String digits)
    {
        if (digits.isEmpty() || !allDigits(digits, 16))
        {
            throw new NumberSyntaxException("\"" + text + "\" is not a hexadecimal number");
        }
        final String significant = digits.replaceFirst("^0+(?=.)", "");
        if (significant.length() > HEX_DIGITS)
        {
            throw new NumberSyntaxException("\"" + text + "\" is beyond 64 bits");
        }
        return Long.parseUnsignedLong(significant, 16);
    }

    private static boolean hexField(final String field, final int maxDigits)
    {
        return !field.isEmpty() && field.length() <= maxDigits && allDigits(field, 16);
    }

    /** ASCII digits only: Java's parsers also take other scripts' digits, which no user means. */
    private static boolean allDigits(final String s, final int radix)
    {
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            final boolean digit = (c >= '0' && c <= '9') ||
                (radix == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!digit)
            {
                return false;
            }
        }
        return true;
    }
}
