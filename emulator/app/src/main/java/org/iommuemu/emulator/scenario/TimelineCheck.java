package org.iommuemu.emulator.scenario;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.iommuemu.emulator.config.YamlSection;

/**
 * The checks a scenario's timeline must pass beyond each action's own fields, in timeline order: a TDISP action
 * names a requester with a TDI, a TD access names a TD, a detach names a device attached at that point. Dispatched
 * by the action's type like the platform's handling, so a new action kind must state its checks here too. Errors
 * point at the action's line ({@code file:line: field: reason}).
 */
final class TimelineCheck implements ActionHandler
{
    private final Set<Integer> tdiRequesters;
    private final Set<Integer> tdIds;
    private final Set<Integer> attached;
    private final Set<Integer> snpGuests = new HashSet<>();
    private final Set<Integer> hostDomains;
    private final boolean dirtyTracking;
    private final Scenario.IommuKind iommu;
    private final Set<Integer> tioRequesters = new HashSet<>();
    /** VT-d scalable mode: each domain's stage (empty on other platforms: no hardware dirty tracking there). */
    private final Map<Integer, Scenario.Stage> scalableStages;
    /** The identity domains: no table to map into, unmap from or track. */
    private final Set<Integer> identityDomains;
    private YamlSection section;

    /** With the SNP guests and SEV-TIO TDIs of {@code snp} (null: none) for the SNP actions' checks. */
    TimelineCheck(final Set<Integer> tdiRequesters, final Set<Integer> tdIds, final Set<Integer> initiallyAttached, final SnpSpec snp)
    {
        this(tdiRequesters, tdIds, initiallyAttached, snp, null, null, Scenario.IommuKind.AMDVI, Map.of(), Set.of());
    }

    /**
     * With the AMD-Vi section ({@code amdvi}, null: none) and the host domains' ids ({@code hostDomains}, null: every
     * domain id the reader accepts is a host domain): guest tables take map, unmap and invalidate only; dirty tracking
     * needs AMD-Vi with {@code amdvi.dirty-tracking}; the {@code identityDomains} take attach and invalidate only.
     */
    TimelineCheck(final Set<Integer> tdiRequesters, final Set<Integer> tdIds, final Set<Integer> initiallyAttached, final SnpSpec snp,
        final AmdViSpec amdvi, final Set<Integer> hostDomains, final Scenario.IommuKind iommu,
        final Map<Integer, Scenario.Stage> scalableStages, final Set<Integer> identityDomains)
    {
        this.identityDomains = identityDomains;
        this.tdiRequesters = tdiRequesters;
        this.tdIds = tdIds;
        this.attached = new HashSet<>(initiallyAttached);
        this.hostDomains = hostDomains;
        this.dirtyTracking = iommu == Scenario.IommuKind.AMDVI && amdvi != null && amdvi.dirtyTracking();
        this.scalableStages = scalableStages;
        this.iommu = iommu;
        if (snp != null)
        {
            snp.guests().forEach(g -> snpGuests.add(g.asid()));
            if (snp.tio() != null)
            {
                snp.tio().tdis().forEach(t -> tioRequesters.add(t.requesterId()));
            }
        }
    }

    private void snpGuest(final int asid)
    {
        if (!snpGuests.contains(asid))
        {
            throw section.error("guest", snpGuests.isEmpty() ? "a guest action needs an SNP guest in snp.guests" :
                "no SNP guest with ASID " + asid + " in snp.guests (guests: " + snpGuests + ")");
        }
    }

    @Override
    public void pageStateChange(final Scenario.PageStateChangeAction action, final int line)
    {
        snpGuest(action.asid());
    }

    @Override
    public void pvalidate(final Scenario.PvalidateAction action, final int line)
    {
        snpGuest(action.asid());
    }

    @Override
    public void psmash(final Scenario.PsmashAction action, final int line)
    {
    }

    /** {@code domain} must have a page table (not be an identity domain) for {@code what}. */
    private void paging(final int domain, final String what)
    {
        if (identityDomains.contains(domain))
        {
            throw section.error("domain", "domain " + domain + " is an identity domain (type: identity): it has no page table for " +
                what);
        }
    }

    /** {@code domain} must be a host domain, not an AMD-Vi guest table, for {@code what}. */
    private void hostDomain(final int domain, final String what)
    {
        if (hostDomains != null && !hostDomains.contains(domain))
        {
            throw section.error("domain", domain + " is a guest (v2) table: " + what + " takes a host domain");
        }
    }

    @Override
    public void setDirtyTracking(final Scenario.SetDirtyTrackingAction action, final int line)
    {
        dirty(action.domain());
        if (action.bits() == Scenario.DirtyBits.ACCESS && iommu == Scenario.IommuKind.VTD)
        {
            throw section.error("bits", "access-only tracking is AMD-Vi's DTE.HAD = 01b; VT-d's SSADE updates A and D together");
        }
    }

    @Override
    public void readDirty(final Scenario.ReadDirtyAction action, final int line)
    {
        dirty(action.domain());
    }

    /**
     * Hardware dirty tracking: on AMD-Vi a host (v1) domain with amdvi.dirty-tracking (EFR.HASup and HDSup); on VT-d a
     * second-stage domain in scalable mode (SSADE).
     */
    private void dirty(final int domain)
    {
        paging(domain, "dirty tracking");
        if (iommu == Scenario.IommuKind.VTD)
        {
            if (scalableStages.get(domain) != Scenario.Stage.SECOND)
            {
                throw section.error("domain", scalableStages.isEmpty() ? "hardware dirty tracking needs a VT-d platform in scalable " +
                    "mode" : "domain " + domain + " is a first stage; dirty tracking (SSADE) is a second-stage domain's");
            }
            return;
        }
        if (!dirtyTracking)
        {
            throw section.error("action", "dirty tracking needs iommu: amdvi with amdvi.dirty-tracking: true (EFR.HASup and HDSup)");
        }
        hostDomain(domain, "dirty tracking (host v1 tables only)");
    }

    @Override
    public void tdConvert(final Scenario.TdConvertAction action, final int line)
    {
        if (!tdIds.contains(action.td()))
        {
            throw section.error("td", tdIds.isEmpty() ? "td-convert needs platform.tdx-connect: true and a TD in tdx.tds" :
                "no TD with id " + action.td() + " in tdx.tds (tds: " + tdIds + ")");
        }
    }

    @Override
    public void tio(final Scenario.TioAction action, final int line)
    {
        if (!tioRequesters.contains(action.requesterId()))
        {
            throw section.error("requester", String.format("no SEV-TIO TDI for requester %04x in snp.sev-tio.tdis", action.requesterId()));
        }
    }

    /** Check {@code action}, read from {@code section}, against the timeline so far. */
    void check(final Scenario.Action action, final YamlSection section)
    {
        this.section = section;
        action.applyTo(this, section.line());
    }

    private void tdi(final int requesterId)
    {
        if (!tdiRequesters.contains(requesterId))
        {
            throw section.error("requester", String.format("no TDI for requester %04x in tdx.tdis", requesterId));
        }
    }

    @Override
    public void map(final Scenario.MapAction action, final int line)
    {
        paging(action.domain(), "map");
    }

    @Override
    public void unmap(final Scenario.UnmapAction action, final int line)
    {
        paging(action.domain(), "unmap");
    }

    @Override
    public void invalidate(final Scenario.InvalidateAction action, final int line)
    {
    }

    @Override
    public void policy(final Scenario.PolicyAction action, final int line)
    {
        paging(action.domain(), "set-policy");
        hostDomain(action.domain(), "set-policy");
    }

    @Override
    public void makePrivate(final Scenario.MakePrivateAction action, final int line)
    {
    }

    @Override
    public void makeShared(final Scenario.MakeSharedAction action, final int line)
    {
    }

    @Override
    public void attach(final Scenario.AttachAction action, final int line)
    {
        hostDomain(action.domain(), "attach");
        attached.add(action.requesterId());
    }

    @Override
    public void detach(final Scenario.DetachAction action, final int line)
    {
        if (!attached.remove(action.requesterId()))
        {
            throw section.error("requester", String.format("requester %04x is not attached at this point of the timeline " +
                "(not a device, or detached before)", action.requesterId()));
        }
    }

    @Override
    public void kvmDirtyLog(final Scenario.KvmDirtyLogAction action, final int line)
    {
        paging(action.domain(), "kvm-dirty-log");
        hostDomain(action.domain(), "kvm-dirty-log");
    }

    @Override
    public void tdiBind(final Scenario.TdiBindAction action, final int line)
    {
        tdi(action.requesterId());
        if (action.td() > 0)
        {
            td(action.td(), "a TDI bind to a TD");
        }
    }

    @Override
    public void tdiStart(final Scenario.TdiStartAction action, final int line)
    {
        tdi(action.requesterId());
    }

    @Override
    public void tdiStop(final Scenario.TdiStopAction action, final int line)
    {
        tdi(action.requesterId());
    }

    @Override
    public void tdiUnbind(final Scenario.TdiUnbindAction action, final int line)
    {
        tdi(action.requesterId());
    }

    @Override
    public void mmioMap(final Scenario.MmioMapAction action, final int line)
    {
        tdi(action.requesterId());
    }

    @Override
    public void tdAccess(final Scenario.TdAccessAction action, final int line)
    {
        td(action.td(), "a TD access");
    }

    @Override
    public void tdiError(final Scenario.TdiErrorAction action, final int line)
    {
        tdi(action.requesterId());
    }

    @Override
    public void seamcall(final Scenario.SeamcallAction action, final int line)
    {
        td(action.td(), "a SEAMCALL");
    }

    private void td(final int td, final String what)
    {
        if (!tdIds.contains(td))
        {
            throw section.error("td", tdIds.isEmpty() ? what + " needs platform.tdx-connect: true and a TD in tdx.tds" :
                "no TD with id " + td + " in tdx.tds (tds: " + tdIds + ")");
        }
    }

    @Override
    public void servicePageRequests(final Scenario.ServicePageRequestsAction action, final int line)
    {
        if (scalableStages.isEmpty())
        {
            throw section.error("action", "page requests need a VT-d platform in scalable mode");
        }
    }
}
