package org.iommuemu.emulator.cosim.server;

import java.util.Arrays;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.TlpEncoder;

/** TLP wire bytes for the tests, built by pcie-tlp's encoder: prefixes (IDE first, then PASID), header, data. */
public final class Tlps
{
    private Tlps()
    {
    }

    /** An MRd (or MWr with zeroed data) of {@code bytes} at {@code address}. */
    public static byte[] memory(final boolean write, final int requesterId, final long address, final int bytes)
    {
        return memory(write, requesterId, address, bytes, -1, false, false, false, false);
    }

    /**
     * @param pasid     -1 for no PASID prefix.
     * @param t         write an IDE prefix with this T bit (when {@code ide}).
     */
    public static byte[] memory(final boolean write, final int requesterId, final long address, final int bytes, final int pasid,
        final boolean exe, final boolean priv, final boolean ide, final boolean t)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4200]);
        final TlpEncoder encoder = new TlpEncoder();
        int at = 0;
        if (ide)
        {
            at += encoder.idePrefix(buffer, at, t, 1, 3);
        }
        if (pasid >= 0)
        {
            at += encoder.pasidPrefix(buffer, at, pasid, exe, priv);
        }
        at += encoder.memoryRequest(buffer, at, write, requesterId, 7, address, bytes);
        return Arrays.copyOf(buffer.byteArray(), at);
    }

    /** An ATS Translation Request for one translation. */
    public static byte[] translationRequest(final int requesterId, final long address)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = new TlpEncoder().translationRequest(buffer, 0, requesterId, 9, address, 1, false);
        return Arrays.copyOf(buffer.byteArray(), length);
    }
}
