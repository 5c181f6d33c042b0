package org.iommuemu.pagetable;

/** Receives each leaf of a table tree, in increasing IOVA order (a replicated leaf once). */
@FunctionalInterface
public interface LeafVisitor
{
    /**
     * @param inputAddress first IOVA the leaf maps.
     * @param outputAddress first output address.
     * @param sizeLg2 log2 of the leaf size.
     * @param permissions effective permissions (ANDed over the path).
     * @param level level of the leaf entry.
     */
    void leaf(long inputAddress, long outputAddress, int sizeLg2, int permissions, int level);
}
