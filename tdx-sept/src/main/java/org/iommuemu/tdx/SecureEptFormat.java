package org.iommuemu.tdx;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.format.EptFormat;

import static org.iommuemu.tdx.SecureEptEntry.INIT_VALUE;
import static org.iommuemu.tdx.SecureEptEntry.STATE_MASK;
import static org.iommuemu.tdx.SecureEptEntry.STATE_NL_BLOCKED;
import static org.iommuemu.tdx.SecureEptEntry.STATE_NL_MAPPED;

/**
 * The TDX Secure EPT as a {@link org.iommuemu.pagetable.PageTableFormat}: the {@link EptFormat} with the kind
 * taken from the S-EPT state code ({@link SecureEptEntry}) instead of from R/W/X, so the one generic walker
 * and mapper drive it.
 * <p>
 * How the walker sees each state (reference 5.3, 8 "S-EPT state checks"):
 * <ul>
 * <li>FREE, REMOVED: EMPTY (walk fault {@code NOT_PRESENT}). An all-zero slot (state NL_MAPPED with R/W/X
 *     clear, never written by the module) is also EMPTY, as the hardware sees it not present.</li>
 * <li>NL_MAPPED, NL_BLOCKED: TABLE. NL_BLOCKED has R/W/X cleared, so a walk through it ends in a
 *     {@code PERMISSION} fault at the leaf, not earlier: the hardware takes an EPT violation either way.</li>
 * <li>Every leaf state (PS set), including BLOCKED*, PENDING* and MMIO_*: LEAF. Blocked and pending leaves
 *     carry R/W/X = 0, so the walker reports {@code PERMISSION} with the leaf found; callers that need the
 *     reason read the state of the last entry ({@code WalkResult.entryValue}). Keeping them LEAF lets the
 *     mapper split and merge blocked leaves (DEMOTE/PROMOTE operate on blocked entries).</li>
 * <li>A state code the module never writes, or a leaf state where no leaf may be (level 3 and up, or a
 *     non-leaf state at level 0): {@code RESERVED_BIT}, the EPT-misconfiguration outcome.</li>
 * </ul>
 * Leaves built by {@link #makeLeaf} always set PS (the S-EPT sets it at 4 KiB too); {@link #attributes}
 * carries the state bits, TDIO and SVE, so a split of a PENDING leaf gives PENDING children. The empty value
 * is {@code SEPTE_INIT_VALUE} (0x80E0_0000_0000_0000), which the mapper writes when it clears a slot or
 * fills a new table.
 */
public final class SecureEptFormat extends EptFormat
{
    private static final long SEPT_ATTRIBUTE_BITS = SecureEptEntry.RWX | SecureEptEntry.MEMORY_TYPE | SecureEptEntry.XU |
        SecureEptEntry.SVE | SecureEptEntry.TDIO | (STATE_MASK & ~SecureEptEntry.PS);

    /**
     * {@link #reservedMask} of a TABLE entry without PS, for the fused {@link #tableStep}: PS (bit 7, reserved in
     * a table entry at levels 3 and 4) is part of the state code and clear in both table states, so the level-1
     * mask decides at every level.
     */
    private final long tableReserved;

    /** An S-EPT of 4 (GPAW 48) or 5 (GPAW 52) levels, 52-bit output. */
    public SecureEptFormat(final int levels)
    {
        super(levels, 52, true);
        tableReserved = reservedMask(1, KIND_TABLE, 0);
    }

    public String name()
    {
        return "sept";
    }

    public long emptyEntry(final int level)
    {
        return INIT_VALUE;
    }

    /**
     * The walker's fused step for the S-EPT, equal to {@link PageTableFormat#composedTableStep} (the contract
     * tests compare them on every level and thousands of entries). Why each test is the composed one:
     * {@link #kind} says TABLE only below level 0 for state NL_BLOCKED, or NL_MAPPED with some of R/W/X set (FREE
     * and REMOVED are other states); both codes are legal and not leaf states, so {@link #validate} reduces to
     * the EPT checks of a table entry, that is W without R (execute-only is always supported here) and the
     * table's reserved bits; the EPT never skips levels.
     */
    @Override
    public long tableStep(final long entry, final int level)
    {
        final long state = entry & STATE_MASK;
        if (level == 0 || !(state == STATE_NL_BLOCKED || (state == STATE_NL_MAPPED && (entry & SecureEptEntry.RWX) != 0)) ||
            (entry & (SecureEptEntry.R | SecureEptEntry.W)) == SecureEptEntry.W || (entry & tableReserved) != 0)
        {
            return NOT_A_TABLE;
        }
        return tableAddress(entry, level);
    }

    public int kind(final long entry, final int level)
    {
        final long state = entry & STATE_MASK;
        if (SecureEptEntry.isFree(entry))
        {
            return KIND_EMPTY;
        }
        if (state == STATE_NL_MAPPED && (entry & SecureEptEntry.RWX) == 0)
        {
            return KIND_EMPTY;
        }
        if ((state == STATE_NL_MAPPED || state == STATE_NL_BLOCKED) && level > 0)
        {
            return KIND_TABLE;
        }
        // Leaf states, and anything illegal (validate refuses those).
        return KIND_LEAF;
    }

    public WalkFault validate(final long entry, final int level, final int kind)
    {
        final int code = SecureEptEntry.stateCode(entry);
        if (!SecureEptEntry.isLegalCode(code))
        {
            return WalkFault.RESERVED_BIT;
        }
        if (kind == KIND_LEAF && !SecureEptEntry.isLeafState(entry))
        {
            return WalkFault.RESERVED_BIT;
        }
        return super.validate(entry, level, kind);
    }

    public long makeLeaf(final long outputAddress, final int sizeLg2, final int level, final long attributes)
    {
        return (attributes & SEPT_ATTRIBUTE_BITS) | SecureEptEntry.PS | (outputAddress & SecureEptEntry.HPA & (-1L << sizeLg2));
    }

    public long attributes(final long entry, final int level)
    {
        return entry & SEPT_ATTRIBUTE_BITS;
    }

    /** A MAPPED private-memory leaf: write-back, IPAT, SVE, the given permissions. */
    public long attributesFor(final int permissions)
    {
        return withPermissions(SecureEptEntry.STATE_MAPPED & ~SecureEptEntry.PS |
            SecureEptEntry.memoryTypeBits(SecureEptEntry.MEMORY_TYPE_WB) | SecureEptEntry.SVE, permissions);
    }

    public String toString()
    {
        return name() + "(" + levels + "-level)";
    }

    /**
     * None: the S-EPT keeps its entry state in bit 9 (the EPT D position) and TDGL in bit 8 ({@link SecureEptEntry}),
     * and the VMM has no access/dirty view of private memory.
     */
    @Override
    public long accessedFlag(final int level)
    {
        return 0;
    }

    @Override
    public long dirtyFlag(final int level)
    {
        return 0;
    }
}
