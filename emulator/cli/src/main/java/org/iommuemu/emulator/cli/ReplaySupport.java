package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.iommuemu.emulator.cli.trace.Progress;
import org.iommuemu.emulator.cli.trace.TraceInputOptions;
import org.iommuemu.emulator.replay.ComparisonChart;
import org.iommuemu.emulator.replay.GeneratedTraceReader;
import org.iommuemu.emulator.replay.JsonReport;
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
     * What one command invocation's replays share: how to read the trace, the count override, where output and
     * messages go, progress, the logs asked for, and the notes printed so far (each note once per run).
     */
    static final class Context
    {
        final TraceInputOptions input;
        final Long count;
        final PrintWriter out;
        final PrintWriter err;
        final boolean progress;
        final List<LogOptions.Log> logs;
        private final Set<String> notes = new HashSet<>();

        Context(final TraceInputOptions input, final Long count, final PrintWriter out, final PrintWriter err, final boolean progress,
            final List<LogOptions.Log> logs)
        {
            this.input = input;
            this.count = count;
            this.out = out;
            this.err = err;
            this.progress = progress;
            this.logs = logs;
        }

        /** Print a note to stderr unless this run printed it already. */
        void note(final String note)
        {
            if (note != null && notes.add(note))
            {
                err.println(note);
                err.flush();
            }
        }
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

    /** {@code --plots}: png, svg, or both (comma-separated). */
    static Set<ReportWriter.ImageFormat> imageFormats(final String text)
    {
        final Set<ReportWriter.ImageFormat> formats = EnumSet.noneOf(ReportWriter.ImageFormat.class);
        for (final String part : text.toLowerCase(Locale.ROOT).split(","))
        {
            switch (part.trim())
            {
                case "png" -> formats.add(ReportWriter.ImageFormat.PNG);
                case "svg" -> formats.add(ReportWriter.ImageFormat.SVG);
                case "both" ->
                {
                    formats.add(ReportWriter.ImageFormat.PNG);
                    formats.add(ReportWriter.ImageFormat.SVG);
                }
                default -> throw new IllegalArgumentException("--plots must be png, svg or both (png,svg), not " + text);
            }
        }
        return formats;
    }

    /**
     * Replay {@code trace} (or, when null, the scenario's own traffic) through a fresh platform built from
     * {@code scenario}, with the context's logs listening.
     */
    static ReplayResult run(final Scenario scenario, final Path trace, final Context context, final ResultSink sink) throws IOException
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
            final TraceFormat format = context.input.format(file);
            reader = context.input.open(file, format);
            totalBytes = Files.size(file);
        }
        else if (scenario.traffic() != null)
        {
            final Scenario.TrafficSpec spec = context.count == null ? scenario.traffic() : withCount(scenario.traffic(), context.count);
            reader = new GeneratedTraceReader(spec);
            totalBytes = spec.count(); // progress in TLPs for generated traffic
        }
        else
        {
            throw new IllegalArgumentException("scenario " + scenario.name() + " has no traffic section: give a trace file");
        }
        final Progress progress = new Progress(context.err, context.progress, "replay " + scenario.name(), totalBytes);
        try (reader; LogOptions.Listeners logs = LogOptions.open(context.logs, platform, context.out))
        {
            replay.listener(logs.listener());
            return replay.run(reader, sink, reader instanceof GeneratedTraceReader ?
                (records, position) -> progress.tick(records, records) : progress::tick);
        }
        finally
        {
            progress.done();
        }
    }

    /**
     * Replay two scenarios on the same traffic and print the comparison and both DMA throughputs; with {@code report},
     * write each run's report into {@code report/<name>}, the combined page (both runs on each plot, the table) and
     * {@code compare.png} (both runs' latency and device-wait distributions, {@link ComparisonChart}) into
     * {@code report}; with {@code json}, the comparison's JSON. Returns the results, the combined page (null without a
     * report).
     */
    static Comparison compare(final List<Scenario> pair, final Path trace, final Context context, final Path report,
        final Set<ReportWriter.ImageFormat> formats, final Path json) throws IOException
    {
        final List<ReplayResult> results = new ArrayList<>();
        for (final Scenario scenario : pair)
        {
            results.add(run(scenario, trace, context, ResultSink.NONE));
        }
        final StringWriter table = new StringWriter();
        Summary.printComparison(pair.get(0).name(), Summary.rows(results.get(0)), pair.get(1).name(), Summary.rows(results.get(1)),
            new PrintWriter(table));
        final PrintWriter out = context.out;
        out.println("Comparison of " + pair.get(0).name() + " and " + pair.get(1).name() + " on " +
            (trace != null ? trace.toString() : "the scenario's traffic"));
        out.print(table);
        final String throughput = ComparisonChart.throughputLine(pair.get(0).name(), results.get(0), pair.get(1).name(), results.get(1));
        out.println(throughput);
        if (json != null)
        {
            createParent(json);
            JsonReport.write(JsonReport.compare(pair.get(0).name(), results.get(0), pair.get(1).name(), results.get(1)), json);
            out.println("JSON: " + json);
        }
        Path page = null;
        if (report != null)
        {
            final List<String> links = new ArrayList<>();
            for (int i = 0; i < 2; i++)
            {
                final Path html = ReportWriter.write(results.get(i), report.resolve(pair.get(i).name()), formats);
                links.add(pair.get(i).name() + "/" + html.getFileName());
                out.println("report of " + pair.get(i).name() + ": " + html);
            }
            page = ReportWriter.writeComparison(pair.get(0).name(), results.get(0), pair.get(1).name(), results.get(1),
                table + throughput + System.lineSeparator(), report, formats, links);
            out.println("comparison page: " + page);
            out.println("latency and device wait: " + ComparisonChart.write(pair.get(0).name(), results.get(0), pair.get(1).name(),
                results.get(1), report));
        }
        out.flush();
        return new Comparison(results, page);
    }

    /** What {@link #compare} ran: both results, and the combined page (null without a report). */
    record Comparison(List<ReplayResult> results, Path page)
    {
    }

    /** The files a comparison's report folder may hold: the combined page's and each run's. */
    static List<String> comparisonFiles(final List<String> names, final Set<ReportWriter.ImageFormat> formats)
    {
        final List<String> files = new ArrayList<>(ReportWriter.comparisonFiles(formats));
        files.add(ComparisonChart.FILE);
        for (final String name : names)
        {
            for (final String file : ReportWriter.files(formats))
            {
                files.add(name + "/" + file);
            }
        }
        return files;
    }

    static void createParent(final Path file) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
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
