package org.iommuemu.emulator.platform;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;

/**
 * The outcome of one {@link DmaRequest} through an {@link IommuPort}: the output address, page size and
 * permissions, or the architectural fault with whether a record (event log entry, fault record) was written.
 * A request that succeeded may carry an {@link AccessEffect} (what its success did: poisoned TD private memory,
 * read zeros). For ATS translation requests, the Translation Completion entry returned to the device. Both IOMMU
 * models answer in this one type and fill it in place, with the facts both report: the domain, an IOTLB hit,
 * whether a first-stage (guest) table translated, the walker's fault behind a translation fault, and whether the
 * request was an interrupt request rather than DMA (the model's decision, by its interrupt rules). Owned by the
 * caller and reused per request; the model fills it through the mutators below, which allocate nothing.
 */
public final class RequestOutcome
{
    private FaultKind fault;
    private AccessEffect effect;
    private long outputAddress;
    private int pageSizeLg2;
    private int permissions;
    private long completionEntry;
    private int domainId;
    private int tagPasid = CacheTag.NO_PASID;
    private WalkFault walkFault = WalkFault.NONE;
    // The request's yes/no facts, each in a field of its own (plain stores; measured as fast as bits of one word).
    private boolean iotlbHit;
    private boolean recordLogged;
    private boolean firstStage;
    private boolean interrupt;
    /** {@link #fault}, {@link #walkFault} or {@link #effect} was set since the last reset. */
    private boolean references;

    /** Clear for the next request. */
    public RequestOutcome reset()
    {
        // The reference fields only when one was set: a reference store costs the collector's write barriers.
        if (references)
        {
            fault = null;
            walkFault = WalkFault.NONE;
            effect = null;
            references = false;
        }
        iotlbHit = false;
        recordLogged = false;
        firstStage = false;
        interrupt = false;
        outputAddress = 0;
        pageSizeLg2 = 0;
        permissions = 0;
        completionEntry = 0;
        domainId = 0;
        tagPasid = CacheTag.NO_PASID;
        return this;
    }

    /** The request was translated (or passed through) and is allowed. */
    public RequestOutcome translated(final long outputAddress, final int pageSizeLg2, final int permissions)
    {
        this.outputAddress = outputAddress;
        this.pageSizeLg2 = pageSizeLg2;
        this.permissions = permissions & Permissions.ALL;
        return this;
    }

    /** The request failed with {@code fault}; a translation already filled in stays for diagnosis. */
    public RequestOutcome fault(final FaultKind fault, final boolean recordLogged)
    {
        this.fault = fault;
        this.recordLogged = recordLogged;
        references = true;
        return this;
    }

    /** The request succeeded with {@code effect} (see {@link AccessEffect}); it stays ok. */
    public RequestOutcome effect(final AccessEffect effect)
    {
        this.effect = effect;
        references = true;
        return this;
    }

    public RequestOutcome completionEntry(final long entry)
    {
        this.completionEntry = entry;
        return this;
    }

    public RequestOutcome iotlbHit(final boolean hit)
    {
        iotlbHit = hit;
        return this;
    }

    public RequestOutcome domainId(final int domainId)
    {
        this.domainId = domainId;
        return this;
    }

    /**
     * The PASID the model's IOTLB tags the translation with: the request's PASID; in VT-d scalable mode the context's
     * RID_PASID for a request without one; on AMD-Vi PASID 0 for a request without one that GIOV sends through the
     * guest table, none when a DTE without GV drops the request's PASID; {@link CacheTag#NO_PASID} when untagged.
     * Whoever hands the translation on (a co-simulation peer's ATS cache) must be invalidated by the
     * scopes that reach the model's own entry, and those match on this PASID, not the request's.
     */
    public RequestOutcome tagPasid(final int pasid)
    {
        tagPasid = pasid;
        return this;
    }

    /** The walker's fault behind a failed translation (a fault, or an ATS answer without a translation). */
    public RequestOutcome walkFault(final WalkFault walkFault)
    {
        if (this.walkFault != walkFault)
        {
            this.walkFault = walkFault;
            references = true;
        }
        return this;
    }

    /** Whether a first-stage table translated the request (AMD-Vi guest (v2), VT-d first stage or nested). */
    public RequestOutcome firstStage(final boolean firstStage)
    {
        this.firstStage = firstStage;
        return this;
    }

    /**
     * The request is an interrupt request (an MSI write), not DMA: the model forwarded or refused it by its interrupt
     * rules, and a translation filled in is the address the interrupt was forwarded to.
     */
    public RequestOutcome interrupt(final boolean interrupt)
    {
        this.interrupt = interrupt;
        return this;
    }

    public boolean isOk()
    {
        return fault == null;
    }

    /** The fault, or null when the request succeeded. */
    public FaultKind fault()
    {
        return fault;
    }

    /** What the successful request did besides its access, or null for nothing (always null for a fault). */
    public AccessEffect effect()
    {
        return effect;
    }

    public long outputAddress()
    {
        return outputAddress;
    }

    public int pageSizeLg2()
    {
        return pageSizeLg2;
    }

    /** {@link Permissions} bits of the translation. */
    public int permissions()
    {
        return permissions;
    }

    /** For an ATS translation request: the 64-bit Translation Completion entry (R = W = 0 when refused). */
    public long completionEntry()
    {
        return completionEntry;
    }

    public boolean iotlbHit()
    {
        return iotlbHit;
    }

    /** Whether the fault was recorded (event log entry, fault record); false when suppressed or overflowed. */
    public boolean recordLogged()
    {
        return recordLogged;
    }

    /** The domain (AMD-Vi DomainID, VT-d DID) the request was translated in, 0 when none applied. */
    public int domainId()
    {
        return domainId;
    }

    /** See {@link #tagPasid(int)}; {@link CacheTag#NO_PASID} when untagged. */
    public int tagPasid()
    {
        return tagPasid;
    }

    /** The walker's fault behind a failed translation, {@link WalkFault#NONE} otherwise. */
    public WalkFault walkFault()
    {
        return walkFault;
    }

    /** Whether a first-stage table translated the request (AMD-Vi guest (v2) through GCR3, VT-d PGTT 1 or 3). */
    public boolean firstStage()
    {
        return firstStage;
    }

    /**
     * Whether the model took the request for an interrupt request (AMD-Vi: an untranslated write without a PASID to
     * 0xFEE0_0000-0xFEEF_FFFF, then forwarded or refused by the DTE's IntCtl; VT-d: the same request, which is not
     * DMA-remapped): a replay counts it as an interrupt, not as DMA.
     */
    public boolean interrupt()
    {
        return interrupt;
    }

    public String toString()
    {
        return isOk() ?
            "ok oa=0x" + Long.toHexString(outputAddress) + " size=2^" + pageSizeLg2 + " perms=" + Permissions.toString(permissions) +
                (iotlbHit() ? " (iotlb hit)" : "") + (effect != null ? " " + effect.effectName() : "") :
            "fault " + fault.faultName() + (recordLogged() ? " (logged)" : " (not logged)");
    }
}
