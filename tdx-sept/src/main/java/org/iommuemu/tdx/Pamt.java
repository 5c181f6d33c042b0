package org.iommuemu.tdx;

import org.agrona.collections.Long2LongHashMap;

/**
 * Physical page ownership (the job of the TDX module's PAMT): who owns each 4 KiB frame, and the TLB
 * epoch at which a blocked mapping of it was blocked (the PAMT's BEPOCH).
 * <p>
 * A frame with no record is PT_NDA, owned by the host. Records are packed longs in a primitive map:
 * <pre>
 *  63:40      39:8       7:0
 * +--------+----------+-----------+
 * |   0    | TD id    | page type |
 * +--------+----------+-----------+
 * </pre>
 * PT_NDA = 0 and PT_RSVD = 1 are from Linux {@code tdx.h} (shared/reference/vtd-tdx.md 5.5); the other type
 * values are this model's (the module's numbering was not read), so nothing outside this class may rely on
 * them. One record per 4 KiB frame, also for 2 MiB pages, so "a page cannot be added to two TDs" is one
 * look-up per frame.
 */
public final class Pamt
{
    public static final int PT_NDA = 0;
    public static final int PT_RSVD = 1;
    /** Model-defined: the TD's root structure page. */
    public static final int PT_TDR = 2;
    /** Model-defined: a private memory page of a TD. */
    public static final int PT_REG = 3;
    /** Model-defined: an S-EPT page of a TD. */
    public static final int PT_SEPT = 4;
    /** Model-defined: a private MMIO page mapped into a TD's S-EPT (TDX Connect). */
    public static final int PT_MMIO = 5;

    public static final long TYPE_MASK = 0xFF;
    public static final int TD_SHIFT = 8;
    public static final long TD_MASK = 0xFFFF_FFFFL << TD_SHIFT;
    public static final long NO_EPOCH = -1;

    private static final int FRAME_LG2 = 12;

    private final Long2LongHashMap records = new Long2LongHashMap(1024, 0.6f, 0);
    private final Long2LongHashMap blockEpochs = new Long2LongHashMap(256, 0.6f, NO_EPOCH);

    public static long pack(final int type, final int tdId)
    {
        return (type & TYPE_MASK) | (((long)tdId << TD_SHIFT) & TD_MASK);
    }

    public static int typeOf(final long record)
    {
        return (int)(record & TYPE_MASK);
    }

    public static int tdOf(final long record)
    {
        return (int)((record & TD_MASK) >>> TD_SHIFT);
    }

    /** The packed record of the frame holding {@code hpa}; 0 (PT_NDA, host) when none. */
    public long record(final long hpa)
    {
        return records.get(hpa >>> FRAME_LG2);
    }

    public int pageType(final long hpa)
    {
        return typeOf(record(hpa));
    }

    /** The owning TD id, 0 for the host. */
    public int owner(final long hpa)
    {
        return tdOf(record(hpa));
    }

    /** Whether every frame of {@code [hpa, hpa + 2^sizeLg2)} is PT_NDA (free for the host to give away). */
    public boolean allHostOwned(final long hpa, final int sizeLg2)
    {
        final long first = hpa >>> FRAME_LG2;
        final long count = 1L << (sizeLg2 - FRAME_LG2);
        for (long i = 0; i < count; i++)
        {
            if (records.get(first + i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /** Whether the frame holds TD private memory or TD metadata (what integrity protects). */
    public boolean isPrivateMemory(final long hpa)
    {
        final int type = pageType(hpa);
        return type == PT_REG || type == PT_SEPT || type == PT_TDR;
    }

    public void assign(final long hpa, final int sizeLg2, final int type, final int tdId)
    {
        final long first = hpa >>> FRAME_LG2;
        final long count = 1L << (sizeLg2 - FRAME_LG2);
        final long record = pack(type, tdId);
        for (long i = 0; i < count; i++)
        {
            records.put(first + i, record);
        }
    }

    /** Return frames to the host (PT_NDA). */
    public void release(final long hpa, final int sizeLg2)
    {
        final long first = hpa >>> FRAME_LG2;
        final long count = 1L << (sizeLg2 - FRAME_LG2);
        for (long i = 0; i < count; i++)
        {
            records.remove(first + i);
            blockEpochs.remove(first + i);
        }
    }

    public void blockEpoch(final long hpa, final long epoch)
    {
        blockEpochs.put(hpa >>> FRAME_LG2, epoch);
    }

    /** Forget the block epoch (the mapping was unblocked, split, merged or removed). */
    public void clearBlockEpoch(final long hpa)
    {
        blockEpochs.remove(hpa >>> FRAME_LG2);
    }

    /** The TLB epoch the mapping of {@code hpa} was blocked in, or {@link #NO_EPOCH}. */
    public long blockEpoch(final long hpa)
    {
        return blockEpochs.get(hpa >>> FRAME_LG2);
    }

    public int size()
    {
        return records.size();
    }

    /** How many 4 KiB frames have page type {@code type} (a pass over every record: for reports, not per request). */
    public long frames(final int type)
    {
        final long[] count = new long[1];
        records.forEachLong((frame, record) -> count[0] += typeOf(record) == type ? 1 : 0);
        return count[0];
    }
}
