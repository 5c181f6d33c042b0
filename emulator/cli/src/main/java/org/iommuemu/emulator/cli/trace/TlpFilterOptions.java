package org.iommuemu.emulator.cli.trace;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpHeader;
import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.trace.TraceRecord;
import picocli.CommandLine.Option;

/**
 * {@code --type} and {@code --requester} filters. A record passes when it matches one of the types (if any
 * given) and one of the requesters (if any given). The requester of a TLP is the Requester ID of a request,
 * configuration request or message, and of a completion the Requester ID it is addressed to (the device whose
 * request it completes), so {@code --requester} selects all traffic of one function. Flit-mode TLPs have no
 * decoded kind or requester: they match only {@code --type flit} and never a requester.
 */
public final class TlpFilterOptions
{
    @Option(names = {"-t", "--type"}, split = ",", paramLabel = "TYPE",
        description = "Keep only these TLP types (comma-separated or repeated, case-insensitive): MRd, MRdLk, MWr, " +
            "IORd, IOWr, CfgRd0, CfgWr0, CfgRd1, CfgWr1, Msg, MsgD, Cpl, CplD, CplLk, CplDLk, FetchAdd, Swap, CAS, " +
            "DMWr, plus ats-tr (ATS translation requests) and flit (flit-mode TLPs).")
    List<String> types = new ArrayList<>();

    @Option(names = {"-r", "--requester"}, split = ",", paramLabel = "BDF",
        description = "Keep only TLPs of these requesters: bus:device.function in hex (1b:00.0) or a 16-bit ID (0x1b00).")
    List<String> requesters = new ArrayList<>();

    private boolean parsed;
    private final boolean[] kinds = new boolean[TlpKind.values().length];
    private boolean anyType;
    private boolean translationRequests;
    private boolean flit;
    private final boolean[] ids = new boolean[1 << 16];
    private boolean anyRequester;

    /** Parses the option values; throws IllegalArgumentException on a bad one. */
    void parse()
    {
        if (parsed)
        {
            return;
        }
        parsed = true;
        for (final String raw : types)
        {
            final String type = raw.trim();
            anyType = true;
            if (type.equalsIgnoreCase("ats-tr"))
            {
                translationRequests = true;
                continue;
            }
            if (type.equalsIgnoreCase("flit"))
            {
                flit = true;
                continue;
            }
            boolean found = false;
            for (final TlpKind kind : TlpKind.values())
            {
                if (!kind.isPrefix() && !kind.isReserved() && kind.mnemonic().equalsIgnoreCase(type))
                {
                    kinds[kind.ordinal()] = true;
                    found = true;
                }
            }
            if (!found)
            {
                throw new IllegalArgumentException("--type \"" + raw + "\" is not a TLP type (MRd, MWr, CplD, Msg, " +
                    "CfgRd0, ..., ats-tr, flit; see --help)");
            }
        }
        for (final String raw : requesters)
        {
            ids[parseRequester(raw)] = true;
            anyRequester = true;
        }
    }

    /** @return true when no filter was given. */
    boolean isEmpty()
    {
        parse();
        return !anyType && !anyRequester;
    }

    /**
     * @param record decoded record.
     * @return true when it passes the filters.
     */
    boolean matches(final TraceRecord record)
    {
        final Tlp tlp = record.tlp();
        if (tlp.isFlit())
        {
            return !anyRequester && (!anyType || flit);
        }
        final TlpKind kind = tlp.kind();
        if (anyType && !kinds[kind.ordinal()] && !(translationRequests && isTranslationRequest(tlp)))
        {
            return false;
        }
        if (anyRequester)
        {
            final int requester = requesterOf(tlp);
            return requester >= 0 && ids[requester];
        }
        return true;
    }

    /** @return the requester the filter and stats attribute the TLP to, or -1 for none. */
    static int requesterOf(final Tlp tlp)
    {
        if (tlp.isFlit())
        {
            return -1;
        }
        final TlpKind kind = tlp.kind();
        if (kind.isAddressRouted())
        {
            return tlp.request().requesterId();
        }
        if (kind.isConfig())
        {
            return tlp.config().requesterId();
        }
        if (kind.isMessage())
        {
            return tlp.message().requesterId();
        }
        if (kind.isCompletion())
        {
            return tlp.completion().requesterId();
        }
        return -1;
    }

    private static boolean isTranslationRequest(final Tlp tlp)
    {
        return TlpKind.MRD == tlp.kind() && TlpHeader.AT_TRANSLATION_REQUEST == tlp.header().at();
    }

    /**
     * @param text {@code bb:dd.f} (hex bus and device, function 0-7), {@code 0xNNNN} or a decimal ID.
     * @return the 16-bit Requester ID.
     */
    static int parseRequester(final String text)
    {
        try
        {
            return Numbers.parseRequesterId(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--requester \"" + text + "\" is not a requester ID (bus:device.function in hex " +
                "such as 1b:00.0, or 0x1b00): " + ex.getMessage());
        }
    }
}
