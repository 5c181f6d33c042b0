package org.iommuemu.emulator.replay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.sun.management.ThreadMXBean;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TextTraceReader;
import org.iommuemu.tlp.trace.TraceFormatException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzz target of the whole replay (docs/reliability.md): a short trace of fuzzed records (TLPs whose
 * bytes are fuzzed whole or behind a common first byte and a requester of the scenario, in either direction, in flit
 * mode or not, with or without an out-of-band T bit; guest CPU accesses) replayed through a bundled scenario, its
 * timeline included, then its summary printed and its results document written. Regression mode in
 * {@code mvn verify} runs the committed seeds ({@code src/test/resources/org/iommuemu/emulator/replay/ReplayFuzzTestInputs/
 * tlps/}); {@code bin/fuzz emulator/app ReplayFuzzTest#tlps 5m} fuzzes it.
 * <p>
 * Invariants: nothing escapes but a {@link TraceFormatException} naming the trace (a record the platform cannot
 * take, a timestamp beyond the replay's clock); the replay's own accounting holds (it checks it and throws
 * otherwise); every replayed TLP gives one result row, in order; the summary prints; the results document is valid
 * under docs/results.schema.json; bounded time and heap per input.
 */
class ReplayFuzzTest
{
    static final String DURATION = "5m";
    private static final long MAX_NANOS = 60_000_000_000L;
    private static final long MAX_ALLOCATED = 512L << 20;
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty();
    private static final ThreadMXBean THREADS = (ThreadMXBean)ManagementFactory.getThreadMXBean();
    /** Common first bytes (Fmt and Type): MRd32, MRd64, MWr32, MWr64, Msg and MsgD (by ID, local), Cpl, CplD, CfgRd0, prefixes. */
    private static final int[] FIRST_BYTES = {0x00, 0x20, 0x40, 0x60, 0x32, 0x34, 0x72, 0x0A, 0x4A, 0x04, 0x91, 0x4C, 0x6C};
    private static final String[] SCENARIOS = ScenarioReader.bundledNames().toArray(new String[0]);
    private static final List<String> WARM = new ArrayList<>();
    private static Schema schema;

    @FuzzTest(maxDuration = DURATION)
    void tlps(final FuzzedDataProvider data) throws IOException
    {
        final String name = data.pickValue(SCENARIOS);
        final Scenario scenario = ScenarioReader.bundled(name);
        final List<Integer> requesters = new ArrayList<>();
        for (final Scenario.DeviceSpec device : scenario.devices())
        {
            requesters.add(device.requesterId());
        }
        final StringBuilder trace = new StringBuilder();
        long time = data.consumeLong(0, 1_000_000);
        final int records = data.consumeInt(1, 24);
        for (int i = 0; i < records && data.remainingBytes() > 0; i++)
        {
            time += data.consumeInt(0, 5_000);
            final int kind = data.consumeInt(0, 15);
            if (kind == 0)
            {
                trace.append(time).append("ns cpu vcpu=").append(data.consumeInt(0, 3)).append(" vmpl=").append(data.consumeInt(0, 3))
                    .append(" gpa=0x").append(Long.toHexString(data.consumeLong(0, 1L << 40)))
                    .append(" size=").append(data.consumeInt(1, 64))
                    .append(" access=").append(data.pickValue(new String[] {"r", "w", "x"})).append(" c=").append(data.consumeInt(0, 1))
                    .append('\n');
                continue;
            }
            trace.append(time).append("ns ").append(kind == 1 ? "down" : "up").append(" port=0");
            if (data.consumeInt(0, 7) == 0)
            {
                trace.append(" flit");
            }
            if (data.consumeBoolean())
            {
                trace.append(" ide=").append(data.consumeInt(0, 1)).append(':').append(Integer.toHexString(data.consumeInt(0, 0xFF)));
            }
            final byte[] tlp;
            if (data.consumeBoolean())
            {
                tlp = data.consumeBytes(data.consumeInt(0, 48));
            }
            else
            {
                final byte[] rest = data.consumeBytes(data.consumeInt(8, 28));
                tlp = new byte[rest.length + 4];
                tlp[0] = (byte)data.pickValue(FIRST_BYTES);
                System.arraycopy(rest, 0, tlp, 4, rest.length);
                tlp[3] = (byte)data.consumeInt(0, 16);
                if (!requesters.isEmpty() && tlp.length >= 6)
                {
                    final int requester = data.pickValue(requesters);
                    tlp[4] = (byte)(requester >>> 8);
                    tlp[5] = (byte)requester;
                }
            }
            trace.append(" tlp=");
            for (final byte b : tlp)
            {
                trace.append(String.format("%02x", b & 0xFF));
            }
            trace.append('\n');
        }
        final String text = trace.toString();
        if (!WARM.contains(name))
        {
            // Class loading, the first build of the scenario and, when fuzzing, instrumentation are not the input's cost.
            WARM.add(name);
            try
            {
                replay(scenario, text);
            }
            catch (final TraceFormatException | AssertionError ignored)
            {
                // the measured run below judges it
            }
        }
        final long allocated = THREADS.getCurrentThreadAllocatedBytes();
        final long started = System.nanoTime();
        try
        {
            replay(scenario, text);
        }
        catch (final TraceFormatException ex)
        {
            assertTrue(ex.getMessage().contains("fuzz.txt"), () -> "the error names the trace: " + ex.getMessage());
        }
        final long nanos = System.nanoTime() - started;
        assertTrue(nanos < MAX_NANOS, "took " + nanos / 1_000_000 + " ms on " + name + ":\n" + text);
        assertTrue(FUZZING || THREADS.getCurrentThreadAllocatedBytes() - allocated < MAX_ALLOCATED, "allocated too much");
    }

    private static void replay(final Scenario scenario, final String text) throws IOException
    {
        final Replay replay = new Replay(Platform.build(scenario));
        final List<Long> rows = new ArrayList<>();
        final TextTraceReader reader = new TextTraceReader("fuzz.txt", new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.SKIP_BAD);
        final ReplayResult result = replay.run(reader, record -> rows.add(record.index()), Replay.ProgressListener.NONE);
        assertEquals(result.statistics().tlps(), rows.size(), "one result row per replayed TLP");
        for (int i = 1; i < rows.size(); i++)
        {
            assertTrue(rows.get(i) > rows.get(i - 1), "rows in trace order: " + rows);
        }
        final StringWriter summary = new StringWriter();
        Summary.print(Summary.rows(result), new PrintWriter(summary));
        assertTrue(summary.getBuffer().length() > 0);
        final JsonNode document = JsonReport.replay(result);
        final List<String> errors = new ArrayList<>();
        for (final Error error : schema().validate(document))
        {
            errors.add(error.toString());
        }
        assertEquals(List.of(), errors, () -> "the results document is valid: " + JsonReport.text(document));
    }

    private static Schema schema() throws IOException
    {
        if (schema == null)
        {
            final Path file = Path.of("../../docs/results.schema.json");
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(Files.newInputStream(file));
        }
        return schema;
    }
}
