package org.iommuemu.pagetable;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Hardware access/dirty tracking: after a successful walk, set the accessed flag in every entry the walk used and,
 * for a write, the dirty flag in the leaf ({@link PageTableFormat#accessedFlag}, {@link PageTableFormat#dirtyFlag}).
 * An IOMMU calls this only for translation contexts that enable tracking (AMD-Vi DTE.HAD, a VT-d scalable-mode PASID
 * entry's SSADE), so the walker's hot path carries no tracking branch.
 * <p>
 * Each update is the atomic read-modify-write the AMD-Vi and VT-d specifications describe (confidential-io-extras.md
 * 3.2): the entry is read again from memory, and written back only when a flag is missing, so an entry already
 * marked costs no write and a flag software cleared since the walk read it is set again. The model is
 * single-threaded, so the re-read and the write are atomic with respect to every other access. Allocates nothing.
 */
public final class AccessedDirty
{
    private AccessedDirty()
    {
    }

    /**
     * Mark the entries of {@code walk} (a successful walk through a table of {@code format} in {@code memory}).
     *
     * @param dirty whether the access writes (set the leaf's dirty flag too); with {@code accessedOnly} modes
     *              (AMD-Vi HAD = 01b) pass false.
     * @return the number of entries written back (0 when every flag was already set).
     */
    public static int mark(final PageTableFormat format, final PhysicalMemory memory, final WalkResult walk, final boolean dirty)
    {
        final int count = walk.entryCount();
        int written = 0;
        for (int i = 0; i < count; i++)
        {
            final int level = walk.entryLevel(i);
            long flags = format.accessedFlag(level);
            if (dirty && i == count - 1)
            {
                flags |= format.dirtyFlag(level);
            }
            if (flags == 0)
            {
                continue;
            }
            final long address = walk.entryAddress(i);
            final long current = memory.readEntry(address);
            if ((current & flags) != flags)
            {
                memory.writeEntry(address, current | flags);
                written++;
            }
        }
        return written;
    }
}
