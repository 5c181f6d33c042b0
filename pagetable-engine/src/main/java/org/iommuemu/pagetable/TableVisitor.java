package org.iommuemu.pagetable;

/** Receives each table of a table tree, parents before children. */
@FunctionalInterface
public interface TableVisitor
{
    /**
     * @param tableAddress physical address of the table.
     * @param level its level.
     * @param inputAddress first IOVA it decodes.
     */
    void table(long tableAddress, int level, long inputAddress);
}
