package org.iommuemu.tdx;

import java.util.Arrays;

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
 * The page types are the TDX module's (intel/tdx-module 1.5, pamt_manager.h {@code page_type_t}: PT_NDA 0, PT_RSVD 1,
 * PT_REG 3, PT_TDR 4, PT_EPT 8), as TDH.PHYMEM.PAGE.RECLAIM returns them in RCX; the model has no TDCX or TDVPR
 * pages, and private MMIO (TDX Connect, not in 1.5) has a value of the model's. One record per 4 KiB frame, also for
 * 2 MiB pages, so "a page cannot be added to two TDs" is one look-up per frame.
 */
public final class Pamt
{
    public static final int PT_NDA = 0;
    public static final int PT_RSVD = 1;
    /** A private memory page of a TD. */
    public static final int PT_REG = 3;
    /** The TD's root structure page. */
    public static final int PT_TDR = 4;
    /** An S-EPT page of a TD (the module's PT_EPT). */
    public static final int PT_SEPT = 8;
    /** Model-defined (the 1.5 module has no such type): a private MMIO page mapped into a TD's S-EPT (TDX Connect). */
    public static final int PT_MMIO = 9;
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

    /** The frames TD {@code tdId} owns, ascending (a teardown's list; allocates). */
    public long[] framesOf(final int tdId)
    {
        final long[] frames = new long[records.size()];
        int count = 0;
        final Long2LongHashMap.EntryIterator entries = records.entrySet().iterator();
        while (entries.hasNext())
        {
            entries.next();
            if (tdOf(entries.getLongValue()) == tdId)
            {
                frames[count++] = entries.getLongKey() << FRAME_LG2;
            }
        }
        final long[] owned = Arrays.copyOf(frames, count);
        Arrays.sort(owned);
        return owned;
    }

    /** How many 4 KiB frames have page type {@code type} (a pass over every record: for reports, not per request). */
    public long frames(final int type)
    {
        final long[] count = new long[1];
        records.forEachLong((frame, record) -> count[0] += typeOf(record) == type ? 1 : 0);
        return count[0];
    }
}
