package org.iommuemu.emulator.cache;

/**
 * The identity part of a cache key, packed into one long so lookups compare primitives only.
 * <pre>
 *  63:58   57:54      53       52:37          36        35:16       15:0
 * +------+---------+-------+--------------+---------+-----------+-----------+
 * | rsvd |partition|trusted| requester ID | PASID V |   PASID   | domain ID |
 * +------+---------+-------+--------------+---------+-----------+-----------+
 * </pre>
 * Domain ID: AMD-Vi DomainID or VT-d DID (16 bits). PASID: 20 bits, valid only with PASID V. Requester ID:
 * the BDF, for structures tagged per device (context/DTE caches, device TLBs). Trusted: the request's T bit,
 * so TDX Connect trusted and untrusted translations never share an entry. Partition: which part of a shared
 * structure (for example the walk-cache level), free for the owner to use.
 */
public final class CacheTag
{
    public static final int NO_PASID = -1;

    public static final int DOMAIN_SHIFT = 0;
    public static final long DOMAIN_MASK = 0xFFFFL << DOMAIN_SHIFT;
    public static final int PASID_SHIFT = 16;
    public static final long PASID_MASK = 0xF_FFFFL << PASID_SHIFT;
    public static final long PASID_VALID = 1L << 36;
    public static final int REQUESTER_SHIFT = 37;
    public static final long REQUESTER_MASK = 0xFFFFL << REQUESTER_SHIFT;
    public static final long TRUSTED = 1L << 53;
    public static final int PARTITION_SHIFT = 54;
    public static final long PARTITION_MASK = 0xFL << PARTITION_SHIFT;

    private CacheTag()
    {
    }

    /**
     * @param domainId    16-bit domain ID.
     * @param pasid       20-bit PASID, or {@link #NO_PASID}.
     * @param requesterId 16-bit requester ID, or 0 for structures not tagged per device.
     * @param trusted     the request's T bit.
     * @param partition   0..15, the owner's sub-structure.
     */
    public static long of(final int domainId, final int pasid, final int requesterId, final boolean trusted, final int partition)
    {
        return (((long)domainId << DOMAIN_SHIFT) & DOMAIN_MASK) |
            (pasid == NO_PASID ? 0 : (((long)pasid << PASID_SHIFT) & PASID_MASK) | PASID_VALID) |
            (((long)requesterId << REQUESTER_SHIFT) & REQUESTER_MASK) |
            (trusted ? TRUSTED : 0) |
            (((long)partition << PARTITION_SHIFT) & PARTITION_MASK);
    }

    public static int domainId(final long tag)
    {
        return (int)((tag & DOMAIN_MASK) >>> DOMAIN_SHIFT);
    }

    public static int pasid(final long tag)
    {
        return (tag & PASID_VALID) == 0 ? NO_PASID : (int)((tag & PASID_MASK) >>> PASID_SHIFT);
    }

    public static int requesterId(final long tag)
    {
        return (int)((tag & REQUESTER_MASK) >>> REQUESTER_SHIFT);
    }

    public static boolean isTrusted(final long tag)
    {
        return (tag & TRUSTED) != 0;
    }

    public static int partition(final long tag)
    {
        return (int)((tag & PARTITION_MASK) >>> PARTITION_SHIFT);
    }
}
