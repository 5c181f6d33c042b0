package org.iommuemu.emulator.config;

import java.util.Locale;

/** Parsing and printing of addresses and sizes on the command line. */
public final class Numbers
{
    private Numbers()
    {
    }

    /** {@code 0x1000}, {@code 4096}, {@code 4K}, {@code 2M}, {@code 1G}, {@code 0x10_0000}. */
    public static long parse(final String text, final String what)
    {
        String s = text.trim().replace("_", "").toLowerCase(Locale.ROOT);
        long multiplier = 1;
        if (!s.startsWith("0x") && !s.isEmpty())
        {
            final char unit = s.charAt(s.length() - 1);
            final int shift = unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : unit == 't' ? 40 : 0;
            if (shift != 0)
            {
                multiplier = 1L << shift;
                s = s.substring(0, s.length() - 1);
            }
        }
        try
        {
            final long value = s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
            return Math.multiplyExact(value, multiplier);
        }
        catch (final NumberFormatException | ArithmeticException ex)
        {
            throw new IllegalArgumentException(what + " \"" + text + "\" is not a number (use 0x hex, decimal, or K/M/G/T sizes)");
        }
    }

    public static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    /** 4K, 2M, 1G, 16K, 512G... */
    public static String size(final int lg2)
    {
        final String[] units = {"", "K", "M", "G", "T", "P", "E"};
        return (1L << (lg2 % 10)) + units[lg2 / 10];
    }
}
