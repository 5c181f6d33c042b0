package org.iommuemu.tlp;

/**
 * A PCIe Requester ID (Bus, Device, Function: PCIe Base 6.0 2.2.6.2) as people write it, {@code bus:dev.fn} in hex
 * ({@code 01:00.0}), the form lspci, the kernel and QEMU print. Layout: bits 15:8 bus, 7:3 device, 2:0 function.
 */
public final class RequesterId
{
    private RequesterId()
    {
    }

    public static int bus(final int requesterId)
    {
        return (requesterId >>> 8) & 0xFF;
    }

    public static int device(final int requesterId)
    {
        return (requesterId >>> 3) & 0x1F;
    }

    public static int function(final int requesterId)
    {
        return requesterId & 7;
    }

    /** {@code bus:dev.fn}, two hex digits each for bus and device, one for the function. */
    public static String toBdf(final int requesterId)
    {
        return appendBdf(new StringBuilder(7), requesterId).toString();
    }

    /** Append {@code bus:dev.fn} to {@code b} (allocates nothing once {@code b} has room). */
    public static StringBuilder appendBdf(final StringBuilder b, final int requesterId)
    {
        return TlpFormatter.bdf(b, requesterId & 0xFFFF);
    }

    /**
     * The requester ID of {@code bus:dev.fn} (hex; an optional {@code segment:} prefix is accepted and dropped), or -1
     * when the text is not one or a part is out of range.
     */
    public static int parse(final String text)
    {
        final String t = text.trim();
        final int dot = t.lastIndexOf('.');
        final int colon = t.lastIndexOf(':', dot);
        if (dot < 0 || colon < 0)
        {
            return -1;
        }
        final int segmentColon = t.lastIndexOf(':', colon - 1);
        try
        {
            final int bus = Integer.parseInt(t.substring(segmentColon + 1, colon), 16);
            final int device = Integer.parseInt(t.substring(colon + 1, dot), 16);
            final int function = Integer.parseInt(t.substring(dot + 1), 16);
            if (bus < 0 || bus > 0xFF || device < 0 || device > 0x1F || function < 0 || function > 7 || colon - segmentColon - 1 > 2 ||
                dot - colon - 1 > 2 || t.length() - dot - 1 != 1)
            {
                return -1;
            }
            return bus << 8 | device << 3 | function;
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
