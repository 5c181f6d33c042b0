package org.iommuemu.emulator.replay;

import java.util.List;

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

    /**
     * The listeners as one, hearing each event in list order: {@link #NONE} for none, the listener itself for one (so
     * the replay's per-TLP path stays as it is).
     */
    static ReplayListener all(final List<ReplayListener> listeners)
    {
        if (listeners.isEmpty())
        {
            return NONE;
        }
        if (listeners.size() == 1)
        {
            return listeners.get(0);
        }
        final ReplayListener[] all = listeners.toArray(new ReplayListener[0]);
        return new ReplayListener()
        {
            @Override
            public void request(final ReplayRecord record)
            {
                for (final ReplayListener listener : all)
                {
                    listener.request(record);
                }
            }

            @Override
            public void action(final Scenario.Action action, final long beforeTlp, final long cycle)
            {
                for (final ReplayListener listener : all)
                {
                    listener.action(action, beforeTlp, cycle);
                }
            }

            @Override
            public void end(final ReplayStatistics statistics)
            {
                for (final ReplayListener listener : all)
                {
                    listener.end(statistics);
                }
            }
        };
    }

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
