package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.fixtures.SharedMaterial;
import org.iommuemu.tlp.nettlp.NetTlpPcapReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real NetTLP captures replay through the bundled nettlp scenario; skipped when ../shared is absent. */
class NetTlpReplayTest
{
    @Test
    void everyNicAndNvmeCaptureTranslatesWithoutFaults() throws IOException
    {
        final Path root = SharedMaterial.find("traces/nettlp/nic-and-nvme");
        assumeTrue(root != null, "NetTLP captures not present (../shared is absent on a fresh clone)");
        final List<Path> captures;
        try (Stream<Path> files = Files.walk(root))
        {
            captures = files.filter(p -> p.toString().endsWith(".pcap")).sorted().toList();
        }
        assertTrue(captures.size() >= 10, "the x520 and p4600 captures");
        for (final Path capture : captures)
        {
            final Replay replay = new Replay(Platform.build(ScenarioReader.bundled("nettlp")));
            try (NetTlpPcapReader reader = new NetTlpPcapReader(capture, ErrorPolicy.STOP, NetTlpPcapReader.parseIpv4("192.168.10.3")))
            {
                final ReplayResult result = replay.run(reader, ResultSink.NONE, Replay.ProgressListener.NONE);
                final ReplayStatistics s = result.statistics();
                assertTrue(s.dmaRequests() > 0, capture + " has upstream DMA");
                assertEquals(0, s.faults(), capture + ": every buffer lies in the mapped 1 GiB");
                assertEquals(s.tlps(), s.dmaRequests() + s.count(TrafficClass.DOWNSTREAM) + s.count(TrafficClass.COMPLETION) +
                    s.count(TrafficClass.INTERRUPT) + s.count(TrafficClass.MESSAGE) + s.count(TrafficClass.CONFIG), capture +
                        ": every TLP classified");
                assertTrue(s.simulatedCycles() > 0);
            }
        }
    }
}
