package org.iommuemu.tlp;

import org.agrona.concurrent.UnsafeBuffer;

/** Test helper: literal hex (whitespace ignored) to a buffer and back. */
final class Hex
{
    private Hex()
    {
    }

    static byte[] bytes(final String hex)
    {
        final String clean = hex.replaceAll("\\s+", "");
        final byte[] out = new byte[clean.length() / 2];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = (byte)Integer.parseInt(clean.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    static UnsafeBuffer buffer(final String hex)
    {
        return new UnsafeBuffer(bytes(hex));
    }

    static String of(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            sb.append(String.format("%02x", buffer.getByte(offset + i) & 0xFF));
        }
        return sb.toString();
    }
}
