package org.iommuemu.emulator.replay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TextTraceReader;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceSummary;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The accounting every replay checks at its end (docs/reliability.md): it balances on a replay with skipped and
 * faulted records, result rows keep the trace's record indexes, a broken count is reported, and a timestamp beyond
 * the replay's clock is a record error.
 */
class ReplayAccountingTest
{
    private static final String MRD = "tlp=20000001 100000ff 00000001 00000000";

    private static TextTraceReader text(final String lines)
    {
        return new TextTraceReader("t.txt", new ByteArrayInputStream(lines.getBytes(StandardCharsets.US_ASCII)), ErrorPolicy.SKIP_BAD);
    }

    /** The same read with AT 00 and with AT 11 (byte 2, bits 3:2 of the first DW), its result lines into {@code csv}. */
    private static ReplayResult readWithAtZeroThenEleven(final Scenario scenario, final StringWriter csv) throws IOException
    {
        try (CsvResultSink sink = new CsvResultSink(csv))
        {
            return new Replay(Platform.build(scenario)).run(text("1ns up " + MRD + "\n" +
                "2ns up tlp=20000c01 100000ff 00000001 00000000\n"), sink, Replay.ProgressListener.NONE);
        }
    }

    /** The field of a result line under the CSV header's {@code name}. */
    private static String column(final String line, final String name)
    {
        return line.split(",", -1)[List.of(CsvResultSink.HEADER.split(",")).indexOf(name)];
    }

    @Test
    void aReplayWithSkippedAndFaultedRecordsBalancesAndKeepsRecordIndexes() throws IOException
    {
        final Replay replay = new Replay(Platform.build(ScenarioReader.bundled("nic-passthrough")));
        final List<Long> indexes = new ArrayList<>();
        final ReplayResult result = replay.run(text("1ns up " + MRD + "\n" +
            "2ns up port=1 port=1 " + MRD + "\n" +                       // record 1: a field twice, skipped
            "3ns up tlp=20000001 100000ff 00000009 00000000\n" +          // record 2: an unmapped address, faults
            "4ns up " + MRD + "\n"), record -> indexes.add(record.index()), Replay.ProgressListener.NONE);
        final ReplayStatistics statistics = result.statistics();
        assertEquals(List.of(0L, 2L, 3L), indexes, "rows keep the trace's record index");
        assertEquals(3, statistics.tlps());
        assertEquals(1, result.trace().skipped());
        assertEquals(List.of(), statistics.accountingErrors(result.trace(), 3));
        assertEquals(statistics.dmaBytes(), statistics.okBytes() + statistics.faultBytes());
        assertTrue(statistics.faults() > 0, "the unmapped address faults");
    }

    @Test
    void aRequestWithTheReservedAtValueIsReplayedAsUntranslatedAndShown() throws IOException
    {
        // Both reads translated; the one with AT 11 kept as AT 3 in its result line and counted in the summary and the
        // metrics.
        final StringWriter csv = new StringWriter();
        final ReplayResult result = readWithAtZeroThenEleven(ScenarioReader.bundled("nic-passthrough"), csv);
        final List<String> lines = csv.toString().lines().toList();
        assertEquals("0", column(lines.get(1), "at"));
        assertEquals("3", column(lines.get(2), "at"));
        assertEquals("ok", column(lines.get(2), "outcome"), "translated as an untranslated request");
        assertEquals(column(lines.get(1), "output_address"), column(lines.get(2), "output_address"), "the same output");
        assertEquals(2, result.statistics().dmaRequests());
        assertEquals(1, result.statistics().reservedAt());
        assertTrue(Summary.rows(result).stream().anyMatch(r -> r.metric().contains("AT 11 (reserved)") && r.value() == 1),
            "the summary shows them");
        assertTrue(ResultMetrics.of(result).stream().anyMatch(m -> m.key().equals("traffic.reserved_at") &&
            m.value().equals(1L)));
    }

    @Test
    void withReservedAtUnsupportedSuchARequestIsNotTranslatedAndCountedAsOther() throws IOException
    {
        final String yaml = String.join("\n", "name: reserved-at", "platform: {iommu: amdvi, profile: amd, reserved-at: unsupported}",
            "domains:", "  - id: 1", "    levels: 4", "    mappings: [{iova: 0x100000000, spa: 0x100000000, size: 4M}]",
            "devices: [{requester: 0x1000, domain: 1}]", "");
        final StringWriter csv = new StringWriter();
        final ReplayResult result = readWithAtZeroThenEleven(ScenarioReader.parse(new StringReader(yaml), "r.yaml", null), csv);
        final List<String> lines = csv.toString().lines().toList();
        assertEquals("dma", column(lines.get(1), "class"));
        assertEquals("other", column(lines.get(2), "class"));
        final ReplayStatistics s = result.statistics();
        assertEquals(1, s.dmaRequests());
        assertEquals(1, s.count(TrafficClass.OTHER));
        assertEquals(1, s.reservedAt());
        assertEquals(1, s.reservedAtRefused());
        assertEquals(List.of(), s.accountingErrors(result.trace(), 2));
        assertTrue(Summary.rows(result).stream().anyMatch(r -> r.metric().contains("AT 11 (reserved)") &&
            r.text().contains("not translated")));
        final ScenarioException bad = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml.replace("unsupported", "maybe")), "r.yaml", null));
        assertTrue(bad.getMessage().contains("reserved-at") && bad.getMessage().contains("untranslated"), bad.getMessage());
    }

    @Test
    void aBrokenCountIsReported() throws IOException
    {
        final Replay replay = new Replay(Platform.build(ScenarioReader.bundled("nic-passthrough")));
        final ReplayResult result = replay.run(text("1ns up " + MRD + "\n"), ResultSink.NONE, Replay.ProgressListener.NONE);
        final TraceSummary other = new TraceSummary();
        other.onDecoded(false);
        other.onDecoded(false);
        final List<String> errors = result.statistics().accountingErrors(other, 0);
        assertTrue(errors.contains("records decoded 2 != TLPs replayed 1"), errors.toString());
        assertTrue(errors.contains("results delivered 0 != TLPs replayed 1"), errors.toString());
        other.onSkipped(new TraceFormatException("t", TraceError.BAD_TEXT_LINE, 0, 0, "x"), false);
        assertFalse(result.statistics().accountingErrors(other, 1).isEmpty());
    }

    @Test
    void aTimestampBeyondTheClockIsARecordError()
    {
        final Replay replay = new Replay(Platform.build(ScenarioReader.bundled("nic-passthrough")));
        final TraceFormatException error = assertThrows(TraceFormatException.class, () -> replay.run(
            text("1ns up " + MRD + "\n9223372036854775807ps up " + MRD + "\n92233720368547758us up " + MRD + "\n"),
            ResultSink.NONE, Replay.ProgressListener.NONE));
        assertEquals(TraceError.BAD_TIMESTAMP, error.error());
        assertEquals(2, error.recordIndex(), "picoseconds scale down; the microseconds overflow nanoseconds");
    }
}
