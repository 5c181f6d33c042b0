package org.iommuemu.emulator.api;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.replay.GeneratedTraceReader;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.replay.Replay;
import org.iommuemu.emulator.replay.ReplayResult;
import org.iommuemu.emulator.replay.Summary;
import org.iommuemu.emulator.replay.TrafficClass;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.trace.TraceReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example of docs/api.md, compiled and run: the code between the markers is the code block of the page (the
 * test compares them), so the page cannot drift from an API that compiles and works.
 */
class ApiExampleTest
{
    @TempDir
    Path folder;

    // api.md:begin
    static long replayAndReport(final PrintWriter out, final Path json) throws IOException
    {
        // A platform from a scenario: a bundled one by name, or your own with ScenarioReader.read(Path.of("my.yaml")).
        final Scenario scenario = ScenarioReader.bundled("seed001-huge");
        final Replay replay = new Replay(Platform.build(scenario));

        // The scenario's generated traffic; a capture instead: TraceFiles.open(Path.of("nic.pcapng"), ErrorPolicy.STOP).
        final long[] faults = {0};
        final ReplayResult result;
        try (TraceReader trace = new GeneratedTraceReader(scenario.traffic()))
        {
            // Each TLP's result goes to the sink as it happens (the record is reused: copy what you keep).
            result = replay.run(trace, record ->
            {
                if (record.trafficClass() == TrafficClass.DMA && !record.outcome().isOk())
                {
                    faults[0]++;
                }
            }, Replay.ProgressListener.NONE);
        }

        // The summary the command line prints, and the JSON of docs/results.schema.json.
        Summary.print(Summary.rows(result), out);
        JsonReport.write(JsonReport.replay(result), json);
        out.println(faults[0] + " faults, " + result.statistics().faultsByKind());
        return faults[0];
    }
    // api.md:end

    @Test
    void theExampleRunsAndGivesTheReplaysNumbers() throws IOException
    {
        final StringWriter text = new StringWriter();
        final Path json = folder.resolve("seed001.json");
        final long faults = replayAndReport(new PrintWriter(text, true), json);
        assertTrue(faults > 0, "seed 001 huge: RMP_PAGE_FAULT for DMA through the mixed 2 MiB leaf");
        assertEquals(faults, JsonReport.mapper().readTree(json.toFile()).at("/faults/by_kind/RMP_PAGE_FAULT").asLong());
        assertTrue(text.toString().contains(faults + " faults, {RMP_PAGE_FAULT=" + faults + "}"), text.toString());
    }

    @Test
    void thePageShowsThisCode() throws IOException
    {
        final Path page = Path.of("../../docs/api.md");
        final Path source = Path.of("src/test/java/org/iommuemu/emulator/api/ApiExampleTest.java");
        final List<String> example = between(Files.readAllLines(source), "    // api.md:begin", "    // api.md:end");
        final List<String> shown = between(Files.readAllLines(page), "```java", "```");
        final List<String> unindented = new ArrayList<>();
        for (final String line : example)
        {
            unindented.add(line.startsWith("    ") ? line.substring(4) : line);
        }
        assertEquals(unindented, shown, "docs/api.md's code block must be the code of ApiExampleTest");
    }

    private static List<String> between(final List<String> lines, final String begin, final String end)
    {
        final int from = lines.indexOf(begin);
        assertTrue(from >= 0, begin);
        final List<String> rest = lines.subList(from + 1, lines.size());
        final int to = rest.indexOf(end);
        assertTrue(to >= 0, end);
        return rest.subList(0, to);
    }
}
