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
    /** VT-d scalable mode: each domain's stage (empty on other platforms: no hardware dirty tracking there). */
    private final Map<Integer, Scenario.Stage> scalableStages;
    private YamlSection section;

    TimelineCheck(final Set<Integer> tdiRequesters, final Set<Integer> tdIds, final Set<Integer> initiallyAttached,
        final Map<Integer, Scenario.Stage> scalableStages)
    {
        this.tdiRequesters = tdiRequesters;
        this.tdIds = tdIds;
        this.attached = new HashSet<>(initiallyAttached);
        this.scalableStages = scalableStages;
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
    }

    @Override
    public void unmap(final Scenario.UnmapAction action, final int line)
    {
    }

    @Override
    public void invalidate(final Scenario.InvalidateAction action, final int line)
    {
    }

    @Override
    public void policy(final Scenario.PolicyAction action, final int line)
    {
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
    public void setDirtyTracking(final Scenario.SetDirtyTrackingAction action, final int line)
    {
        trackedDomain(action.domain());
    }

    @Override
    public void readDirty(final Scenario.ReadDirtyAction action, final int line)
    {
        trackedDomain(action.domain());
    }

    /** Hardware dirty tracking (SSADE) belongs to VT-d second-stage domains in scalable mode. */
    private void trackedDomain(final int domain)
    {
        if (scalableStages.get(domain) != Scenario.Stage.SECOND)
        {
            throw section.error("domain", scalableStages.isEmpty() ? "hardware dirty tracking needs a VT-d platform in scalable mode" :
                "domain " + domain + " is a first stage; dirty tracking (SSADE) is a second-stage domain's");
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
