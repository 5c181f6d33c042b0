package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.emulator.vtd.TrustedInvalidation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TEE-tagged IOTLB seen from a replay: seed 003's IOVA split sends the same shared buffers first with T=0
 * (the VMM's domain) and after the flip with T=1 (the shared EPT through the trusted path). Trusted hits are priced
 * as IOTLB hits: no table fetches, and the same fastest latency as untrusted hits; with the switch off no T=1
 * request hits and every one walks. The outcomes do not depend on the switch.
 */
class TrustedIotlbReplayTest
{
    private static final int T = 8;
    private static final int CYCLES = 13;
    private static final int HIT = 14;
    private static final int FETCHES = 15;

    @Test
    void trustedHitsArePricedAsIotlbHits() throws IOException
    {
        final Scenario cached = seed003Split("");
        final Scenario uncached = seed003Split("  trusted-iotlb: false\n");
        assertTrue(cached.platform().trustedIotlb());
        assertEquals(TrustedInvalidation.TRACK, cached.platform().trustedInvalidation());
        assertFalse(uncached.platform().trustedIotlb());

        final StringWriter on = new StringWriter();
        final ReplayResult withCache = replay(cached, on);
        final StringWriter off = new StringWriter();
        final ReplayResult withoutCache = replay(uncached, off);

        long trustedHits = 0;
        long trustedMisses = 0;
        long fastestTrustedHit = Long.MAX_VALUE;
        long fastestUntrustedHit = Long.MAX_VALUE;
        for (final String[] row : dmaRows(on.toString()))
        {
            final boolean trusted = row[T].equals("1");
            final boolean hit = row[HIT].equals("1");
            final long cycles = Long.parseLong(row[CYCLES]);
            if (trusted && hit)
            {
                trustedHits++;
                assertEquals("0", row[FETCHES], "a trusted hit fetches nothing");
                fastestTrustedHit = Math.min(fastestTrustedHit, cycles);
            }
            else if (trusted)
            {
                trustedMisses++;
                assertTrue(Long.parseLong(row[FETCHES]) > 0, "a trusted miss walks the shared EPT");
            }
            else if (hit)
            {
                fastestUntrustedHit = Math.min(fastestUntrustedHit, cycles);
            }
        }
        assertTrue(trustedHits > 0 && trustedMisses > 0, trustedHits + " hits, " + trustedMisses + " misses");
        assertTrue(trustedHits > 10 * trustedMisses, "streaming DMA over 2 MiB pages mostly hits");
        assertEquals(fastestUntrustedHit, fastestTrustedHit, "a trusted hit costs what an untrusted hit costs");

        long uncachedTrusted = 0;
        for (final String[] row : dmaRows(off.toString()))
        {
            if (row[T].equals("1"))
            {
                uncachedTrusted++;
                assertEquals("0", row[HIT], "switch off: no trusted hit");
                assertTrue(Long.parseLong(row[FETCHES]) > 0, "switch off: every T=1 request walks");
            }
        }
        assertEquals(trustedHits + trustedMisses, uncachedTrusted);
        assertEquals(withoutCache.statistics().ok(), withCache.statistics().ok());
        assertEquals(withoutCache.statistics().faults(), withCache.statistics().faults());
        assertTrue(withCache.statistics().iotlbHits() > withoutCache.statistics().iotlbHits());
        assertTrue(withCache.statistics().tableFetches() < withoutCache.statistics().tableFetches());
    }

    @Test
    void theSwitchesNeedTdxConnect()
    {
        final ScenarioException noConnect = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            "platform: {iommu: vtd, trusted-iotlb: true}\n"), "t.yaml", null));
        assertTrue(noConnect.getMessage().contains("platform.trusted-iotlb"), noConnect.getMessage());
        final ScenarioException badPoint = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            "platform: {iommu: vtd, tdx-connect: true, trusted-invalidation: later}\ntdx: {tds: [{id: 1}]}\n"), "t.yaml", null));
        assertTrue(badPoint.getMessage().contains("trusted-invalidation"), badPoint.getMessage());
        final Scenario block = ScenarioReader.parse(new StringReader(
            "platform: {iommu: vtd, tdx-connect: true, trusted-invalidation: block}\ntdx: {tds: [{id: 1}]}\n"), "t.yaml", null);
        assertEquals(TrustedInvalidation.BLOCK, block.platform().trustedInvalidation());
    }

    /** The bundled seed003-iova-split with {@code extra} added to its platform section. */
    private static Scenario seed003Split(final String extra) throws IOException
    {
        final String yaml;
        try (Reader reader = new InputStreamReader(TrustedIotlbReplayTest.class.getResourceAsStream(
            "/iommu-emu/scenarios/seed003-iova-split.yaml"), StandardCharsets.UTF_8))
        {
            final StringWriter text = new StringWriter();
            reader.transferTo(text);
            yaml = text.toString().replace("  tdx-connect: true\n", "  tdx-connect: true\n" + extra);
        }
        return ScenarioReader.parse(new StringReader(yaml), "seed003-iova-split.yaml", null);
    }

    private static ReplayResult replay(final Scenario scenario, final StringWriter csv) throws IOException
    {
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()); CsvResultSink sink = new CsvResultSink(csv))
        {
            return new Replay(Platform.build(scenario)).run(reader, sink, Replay.ProgressListener.NONE);
        }
    }

    private static List<String[]> dmaRows(final String csv)
    {
        final List<String[]> rows = new ArrayList<>();
        for (final String line : csv.split("\n"))
        {
            final String[] row = line.split(",", -1);
            if (row.length > FETCHES && row[2].equals(TrafficClass.DMA.label()))
            {
                rows.add(row);
            }
        }
        return rows;
    }
}
