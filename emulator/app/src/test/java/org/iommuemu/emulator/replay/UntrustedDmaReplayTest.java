package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.emulator.vtd.TrustedDmaEffect;
import org.iommuemu.emulator.vtd.TrustedDmaFault;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's first two wrong answers, in replay: a T=0 write into TD private memory is reported as what it is (ok on
 * the bus, and POISONED_WRITE), a T=0 read of a line nobody wrote as READ_ZEROS; a later T=1 read or TD read of a
 * poisoned line is a machine check; and the machine-check count is one number (bind + DMA + TD access) in the
 * statistics, the summary, its CSV and the report. The bundled tdx-t0-poison and tdx-t0-abort are checked request by
 * request against a brute-force model of the poisoned lines.
 */
class UntrustedDmaReplayTest
{
    /** TD 1's private memory: GPA 0-4M at this HPA, and the stale IOMMU mapping sends IOVA 0-4M there too. */
    private static final long PRIVATE_HPA = 0x4000_0000L;
    private static final long FLIP = 2000;
    private static final long TD_ACCESSES = 3000;
    private static final long TD_WRITTEN_LINE = 0x40 >>> 6;

    @TempDir
    Path folder;

    /** What the test's model expected, counted while the replay ran. */
    private static final class Expected
    {
        long poisonedWrites;
        long zeroReads;
        long untrustedMachineChecks;
        long trustedMachineChecks;
        long trustedOk;
        long untrustedRefused;
    }

    @Test
    void poisonRuleReportsPoisonedWritesAndZeroReadsAndLaterReadsMachineCheck() throws IOException
    {
        final Scenario scenario = ScenarioReader.bundled("tdx-t0-poison");
        assertEquals(UntrustedDmaRule.POISON, scenario.platform().untrustedDmaRule());
        final Expected expected = new Expected();
        final ReplayResult result = replay(scenario, poisonModel(expected));

        assertTrue(expected.poisonedWrites > 1000 && expected.zeroReads > 0, "T=0 writes and reads before the flip");
        assertTrue(expected.untrustedMachineChecks > 0, "a T=0 read of a line a T=0 write poisoned");
        assertTrue(expected.trustedMachineChecks > 0, "after the ring wraps, T=1 reads of lines poisoned with T=0");
        final ReplayStatistics s = result.statistics();
        assertEquals(expected.poisonedWrites, s.effectsByKind().get("POISONED_WRITE"));
        assertEquals(expected.zeroReads, s.effectsByKind().get("READ_ZEROS"));
        assertEquals(expected.poisonedWrites + expected.zeroReads, s.effects());
        assertEquals(expected.untrustedMachineChecks + expected.trustedMachineChecks, s.faultsByKind().get("TDX_MACHINE_CHECK"));
        assertEquals(s.faults(), s.faultsByKind().get("TDX_MACHINE_CHECK"), "machine checks are the only faults");
        assertEquals(s.dmaRequests() - s.faults(), s.ok(), "poisoned writes and zero reads are ok");

        // One definition: the DMA machine checks and the TD's read of the poisoned line (none at bind).
        assertEquals(s.faults(), s.dmaMachineChecks());
        assertEquals(1, s.tdAccessMachineChecks());
        assertEquals(0, s.bindMachineChecks());
        assertEquals(s.dmaMachineChecks() + 1, s.machineChecks());
        assertEquals(s.machineChecks(), result.machineChecks());

        final List<String> events = result.eventLines();
        assertTrue(events.contains("before TLP 3000: TD 1 read gpa 0xf00 (64 bytes): ok at 0x40000f00"), events.toString());
        assertTrue(events.contains("before TLP 3000: TD 1 read gpa 0x40 (64 bytes): machine check, cause 1 POISON_CONSUMED at " +
            "0x40000040"), events.toString());
        assertEquals("before TLP 3000: TD 1 read gpa 0x40 (64 bytes): ok at 0x40000040", events.get(events.size() - 1),
            "the TD's full-line write cleared the poison");
    }

    @Test
    void abortRuleRefusesEveryT0RequestToPrivateMemoryAndPoisonsNothing() throws IOException
    {
        final Scenario scenario = ScenarioReader.bundled("tdx-t0-abort");
        assertEquals(UntrustedDmaRule.ABORT, scenario.platform().untrustedDmaRule());
        final Expected expected = new Expected();
        final ReplayResult result = replay(scenario, record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final RequestOutcome outcome = record.outcome();
            assertNull(outcome.effect(), "nothing completes with an effect under ABORT");
            if (record.request().trusted())
            {
                assertTrue(outcome.isOk(), () -> "TLP " + record.index() + ": nothing was poisoned, " + outcome);
                expected.trustedOk++;
            }
            else
            {
                assertEquals(TrustedDmaFault.TDX_PRIVATE_UNTRUSTED, outcome.fault(), () -> "TLP " + record.index());
                expected.untrustedRefused++;
            }
        });
        final ReplayStatistics s = result.statistics();
        assertTrue(expected.untrustedRefused > 1000 && expected.trustedOk > 1000);
        assertEquals(expected.untrustedRefused, s.faults());
        assertEquals(0, s.effects());
        assertEquals(0, s.machineChecks());
        assertTrue(result.eventLines().stream().noneMatch(e -> e.contains("machine check")), result.eventLines().toString());

        // The same traffic as the poison variant: every T=0 request the one refuses, the other completes or checks.
        final ReplayResult poison = replay(ScenarioReader.bundled("tdx-t0-poison"), ResultSink.NONE);
        assertEquals(expected.untrustedRefused, poison.statistics().effects() +
            poison.statistics().faultsByKind().get("TDX_MACHINE_CHECK") -
            trustedMachineChecks(), "T=0 requests");
    }

    @Test
    void theDefaultRuleIsPoison() throws IOException
    {
        final String yaml = bundledText("tdx-t0-poison").replace("  untrusted-dma-rule: poison\n", "");
        assertFalse(yaml.contains("  untrusted-dma-rule:"), "the platform section no longer names the rule");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "default.yaml", null);
        assertEquals(UntrustedDmaRule.POISON, scenario.platform().untrustedDmaRule());
        final ReplayResult byDefault = replay(scenario, ResultSink.NONE);
        final ReplayResult poison = replay(ScenarioReader.bundled("tdx-t0-poison"), ResultSink.NONE);
        assertEquals(poison.statistics().effectsByKind(), byDefault.statistics().effectsByKind());
        assertEquals(poison.statistics().faultsByKind(), byDefault.statistics().faultsByKind());
        assertEquals(poison.machineChecks(), byDefault.machineChecks());
    }

    @Test
    void perTlpResultsCarryTheEffect() throws IOException
    {
        final Scenario scenario = ScenarioReader.bundled("tdx-t0-poison");
        final StringWriter csv = new StringWriter();
        final ReplayResult result;
        try (CsvResultSink sink = new CsvResultSink(csv))
        {
            result = replay(scenario, sink);
        }
        final String[] lines = csv.toString().split("\n");
        assertTrue(lines[0].endsWith(",rmp_fetches,effect"), lines[0]);
        long poisoned = 0;
        long zeros = 0;
        for (int i = 1; i < lines.length; i++)
        {
            final String[] row = lines[i].split(",", -1);
            assertEquals(18, row.length, lines[i]);
            if (row[17].equals("POISONED_WRITE"))
            {
                poisoned++;
                assertEquals("ok", row[9], lines[i]);
                assertEquals("-w-", row[6], lines[i]);
                assertEquals("0", row[8], "T=0: " + lines[i]);
            }
            else if (row[17].equals("READ_ZEROS"))
            {
                zeros++;
                assertEquals("ok", row[9], lines[i]);
            }
            else
            {
                assertEquals("", row[17], lines[i]);
            }
        }
        assertEquals(result.statistics().effectsByKind().get("POISONED_WRITE"), poisoned);
        assertEquals(result.statistics().effectsByKind().get("READ_ZEROS"), zeros);

        final Path bin = folder.resolve("results.bin");
        try (BinaryResultSink sink = new BinaryResultSink(bin))
        {
            replay(scenario, sink);
        }
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(BinaryResultSink.VERSION, bytes.getInt(8));
        assertEquals(2, BinaryResultSink.VERSION);
        final long tableOffset = bytes.getLong(bytes.limit() - 16);
        final List<String> names = new ArrayList<>();
        int at = (int)tableOffset + 8;
        final int count = bytes.getInt(at);
        at += 4;
        for (int i = 0; i < count; i++)
        {
            final int length = bytes.getShort(at);
            names.add(new String(bytes.array(), at + 2, length, StandardCharsets.UTF_8));
            at += 2 + length;
        }
        long binaryPoisoned = 0;
        long binaryZeros = 0;
        for (long record = 0; record < (tableOffset - 16) / BinaryResultSink.RECORD_SIZE; record++)
        {
            final int base = (int)(16 + record * BinaryResultSink.RECORD_SIZE);
            final int effect = bytes.get(base + 49) & 0xFF;
            if (effect != 0)
            {
                assertTrue((bytes.get(base + 47) & 32) != 0, "an effect only on an ok record");
                final String name = names.get(effect - 1);
                binaryPoisoned += name.equals("POISONED_WRITE") ? 1 : 0;
                binaryZeros += name.equals("READ_ZEROS") ? 1 : 0;
            }
        }
        assertEquals(poisoned, binaryPoisoned);
        assertEquals(zeros, binaryZeros);
        assertTrue(names.contains("TDX_MACHINE_CHECK"), names.toString());
    }

    /** The machine-check count and the effects read the same in the summary text, its CSV and the report page. */
    @Test
    void summaryCsvAndReportShowTheSameMachineCheckCount() throws IOException
    {
        final ReplayResult result = replay(ScenarioReader.bundled("tdx-t0-poison"), ResultSink.NONE);
        final ReplayStatistics s = result.statistics();
        final String text = String.format("%d (at bind 0, by DMA %d, by TD access 1)", s.machineChecks(), s.dmaMachineChecks());
        final Summary.Row row = Summary.rows(result).stream().filter(r -> r.metric().equals("machine checks")).findFirst().orElseThrow();
        assertEquals(text, row.text());
        assertEquals(s.machineChecks(), (long)row.value());

        final Path html = ReportWriter.write(result, folder.resolve("report"), ReportWriter.ImageFormat.SVG);
        final String summary = Files.readString(folder.resolve("report/summary.txt"));
        assertTrue(Pattern.compile("\\n  machine checks +" + Pattern.quote(text) + "\\n").matcher(summary).find(), summary);
        final List<String> csv = Files.readAllLines(folder.resolve("report/summary.csv"));
        final List<String> keys = List.of(csv.get(0).split(","));
        final String[] values = csv.get(1).split(",", -1);
        assertEquals(Long.toString(s.machineChecks()), values[keys.indexOf("machine_checks.total")], csv.toString());
        assertEquals(Long.toString(s.dmaMachineChecks()), values[keys.indexOf("machine_checks.by_dma")], csv.toString());
        assertEquals(Long.toString(s.effectsByKind().get("POISONED_WRITE")), values[keys.indexOf("effects.by_kind.POISONED_WRITE")],
            csv.toString());
        assertTrue(Files.readString(html).contains(text));

        // A platform without machine checks shows the row too, with 0: one definition everywhere.
        final ReplayResult none = replay(ScenarioReader.bundled("seed004-right-order"), ResultSink.NONE);
        assertTrue(Summary.rows(none).stream().anyMatch(r -> r.metric().equals("machine checks") &&
            r.text().equals("0 (at bind 0, by DMA 0, by TD access 0)")));
    }

    /** The brute-force model of tdx-t0-poison: which lines are poisoned, and what each request must then give. */
    private static ResultSink poisonModel(final Expected expected)
    {
        final Set<Long> poisoned = new HashSet<>();
        final boolean[] tdWriteApplied = {false};
        return record ->
        {
            if (record.index() >= TD_ACCESSES && !tdWriteApplied[0])
            {
                poisoned.remove(TD_WRITTEN_LINE);   // the TD's full-line td-write before TLP 3000
                tdWriteApplied[0] = true;
            }
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final DmaRequest request = record.request();
            final RequestOutcome outcome = record.outcome();
            final long first = request.address() >>> 6;
            final long last = (request.address() + request.length() - 1) >>> 6;
            boolean anyPoisoned = false;
            for (long line = first; line <= last; line++)
            {
                anyPoisoned |= poisoned.contains(line);
            }
            final String where = "TLP " + record.index() + " " + (request.trusted() ? "T=1 " : "T=0 ") +
                (request.isWrite() ? "write" : "read") + " 0x" + Long.toHexString(request.address()) + ": " + outcome;
            assertEquals(record.index() >= FLIP, request.trusted(), where);
            if (request.isWrite())
            {
                assertTrue(outcome.isOk(), where);
                assertEquals(PRIVATE_HPA + request.address(), outcome.outputAddress(), where);
                if (request.trusted())
                {
                    assertNull(outcome.effect(), where);
                    for (long line = first; line <= last; line++)
                    {
                        if (line << 6 >= request.address() && (line + 1) << 6 <= request.address() + request.length())
                        {
                            poisoned.remove(line);
                        }
                    }
                }
                else
                {
                    assertEquals(TrustedDmaEffect.POISONED_WRITE, outcome.effect(), where);
                    expected.poisonedWrites++;
                    for (long line = first; line <= last; line++)
                    {
                        poisoned.add(line);
                    }
                }
            }
            else if (anyPoisoned)
            {
                assertEquals(TrustedDmaFault.TDX_MACHINE_CHECK, outcome.fault(), where);
                if (request.trusted())
                {
                    expected.trustedMachineChecks++;
                }
                else
                {
                    expected.untrustedMachineChecks++;
                }
            }
            else
            {
                assertTrue(outcome.isOk(), where);
                if (request.trusted())
                {
                    assertNull(outcome.effect(), where);
                }
                else
                {
                    assertEquals(TrustedDmaEffect.READ_ZEROS, outcome.effect(), where);
                    expected.zeroReads++;
                }
            }
        };
    }

    private static long trustedMachineChecks() throws IOException
    {
        final Expected expected = new Expected();
        replay(ScenarioReader.bundled("tdx-t0-poison"), poisonModel(expected));
        return expected.trustedMachineChecks;
    }

    private static String bundledText(final String name) throws IOException
    {
        try (Reader reader = new InputStreamReader(UntrustedDmaReplayTest.class.getResourceAsStream(
            "/iommu-emu/scenarios/" + name + ".yaml"), StandardCharsets.UTF_8))
        {
            final StringWriter text = new StringWriter();
            reader.transferTo(text);
            return text.toString();
        }
    }

    static ReplayResult replay(final Scenario scenario, final ResultSink sink) throws IOException
    {
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()))
        {
            return new Replay(Platform.build(scenario)).run(reader, sink, Replay.ProgressListener.NONE);
        }
    }
}
