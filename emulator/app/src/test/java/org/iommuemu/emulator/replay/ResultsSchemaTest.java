package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.calibration.Calibration;
import org.iommuemu.emulator.calibration.CalibrationJson;
import org.iommuemu.emulator.calibration.Experiments;
import org.iommuemu.emulator.calibration.MeasuredSystem;
import org.iommuemu.emulator.calibration.ProfileFit;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceStats;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JSON results against docs/results.schema.json (networknt's validator, draft 2020-12), and the other
 * machine-readable files of a report (summary.csv, stats.txt, latency.hgrm) against the JSON: the same keys and
 * the same numbers. The schema is strict (unknown keys fail), and a test shows that it rejects broken documents.
 */
class ResultsSchemaTest
{
    private static Schema schema;

    @TempDir
    Path folder;

    @BeforeAll
    static void loadSchema() throws IOException
    {
        final Path file = Path.of("../../docs/results.schema.json");
        assertTrue(Files.isRegularFile(file), "run from the module folder: " + file.toAbsolutePath());
        schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(Files.newInputStream(file));
    }

    static List<String> validate(final JsonNode document)
    {
        final List<String> messages = new ArrayList<>();
        for (final Error error : schema.validate(document))
        {
            messages.add(error.toString());
        }
        return messages;
    }

    static ReplayResult replay(final String name) throws IOException
    {
        final Scenario scenario = ScenarioReader.bundled(name);
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()))
        {
            return new Replay(Platform.build(scenario)).run(reader, ResultSink.NONE, Replay.ProgressListener.NONE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"seed001-huge", "seed001-4k", "seed003-t-flip", "seed004-wrong-order", "seed004-stale-iotlb",
        "tdx-t0-poison", "tdx-t0-abort", "seed000-shared-ept", "tdx-block-track", "tdx-relocate", "tdx-demote-live",
        "tdx-tdi-error", "vtd-pasids", "seed000-iommu-dirty", "vtd-flit", "vtd-pri", "seed002-follow-snp", "snp-guest-cpu",
        "amdvi-dirty-tracking", "amdvi-guest-pasids", "amdvi-page-requests", "seed003-sev-tio-t-flip"})
    void everyBundledStoryGivesValidJsonWithItsNumbers(final String name) throws IOException, DataFormatException
    {
        final ReplayResult result = replay(name);
        final ObjectNode json = JsonReport.replay(result);
        assertEquals(List.of(), validate(json), name);

        final ReplayStatistics s = result.statistics();
        assertEquals(s.tlps(), json.at("/traffic/tlps").asLong());
        assertEquals(s.faults(), json.at("/faults/total").asLong());
        for (final Map.Entry<String, Long> fault : s.faultsByKind().entrySet())
        {
            assertEquals(fault.getValue(), json.at("/faults/by_kind/" + fault.getKey()).asLong(), fault.getKey());
        }
        for (final Map.Entry<String, Long> effect : s.effectsByKind().entrySet())
        {
            assertEquals(effect.getValue(), json.at("/effects/by_kind/" + effect.getKey()).asLong(), effect.getKey());
        }
        assertEquals(s.machineChecks(), json.at("/machine_checks/total").asLong());
        long handled = 0;
        for (final MessageResult message : MessageResult.values())
        {
            if (message == MessageResult.NOT_HANDLED)
            {
                assertTrue(json.at("/messages/handled/not_handled").isMissingNode(), "only traffic.not_translated.message");
                continue;
            }
            final long count = json.at("/messages/handled/" + ResultMetrics.key(message.name())).asLong(-1);
            assertEquals(s.messageResults().getOrDefault(message.label(), 0L), count, message.name());
            handled += count;
        }
        assertTrue(handled <= s.count(TrafficClass.MESSAGE), "the messages the IOMMU took are message TLPs");
        if ("vtd-pri".equals(name))
        {
            assertTrue(handled > 0 && handled == s.count(TrafficClass.MESSAGE), "every message of ats-pri is a page request: " + handled);
            assertTrue(json.at("/messages/to_devices/ats_invalidate_requests").asLong() > 0, "the unmap invalidates the device TLB");
        }
        assertEquals(s.messagesSent().atsInvalidateRequests(), json.at("/messages/to_devices/ats_invalidate_requests").asLong());
        assertEquals(s.messagesSent().prgResponses(), json.at("/messages/to_devices/prg_responses").asLong());
        assertEquals(s.messagesSent().pagesFaultedIn(), json.at("/messages/page_requests/mapped_on_demand").asLong());
        assertEquals(s.bindMachineChecks() + s.dmaMachineChecks() + s.tdAccessMachineChecks(),
            json.at("/machine_checks/at_bind").asLong() + json.at("/machine_checks/by_dma").asLong() +
                json.at("/machine_checks/by_td_access").asLong());
        assertEquals(s.platformCounters().size(), json.at("/platform").size(), name);
        for (final Map.Entry<String, Long> counter : s.platformCounters().entrySet())
        {
            assertEquals(counter.getValue(), json.at("/platform/" + ResultMetrics.key(counter.getKey())).asLong(), counter.getKey());
        }
        assertEquals(s.guestAccesses() > 0, json.has("guest_cpu"), name);
        if (s.guestAccesses() > 0)
        {
            assertEquals(s.guestAccesses(), json.at("/guest_cpu/accesses").asLong());
            assertEquals(s.guestAccessesOk(), json.at("/guest_cpu/ok").asLong());
            for (final Map.Entry<String, Long> fault : s.guestAccessFaultsByKind().entrySet())
            {
                assertEquals(fault.getValue(), json.at("/guest_cpu/faults/" + ResultMetrics.key(fault.getKey())).asLong(), fault.getKey());
            }
        }
        for (final ReplayResult.CacheStats cache : result.caches())
        {
            final JsonNode node = json.at("/caches/" + ResultMetrics.key(cache.name()));
            assertEquals(cache.lookups(), node.get("lookups").asLong(), cache.name());
            assertEquals(cache.lookups(), node.get("hits").asLong() + node.get("misses").asLong(), cache.name() + ": hits + misses");
            assertTrue(node.has("evictions"), cache.name());
        }
        assertEquals(result.eventCount(), json.at("/events/count").asLong());
        assertEquals(result.events().size(), json.at("/events/list").size());
        assertEquals(s.timelineActions(), json.at("/timeline/list").size());
        for (final JsonNode event : json.at("/events/list"))
        {
            if (!event.get("setup").asBoolean())
            {
                assertTrue(event.get("time_ns").isNumber(), "an event during the traffic has its simulated time: " + event);
            }
        }
        // The histogram decodes to the one the summary's percentiles came from.
        final byte[] data = Base64.getDecoder().decode(json.at("/latency/histogram/data").asText());
        final Histogram decoded = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(data), 0);
        assertEquals(s.latency().getTotalCount(), decoded.getTotalCount());
        assertEquals(s.latency().getValueAtPercentile(99), decoded.getValueAtPercentile(99));
        assertEquals(json.at("/latency/p99_cycles").asLong(), decoded.getValueAtPercentile(99));
    }

    @Test
    void eventsCarryTheirTlpIndexAndTheSimulatedTimeOfTheirAction() throws IOException
    {
        final ReplayResult result = replay("seed003-t-flip");
        final ObjectNode json = JsonReport.replay(result);
        final JsonNode actions = json.at("/timeline/list");
        assertTrue(actions.size() > 0);
        int matched = 0;
        for (final JsonNode event : json.at("/events/list"))
        {
            if (event.get("setup").asBoolean())
            {
                continue;
            }
            for (final JsonNode action : actions)
            {
                if (action.get("before_tlp").asLong() == event.get("before_tlp").asLong())
                {
                    assertEquals(action.get("time_ns").asDouble(), event.get("time_ns").asDouble(), 1e-9, event.toString());
                    matched++;
                }
            }
        }
        assertTrue(matched > 0, json.at("/events/list").toString());
        // Actions later in the trace happen later in simulated time.
        for (int i = 1; i < actions.size(); i++)
        {
            assertTrue(actions.get(i).get("time_ns").asDouble() >= actions.get(i - 1).get("time_ns").asDouble());
        }
    }

    @Test
    void theSchemaRejectsBrokenDocuments() throws IOException
    {
        final ObjectNode json = JsonReport.replay(replay("seed001-huge"));
        final ObjectNode missing = json.deepCopy();
        ((ObjectNode)missing.get("dma")).remove("faults");
        assertFalse(validate(missing).isEmpty(), "a missing key");
        final ObjectNode unknown = json.deepCopy();
        ((ObjectNode)unknown.get("dma")).put("fualts", 1);
        assertFalse(validate(unknown).isEmpty(), "an unknown key");
        final ObjectNode text = json.deepCopy();
        ((ObjectNode)text.get("dma")).put("faults", "12");
        assertFalse(validate(text).isEmpty(), "a number as text");
        final ObjectNode javaText = json.deepCopy();
        ((ObjectNode)javaText.get("events")).putArray("list").addObject().put("kind", "mmio_map_refused").put("setup", false)
            .put("before_tlp", 1).put("time_ns", 1.0).put("cycle", 2).put("machine_check", false)
            .put("sentence", "refused: SeamcallResult{TDX_OPERAND_INVALID, rcx=0x0}").putObject("fields");
        assertFalse(validate(javaText).isEmpty(), "a Java toString in a sentence");
    }

    @Test
    void compareAndCalibrationAndTraceStatsAreValidToo() throws IOException
    {
        final ReplayResult huge = replay("seed001-huge");
        final ReplayResult small = replay("seed001-4k");
        final ObjectNode compare = JsonReport.compare("seed001-huge", huge, "seed001-4k", small);
        assertEquals(List.of(), validate(compare));
        boolean sawZeroZero = false;
        for (final JsonNode line : compare.get("differences"))
        {
            if (line.get("left").isNumber() && line.get("right").isNumber() && line.get("left").asDouble() == 0 &&
                line.get("right").asDouble() == 0)
            {
                assertEquals("equal", line.get("verdict").asText(), line.toString());
                sawZeroZero = true;
            }
            if (line.get("key").asText().startsWith("traffic."))
            {
                assertFalse(line.get("verdict").asText().endsWith("_better"), "no better side for a count: " + line);
            }
        }
        assertTrue(sawZeroZero);

        final TraceStats stats = new TraceStats();
        final TraceReader reader = new GeneratedTraceReader(new Scenario.TrafficSpec(null, Workload.NVME_READ, 2, 8L << 20, 0x1_0000_0000L,
            500, 3, 4096, 0, 0));
        while (reader.next())
        {
            stats.accept(reader.record());
        }
        final ObjectNode traceStats = JsonReport.traceStats("generated", stats, reader.summary(), false);
        assertEquals(List.of(), validate(traceStats));
        assertEquals(stats.records(), traceStats.at("/tlps/total").asLong());
        assertNotNull(TraceGenerator.class);
    }

    /** calibrate --json: per system, the profile and its free parameters, and every point with model, published and error. */
    @Test
    void calibrationRowsAsTheCalibrationMeasuresThem()
    {
        final MeasuredSystem farshin = MeasuredSystem.named("farshin-200g");
        final TimingProfile profile = TimingProfiles.bundled(farshin.profile());
        final List<Calibration.Row> rows = Calibration.run(farshin, profile, Experiments.Budget.QUICK);
        final ObjectNode json = CalibrationJson.document(List.of(new CalibrationJson.SystemRun(farshin, profile,
            ProfileFit.parameterValues(farshin, profile), false, rows)));
        assertEquals(List.of(), validate(json));
        final JsonNode system = json.at("/systems/0");
        assertEquals("farshin-200g", system.get("system").asText());
        assertEquals(rows.size(), system.get("rows").size());
        assertEquals(rows.size(), system.at("/summary/points").asInt());
        assertEquals(Calibration.rms(rows), system.at("/summary/rms_relative_error").asDouble(), 1e-12);
        for (int i = 0; i < rows.size(); i++)
        {
            final JsonNode row = system.get("rows").get(i);
            assertEquals(rows.get(i).model(), row.get("model").asDouble(), 1e-12);
            assertEquals(rows.get(i).point().value(), row.get("published").asDouble(), 1e-12);
            assertEquals(rows.get(i).error(), row.get("relative_error").asDouble(), 1e-12);
            assertTrue(row.get("source").asText().contains("PeerJ"), row.toString());
        }
        assertEquals(profile.memory().dramLatency(), system.at("/parameters/memory.dram-latency").asInt());
        // The schema refuses a row without its source and a number given as text.
        final ObjectNode broken = json.deepCopy();
        ((ObjectNode)broken.at("/systems/0/rows/0")).remove("source");
        assertFalse(validate(broken).isEmpty());
        final ObjectNode text = json.deepCopy();
        ((ObjectNode)text.at("/systems/0/rows/0")).put("model", "0.8");
        assertFalse(validate(text).isEmpty());
    }

    /** summary.csv has the JSON's keys as its header and the JSON's numbers as numbers; stats.txt is gem5's format. */
    @Test
    void reportFilesAgreeWithTheJson() throws IOException
    {
        final ReplayResult result = replay("tdx-t0-poison");
        ReportWriter.write(result, folder, ReportWriter.ImageFormat.PNG);
        final JsonNode json = JsonReport.mapper().readTree(folder.resolve("summary.json").toFile());
        assertEquals(List.of(), validate(json));
        final List<String> csv = Files.readAllLines(folder.resolve("summary.csv"));
        assertEquals(2, csv.size());
        final String[] keys = csv.get(0).split(",");
        final String[] values = csv.get(1).split(",", -1);
        assertEquals(keys.length, values.length);
        final Pattern number = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
        for (int i = 0; i < keys.length; i++)
        {
            final JsonNode node = json.at("/" + keys[i].replace('.', '/'));
            assertFalse(node.isMissingNode(), keys[i]);
            if (node.isNumber())
            {
                assertTrue(number.matcher(values[i]).matches(), keys[i] + " = " + values[i]);
                assertEquals(node.asDouble(), Double.parseDouble(values[i]), Math.abs(node.asDouble()) * 1e-12, keys[i]);
            }
            else if (node.isNull())
            {
                assertEquals("", values[i], keys[i]);
            }
        }
        assertTrue(List.of(keys).contains("faults.total") && List.of(keys).contains("machine_checks.total"));

        final List<String> stats = Files.readAllLines(folder.resolve("stats.txt"));
        assertTrue(stats.contains("---------- Begin Simulation Statistics ----------"));
        final Pattern line = Pattern.compile("^system\\.iommu\\.[A-Za-z0-9_.]+ +\\S+ +# .+$");
        int lines = 0;
        for (final String text : stats)
        {
            if (text.startsWith("system."))
            {
                assertTrue(line.matcher(text).matches(), text);
                lines++;
            }
        }
        assertTrue(stats.stream().anyMatch(l -> l.matches("^system\\.iommu\\.caches\\.iotlb\\.hits +\\d+ +# .+\\(Count\\)$")),
            String.join("\n", stats));
        assertTrue(lines > 50);
        final String hgrm = Files.readString(folder.resolve("latency.hgrm"));
        assertTrue(hgrm.contains("Value     Percentile TotalCount 1/(1-Percentile)"), hgrm);
        assertTrue(hgrm.contains("#[Max     ="), hgrm);
        final Iterator<String> names = json.fieldNames();
        assertTrue(names.hasNext());
    }
}
