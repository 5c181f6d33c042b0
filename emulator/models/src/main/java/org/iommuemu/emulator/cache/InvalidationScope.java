package org.iommuemu.emulator.cache;

/**
 * What an invalidation covers: entries whose tag matches {@code (tag & tagMask) == tagValue}, and, when an
 * address range is set, whose address span overlaps {@code [first, last]}. One mutable, reusable object (the
 * command processors keep one each), set through the typed factories below, so invalidation allocates
 * nothing.
 * <p>
 * The scopes correspond to the architectural ones: AMD-Vi INVALIDATE_IOMMU_ALL (all), INVALIDATE_IOMMU_PAGES
 * (domain, optionally PASID, address range or the whole domain), INVALIDATE_DEVTAB_ENTRY (device); VT-d
 * global, domain-selective and page-selective IOTLB invalidation, context-cache invalidation by device, and
 * PASID-based invalidation; device TLB (ATS) invalidation by device, optionally PASID, and range.
 */
public final class InvalidationScope
{
    private static final int TRUSTED_ONLY = 1;
    private static final int UNTRUSTED_ONLY = 2;

    private long tagMask;
    private long tagValue;
    private boolean hasRange;
    private long first;
    private long last;
    private String description = "all";
    /** 0: no T-bit filter; else the {@link #trusted(boolean)} filter, kept apart so that narrowing allocates nothing. */
    private int trustFilter;

    /** Everything. */
    public InvalidationScope all()
    {
        return set(0, 0, "all");
    }

    /** Every entry of a domain. */
    public InvalidationScope domain(final int domainId)
    {
        return set(CacheTag.DOMAIN_MASK, CacheTag.of(domainId, CacheTag.NO_PASID, 0, false, 0), "domain");
    }

    /** Every entry of a domain and PASID. */
    public InvalidationScope pasid(final int domainId, final int pasid)
    {
        return set(CacheTag.DOMAIN_MASK | CacheTag.PASID_MASK | CacheTag.PASID_VALID,
            CacheTag.of(domainId, pasid, 0, false, 0), "pasid");
    }

    /** Every entry tagged with a requester ID (context/DTE caches, device TLBs). */
    public InvalidationScope device(final int requesterId)
    {
        return set(CacheTag.REQUESTER_MASK, CacheTag.of(0, CacheTag.NO_PASID, requesterId, false, 0), "device");
    }

    /** Every entry tagged with a requester ID and a PASID (a device TLB's entries for one PASID). */
    public InvalidationScope devicePasid(final int requesterId, final int pasid)
    {
        return set(CacheTag.REQUESTER_MASK | CacheTag.PASID_MASK | CacheTag.PASID_VALID,
            CacheTag.of(0, pasid, requesterId, false, 0), "device pasid");
    }

    /** Entries tagged with a requester ID whose address span overlaps {@code [first, last]} (any PASID). */
    public InvalidationScope deviceRange(final int requesterId, final long first, final long last)
    {
        device(requesterId);
        return withRange(first, last, "device range");
    }

    /** Entries tagged with a requester ID and a PASID whose address span overlaps {@code [first, last]}. */
    public InvalidationScope devicePasidRange(final int requesterId, final int pasid, final long first, final long last)
    {
        devicePasid(requesterId, pasid);
        return withRange(first, last, "device pasid range");
    }

    /** Entries of a domain whose address span overlaps {@code [first, last]}. */
    public InvalidationScope range(final int domainId, final long first, final long last)
    {
        domain(domainId);
        return withRange(first, last, "domain range");
    }

    /** Entries of a domain and PASID whose address span overlaps {@code [first, last]}. */
    public InvalidationScope pasidRange(final int domainId, final int pasid, final long first, final long last)
    {
        pasid(domainId, pasid);
        return withRange(first, last, "pasid range");
    }

    /**
     * Narrow the current scope to trusted (T=1) or untrusted entries only. Call after the typed setter (which
     * clears the narrowing); allocates nothing, so the VT-d model can narrow every invalidation the VMM asks for.
     */
    public InvalidationScope trusted(final boolean trusted)
    {
        tagMask |= CacheTag.TRUSTED;
        tagValue = trusted ? tagValue | CacheTag.TRUSTED : tagValue & ~CacheTag.TRUSTED;
        trustFilter = trusted ? TRUSTED_ONLY : UNTRUSTED_ONLY;
        return this;
    }

    /** Whether an entry with this tag and key is covered. */
    public boolean covers(final long tag, final long key)
    {
        if ((tag & tagMask) != tagValue)
        {
            return false;
        }
        if (!hasRange)
        {
            return true;
        }
        return Long.compareUnsigned(CacheKey.first(key), last) <= 0 && Long.compareUnsigned(CacheKey.last(key), first) >= 0;
    }

    public long tagMask()
    {
        return tagMask;
    }

    public long tagValue()
    {
        return tagValue;
    }

    public boolean hasRange()
    {
        return hasRange;
    }

    /** The range's first address (meaningful when {@link #hasRange()}). */
    public long first()
    {
        return first;
    }

    /** The range's last address, inclusive (meaningful when {@link #hasRange()}). */
    public long last()
    {
        return last;
    }

    public String toString()
    {
        final String filtered = trustFilter == 0 ? description : description + (trustFilter == TRUSTED_ONLY ? ", trusted" : ", untrusted");
        return hasRange ? filtered + " [0x" + Long.toHexString(first) + ", 0x" + Long.toHexString(last) + "]" : filtered;
    }

    private InvalidationScope set(final long mask, final long value, final String description)
    {
        this.tagMask = mask;
        this.tagValue = value & mask;
        this.hasRange = false;
        this.description = description;
        this.trustFilter = 0;
        return this;
    }

    private InvalidationScope withRange(final long first, final long last, final String description)
    {
        if (Long.compareUnsigned(last, first) < 0)
        {
            throw new IllegalArgumentException("invalidation range [0x" + Long.toHexString(first) + ", 0x" +
                Long.toHexString(last) + "] is empty");
        }
        this.hasRange = true;
        this.first = first;
        this.last = last;
        this.description = description;
        return this;
    }
}
