package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.InvalidationScope;

/**
 * The invalidations VT-d software can ask for, each stated once as a typed {@link InvalidationScope} sent
 * through the model's {@link InvalidationDispatcher}; queued descriptors and the register-based interfaces
 * (CCMD, the IOTLB register) both land here.
 * <p>
 * Over-invalidation, which the architecture allows, where the cache tags cannot tell entries apart: the context
 * and PASID caches are tagged by requester ID (the DID is only known after the entry is read), so a
 * domain-selective context-cache or PASID-cache invalidation drops every entry of that cache, and a
 * PASID-selective PASID-cache invalidation drops that PASID for every device. A context-cache invalidation also
 * reaches the PASID cache (its entries hang off the context entry). IOTLB page invalidations drop every PASID of
 * the DID in the range; the hint (IH) has no effect (no paging-structure caches are modelled).
 * <p>
 * TDX Connect: every invalidation the VMM asks for (descriptors, CCMD, the IOTLB register) is narrowed to
 * untrusted entries. The trusted entries are the TDX module's: they carry the DID MSB, which the VMM may not use
 * (shared/reference/vtd-tdx.md 7), and the module invalidates them through its own queue; in the model that is
 * {@link #trustedDomain} and {@link #trustedRange}, called from the module's TLB tracking. So not even a global
 * invalidation from the VMM drops a trusted entry (a choice: the sources do not say whether the VMM's global
 * descriptors reach TEE-tagged entries; isolation of TEE and non-TEE entries is what they do say).
 */
final class VtdInvalidation
{
    private static final int IOTLB_ROLES = CacheRole.IOTLB.bit() | CacheRole.WALK.bit() | CacheRole.NESTED.bit();
    private static final int CONTEXT_ROLES = CacheRole.CONTEXT.bit() | CacheRole.PASID.bit();

    private final InvalidationDispatcher dispatcher;
    private final InvalidationScope scope = new InvalidationScope();
    private final boolean untrustedOnly;

    /** @param tdxConnect the unit has a trusted path: the VMM's invalidations leave trusted entries alone. */
    VtdInvalidation(final InvalidationDispatcher dispatcher, final boolean tdxConnect)
    {
        this.dispatcher = dispatcher;
        this.untrustedOnly = tdxConnect;
    }

    void contextGlobal()
    {
        dispatcher.invalidate(vmm(scope.all()), CONTEXT_ROLES);
    }

    void contextDomain(final int domainId)
    {
        dispatcher.invalidate(vmm(scope.all()), CONTEXT_ROLES);
    }

    /** Device-selective, with the function mask: FM masks the low 0, 1, 2 or 3 bits of the SID. */
    void contextDevice(final int sourceId, final int functionMask)
    {
        final int span = functionMask == 0 ? 1 : 1 << functionMask;
        final int first = sourceId & ~(span - 1);
        for (int i = 0; i < span; i++)
        {
            dispatcher.invalidate(vmm(scope.device(first + i)), CONTEXT_ROLES);
        }
    }

    void iotlbGlobal()
    {
        dispatcher.invalidate(vmm(scope.all()), IOTLB_ROLES);
    }

    void iotlbDomain(final int domainId)
    {
        dispatcher.invalidate(vmm(scope.domain(domainId)), IOTLB_ROLES);
    }

    /** Page-selective: 2^AM pages from {@code address} (aligned down to the span). */
    void iotlbPage(final int domainId, final long address, final int addressMask)
    {
        final long span = 4096L << addressMask;
        final long first = address & -span;
        dispatcher.invalidate(vmm(scope.range(domainId, first, first + span - 1)), IOTLB_ROLES);
    }

    void pasidIotlb(final int domainId, final int pasid)
    {
        dispatcher.invalidate(vmm(scope.pasid(domainId, pasid)), IOTLB_ROLES);
    }

    void pasidIotlbPage(final int domainId, final int pasid, final long address, final int addressMask)
    {
        final long span = 4096L << addressMask;
        final long first = address & -span;
        dispatcher.invalidate(vmm(scope.pasidRange(domainId, pasid, first, first + span - 1)), IOTLB_ROLES);
    }

    void pasidCacheGlobal()
    {
        dispatcher.invalidate(vmm(scope.all()), CacheRole.PASID.bit());
    }

    void pasidCacheDomain(final int domainId)
    {
        dispatcher.invalidate(vmm(scope.all()), CacheRole.PASID.bit());
    }

    void pasidCachePasid(final int domainId, final int pasid)
    {
        dispatcher.invalidate(vmm(scope.pasid(0, pasid)), CacheRole.PASID.bit());
    }

    /** Device-TLB (ATS) invalidation: reaches device TLBs registered with the dispatcher, if any. */
    void deviceTlb(final int sourceId)
    {
        dispatcher.invalidate(vmm(scope.device(sourceId)), CacheRole.DEVICE_TLB.bit());
    }

    /**
     * The TDX module's invalidation of every trusted entry of a TD's trusted domain (DID MSB set) in the IOTLB and
     * the caches invalidated with it.
     */
    void trustedDomain(final int trustedDomainId)
    {
        dispatcher.invalidate(scope.domain(trustedDomainId).trusted(true), IOTLB_ROLES);
    }

    /** The TDX module's invalidation of the trusted entries of a TD's trusted domain over {@code [first, last]}. */
    void trustedRange(final int trustedDomainId, final long first, final long last)
    {
        dispatcher.invalidate(scope.range(trustedDomainId, first, last).trusted(true), IOTLB_ROLES);
    }

    /** A scope the VMM asked for: with TDX Connect, untrusted entries only. */
    private InvalidationScope vmm(final InvalidationScope requested)
    {
        return untrustedOnly ? requested.trusted(false) : requested;
    }
}
