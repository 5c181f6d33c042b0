package org.iommuemu.emulator.cache;

/** What a cache holds; invalidations select the roles they reach with a bitmask of {@link #bit()}s. */
public enum CacheRole
{
    /** Final translations (input page to output page) in the IOMMU. */
    IOTLB,
    /** A small per-device TLB in front of the IOTLB (gem5's micro-TLB). */
    MICRO_TLB,
    /** A device's own ATS translation cache (ATC), invalidated by ATS invalidation requests. */
    DEVICE_TLB,
    /** Device-table entries (AMD-Vi) or context entries (VT-d). */
    CONTEXT,
    /** PASID-table entries (VT-d scalable mode) or GCR3-table entries (AMD-Vi v2). */
    PASID,
    /** Table pointers of partial walks, one partition per level. */
    WALK,
    /** Stage-2 results used by nested (two-dimensional) walks. */
    NESTED;

    public int bit()
    {
        return 1 << ordinal();
    }

    /** Every role. */
    public static final int ALL_ROLES = (1 << values().length) - 1;
}
