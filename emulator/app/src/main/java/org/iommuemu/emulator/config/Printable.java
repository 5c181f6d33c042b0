package org.iommuemu.emulator.config;

/**
 * Text from outside (a co-simulation peer, a trace, a scenario, a register file) made safe to print on a terminal
 * or into a log: control characters could break a line into forged ones or drive the terminal (escape sequences),
 * so they are shown escaped, a backslash and {@code x} and two hex digits (a backslash, {@code u} and four above
 * 0xFF). Two policies:
 * <ul>
 * <li>{@link #ascii}: everything outside printable ASCII (0x20-0x7E) escaped and a backslash doubled, so the text
 * can be read back exactly: for a network peer's free text;</li>
 * <li>{@link #controls}: only the control characters (C0 but tab and line feed, DEL, C1) and the Unicode
 * direction controls escaped, everything else kept as it is (file names and messages stay readable): for error
 * messages that quote a user's input.</li>
 * </ul>
 */
public final class Printable
{
    private Printable()
    {
    }

    /** {@code text} with every character outside printable ASCII escaped and a backslash doubled. */
    public static String ascii(final String text)
    {
        return escape(text, true);
    }

    /** {@code text} with its control characters (but tab and line feed) and direction controls escaped. */
    public static String controls(final String text)
    {
        return text == null ? null : escape(text, false);
    }

    private static String escape(final String text, final boolean ascii)
    {
        StringBuilder escaped = null;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            final boolean keep = ascii ? c >= 0x20 && c < 0x7F && c != '\\' : !control(c);
            if (keep)
            {
                if (escaped != null)
                {
                    escaped.append(c);
                }
                continue;
            }
            if (escaped == null)
            {
                escaped = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (c == '\\')
            {
                escaped.append("\\\\");
            }
            else
            {
                escaped.append(c < 0x100 ? String.format("\\x%02x", (int)c) : String.format("\\u%04x", (int)c));
            }
        }
        return escaped == null ? text : escaped.toString();
    }

    /** C0 but tab and line feed, DEL, C1, and the Unicode direction marks, embeddings, overrides and isolates. */
    private static boolean control(final char c)
    {
        return c < 0x20 && c != '\t' && c != '\n' || c >= 0x7F && c <= 0x9F || c == 0x200E || c == 0x200F ||
            c >= 0x202A && c <= 0x202E || c >= 0x2066 && c <= 0x2069;
    }
}
