package org.iommuemu.tlp;

/**
 * Renders a decoded {@link Tlp} as one human-readable line, in the spirit of the NetTLP tcpdump decode:
 * {@code MRd len 4 req 1b:00.0 tag 0x03 last 0xf first 0xf addr 0x2f001000}. Appends to a caller-owned
 * {@link StringBuilder}; no formatting objects are created.
 */
public final class TlpFormatter
{
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private TlpFormatter()
    {
    }

    /**
     * @param tlp decoded (valid or not).
     * @param out to append to.
     * @return out.
     */
    public static StringBuilder format(final Tlp tlp, final StringBuilder out)
    {
        if (!tlp.isValid())
        {
            out.append("INVALID ").append(tlp.error().description()).append(" at byte ").append(tlp.errorOffset());
            return out;
        }
        if (tlp.isFlit())
        {
            return formatFlit(tlp, out);
        }
        final TlpKind kind = tlp.kind();
        final TlpHeader h = tlp.header();
        out.append(kind.mnemonic());
        if (kind.isMemory() || kind.isMessage())
        {
            out.append(h.is4Dw() ? "64" : "32");
        }
        if (TlpHeader.AT_TRANSLATION_REQUEST == h.at() && TlpKind.MRD == kind)
        {
            out.append(" ATS-TR");
        }
        out.append(" len ").append(h.lengthDw());
        if (kind.isAddressRouted())
        {
            final RequestHeader r = tlp.request();
            bdf(out.append(" req "), r.requesterId());
            hex(out.append(" tag 0x"), r.tag(), 2);
            hex(out.append(" last 0x"), r.lastBe(), 1);
            hex(out.append(" first 0x"), r.firstBe(), 1);
            hexLong(out.append(" addr 0x"), r.address());
            if (h.th())
            {
                out.append(" ph ").append(r.ph());
            }
            if (r.isTranslationRequest() && r.noWrite())
            {
                out.append(" nw");
            }
        }
        else if (kind.isConfig())
        {
            final ConfigRequestHeader c = tlp.config();
            bdf(out.append(" req "), c.requesterId());
            hex(out.append(" tag 0x"), c.tag(), 2);
            hex(out.append(" first 0x"), c.firstBe(), 1);
            bdf(out.append(" dest "), c.destinationId());
            hex(out.append(" reg 0x"), c.registerNumber() * 4, 3);
        }
        else if (kind.isCompletion())
        {
            final CompletionHeader c = tlp.completion();
            bdf(out.append(" cpl "), c.completerId());
            out.append(' ').append(CompletionHeader.statusName(c.status()));
            out.append(" bc ").append(0 == c.byteCount() ? 4096 : c.byteCount());
            if (c.bcm())
            {
                out.append(" bcm");
            }
            bdf(out.append(" req "), c.requesterId());
            hex(out.append(" tag 0x"), c.tag(), 2);
            hex(out.append(" lowaddr 0x"), c.lowerAddress(), 2);
        }
        else if (kind.isMessage())
        {
            final MessageHeader m = tlp.message();
            bdf(out.append(" req "), m.requesterId());
            hex(out.append(" tag 0x"), m.tag(), 2);
            out.append(" code ").append(MessageHeader.codeName(m.messageCode()));
            hex(out.append("(0x"), m.messageCode(), 2).append(')');
            out.append(" route ").append(m.routing());
            if (MessageHeader.ROUTE_BY_ADDRESS == m.routing())
            {
                hexLong(out.append(" addr 0x"), m.address());
            }
            else
            {
                hex(out.append(" dw2 0x"), m.dw2(), 8);
                hex(out.append(" dw3 0x"), m.dw3(), 8);
            }
        }
        if (h.tc() != 0)
        {
            out.append(" tc ").append(h.tc());
        }
        if (h.attr() != 0)
        {
            out.append(" attr ").append(h.attr());
        }
        if (h.at() != 0 && !(TlpHeader.AT_TRANSLATION_REQUEST == h.at() && TlpKind.MRD == kind))
        {
            out.append(" at ").append(h.at());
        }
        if (h.ep())
        {
            out.append(" ep");
        }
        if (tlp.hasDigest())
        {
            hex(out.append(" ecrc 0x"), tlp.digest(), 8);
        }
        prefixes(tlp, out);
        if (tlp.isTruncatedCapture())
        {
            out.append(" captured ").append(tlp.capturedLength()).append('/').append(tlp.length());
        }
        return out;
    }

    private static void prefixes(final Tlp tlp, final StringBuilder out)
    {
        if (tlp.hasIdePrefix())
        {
            final IdePrefix ide = tlp.idePrefix();
            out.append(" ide t=").append(ide.t() ? 1 : 0).append(" k=").append(ide.k() ? 1 : 0);
            hex(out.append(" stream 0x"), ide.streamId(), 2);
            out.append(" sub ").append(ide.subStream());
        }
        if (tlp.hasPasidPrefix())
        {
            final PasidPrefix pasid = tlp.pasidPrefix();
            hex(out.append(" pasid 0x"), pasid.pasid(), 5);
            if (pasid.executeRequested())
            {
                out.append(" er");
            }
            if (pasid.privilegedModeRequested())
            {
                out.append(" pmr");
            }
        }
    }

    private static StringBuilder formatFlit(final Tlp tlp, final StringBuilder out)
    {
        final FlitHeaderBase h = tlp.flitHeader();
        hex(out.append("FM type 0x"), h.type(), 2);
        out.append(" len ").append(h.dataLength() / 4);
        hex(out.append(" ohc 0x"), h.ohc(), 2);
        out.append(" ts ").append(h.ts());
        if (tlp.hasOhcA())
        {
            final OhcA1 a = tlp.ohcA1();
            hex(out.append(" first 0x"), a.firstBe(), 1);
            hex(out.append(" last 0x"), a.lastBe(), 1);
            if (a.pasidValid())
            {
                hex(out.append(" pasid 0x"), a.pasid(), 5);
            }
        }
        if (tlp.hasOhcC())
        {
            final OhcC c = tlp.ohcC();
            out.append(" ide t=").append(c.t() ? 1 : 0).append(" xt=").append(c.xt() ? 1 : 0);
            hex(out.append(" stream 0x"), c.streamId(), 2);
            out.append(" sub ").append(c.subStream());
        }
        return out;
    }

    /**
     * Appends a Requester/Completer ID as bus:device.function.
     *
     * @param out to append to.
     * @param id  16-bit ID.
     * @return out.
     */
    public static StringBuilder bdf(final StringBuilder out, final int id)
    {
        hex(out, (id >>> 8) & 0xFF, 2).append(':');
        hex(out, (id >>> 3) & 0x1F, 2).append('.');
        return out.append(id & 0x7);
    }

    /**
     * Appends a zero-padded lower-case hex number.
     *
     * @param out    to append to.
     * @param value  unsigned value.
     * @param digits minimum digits.
     * @return out.
     */
    public static StringBuilder hex(final StringBuilder out, final int value, final int digits)
    {
        int n = 8;
        while (n > digits && ((value >>> ((n - 1) * 4)) & 0xF) == 0)
        {
            n--;
        }
        for (int i = n - 1; i >= 0; i--)
        {
            out.append(HEX[(value >>> (i * 4)) & 0xF]);
        }
        return out;
    }

    /**
     * Appends a hex number without padding.
     *
     * @param out   to append to.
     * @param value unsigned value.
     * @return out.
     */
    public static StringBuilder hexLong(final StringBuilder out, final long value)
    {
        int n = 16;
        while (n > 1 && ((value >>> ((n - 1) * 4)) & 0xF) == 0)
        {
            n--;
        }
        for (int i = n - 1; i >= 0; i--)
        {
            out.append(HEX[(int)((value >>> (i * 4)) & 0xF)]);
        }
        return out;
    }
}
