package org.iommuemu.emulator.offline;

import java.util.Locale;

/** Parsing of the hexadecimal and decimal fields of register files, requests files and options. */
public final class HexField
{
    private HexField()
    {
    }

    /**
     * A hexadecimal number with or without {@code 0x} and with optional {@code _} separators, up to 64 bits.
     *
     * @return the value, or throws {@link NumberFormatException} with no message (callers say where).
     */
    static long parseHex(final String text)
    {
        String s = text.trim().replace("_", "");
        if (s.startsWith("0x") || s.startsWith("0X"))
        {
            s = s.substring(2);
        }
        if (s.isEmpty() || s.length() > 16 || s.charAt(0) == '+' || s.charAt(0) == '-')
        {
            throw new NumberFormatException();
        }
        return Long.parseUnsignedLong(s, 16);
    }

    /** {@code 0x} hexadecimal or plain decimal, up to 64 bits unsigned; throws {@link NumberFormatException}. */
    public static long parseNumber(final String text)
    {
        final String s = text.trim().replace("_", "");
        if (s.startsWith("0x") || s.startsWith("0X"))
        {
            return parseHex(s);
        }
        if (s.isEmpty() || s.charAt(0) == '+' || s.charAt(0) == '-')
        {
            throw new NumberFormatException();
        }
        return Long.parseUnsignedLong(s);
    }

    /** A positive size: {@code 0x} hex or decimal with an optional K/M/G/T suffix; throws {@link NumberFormatException}. */
    public static long parseSize(final String text)
    {
        String s = text.trim().replace("_", "").toUpperCase(Locale.ROOT);
        int shift = 0;
        if (!s.startsWith("0X") && !s.isEmpty())
        {
            final char unit = s.charAt(s.length() - 1);
            shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : unit == 'T' ? 40 : 0;
            if (shift != 0)
            {
                s = s.substring(0, s.length() - 1);
            }
        }
        final long value = parseNumber(s.toLowerCase(Locale.ROOT));
        if (value <= 0 || value > (Long.MAX_VALUE >>> shift))
        {
            throw new NumberFormatException();
        }
        return value << shift;
    }

    /**
     * A PCI requester ID: {@code 0x} hexadecimal (0x0010) or a BDF {@code BB:DD.F}, optionally with segment
     * {@code 0000:BB:DD.F} (segment 0 only: one IOMMU serves one segment).
     *
     * @throws IllegalArgumentException naming the problem (callers prefix where).
     */
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
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("\"" + text + "\" is not a hexadecimal requester ID");
            }
            if (value > 0xFFFF)
            {
                throw new IllegalArgumentException("\"" + text + "\" is wider than a 16-bit requester ID");
            }
            return (int)value;
        }
        final String[] parts = s.split(":", -1);
        final int dot = parts[parts.length - 1].indexOf('.');
        if ((parts.length != 2 && parts.length != 3) || dot < 0)
        {
            throw new IllegalArgumentException("\"" + text + "\" is neither a 0x-prefixed requester ID nor a BDF like 00:02.0");
        }
        try
        {
            if (parts.length == 3 && Integer.parseInt(parts[0], 16) != 0)
            {
                throw new IllegalArgumentException("\"" + text + "\": PCI segment " + parts[0] + " is not 0000 (one IOMMU serves one segment)");
            }
            final String last = parts[parts.length - 1];
            final int bus = Integer.parseInt(parts[parts.length - 2], 16);
            final int device = Integer.parseInt(last.substring(0, dot), 16);
            final int function = Integer.parseInt(last.substring(dot + 1), 16);
            if (bus > 0xFF || device > 0x1F || function > 7 || bus < 0 || device < 0 || function < 0)
            {
                throw new IllegalArgumentException("\"" + text + "\" is out of range (bus 00-ff, device 00-1f, function 0-7)");
            }
            return bus << 8 | device << 3 | function;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("\"" + text + "\" is not a BDF like 00:02.0");
        }
    }

    /** {@code 0x0010}. */
    static String requesterId(final int requesterId)
    {
        return String.format("0x%04x", requesterId);
    }

    /** {@code 00:02.0}. */
    static String bdf(final int requesterId)
    {
        return String.format("%02x:%02x.%x", requesterId >>> 8, (requesterId >>> 3) & 0x1F, requesterId & 7);
    }

    public static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    /** 4K, 8K, 2M, 1G, 512G... */
    public static String size(final int lg2)
    {
        final String[] units = {"", "K", "M", "G", "T", "P", "E"};
        return (1L << (lg2 % 10)) + units[lg2 / 10];
    }
}
