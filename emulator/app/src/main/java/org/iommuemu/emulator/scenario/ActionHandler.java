package org.iommuemu.emulator.scenario;

/**
 * Performs the timeline's actions, one method per kind ({@link Scenario.Action#applyTo} dispatches): adding an action
 * to the scenario language means adding a method here, which every handler must then implement. {@code line} is the
 * scenario line the action came from, for errors.
 */
public interface ActionHandler
{
    void map(Scenario.MapAction action, int line);

    void unmap(Scenario.UnmapAction action, int line);

    void invalidate(Scenario.InvalidateAction action, int line);

    void policy(Scenario.PolicyAction action, int line);

    void makePrivate(Scenario.MakePrivateAction action, int line);

    void makeShared(Scenario.MakeSharedAction action, int line);

    void attach(Scenario.AttachAction action, int line);

    void tdiBind(Scenario.TdiBindAction action, int line);

    void tdiStart(Scenario.TdiStartAction action, int line);

    void tdiStop(Scenario.TdiStopAction action, int line);

    void tdiUnbind(Scenario.TdiUnbindAction action, int line);

    void mmioMap(Scenario.MmioMapAction action, int line);

    void tdAccess(Scenario.TdAccessAction action, int line);

    void tdiError(Scenario.TdiErrorAction action, int line);

    void seamcall(Scenario.SeamcallAction action, int line);

    void setDirtyTracking(Scenario.SetDirtyTrackingAction action, int line);

    void readDirty(Scenario.ReadDirtyAction action, int line);

    void servicePageRequests(Scenario.ServicePageRequestsAction action, int line);

    void kvmDirtyLog(Scenario.KvmDirtyLogAction action, int line);

    void detach(Scenario.DetachAction action, int line);
}
