package org.iommuemu.emulator.scenario;

import java.util.HashSet;
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
    private YamlSection section;

    TimelineCheck(final Set<Integer> tdiRequesters, final Set<Integer> tdIds, final Set<Integer> initiallyAttached)
    {
        this.tdiRequesters = tdiRequesters;
        this.tdIds = tdIds;
        this.attached = new HashSet<>(initiallyAttached);
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
        if (!tdIds.contains(action.td()))
        {
            throw section.error("td", tdIds.isEmpty() ? "a TD access needs platform.tdx-connect: true and a TD in tdx.tds" :
                "no TD with id " + action.td() + " in tdx.tds (tds: " + tdIds + ")");
        }
    }
}
