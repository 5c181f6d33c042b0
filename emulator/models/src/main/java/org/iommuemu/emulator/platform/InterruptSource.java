package org.iommuemu.emulator.platform;

/**
 * The interrupts an IOMMU model raises, each with the line number co-simulation sends it on
 * (docs/protocol.md 5.1): AMD-Vi's one MSI for its event log and for completion waits; VT-d's fault event and
 * invalidation completion event.
 */
public enum InterruptSource
{
    /** AMD-Vi: an event was logged with Control.EventIntEn set. */
    AMDVI_EVENT_LOG(0),
    /** AMD-Vi: COMPLETION_WAIT with i = 1 and Control.ComWaitIntEn set. */
    AMDVI_COMPLETION_WAIT(1),
    /** VT-d: a fault event (FECTL.IM clear). */
    VTD_FAULT_EVENT(0),
    /** VT-d: an invalidation wait descriptor with IF (IECTL.IM clear). */
    VTD_INVALIDATION_COMPLETION(1);

    private final int line;

    InterruptSource(final int line)
    {
        this.line = line;
    }

    /** The line number within the model's interrupts. */
    public int line()
    {
        return line;
    }
}
