package org.iommuemu.rmp;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The Reverse Map Table as it lies in emulated physical memory, and the lookup from a system physical
 * address (SPA) to its RMP entry.
 *
 * <pre>
 * contiguous RMP                               segmented RMP (RMP_CFG.SEG = 1, RMP_END = 0)
 * RMP_BASE          +------------------------+ RMP_BASE          +------------------------+
 *                   | CPU bookkeeping, 16 KiB|                   | CPU bookkeeping, 16 KiB|
 * RMP_BASE+0x4000   +------------------------+ RMP_BASE+0x4000   +------------------------+
 *                   | entry of SPA page 0    |                   | RST: 512 x u64         |
 *                   | entry of SPA page 1    |                   +------------------------+
 *                   | ... 16 B per 4 KiB     | segment i base -> | entries of SPA          |
 * RMP_END (incl.)   +------------------------+                   | [i&lt;&lt;shift, +mapped)    |
 * </pre>
 *
 * Entry address (contiguous) = {@code RMP_BASE + 0x4000 + (SPA >> 12) * 16}; an SPA whose entry would lie
 * beyond RMP_END is not RMP-covered and counts as hypervisor-owned. Sources: reference sheet section 6.1
 * (Linux {@code RMPTABLE_CPU_BOOKKEEPING_SZ}, {@code get_raw_rmpentry}; AMD-SP firmware
 * {@code local_get_rmp_paddr}) and 6.2 for the segmented form.
 * <p>
 * The authoritative entry (reference section 6.3, Linux {@code __snp_lookup_rmpentry}): the entry of the
 * 2 MiB-aligned page governs the whole 2 MiB region when its Page_Size is 1; otherwise each 4 KiB page's own
 * entry governs. Every entry access goes through {@link PhysicalMemory#readEntry}/{@link PhysicalMemory#writeEntry}.
 */
public final class RmpTable
{
    public static final int PAGE_4K_LG2 = 12;
    public static final long PAGE_4K = 1L << PAGE_4K_LG2;
    public static final int PAGE_2M_LG2 = 21;
    public static final long PAGE_2M = 1L << PAGE_2M_LG2;
    public static final int PAGE_1G_LG2 = 30;
    public static final int PAGES_PER_2M = 1 << (PAGE_2M_LG2 - PAGE_4K_LG2);
    /** The CPU bookkeeping area at RMP_BASE (Linux {@code RMPTABLE_CPU_BOOKKEEPING_SZ}). */
    public static final long BOOKKEEPING_SIZE = 0x4000;
    /** Returned by the lookups for an SPA the RMP does not cover. */
    public static final long NOT_COVERED = -1;

    private final PhysicalMemory memory;
    private final long base;
    /** Contiguous: last byte of the RMP (inclusive). Segmented: unused. */
    private final long last;
    private final boolean segmented;
    private final int segmentShift;
    private final long[] segmentTable;
    /** Contiguous layout: address of the first entry, and how many 4 KiB pages the entries cover (0 if segmented). */
    private final long entriesBase;
    private final long coveredPages;

    private RmpTable(
        final PhysicalMemory memory, final long base, final long last, final int segmentShift, final long[] segmentTable)
    {
        this.memory = memory;
        this.base = base;
        this.last = last;
        this.segmented = segmentTable != null;
        this.segmentShift = segmentShift;
        this.segmentTable = segmentTable;
        this.entriesBase = base + BOOKKEEPING_SIZE;
        this.coveredPages = segmentTable != null ? 0 : (last + 1 - entriesBase) >>> RmpEntry.LENGTH_LG2;
    }

    /**
     * A contiguous RMP from the RMP_BASE and RMP_END MSR values. RMP_END names the 8 KiB granule holding the
     * last byte of the table (the MSR keeps bits 51:13 only), so the table ends at {@code RMP_END | 0x1FFF}.
     */
    public static RmpTable contiguous(final PhysicalMemory memory, final long rmpBaseMsr, final long rmpEndMsr)
    {
        final long base = RmpMsrs.address(rmpBaseMsr);
        final long last = RmpMsrs.address(rmpEndMsr) + RmpMsrs.ADDRESS_GRANULE - 1;
        if (last < base + BOOKKEEPING_SIZE + RmpEntry.LENGTH - 1)
        {
            throw new IllegalArgumentException("RMP_END 0x" + Long.toHexString(rmpEndMsr) +
                " leaves no room for entries after RMP_BASE 0x" + Long.toHexString(rmpBaseMsr));
        }
        return new RmpTable(memory, base, last, 0, null);
    }

    /**
     * A contiguous RMP at {@code base} large enough to cover SPA {@code [0, coveredBytes)}: the size Linux
     * requires, {@code (max_pfn << 4) + 16 KiB}, rounded up to the 8 KiB MSR granule.
     */
    public static RmpTable contiguousCovering(final PhysicalMemory memory, final long base, final long coveredBytes)
    {
        final long size = BOOKKEEPING_SIZE + (coveredBytes >>> PAGE_4K_LG2) * RmpEntry.LENGTH;
        final long rounded = (size + RmpMsrs.ADDRESS_GRANULE - 1) & ~(RmpMsrs.ADDRESS_GRANULE - 1);
        return contiguous(memory, base, base + rounded - RmpMsrs.ADDRESS_GRANULE);
    }

    /**
     * A segmented RMP from RMP_BASE and RMP_CFG. The RST is read once here (each read reported to the memory
     * listener), as the CPU loads it when SNP is enabled; rewriting the RST afterwards needs a new table.
     */
    public static RmpTable segmented(final PhysicalMemory memory, final long rmpBaseMsr, final long rmpCfgMsr)
    {
        if (!RmpMsrs.segmented(rmpCfgMsr))
        {
            throw new IllegalArgumentException("RMP_CFG 0x" + Long.toHexString(rmpCfgMsr) + " does not enable segments");
        }
        final int shift = RmpMsrs.segmentShift(rmpCfgMsr);
        if (shift < PAGE_2M_LG2 || shift >= PhysicalMemory.MAX_ADDRESS_LG2)
        {
            throw new IllegalArgumentException("segment shift " + shift);
        }
        final long base = RmpMsrs.address(rmpBaseMsr);
        final long[] rst = new long[RmpSegmentTableEntry.MAX_ENTRIES];
        for (int i = 0; i < rst.length; i++)
        {
            rst[i] = memory.readEntry(base + RmpSegmentTableEntry.TABLE_OFFSET + (long)i * RmpSegmentTableEntry.LENGTH);
        }
        return new RmpTable(memory, base, NOT_COVERED, shift, rst);
    }

    public PhysicalMemory memory()
    {
        return memory;
    }

    /** RMP_BASE. */
    public long base()
    {
        return base;
    }

    /** Last byte of a contiguous RMP; {@link #NOT_COVERED} for a segmented one. */
    public long last()
    {
        return last;
    }

    public boolean isSegmented()
    {
        return segmented;
    }

    /** One past the highest SPA a contiguous RMP covers. */
    public long coveredLimit()
    {
        if (segmented)
        {
            throw new IllegalStateException("a segmented RMP has no single limit");
        }
        return coveredPages << PAGE_4K_LG2;
    }

    /** Address of the raw entry of the 4 KiB page holding {@code spa}, or {@link #NOT_COVERED}. */
    public long entryAddress(final long spa)
    {
        if (!segmented)
        {
            // One unsigned comparison: a negative SPA shifts to a page number far above any covered count, and
            // so does one at or above 2^52 (a table covers at most 2^40 pages).
            final long page = spa >>> PAGE_4K_LG2;
            return page < coveredPages ? entriesBase + (page << RmpEntry.LENGTH_LG2) : NOT_COVERED;
        }
        if (spa < 0 || spa >= PhysicalMemory.ADDRESS_LIMIT)
        {
            return NOT_COVERED;
        }
        final long index = spa >>> segmentShift;
        if (index >= segmentTable.length)
        {
            return NOT_COVERED;
        }
        final long rst = segmentTable[(int)index];
        final long offset = spa & ((1L << segmentShift) - 1);
        if (offset >= RmpSegmentTableEntry.mappedSize(rst))
        {
            return NOT_COVERED;
        }
        return RmpSegmentTableEntry.segmentBase(rst) + ((offset >>> PAGE_4K_LG2) << RmpEntry.LENGTH_LG2);
    }

    /** Address of the raw entry of the 2 MiB-aligned page of the region holding {@code spa}, or {@link #NOT_COVERED}. */
    public long regionEntryAddress(final long spa)
    {
        return entryAddress(spa & ~(PAGE_2M - 1));
    }

    /**
     * {@link #regionEntryAddress(long)} from the covered entry address of {@code spa} ({@link #entryAddress}, not
     * {@link #NOT_COVERED}) without a second lookup. Exact because a region's 512 entries are consecutive in
     * both layouts: contiguously they are indexed by {@code spa >> 12}, and a segment spans at least 2 MiB
     * (segment shift 21 or more) from an aligned boundary, so the region's pages lie in the same segment at
     * lower offsets, which are covered whenever the page's own offset is.
     */
    public static long regionEntryAddress(final long entryAddress, final long spa)
    {
        return entryAddress - (((spa >>> PAGE_4K_LG2) & (PAGES_PER_2M - 1)) << RmpEntry.LENGTH_LG2);
    }

    /**
     * Address of the entry that governs {@code spa}: the 2 MiB-aligned entry if its Page_Size is 1, else the
     * page's own. Costs one entry read (the 2 MiB-aligned quadword 0). {@link #NOT_COVERED} if not covered.
     */
    public long authoritativeEntryAddress(final long spa)
    {
        final long own = entryAddress(spa);
        if (own == NOT_COVERED)
        {
            return NOT_COVERED;
        }
        final long region = regionEntryAddress(spa);
        final long regionQ0 = memory.readEntry(region + RmpEntry.QUADWORD0_OFFSET);
        return RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M ? region : own;
    }

    /** Zero every entry (and the bookkeeping area) of a contiguous RMP, as Linux does before enabling SNP. */
    public void clear()
    {
        if (segmented)
        {
            for (final long rst : segmentTable)
            {
                final long mapped = Math.min(RmpSegmentTableEntry.mappedSize(rst), 1L << segmentShift);
                memory.zero(RmpSegmentTableEntry.segmentBase(rst), (mapped >>> PAGE_4K_LG2) << RmpEntry.LENGTH_LG2);
            }
            memory.zero(base, BOOKKEEPING_SIZE);
        }
        else
        {
            memory.zero(base, last + 1 - base);
        }
    }

    /**
     * What SNP_INIT's firmware does to the pages that hold the RMP itself: their entries become firmware-owned
     * (Assigned, Immutable, ASID 0), with the subpage counts of their 2 MiB regions kept, so DMA or a host write to the
     * RMP is an RMP fault (AMD's firmware, {@code setup_and_validate_initial_rmp_table}: "Set ... to FIRMWARE state (RMP
     * entries that cover the RMP)"; Linux's kexec fix-up of the e820 table says the same from the other side). The
     * firmware's entries also carry Lock; the model leaves Lock clear (the order of RMPUPDATE's Lock and Immutable
     * checks on such an entry is UNVERIFIED; Immutable alone already refuses RMPUPDATE and PSMASH). Pages of the RMP the
     * table does not cover are left alone.
     *
     * @return how many 4 KiB entries were marked.
     */
    public int assignRmpPagesToFirmware()
    {
        final long first = base & ~(PAGE_4K - 1);
        int marked = 0;
        for (long page = first; page <= last; page += PAGE_4K)
        {
            final long address = entryAddress(page);
            if (address == NOT_COVERED)
            {
                continue;
            }
            final long q0 = memory.readEntry(address);
            if (RmpEntry.isAssigned(q0))
            {
                continue;
            }
            memory.writeEntry(address, q0 | RmpEntry.ASSIGNED_MASK | RmpEntry.IMMUTABLE_MASK);
            final long region = page & ~(PAGE_2M - 1);
            if (region != page)
            {
                final long regionAddress = entryAddress(region);
                if (regionAddress != NOT_COVERED)
                {
                    memory.writeEntry(regionAddress, RmpEntry.withSubpagesAdded(memory.readEntry(regionAddress), 1));
                }
            }
            marked++;
        }
        return marked;
    }

    /**
     * Brute-force count of the assigned 4 KiB entries of the 2 MiB region holding {@code spa}, other than the
     * 2 MiB-aligned one: the oracle for the subpage count the instructions keep. Reads 511 entries.
     */
    public int countAssignedSubpagesByScan(final long spa)
    {
        final long region = spa & ~(PAGE_2M - 1);
        int count = 0;
        for (int i = 1; i < PAGES_PER_2M; i++)
        {
            final long address = entryAddress(region + ((long)i << PAGE_4K_LG2));
            if (address != NOT_COVERED && RmpEntry.isAssigned(memory.readEntry(address)))
            {
                count++;
            }
        }
        return count;
    }

    /**
     * Emulate the CPU marking the page's entry in use (VMRUN on a VMSA, VMCB or AVIC backing page) or
     * releasing it at #VMEXIT: the Lock bit. RMPUPDATE and PSMASH then return FAIL_INUSE.
     */
    public void markInUse(final long spa, final boolean inUse)
    {
        final long address = entryAddress(spa);
        if (address == NOT_COVERED)
        {
            throw new IllegalArgumentException("SPA 0x" + Long.toHexString(spa) + " is not RMP-covered");
        }
        final long q0 = memory.readEntry(address);
        memory.writeEntry(address, RmpEntry.withBit(q0, RmpEntry.LOCK_MASK, inUse));
    }
}
