/**
 * One walker and one mapper for every page-table format, in the style of Linux's generic page table
 * (drivers/iommu/generic_pt).
 *
 * <h2>Language</h2>
 * <ul>
 *   <li><b>VA / IOVA</b>: the input address of a walk; <b>OA</b>: its output address.</li>
 *   <li><b>Level</b>: level 0 is the table that holds only leaves (4 KiB items); level {@code levels - 1} is
 *   the top table the root points to. Formats map the spec's names onto these numbers in their javadoc.</li>
 *   <li><b>Item</b>: one 8-byte slot of a table and the span of IOVA it decodes ({@code 2^itemSizeLg2(level)});
 *   <b>entry</b>: what a slot holds. A leaf larger than its level's item (AMD-Vi NextLevel=7) is written into
 *   several consecutive, naturally aligned items that all hold the same value ("replicas").</li>
 *   <li><b>Kinds</b>: every entry is EMPTY, TABLE (points at a lower table) or LEAF (maps OA); that is all
 *   the walker and the mapper know of a format.</li>
 *   <li><b>{@code Lg2}</b> suffix: log2 of a size. {@code start/end} are half-open, {@code start/last}
 *   inclusive.</li>
 *   <li><b>Permissions</b>: {@link org.iommuemu.pagetable.Permissions} bits, ANDed down the walk as every
 *   supported format does.</li>
 * </ul>
 */
package org.iommuemu.pagetable;
