package org.iommuemu.emulator.replay;

import org.iommuemu.emulator.scenario.Scenario;

/**
 * Hears a replay as it runs: every DMA request once the IOMMU and the timing model are done with it, and every
 * timeline action just before it runs. The logs that mirror QEMU's trace events and the kernel's fault messages
 * ({@code --log qemu}, {@code --log dmesg}) are listeners; without one the replay calls {@link #NONE}, whose
 * methods do nothing, so the per-TLP path stays as it is. A listener must not keep the record: it is re-pointed
 * for the next TLP.
 */
public interface ReplayListener
{
    /** Hears nothing. */
    ReplayListener NONE = new ReplayListener()
    {
    };

    /** A DMA request went through the IOMMU: its request, outcome, arrival and completion cycles. */
    default void request(final ReplayRecord record)
    {
    }

    /** A timeline action is about to run, before TLP {@code beforeTlp}, at {@code cycle} of the replay's clock. */
    default void action(final Scenario.Action action, final long beforeTlp, final long cycle)
    {
    }

    /** The trace ended (the last actions have run). */
    default void end(final ReplayStatistics statistics)
    {
    }
}
