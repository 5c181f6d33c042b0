package org.iommuemu.tlp;

import java.util.Arrays;

/**
 * What a non-flit TLP is, from its Fmt[2:0] and Type[4:0] (PCIe Base Spec Table 2-2/2-3), i.e. from byte 0
 * of the TLP. The classification is a 256-entry table indexed by byte 0, so {@link #of(int)} is one array
 * load. Fmt[0] says a 4DW header, Fmt[1] says data follows; the Msg kinds carry the routing sub-field in
 * Type[2:0].
 */
public enum TlpKind
{
    /** Memory read request. */
    MRD("MRd", 0b00000, false, TlpKind.ADDRESS_ROUTED),
    /** Memory read request, locked. */
    MRDLK("MRdLk", 0b00001, false, TlpKind.ADDRESS_ROUTED),
    /** Memory write request. */
    MWR("MWr", 0b00000, true, TlpKind.ADDRESS_ROUTED),
    /** I/O read request (3DW only). */
    IORD("IORd", 0b00010, false, TlpKind.ADDRESS_ROUTED),
    /** I/O write request (3DW only). */
    IOWR("IOWr", 0b00010, true, TlpKind.ADDRESS_ROUTED),
    /** Configuration read, type 0. */
    CFGRD0("CfgRd0", 0b00100, false, TlpKind.CONFIG),
    /** Configuration write, type 0. */
    CFGWR0("CfgWr0", 0b00100, true, TlpKind.CONFIG),
    /** Configuration read, type 1. */
    CFGRD1("CfgRd1", 0b00101, false, TlpKind.CONFIG),
    /** Configuration write, type 1. */
    CFGWR1("CfgWr1", 0b00101, true, TlpKind.CONFIG),
    /** Message without data (always 4DW); Type[2:0] is the routing. */
    MSG("Msg", 0b10000, false, TlpKind.MESSAGE),
    /** Message with data (always 4DW); Type[2:0] is the routing. */
    MSGD("MsgD", 0b10000, true, TlpKind.MESSAGE),
    /** Completion without data. */
    CPL("Cpl", 0b01010, false, TlpKind.COMPLETION),
    /** Completion with data. */
    CPLD("CplD", 0b01010, true, TlpKind.COMPLETION),
    /** Completion for a locked read, without data. */
    CPLLK("CplLk", 0b01011, false, TlpKind.COMPLETION),
    /** Completion for a locked read, with data. */
    CPLDLK("CplDLk", 0b01011, true, TlpKind.COMPLETION),
    /** AtomicOp FetchAdd. */
    FETCHADD("FetchAdd", 0b01100, true, TlpKind.ADDRESS_ROUTED),
    /** AtomicOp Swap. */
    SWAP("Swap", 0b01101, true, TlpKind.ADDRESS_ROUTED),
    /** AtomicOp Compare and Swap. */
    CAS("CAS", 0b01110, true, TlpKind.ADDRESS_ROUTED),
    /** Deferrable memory write. */
    DMWR("DMWr", 0b11011, true, TlpKind.ADDRESS_ROUTED),
    /** Local TLP prefix (Fmt 100, Type 0xxxx), one DW. */
    LOCAL_PREFIX("LocalPrefix", 0b00000, false, TlpKind.PREFIX),
    /** End-to-End TLP prefix (Fmt 100, Type 1xxxx), one DW. */
    END_TO_END_PREFIX("E2EPrefix", 0b10000, false, TlpKind.PREFIX),
    /** A reserved Fmt/Type combination. */
    RESERVED("Reserved", 0, false, TlpKind.NONE);

    static final int NONE = 0;
    static final int ADDRESS_ROUTED = 1;
    static final int CONFIG = 2;
    static final int MESSAGE = 3;
    static final int COMPLETION = 4;
    static final int PREFIX = 5;

    /** Fmt value for a prefix, Fmt[2:0] = 100. */
    public static final int FMT_PREFIX = 0b100;

    private static final TlpKind[] BY_BYTE0 = new TlpKind[256];

    static
    {
        Arrays.fill(BY_BYTE0, RESERVED);
        for (int fmt = 0; fmt < 4; fmt++)
        {
            final boolean data = (fmt & 0b10) != 0;
            final boolean fourDw = (fmt & 0b01) != 0;
            for (int type = 0; type < 32; type++)
            {
                BY_BYTE0[(fmt << 5) | type] = classify(type, data, fourDw);
            }
        }
        for (int type = 0; type < 32; type++)
        {
            BY_BYTE0[(FMT_PREFIX << 5) | type] = (type & 0b10000) != 0 ? END_TO_END_PREFIX : LOCAL_PREFIX;
        }
    }

    private final String mnemonic;
    private final int type;
    private final boolean data;
    private final int group;

    TlpKind(final String mnemonic, final int type, final boolean data, final int group)
    {
        this.mnemonic = mnemonic;
        this.type = type;
        this.data = data;
        this.group = group;
    }

    private static TlpKind classify(final int type, final boolean data, final boolean fourDw)
    {
        if ((type & 0b11000) == 0b10000)
        {
            return fourDw ? (data ? MSGD : MSG) : RESERVED;
        }
        switch (type)
        {
            case 0b00000:
                return data ? MWR : MRD;
            case 0b00001:
                return data ? RESERVED : MRDLK;
            case 0b00010:
                return fourDw ? RESERVED : (data ? IOWR : IORD);
            case 0b00100:
                return fourDw ? RESERVED : (data ? CFGWR0 : CFGRD0);
            case 0b00101:
                return fourDw ? RESERVED : (data ? CFGWR1 : CFGRD1);
            case 0b01010:
                return fourDw ? RESERVED : (data ? CPLD : CPL);
            case 0b01011:
                return fourDw ? RESERVED : (data ? CPLDLK : CPLLK);
            case 0b01100:
                return data ? FETCHADD : RESERVED;
            case 0b01101:
                return data ? SWAP : RESERVED;
            case 0b01110:
                return data ? CAS : RESERVED;
            case 0b11011:
                return data ? DMWR : RESERVED;
            default:
                return RESERVED;
        }
    }

    /**
     * @param byte0 first byte of the TLP, {@code Fmt << 5 | Type}.
     * @return the kind, {@link #RESERVED} for a reserved combination.
     */
    public static TlpKind of(final int byte0)
    {
        return BY_BYTE0[byte0 & 0xFF];
    }

    /**
     * The byte 0 that encodes this kind.
     *
     * @param fourDw  true for a 4DW header (ignored for kinds that only exist in one size).
     * @param routing Type[2:0] for messages, ignored otherwise.
     * @return {@code Fmt << 5 | Type}.
     */
    public int byte0(final boolean fourDw, final int routing)
    {
        if (group == PREFIX || this == RESERVED)
        {
            throw new IllegalStateException(this + " has no header encoding; use the prefix flyweights");
        }
        final boolean four = group == MESSAGE || (fourDw && group == ADDRESS_ROUTED && this != IORD && this != IOWR);
        final int fmt = (data ? 0b10 : 0) | (four ? 0b01 : 0);
        final int t = group == MESSAGE ? (type | (routing & 0b111)) : type;
        return (fmt << 5) | t;
    }

    /** @return the mnemonic used in the PCIe spec, e.g. "CplD". */
    public String mnemonic()
    {
        return mnemonic;
    }

    /** @return true when the TLP carries a data payload. */
    public boolean hasData()
    {
        return data;
    }

    /** @return true for MRd, MRdLk, MWr, IORd, IOWr, AtomicOps and DMWr, whose DW1 is a request DW1. */
    public boolean isAddressRouted()
    {
        return group == ADDRESS_ROUTED;
    }

    /** @return true for a memory request (not I/O). */
    public boolean isMemory()
    {
        return group == ADDRESS_ROUTED && this != IORD && this != IOWR;
    }

    /** @return true for an I/O request. */
    public boolean isIo()
    {
        return this == IORD || this == IOWR;
    }

    /** @return true for a configuration request. */
    public boolean isConfig()
    {
        return group == CONFIG;
    }

    /** @return true for Msg or MsgD. */
    public boolean isMessage()
    {
        return group == MESSAGE;
    }

    /** @return true for a completion. */
    public boolean isCompletion()
    {
        return group == COMPLETION;
    }

    /** @return true for a one-DW TLP prefix. */
    public boolean isPrefix()
    {
        return group == PREFIX;
    }

    /** @return true for a reserved Fmt/Type. */
    public boolean isReserved()
    {
        return this == RESERVED;
    }
}
