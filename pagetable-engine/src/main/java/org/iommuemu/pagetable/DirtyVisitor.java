package org.iommuemu.pagetable;

/** Receives the dirty ranges {@link PageTable#readDirty} finds, in increasing IOVA order. */
@FunctionalInterface
public interface DirtyVisitor
{
    /**
     * @param first       the first IOVA of the dirty part inside the scanned range.
     * @param last        the last IOVA of it (inclusive).
     * @param leafSizeLg2 log2 of the size of the leaf that carried the dirty flag (a whole leaf is dirty at once).
     */
    void dirty(long first, long last, int leafSizeLg2);
}
