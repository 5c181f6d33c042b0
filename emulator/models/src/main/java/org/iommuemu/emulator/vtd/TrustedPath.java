package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.AtsCompletion;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tdx.DmaOutcome;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tdx.TlbTrackingListener;
import org.iommuemu.tdx.TrustDomain;

/**
 * The TDX Connect side of a VT-d unit (shared/reference/vtd-tdx.md 7): T=1 requests go to the TDX module's
 * trusted translation instead of the VMM's tables, and the output of a T=0 request is checked against TD private
 * memory under the {@code UntrustedDmaRule} (a completed one carries its {@link TrustedDmaEffect}) and against the
 * private MMIO of locked TDIs under the {@code UntrustedMmioRule}. Refusals are {@link TrustedDmaFault}s; they write no VT-d fault
 * record. One instance per unit, reused per request.
 * <p>
 * <b>The TEE-tagged IOTLB</b> ({@link VtdConfig#trustedIotlb}, on by default). A trusted translation is cached in
 * the unit's IOTLB under a tag with {@link CacheTag#TRUSTED} set, the TD's trusted DID (the DID MSB set, see
 * {@link VtdIommu#trustedDomainId}), the request's PASID and the requester ID. The T bit keeps trusted and
 * untrusted entries apart; the requester ID is in the tag because a trusted translation depends on the TDI, not
 * only on the TD (seed 003's "IOVA below X is private" limit is per TDI), where the VMM's IOTLB entries are
 * shared by the devices of a domain. Only the translation is cached:
 * <ul>
 * <li>the TDI's TDISP state is checked on every request, hit or miss ({@link TdxConnect#trustedDomain}): STOP,
 * ERROR and unbind stop trusted DMA at once even with translations cached (a choice over flushing at unbind,
 * which would miss the ERROR transitions a device makes on its own and needs no module call);</li>
 * <li>the memory-integrity check (poison consumed by a read, poison cleared by a full-line write) is per access
 * and runs on every hit to private memory ({@link TdxConnect#trustedAccess}).</li>
 * </ul>
 * A cached trusted translation stays usable until the TDX module invalidates it: at TDH.MEM.TRACK (default) or
 * at BLOCK ({@link VtdConfig#trustedInvalidation}), heard through {@link TlbTrackingListener}. The VMM's
 * invalidations never reach trusted entries (see {@link VtdInvalidation}). Failed translations are not cached.
 * The hot path allocates nothing and throws nothing.
 */
final class TrustedPath implements TlbTrackingListener
{
    /** Page sizes a trusted translation may have (S-EPT and shared EPT: 4 KiB, 2 MiB, 1 GiB). */
    private static final long PAGE_SIZES = (1L << 12) | (1L << 21) | (1L << 30);
    private static final int LARGEST_PAGE_LG2 = 30;

    private final TdxConnect tdx;
    private final VtdConfig config;
    private final TranslationCache iotlb;
    private final VtdInvalidation invalidation;
    private final int trustedDidBit;
    private final DmaOutcome out = new DmaOutcome();

    /**
     * @param domainIdBits the unit's DID width (CAP.ND); the MSB is the TDX module's.
     */
    TrustedPath(final TdxConnect tdx, final VtdConfig config, final TranslationCache iotlb,
        final VtdInvalidation invalidation, final int domainIdBits)
    {
        this.tdx = tdx;
        this.config = config;
        this.iotlb = iotlb;
        this.invalidation = invalidation;
        this.trustedDidBit = 1 << (domainIdBits - 1);
    }

    /** The trusted DID of {@code td}: the DID MSB set, the TD's ID in the bits below (wrapping, see docs/vtd.md). */
    int trustedDomainId(final TrustDomain td)
    {
        return trustedDidBit | (td.id() & (trustedDidBit - 1));
    }

    /** The TDX module's outcome of the last T=1 request (its status and machine-check record). */
    DmaOutcome lastOutcome()
    {
        return out;
    }

    /**
     * T=1 with TDX Connect: the TDX module's trusted path (the TD's S-EPT, or the shared EPT for shared GPAs).
     * A translation request is answered from it (W when a write would be allowed, R when a read would); other
     * requests go through the translation and the integrity check. Refusals are {@link TrustedDmaFault}s and write
     * no VT-d fault record.
     */
    boolean trusted(final DmaRequest request, final RequestOutcome outcome)
    {
        if (!config.trustedIotlb)
        {
            return uncached(request, outcome);
        }
        final int sid = request.requesterId();
        final TrustDomain td = tdx.trustedDomain(sid, out);
        if (td == null)
        {
            return refused(outcome);
        }
        final int did = trustedDomainId(td);
        outcome.domainId(did).tagPasid(request.pasid());
        final long tag = CacheTag.of(did, request.pasid(), sid, true, 0);
        final long address = request.address();
        final boolean translationRequest = request.addressType() == AddressType.TRANSLATION_REQUEST;
        final int access = translationRequest ? Permissions.READ : request.isWrite() ? Permissions.WRITE : Permissions.READ;

        final int slot = iotlb.lookupPage(tag, address, PAGE_SIZES);
        if (slot != TranslationCache.MISS && CachedTranslation.grants(iotlb.attribute(slot), access))
        {
            final int attribute = iotlb.attribute(slot);
            outcome.iotlbHit(true);
            return finish(request, outcome, translationRequest, CachedTranslation.outputAddress(iotlb, slot, address),
                CachedTranslation.pageSizeLg2(attribute), CachedTranslation.permissions(attribute),
                CachedTranslation.has(attribute, CachedTranslation.SHARED_EPT));
        }
        // Miss (or a cached entry that does not grant the access: walk again, the refusal comes from the tables).
        final boolean writable = translationRequest && tdx.translateTrusted(sid, address, Permissions.READ_WRITE, out);
        if (!writable && !tdx.translateTrusted(sid, address, access, out))
        {
            return refused(outcome);
        }
        final WalkResult walk = out.walk();
        final int sizeLg2 = Math.min(Math.max(PhysicalMemory.FRAME_SIZE_LG2, out.pageSizeLg2()), LARGEST_PAGE_LG2);
        final long output = out.outputAddress();
        final int permissions = walk.permissions() & Permissions.ALL;
        CachedTranslation.fill(iotlb, tag, address, sizeLg2, output, permissions, sizeLg2,
            out.viaSharedEpt() ? CachedTranslation.SHARED_EPT : 0);
        return finish(request, outcome, translationRequest, output, sizeLg2, permissions, out.viaSharedEpt());
    }

    /**
     * A translated T=1 request (from the cache or the walk): the answer of a translation request, or the per-access
     * integrity check of a DMA to private memory.
     */
    private boolean finish(final DmaRequest request, final RequestOutcome outcome, final boolean translationRequest,
        final long output, final int sizeLg2, final int permissions, final boolean shared)
    {
        if (translationRequest)
        {
            outcome.completionEntry(AtsCompletion.entry(output, sizeLg2, Permissions.READ | (permissions & Permissions.WRITE)));
        }
        else if (!shared && !tdx.trustedAccess(request.requesterId(), output, request.length(), request.isWrite(), out))
        {
            outcome.translated(output, sizeLg2, 0);
            outcome.fault(tdxFault(out.status()), false);
            return false;
        }
        outcome.translated(output, sizeLg2, request.access() | Permissions.READ);
        return true;
    }

    private boolean refused(final RequestOutcome outcome)
    {
        outcome.translated(out.outputAddress(), Math.max(PhysicalMemory.FRAME_SIZE_LG2, out.pageSizeLg2()), 0);
        outcome.fault(tdxFault(out.status()), false);
        return false;
    }

    /** {@link VtdConfig#trustedIotlb} off: every T=1 request walks; nothing of the trusted path is cached. */
    private boolean uncached(final DmaRequest request, final RequestOutcome outcome)
    {
        final int sid = request.requesterId();
        final boolean ok;
        if (request.addressType() == AddressType.TRANSLATION_REQUEST)
        {
            final boolean writable = tdx.translateTrusted(sid, request.address(), Permissions.READ_WRITE, out);
            ok = writable || tdx.translateTrusted(sid, request.address(), Permissions.READ, out);
            if (ok)
            {
                outcome.completionEntry(AtsCompletion.entry(out.outputAddress(), Math.max(PhysicalMemory.FRAME_SIZE_LG2,
                    out.pageSizeLg2()), writable ? Permissions.READ_WRITE : Permissions.READ));
            }
        }
        else
        {
            ok = tdx.trustedDma(sid, request.address(), request.length(), request.isWrite(), out);
        }
        outcome.translated(out.outputAddress(), Math.max(PhysicalMemory.FRAME_SIZE_LG2, out.pageSizeLg2()),
            ok ? request.access() | Permissions.READ : 0);
        if (!ok)
        {
            outcome.fault(tdxFault(out.status()), false);
        }
        return ok;
    }

    /**
     * T=0 with TDX Connect: the output address is checked against TD private memory and the private MMIO of locked
     * TDIs. A request that completed with poisoned lines or zeros stays ok and carries its {@link TrustedDmaEffect}.
     */
    boolean untrustedChecked(final DmaRequest request, final RequestOutcome outcome)
    {
        if (request.addressType() == AddressType.TRANSLATION_REQUEST)
        {
            return true;
        }
        if (tdx.untrustedDma(request.requesterId(), outcome.outputAddress(), request.length(), request.isWrite(), out))
        {
            if (out.status() != DmaOutcome.OK)
            {
                outcome.effect(TrustedDmaEffect.of(out.status()));
            }
            return true;
        }
        outcome.fault(tdxFault(out.status()), false);
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The TDX module's TLB tracking: its invalidation of the trusted entries.

    public void blocked(final TrustDomain td, final long gpa, final int sizeLg2)
    {
        if (config.trustedIotlb && config.trustedInvalidation == TrustedInvalidation.BLOCK)
        {
            invalidation.trustedRange(trustedDomainId(td), gpa, gpa + (1L << sizeLg2) - 1);
        }
    }

    public void tracked(final TrustDomain td, final long epoch)
    {
        if (config.trustedIotlb && config.trustedInvalidation == TrustedInvalidation.TRACK)
        {
            invalidation.trustedDomain(trustedDomainId(td));
        }
    }

    private static TrustedDmaFault tdxFault(final int status)
    {
        final TrustedDmaFault fault = TrustedDmaFault.of(status);
        return fault == null ? TrustedDmaFault.TDX_NOT_MAPPED : fault;
    }
}
