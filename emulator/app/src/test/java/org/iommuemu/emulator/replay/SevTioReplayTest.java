package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;

import org.iommuemu.emulator.amdvi.AmdViFault;
import org.iommuemu.emulator.amdvi.SevTioFault;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.emulator.sevtio.TioCommand;
import org.iommuemu.emulator.sevtio.TioStatus;
import org.iommuemu.tdx.TdispState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 003 on AMD (SEV-TIO), request by request: before the flip every DMA is T = 0 and ok; from the flip (TLP 10000)
 * the device sends T = 1, and with vTOM at all ones every DMA to the shared buffers is RMP_PAGE_FAULT
 * (seed003-sev-tio-t-flip), while with vTOM at 1 TiB and the buffers handed out above it nothing fails
 * (seed003-sev-tio-iova-split), under either vTOM reading. The TDX telling of the story fails the same requests. The
 * TIO steps are events; the scenario's mistakes are errors with their line.
 */
class SevTioReplayTest
{
    private static final long FLIP = 10_000;

    /** Checks every record against the story and counts. */
    private static final class Story implements ResultSink
    {
        final boolean split;
        long before;
        long afterOk;
        long afterRefused;

        Story(final boolean split)
        {
            this.split = split;
        }

        @Override
        public void accept(final ReplayRecord r)
        {
            if (r.trafficClass() != TrafficClass.DMA)
            {
                assertEquals(TrafficClass.INTERRUPT, r.trafficClass(), "the NIC's MSI-X writes are interrupts");
                return;
            }
            final boolean flipped = r.index() >= FLIP;
            assertEquals(flipped, r.request().trusted(), "T follows the TDI's state (t-from-state), record " + r.index());
            if (!flipped)
            {
                assertTrue(r.outcome().isOk(), "T=0 to the shared buffers, record " + r.index() + ": " + r.outcome());
                before++;
            }
            else if (split)
            {
                assertTrue(r.outcome().isOk(), "T=1 at or above vTOM: shared, record " + r.index() + ": " + r.outcome());
                assertEquals(0x5000_0000L, r.outcome().outputAddress() & ~0x3F_FFFFL, "the bounce buffers' pages");
                afterOk++;
            }
            else
            {
                assertEquals(AmdViFault.RMP_PAGE_FAULT, r.outcome().fault(), "T=1, all private: record " + r.index());
                // Logged until the event log (512 entries, 511 usable: nobody drains it during a replay) overflows.
                assertEquals(afterRefused < 511, r.outcome().recordLogged(), "RMP_PAGE_FAULT logged, record " + r.index());
                afterRefused++;
            }
        }
    }

    @Test
    void allPrivateRefusesTheSharedBuffersAfterTheFlip() throws IOException
    {
        final Story story = new Story(false);
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("seed003-sev-tio-t-flip"), story);
        assertTrue(story.before > 9000 && story.afterRefused > 9000, story.before + " / " + story.afterRefused);
        assertEquals(story.afterRefused, result.statistics().faultsByKind().get("RMP_PAGE_FAULT"));
        assertEquals(story.afterRefused, result.statistics().faults());
        // The TIO steps at the flip, as typed events.
        assertEquals(3, result.events().size(), result.eventLines().toString());
        final PlatformEvent.TioStep bind = (PlatformEvent.TioStep)result.events().get(0);
        assertEquals(TioCommand.TIO_TDI_BIND, bind.command());
        assertEquals(TioStatus.SUCCESS, bind.status());
        assertEquals(TdispState.CONFIG_LOCKED, bind.state());
        assertEquals(FLIP, bind.beforeTlp());
        assertEquals(TdispState.RUN, ((PlatformEvent.TioStep)result.events().get(1)).state());
        assertTrue(((PlatformEvent.TioStep)result.events().get(2)).guestRequest());
        assertEquals("before TLP 10000: TDI 10:00.0 guest SDTE_WRITE: SUCCESS (RUN)", result.eventLines().get(2));
    }

    @Test
    void theIovaSplitKeepsTheSharedBuffersWorkingUnderEitherReadingOfVtom() throws IOException
    {
        for (final String rule : new String[] {"strip", "alias"})
        {
            final String yaml = bundledText("seed003-sev-tio-iova-split").replace("vtom-shared-address: strip",
                "vtom-shared-address: " + rule);
            final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), rule + ".yaml", null);
            final Story story = new Story(true);
            final ReplayResult result = UntrustedDmaReplayTest.replay(scenario, story);
            assertTrue(story.before > 9000 && story.afterOk > 9000, rule + ": " + story.before + " / " + story.afterOk);
            assertEquals(0, result.statistics().faults(), rule);
        }
        // Without the alias mapping, STRIP still works (it walks GPA = address - vTOM) and ALIAS fails after the flip.
        final String noAlias = bundledText("seed003-sev-tio-iova-split")
            .replace("      - {iova: 0x10100000000, spa: 0x50000000, size: 4M}    " +
                "# and at GPA + vTOM, the addresses the driver uses (T=0)\n", "");
        assertFalse(noAlias.contains("0x10100000000, spa"));
        final ReplayResult alias = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(
            noAlias.replace("vtom-shared-address: strip", "vtom-shared-address: alias")), "alias.yaml", null), ResultSink.NONE);
        assertEquals(alias.statistics().dmaRequests(), alias.statistics().faultsByKind().get("IO_PAGE_FAULT"),
            "no translation of the alias, before or after the flip");
    }

    /** The TDX telling of seed 003 fails the same requests (TDX_NOT_MAPPED there, RMP_PAGE_FAULT here). */
    @Test
    void theTdxAndSevTioTellingsFailTheSameRequests() throws IOException
    {
        final ReplayResult tdx = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("seed003-t-flip"), ResultSink.NONE);
        final ReplayResult amd = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("seed003-sev-tio-t-flip"), ResultSink.NONE);
        assertEquals(tdx.statistics().dmaRequests(), amd.statistics().dmaRequests());
        assertEquals(tdx.statistics().faultsByKind().get("TDX_NOT_MAPPED"), amd.statistics().faultsByKind().get("RMP_PAGE_FAULT"));
        assertNull(tdx.statistics().faultsByKind().get("RMP_PAGE_FAULT"));
    }

    /** A TDI left in CONFIG_LOCKED (bound, not started): its T = 1 requests are blocked, without an event. */
    @Test
    void aTdiThatIsNotRunBlocksTrustedRequests() throws IOException
    {
        final String yaml = bundledText("seed003-sev-tio-t-flip").replace("  - {at: 10000, action: tio-run, requester: \"10:00.0\"}\n", "")
            .replace("  - {at: 10000, action: tio-accept, requester: \"10:00.0\"}\n", "");
        assertFalse(yaml.contains("tio-run"));
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml.replace("workload: nic-rx", "workload: nic-rx\n  tee: 1.0")),
            "locked.yaml", null);
        final ReplayResult result = UntrustedDmaReplayTest.replay(scenario, ResultSink.NONE);
        assertEquals(result.statistics().dmaRequests(), result.statistics().faultsByKind().get(SevTioFault.TIO_TDI_NOT_RUN.name()),
            "every T=1 DMA (the trace's IDE prefix): CONFIG_UNLOCKED, then CONFIG_LOCKED");
        assertEquals(result.statistics().dmaRequests(), result.statistics().faults());
        assertFalse(result.statistics().faultsByKind().containsKey("RMP_PAGE_FAULT"));
    }

    @Test
    void scenarioMistakesNameTheirLine()
    {
        final String base = bundledText("seed003-sev-tio-t-flip");
        final String[][] cases = {
            {"      - {requester: \"10:00.0\", guest: 9, root-port: 0, vtom: all, t-from-state: true}",
                "      - {requester: \"10:00.0\", guest: 7, root-port: 0, vtom: all, t-from-state: true}", "no SNP guest with ASID 7"},
            {"vtom: all, t-from-state", "vtom: 0x1000, t-from-state", "not 2 MiB aligned"},
            {"root-port: 0, vtom", "root-port: 40, vtom", "a root-port id is 0-31"},
            {"  - {at: 10000, action: tio-run, requester: \"10:00.0\"}", "  - {at: 10000, action: tio-run, requester: \"11:00.0\"}",
                "no SEV-TIO TDI for requester 1100"},
            {"  snp: true\n", "  snp: false\n", "needs platform.snp: true"},
            {"        - {gpa: 0x0, spa: 0x40000000, size: 4M, state: private}",
                "        - {gpa: 0x0, spa: 0x1400000, size: 4M, state: private}",
                "overlaps the emulator's own structures"},
        };
        for (final String[] c : cases)
        {
            assertTrue(base.contains(c[0]), c[0]);
            final String yaml = base.replace(c[0], c[1]);
            final ScenarioException ex = assertThrows(ScenarioException.class, () ->
                Platform.build(ScenarioReader.parse(new StringReader(yaml), "bad.yaml", null)), c[1]);
            assertTrue(ex.getMessage().contains(c[2]), ex.getMessage());
            assertTrue(ex.getMessage().startsWith("bad.yaml:"), ex.getMessage());
        }
    }

    static String bundledText(final String name)
    {
        try (InputStream in = ScenarioReader.class.getClassLoader().getResourceAsStream(ScenarioReader.BUNDLED_FOLDER + name + ".yaml"))
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
