package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.cli.trace.Progress;
import org.iommuemu.emulator.cli.trace.TraceInputOptions;
import org.iommuemu.emulator.replay.ComparisonChart;
import org.iommuemu.emulator.replay.GeneratedTraceReader;
import org.iommuemu.emulator.replay.Replay;
import org.iommuemu.emulator.replay.ReplayResult;
import org.iommuemu.emulator.replay.ReportWriter;
import org.iommuemu.emulator.replay.ResultSink;
import org.iommuemu.emulator.replay.Summary;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.trace.TraceFormat;
import org.iommuemu.tlp.trace.TraceReader;

/** What {@code replay}, {@code compare} and {@code demo} share: finding scenarios and traces, running a replay. */
final class ReplaySupport
{
    private ReplaySupport()
    {
    }

    /**
     * A scenario by file path, or by bundled name when no such file exists. A missing file or an unknown bundled name
     * is a usage error (exit code 2); a bad scenario file is bad input data (exit code 1).
     */
    static Scenario scenario(final String nameOrPath)
    {
        final Path path = Path.of(nameOrPath);
        if (Files.exists(path) || nameOrPath.endsWith(".yaml") || nameOrPath.contains("/"))
        {
            if (!Files.isRegularFile(path))
            {
                throw new IllegalArgumentException("--scenario " + nameOrPath + ": " +
                    (Files.exists(path) ? "not a regular file" : "no such file"));
            }
            return ScenarioReader.read(path);
        }
        if (!ScenarioReader.bundledNames().contains(nameOrPath))
        {
            throw new IllegalArgumentException("--scenario " + nameOrPath + ": no such file, and no bundled scenario of " +
                "that name; bundled: " + String.join(", ", ScenarioReader.bundledNames()));
        }
        return ScenarioReader.bundled(nameOrPath);
    }

    /** The inputs of a replay or comparison: the trace and every file the scenarios name (see {@link CommandFiles}). */
    static CommandFiles files(final List<Scenario> scenarios, final Path trace)
    {
        final CommandFiles files = new CommandFiles().input("TRACE", trace);
        for (final Scenario scenario : scenarios)
        {
            for (final Path file : scenario.files())
            {
                files.input("(a file of scenario " + scenario.name() + ")", file);
            }
        }
        return files;
    }

    /**
     * Replay {@code trace} (or, when null, the scenario's own traffic) through a fresh platform built from
     * {@code scenario}.
     */
    static ReplayResult run(final Scenario scenario, final Path trace, final TraceInputOptions input, final Long countOverride,
        final ResultSink sink, final PrintWriter err, final boolean progressEnabled) throws IOException
    {
        final Platform platform = Platform.build(scenario);
        final Replay replay = new Replay(platform);
        final TraceReader reader;
        final long totalBytes;
        Path file = trace;
        if (file == null && scenario.traffic() != null && !scenario.traffic().generated())
        {
            file = scenario.traffic().file();
        }
        if (file != null)
        {
            final TraceFormat format = input.format(file);
            reader = input.open(file, format);
            totalBytes = Files.size(file);
        }
        else if (scenario.traffic() != null)
        {
            final Scenario.TrafficSpec spec = countOverride == null ? scenario.traffic() : withCount(scenario.traffic(), countOverride);
            reader = new GeneratedTraceReader(spec);
            totalBytes = spec.count(); // progress in TLPs for generated traffic
        }
        else
        {
            throw new IllegalArgumentException("scenario " + scenario.name() + " has no traffic section: give a trace file");
        }
        final Progress progress = new Progress(err, progressEnabled, "replay " + scenario.name(), totalBytes);
        try (reader)
        {
            return replay.run(reader, sink, reader instanceof GeneratedTraceReader ?
                (records, position) -> progress.tick(records, records) : progress::tick);
        }
        finally
        {
            progress.done();
        }
    }

    /** Replay two scenarios on the same traffic, print the comparison, and write both reports when {@code report} is set. */
    static List<ReplayResult> compare(final List<Scenario> pair, final Path trace, final TraceInputOptions input,
        final Long count, final Path report, final PrintWriter out, final PrintWriter err, final boolean progress) throws IOException
    {
        final List<ReplayResult> results = new ArrayList<>();
        for (final Scenario scenario : pair)
        {
            results.add(run(scenario, trace, input, count, ResultSink.NONE, err, progress));
        }
        final StringWriter table = new StringWriter();
        Summary.printComparison(pair.get(0).name(), Summary.rows(results.get(0)), pair.get(1).name(), Summary.rows(results.get(1)),
            new PrintWriter(table));
        out.println("Comparison of " + pair.get(0).name() + " and " + pair.get(1).name() + " on " +
            (trace != null ? trace.toString() : "the scenario's traffic"));
        out.print(table);
        final String throughput = ComparisonChart.throughputLine(pair.get(0).name(), results.get(0), pair.get(1).name(), results.get(1));
        out.println(throughput);
        if (report != null)
        {
            Files.createDirectories(report);
            Files.writeString(report.resolve("compare.txt"), table + throughput + System.lineSeparator(),
                StandardCharsets.UTF_8);
            out.println("plot: " + ComparisonChart.write(pair.get(0).name(), results.get(0), pair.get(1).name(), results.get(1), report));
            for (int i = 0; i < 2; i++)
            {
                out.println("report: " + ReportWriter.write(results.get(i), report.resolve(pair.get(i).name()),
                    ReportWriter.ImageFormat.PNG));
            }
        }
        out.flush();
        return results;
    }

    private static Scenario.TrafficSpec withCount(final Scenario.TrafficSpec spec, final long count)
    {
        if (count < 1 || count > TraceGenerator.MAX_COUNT)
        {
            throw new IllegalArgumentException("--count must be 1 to " + TraceGenerator.MAX_COUNT + ", not " + count);
        }
        return spec.withCount(count);
    }
}
