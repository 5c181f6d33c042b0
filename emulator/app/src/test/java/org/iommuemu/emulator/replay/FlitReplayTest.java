package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, flit-mode TLPs translated (not classed apart): the same generated operations in PCIe 6 flit mode (header
 * base, OHC-A1 with the PASID, OHC-C with the T bit) and in non-flit mode (prefixes) give the same request and the same
 * outcome, TLP by TLP: the bundled vtd-flit against vtd-pasids (every kind of PASID entry), and tdx-tdi-error's T=1
 * traffic with OHC-C instead of IDE prefixes.
 */
class FlitReplayTest
{
    /** One replayed TLP as the comparison sees it. */
    private record Row(TrafficClass trafficClass, int requester, int pasid, long address, int length, int access, boolean trusted,
        boolean ok, long output, String fault)
    {
    }

    private static List<Row> rows(final Scenario scenario) throws IOException
    {
        final List<Row> rows = new ArrayList<>();
        UntrustedDmaReplayTest.replay(scenario, record ->
        {
            final boolean dma = record.trafficClass() == TrafficClass.DMA;
            rows.add(new Row(record.trafficClass(), dma ? record.request().requesterId() : -1, dma ? record.request().pasid() : -1,
                dma ? record.request().address() : -1, dma ? record.request().length() : -1, dma ? record.request().access() : -1,
                dma && record.request().trusted(), dma && record.outcome().isOk(), dma && record.outcome().isOk() ?
                record.outcome().outputAddress() : -1, dma && !record.outcome().isOk() ? String.valueOf(record.outcome().fault()) : ""));
        });
        return rows;
    }

    @Test
    void flitTrafficIsTranslatedAsItsNonFlitTwin() throws IOException
    {
        try (GeneratedTraceReader reader = new GeneratedTraceReader(ScenarioReader.bundled("vtd-flit").traffic()))
        {
            int flitTlps = 0;
            for (int i = 0; i < 1000 && reader.next(); i++)
            {
                flitTlps += reader.record().tlp().isFlit() && !reader.record().tlp().hasPasidPrefix() ? 1 : 0;
            }
            assertEquals(1000, flitTlps, "vtd-flit's traffic is flit mode, without prefixes");
        }
        final List<Row> flit = rows(ScenarioReader.bundled("vtd-flit"));
        final List<Row> plain = rows(ScenarioReader.bundled("vtd-pasids"));
        assertEquals(plain.size(), flit.size());
        long withPasid = 0;
        for (int i = 0; i < plain.size(); i++)
        {
            assertEquals(plain.get(i), flit.get(i), "TLP " + i);
            withPasid += flit.get(i).pasid() >= 0 ? 1 : 0;
        }
        assertTrue(withPasid > 5000, "PASIDs from OHC-A1: " + withPasid);
        assertTrue(flit.stream().noneMatch(r -> r.trafficClass() == TrafficClass.FLIT_UNSUPPORTED ||
            r.trafficClass() == TrafficClass.OTHER));
    }

    @Test
    void theTBitOfOhcCTakesTheTrustedPath() throws IOException
    {
        final String yaml = TdxSeamcallReplayTest.bundledText("tdx-tdi-error").replace("  seed: 17\n", "  seed: 17\n  flit: true\n");
        final List<Row> flit = rows(ScenarioReader.parse(new StringReader(yaml), "flit.yaml", null));
        final List<Row> plain = rows(ScenarioReader.bundled("tdx-tdi-error"));
        assertEquals(plain, flit);
        assertTrue(flit.stream().filter(r -> r.trafficClass() == TrafficClass.DMA).allMatch(Row::trusted), "T=1 from OHC-C");
    }
}
