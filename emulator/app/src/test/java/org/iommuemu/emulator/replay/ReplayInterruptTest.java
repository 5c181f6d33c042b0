package org.iommuemu.emulator.replay;

import java.io.IOException;

import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.InterruptRange;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replay counts as interrupts what the IOMMU model says are interrupt requests, for both models (and on VT-d
 * with TDX Connect after the TDI has started sending T=1 requests): every upstream memory request reaches the model,
 * none is classified beforehand, and the ones the outcome marks are not DMA (not in the DMA counts, not priced).
 */
class ReplayInterruptTest
{
    @Test
    void amdViAndVtdCountTheModelsInterruptRequests() throws IOException
    {
        for (final String name : new String[] {"seed001-huge", "seed003-t-flip", "seed004-right-order"})
        {
            final Scenario scenario = ScenarioReader.bundled(name);
            final long[] expected = upstreamMemoryRequests(scenario, 12_000);
            final Replay replay = new Replay(Platform.build(scenario));
            try (GeneratedTraceReader reader = reader(scenario, 12_000))
            {
                replay.run(reader, record ->
                {
                    if (record.trafficClass() == TrafficClass.INTERRUPT)
                    {
                        assertTrue(record.outcome().interrupt(), name + ": the outcome says interrupt");
                        assertEquals(0, record.latencyCycles(), name + ": not priced");
                    }
                }, Replay.ProgressListener.NONE);
            }
            final ReplayStatistics s = replay.statistics();
            assertTrue(expected[1] > 0, name + ": the trace has MSI writes");
            assertEquals(expected[1], s.count(TrafficClass.INTERRUPT), name + ": interrupts");
            assertEquals(expected[0] - expected[1], s.dmaRequests(), name + ": the other memory requests are DMA");
        }
    }

    /** {upstream memory requests, of which untranslated writes without a PASID to the interrupt range}. */
    private static long[] upstreamMemoryRequests(final Scenario scenario, final long count) throws IOException
    {
        final long[] counts = new long[2];
        final DmaRequest request = new DmaRequest();
        try (GeneratedTraceReader reader = reader(scenario, count))
        {
            while (reader.next())
            {
                final TraceRecord record = reader.record();
                if (TlpRequests.toRequest(record, request) == TrafficClass.DMA)
                {
                    counts[0]++;
                    counts[1] += InterruptRange.interruptRequest(request) ? 1 : 0;
                }
            }
        }
        return counts;
    }

    private static GeneratedTraceReader reader(final Scenario scenario, final long count)
    {
        final Scenario.TrafficSpec t = scenario.traffic();
        return new GeneratedTraceReader(new Scenario.TrafficSpec(null, t.workload(), t.devices(), t.footprint(), t.baseAddress(),
            count, t.seed(), t.transferSize(), t.pasidFraction(), t.teeFraction()));
    }
}
