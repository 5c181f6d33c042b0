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

    /** An S-EPT of 4 (GPAW 48) or 5 (GPAW 52) levels, 52-bit output. */
    public SecureEptFormat(final int levels)
    {
        super(levels, 52, true);
    }

    public String name()
    {
        return "sept";
    }

    public long emptyEntry(final int level)
    {
        return INIT_VALUE;
    }

    /** The S-EPT decides kinds by state code, so the walker's fused step is the composed one. */
    @Override
    public long tableStep(final long entry, final int level)
    {
        return PageTableFormat.composedTableStep(this, entry, level);
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
}
