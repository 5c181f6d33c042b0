package org.iommuemu.emulator.vtd;

/**
 * A primary fault recording register (FRCD): 128 bits at CAP.FRO x 16 + 16 i, as two 64-bit registers.
 * <pre>
 * lo:  63:12                                   11:0
 *     +---------------------------------------+------+
 *     | FI (faulting page address)            | rsvd |
 *     +---------------------------------------+------+
 * hi:  63   62   61:60  59:40   39:32  31   30    29    28:16   15:0
 *     +----+----+------+-------+------+----+-----+------+-------+-----+
 *     | F  | T  | rsvd |  PV   |  FR  | PP | EXE | PRIV | rsvd  | SID |
 *     +----+----+------+-------+------+----+-----+------+-------+-----+
 * </pre>
 * T: 1 read, 0 write. F is write-1-to-clear. Sources: Linux intel/iommu.h {@code DMA_FRCD_F},
 * {@code dma_frcd_type/fault_reason/source_id/pasid_value/pasid_present}; QEMU {@code VTD_FRCD_*};
 * shared/reference/vtd-tdx.md 3.1. EXE (bit 94) and PRIV (bit 93) are UNVERIFIED (the spec's fields, no
 * source checked); {@link VtdConfig#recordExecutePrivilege} switches them off.
 */
public final class FaultRecord
{
    public static final long FI = 0xFFFF_FFFF_FFFF_F000L;
    public static final long SID = 0xFFFFL;
    public static final long PRIV = 1L << 29;
    public static final long EXE = 1L << 30;
    public static final long PP = 1L << 31;
    public static final int FR_SHIFT = 32;
    public static final long FR = 0xFFL << FR_SHIFT;
    public static final int PV_SHIFT = 40;
    public static final long PV = 0xF_FFFFL << PV_SHIFT;
    public static final long T = 1L << 62;
    public static final long F = 1L << 63;

    private FaultRecord()
    {
    }

    public static long low(final long address)
    {
        return address & FI;
    }

    /**
     * @param pasid the request's PASID, or negative when it had none.
     */
    public static long high(final int sourceId, final int reason, final boolean read, final int pasid, final boolean execute,
        final boolean privileged)
    {
        return F | (read ? T : 0) | ((long)(reason & 0xFF) << FR_SHIFT) | (sourceId & SID) |
            (pasid >= 0 ? PP | (((long)pasid << PV_SHIFT) & PV) : 0) | (execute ? EXE : 0) | (privileged ? PRIV : 0);
    }

    public static boolean fault(final long hi)
    {
        return (hi & F) != 0;
    }

    public static int reason(final long hi)
    {
        return (int)((hi & FR) >>> FR_SHIFT);
    }

    public static int sourceId(final long hi)
    {
        return (int)(hi & SID);
    }

    public static boolean read(final long hi)
    {
        return (hi & T) != 0;
    }

    public static boolean pasidPresent(final long hi)
    {
        return (hi & PP) != 0;
    }

    public static int pasid(final long hi)
    {
        return (int)((hi & PV) >>> PV_SHIFT);
    }

    public static boolean execute(final long hi)
    {
        return (hi & EXE) != 0;
    }

    public static boolean privileged(final long hi)
    {
        return (hi & PRIV) != 0;
    }

    public static long address(final long lo)
    {
        return lo & FI;
    }
}
