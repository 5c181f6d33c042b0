package org.iommuemu.pagetable;

/** Result of a mapper operation. Failures leave the table as it was before the call. */
public enum MapStatus
{
    OK,
    /** Part of the range is already mapped (map), as Linux's iommu_map returns -EEXIST. */
    EXISTS,
    /** Nothing is mapped at the address (split, merge). */
    NOT_MAPPED,
    /** The frame allocator ran out of table pages. */
    NO_MEMORY,
    /** Address or length not 4 KiB aligned, or no allowed page size fits the alignment. */
    MISALIGNED,
    /** The range leaves the format's input space, or the output range leaves its output space. */
    OUT_OF_RANGE,
    /** The requested size is not one the format can split to or merge into. */
    BAD_SIZE,
    /** Merge: the table is not uniform (holes, non-contiguous output, different attributes). */
    NOT_UNIFORM,
    /** A table entry on the path was not written by this mapper (reserved bits, skipped level). */
    BAD_TABLE
}
