package org.iommuemu.tdx;

/**
 * One MMIO range of a TDI as its TDISP interface report lists it: host physical base, size, and whether
 * it stays shared after bind (some MMIO is accessed as shared by the guest even when the device is private:
 * seed 004). The report's wire layout is not in the reference sheet, so the caller decodes it.
 */
public final class MmioRange
{
    private final long hpa;
    private final long size;
    private final boolean shared;

    public MmioRange(final long hpa, final long size, final boolean shared)
    {
        if ((hpa & 0xFFF) != 0 || size <= 0 || (size & 0xFFF) != 0)
        {
            throw new IllegalArgumentException("MMIO range 0x" + Long.toHexString(hpa) + "+0x" + Long.toHexString(size) +
                " must be 4 KiB aligned and non-empty");
        }
        this.hpa = hpa;
        this.size = size;
        this.shared = shared;
    }

    public long hpa()
    {
        return hpa;
    }

    public long size()
    {
        return size;
    }

    /** True when the range stays shared after bind; false for private MMIO. */
    public boolean isShared()
    {
        return shared;
    }

    public boolean contains(final long address, final long length)
    {
        return address >= hpa && length <= size && address - hpa <= size - length;
    }

    public boolean overlaps(final long address, final long length)
    {
        return address < hpa + size && hpa < address + length;
    }

    public String toString()
    {
        return "MmioRange{0x" + Long.toHexString(hpa) + "+0x" + Long.toHexString(size) + (shared ? ", shared" : ", private") + "}";
    }
}
