package org.iommuemu.pagetable;

/**
 * Why a walk stopped without a usable translation. These are architectural outcomes (values), never
 * exceptions; the IOMMU models turn them into their own fault reasons and event records.
 */
public enum WalkFault
{
    /** The walk produced a translation. */
    NONE,
    /** An entry on the path was empty (not present). */
    NOT_PRESENT,
    /** The translation exists but the effective permissions do not allow the access. */
    PERMISSION,
    /** An entry had a reserved bit set (or, for EPT, was misconfigured). */
    RESERVED_BIT,
    /** The input address is beyond the table's width, or not canonical where the format sign-extends. */
    ADDRESS_WIDTH,
    /** An entry encodes an impossible level or size (AMD-Vi NextLevel, a leaf where none may be). */
    BAD_LEVEL_ENCODING
}
