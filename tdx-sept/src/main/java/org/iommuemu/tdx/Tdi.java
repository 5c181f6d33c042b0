package org.iommuemu.tdx;

/**
 * A TDISP device interface (the function a TD is assigned) as TDX Connect tracks it: its PCI requester ID,
 * its TDISP state, the TD it is bound to, the MMIO ranges of its interface report, and, for a TDI without a
 * vIOMMU, seed 003's "IOVA below X is private, above is shared" knob.
 */
public final class Tdi
{
    private final int requesterId;
    private final MmioRange[] mmioRanges;
    TdispState state = TdispState.CONFIG_UNLOCKED;
    TrustDomain td;
    boolean iovaSplit;
    long privateIovaLimit = -1L;

    Tdi(final int requesterId, final MmioRange[] mmioRanges)
    {
        this.requesterId = requesterId;
        this.mmioRanges = mmioRanges.clone();
    }

    /** PCI requester ID (bus/device/function). */
    public int requesterId()
    {
        return requesterId;
    }

    public TdispState state()
    {
        return state;
    }

    /** The TD the TDI is bound to, or null. */
    public TrustDomain td()
    {
        return td;
    }

    public int mmioRangeCount()
    {
        return mmioRanges.length;
    }

    public MmioRange mmioRange(final int i)
    {
        return mmioRanges[i];
    }

    /**
     * Seed 003 knob for a TDI without a vIOMMU: T=1 IOVAs below {@code limit} (unsigned) are private GPAs,
     * the others shared (the shared bit is set on them). Alexey's V1 sets all ones to make everything private.
     */
    public Tdi privateIovaLimit(final long limit)
    {
        this.iovaSplit = true;
        this.privateIovaLimit = limit;
        return this;
    }

    /** Back to the vIOMMU case: a T=1 address is a GPA and its shared bit picks the table. */
    public Tdi noIovaSplit()
    {
        this.iovaSplit = false;
        this.privateIovaLimit = -1L;
        return this;
    }

    public boolean hasIovaSplit()
    {
        return iovaSplit;
    }

    public long privateIovaLimit()
    {
        return privateIovaLimit;
    }

    /** The private MMIO range holding {@code [hpa, hpa + length)}, or null. */
    MmioRange privateRangeContaining(final long hpa, final long length)
    {
        for (final MmioRange range : mmioRanges)
        {
            if (!range.isShared() && range.contains(hpa, length))
            {
                return range;
            }
        }
        return null;
    }

    public String toString()
    {
        return "Tdi{rid=0x" + Integer.toHexString(requesterId) + ", " + state + (td != null ? ", td=" + td.id() : "") + "}";
    }
}
