package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.config.BuildVersion;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceStats;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * Machine-readable results as JSON (Jackson), one document per run, valid against {@code docs/results.schema.json}:
 * {@link #replay} (the {@code summary.json} of a report folder, {@code replay --json}, and what {@code serve} writes
 * per session), {@link #compare}, {@link #traceStats} (and the calibration's, CalibrationJson). Every document has {@code schema}
 * ({@link #SCHEMA}), {@code kind} and {@code tool}; the numbers of a replay are {@link ResultMetrics}, nested by the
 * dots of their keys, so {@code caches.amdvi_iotlb.hits} is {@code {"caches": {"amdvi_iotlb": {"hits": ...}}}}.
 * Beside them a replay carries what is not one number: every platform event with its TLP index and simulated time,
 * every timeline action, the first skipped and ignored trace records with their reasons, and the latency
 * HdrHistograms (V2 compressed, base64).
 */
public final class JsonReport
{
    /** The schema identifier every document carries; bumped when a key changes meaning or goes. */
    public static final String SCHEMA = "iommu-emu/results/1";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonReport()
    {
    }

    /** The JSON of one replay. */
    public static ObjectNode replay(final ReplayResult result)
    {
        final ObjectNode root = header("replay");
        for (final ResultMetrics.Metric metric : ResultMetrics.of(result))
        {
            put(root, metric.key(), metric.value());
        }
        final ReplayStatistics s = result.statistics();
        final ObjectNode latency = (ObjectNode)root.get("latency");
        latency.set("histogram", histogram(s.latency()));
        final ObjectNode byOutcome = (ObjectNode)latency.get("by_outcome");
        for (final Map.Entry<String, Histogram> outcome : s.latencyByOutcome().entrySet())
        {
            ((ObjectNode)byOutcome.get(outcome.getKey())).set("histogram", histogram(outcome.getValue()));
        }

        final TraceSummary trace = result.trace();
        final ObjectNode traceNode = (ObjectNode)root.get("trace");
        final ArrayNode skipped = traceNode.putArray("first_skipped");
        for (final TraceFormatException error : trace.firstErrors())
        {
            skipped.add(error.getMessage());
        }
        final ArrayNode ignored = traceNode.putArray("first_ignored");
        for (final String reason : trace.firstIgnoredReasons())
        {
            ignored.add(reason);
        }

        final double ghz = result.frequencyGhz();
        final ArrayNode actions = ((ObjectNode)root.get("timeline")).putArray("list");
        for (final ReplayStatistics.ActionMark mark : s.actionMarks())
        {
            final ObjectNode action = actions.addObject();
            action.put("before_tlp", mark.beforeTlp());
            action.put("time_ns", mark.cycle() / ghz);
            action.put("cycle", mark.cycle());
            action.put("description", mark.description());
            action.put("scenario_line", mark.line());
        }
        final ArrayNode events = ((ObjectNode)root.get("events")).putArray("list");
        for (int i = 0; i < result.events().size(); i++)
        {
            events.add(event(result.events().get(i), s.eventCycle(i), ghz));
        }
        return root;
    }

    /** One platform event: where (TLP index, simulated time; null for the platform's setup), what, and its fields. */
    static ObjectNode event(final PlatformEvent event, final long cycle, final double ghz)
    {
        final ObjectNode node = NODES.objectNode();
        final ObjectNode fields = PlatformEventJson.fields(event);
        node.put("kind", fields.get("kind").asText());
        final boolean setup = event.beforeTlp() == PlatformEvent.SETUP;
        node.put("setup", setup);
        if (setup)
        {
            node.putNull("before_tlp");
            node.putNull("time_ns");
            node.putNull("cycle");
        }
        else
        {
            node.put("before_tlp", event.beforeTlp());
            if (cycle < 0)
            {
                node.putNull("time_ns");
                node.putNull("cycle");
            }
            else
            {
                node.put("time_ns", cycle / ghz);
                node.put("cycle", cycle);
            }
        }
        node.put("machine_check", event.machineCheck());
        node.put("sentence", PlatformEventText.sentence(event));
        fields.remove("kind");
        node.set("fields", fields);
        return node;
    }

    /**
     * Two replays of the same traffic: both runs in full, and per metric key the two values, their ratio and which
     * side is better where the metric has a better side ({@link Summary}'s directions, by key).
     */
    public static ObjectNode compare(final String leftName, final ReplayResult left, final String rightName, final ReplayResult right)
    {
        final ObjectNode root = header("compare");
        final ArrayNode runs = root.putArray("runs");
        final ObjectNode a = runs.addObject();
        a.put("name", leftName);
        a.set("result", replay(left));
        final ObjectNode b = runs.addObject();
        b.put("name", rightName);
        b.set("result", replay(right));
        final ArrayNode differences = root.putArray("differences");
        for (final Comparison.Line line : Comparison.lines(ResultMetrics.of(left), ResultMetrics.of(right)))
        {
            final ObjectNode d = differences.addObject();
            d.put("key", line.key());
            putValue(d, "left", line.left());
            putValue(d, "right", line.right());
            if (line.ratio() == null)
            {
                d.putNull("ratio");
            }
            else
            {
                d.put("ratio", line.ratio());
            }
            d.put("verdict", line.verdict().word());
        }
        return root;
    }

    /** {@code trace stats}: counts by type and requester, bytes, footprint, and the reader's record accounting. */
    public static ObjectNode traceStats(final String file, final TraceStats stats, final TraceSummary summary, final boolean filtered)
    {
        final ObjectNode root = header("trace_stats");
        root.put("file", file);
        root.put("filtered", filtered);
        final ObjectNode tlps = root.putObject("tlps");
        tlps.put("total", stats.records());
        tlps.put("upstream", stats.upstream());
        tlps.put("downstream", stats.records() - stats.upstream());
        tlps.put("flit", stats.flit());
        tlps.put("wire_bytes", stats.wireBytes());
        tlps.put("data_bytes", stats.dataBytes());
        tlps.put("with_t_bit", stats.teeTlps());
        tlps.put("with_pasid", stats.pasidTlps());
        tlps.put("translation_requests", stats.translationRequests());
        tlps.put("truncated_captures", stats.truncatedCaptures());
        final ObjectNode byType = tlps.putObject("by_type");
        for (final Map.Entry<String, Long> type : stats.byKind().entrySet())
        {
            byType.put(type.getKey(), type.getValue());
        }
        final ObjectNode byRequester = tlps.putObject("by_requester");
        for (final Map.Entry<String, Long> requester : stats.byRequester().entrySet())
        {
            byRequester.put(requester.getKey(), requester.getValue());
        }
        final ObjectNode footprint = root.putObject("footprint");
        footprint.put("pages_4k", stats.footprintPages());
        footprint.put("bytes", stats.footprintPages() * 4096L);
        if (stats.lowestAddress() == -1)
        {
            footprint.putNull("lowest_address");
            footprint.putNull("end_address");
        }
        else
        {
            footprint.put("lowest_address", "0x" + Long.toHexString(stats.lowestAddress()));
            footprint.put("end_address", "0x" + Long.toHexString(stats.highestAddress()));
        }
        final ObjectNode time = root.putObject("time");
        time.put("span", stats.timeSpan());
        time.put("unit_exponent", stats.timestampExponent());
        time.put("span_ns", stats.timeSpan() * Math.pow(10, 9 - stats.timestampExponent()));
        final ObjectNode trace = root.putObject("trace");
        trace.put("records_read", summary.read());
        trace.put("decoded", summary.decoded());
        trace.put("skipped", summary.skipped());
        trace.put("ignored", summary.ignored());
        trace.put("stopped_early", summary.stoppedEarly());
        final ArrayNode skipped = trace.putArray("first_skipped");
        for (final TraceFormatException error : summary.firstErrors())
        {
            skipped.add(error.getMessage());
        }
        final ArrayNode ignored = trace.putArray("first_ignored");
        for (final String reason : summary.firstIgnoredReasons())
        {
            ignored.add(reason);
        }
        return root;
    }

    /** The document as indented text, ending with a newline. */
    public static String text(final JsonNode node)
    {
        try
        {
            return MAPPER.writeValueAsString(node) + "\n";
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException("a JSON tree did not serialize", ex);
        }
    }

    /** The document on one line (JSON Lines: one document per line), with its newline. */
    public static String line(final JsonNode node)
    {
        try
        {
            return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node) + "\n";
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException("a JSON tree did not serialize", ex);
        }
    }

    /** Write the document to {@code file}. */
    public static void write(final JsonNode node, final Path file) throws IOException
    {
        Files.writeString(file, text(node));
    }

    /** Write the document to {@code out} (not closed). */
    public static void write(final JsonNode node, final OutputStream out)
    {
        try
        {
            out.write(text(node).getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** The shared reader and writer (for tests and tools that read the results back). */
    public static ObjectMapper mapper()
    {
        return MAPPER;
    }

    /** A document's first keys: schema, kind, tool (name and build version); for documents built elsewhere too (the calibration's). */
    public static ObjectNode header(final String kind)
    {
        final ObjectNode root = NODES.objectNode();
        root.put("schema", SCHEMA);
        root.put("kind", kind);
        final ObjectNode tool = root.putObject("tool");
        tool.put("name", "iommu-emu");
        tool.put("version", BuildVersion.current());
        return root;
    }

    /** Put {@code value} at the dotted {@code key}, creating the objects on the way. */
    static void put(final ObjectNode root, final String key, final Object value)
    {
        ObjectNode node = root;
        final String[] parts = key.split("\\.");
        for (int i = 0; i < parts.length - 1; i++)
        {
            final JsonNode child = node.get(parts[i]);
            if (child == null)
            {
                node = node.putObject(parts[i]);
            }
            else if (child instanceof ObjectNode object)
            {
                node = object;
            }
            else
            {
                throw new IllegalStateException("key " + key + ": " + parts[i] + " is a value, not an object");
            }
        }
        putValue(node, parts[parts.length - 1], value);
    }

    private static void putValue(final ObjectNode node, final String name, final Object value)
    {
        if (value == null)
        {
            node.putNull(name);
        }
        else if (value instanceof Long l)
        {
            node.put(name, l);
        }
        else if (value instanceof Integer i)
        {
            node.put(name, i.longValue());
        }
        else if (value instanceof Double d)
        {
            if (d.isNaN() || d.isInfinite())
            {
                node.putNull(name);
            }
            else
            {
                node.put(name, d);
            }
        }
        else if (value instanceof Boolean b)
        {
            node.put(name, b);
        }
        else
        {
            node.put(name, value.toString());
        }
    }

    /** An HdrHistogram as JSON: its encoding, the latency unit, the count, and the V2 compressed bytes in base64. */
    static ObjectNode histogram(final Histogram histogram)
    {
        final ObjectNode node = NODES.objectNode();
        node.put("encoding", "HdrHistogram V2 compressed, base64");
        node.put("unit", "cycles");
        node.put("total_count", histogram.getTotalCount());
        final ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        final int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        node.put("data", Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length)));
        return node;
    }
}
