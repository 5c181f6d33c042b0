package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.cli.trace.TraceInputOptions;
import org.iommuemu.emulator.replay.BinaryResultSink;
import org.iommuemu.emulator.replay.CsvResultSink;
import org.iommuemu.emulator.replay.ReplayResult;
import org.iommuemu.emulator.replay.ReportWriter;
import org.iommuemu.emulator.replay.ResultSink;
import org.iommuemu.emulator.replay.Summary;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code replay}: a trace through a scenario's platform; per-TLP results, a summary and a report. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
        "Replay a TLP trace through the platform a scenario describes and print a summary: outcomes, faults by kind,",
        "cache hit rates, walks, latency percentiles, simulated time, page-table memory.",
        "Without TRACE the scenario's own traffic (a generated workload or a file it names) is used.",
        "Example: replay --scenario seed001-huge --report out/seed001 --results out/seed001.csv"})
final class ReplayCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = {"-s", "--scenario"}, required = true, paramLabel = "SCENARIO",
        description = "Scenario file (YAML), or the name of a bundled one: ${sys:iommu-emu.bundled-scenarios}.")
    String scenario;

    @Parameters(arity = "0..1", paramLabel = "TRACE",
        description = "Trace file (pcapng, text, NetTLP pcap, QEMU log). Default: the scenario's traffic.")
    Path trace;

    @Option(names = "--results", paramLabel = "FILE",
        description = "Write per-TLP results: CSV, or the binary format when FILE ends in .bin (docs/replay.md).")
    Path results;

    @Option(names = "--report", paramLabel = "DIR", description = "Write a report folder: summary, plots and index.html.")
    Path report;

    @Option(names = "--plots", paramLabel = "FORMAT", defaultValue = "png",
        description = "Plot format of the report: png or svg. Default: ${DEFAULT-VALUE}.")
    String plots;

    @Option(names = "--count", paramLabel = "N", description = "TLPs to generate, overriding the scenario's traffic count.")
    Long count;

    @Option(names = "--progress", negatable = true,
        description = "Show progress on stderr. Default: on when a console is attached.")
    Boolean progress;

    @Mixin
    TraceInputOptions input;

    public Integer call() throws IOException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Scenario loaded = ReplaySupport.scenario(scenario);
        final ReportWriter.ImageFormat format = imageFormat(plots);
        ReplaySupport.files(List.of(loaded), trace).output("--results", results)
            .outputFolder("--report", report, ReportWriter.files(format)).check();
        final ReplayResult result;
        try (ResultSink sink = sink(results))
        {
            result = ReplaySupport.run(loaded, trace, input, count, sink, err, progress != null ? progress : System.console() != null);
        }
        out.println("Replay of " + (trace != null ? trace : "the scenario's traffic") + " through " + loaded.name() +
            (loaded.description().isEmpty() ? "" : ": " + loaded.description()));
        Summary.print(Summary.rows(result), out);
        if (results != null)
        {
            out.println("per-TLP results: " + results);
        }
        if (report != null)
        {
            out.println("report: " + ReportWriter.write(result, report, format));
        }
        out.flush();
        return 0;
    }

    static ReportWriter.ImageFormat imageFormat(final String text)
    {
        switch (text.toLowerCase(Locale.ROOT))
        {
            case "png":
                return ReportWriter.ImageFormat.PNG;
            case "svg":
                return ReportWriter.ImageFormat.SVG;
            default:
                throw new IllegalArgumentException("--plots must be png or svg, not " + text);
        }
    }

    static ResultSink sink(final Path file) throws IOException
    {
        if (file == null)
        {
            return ResultSink.NONE;
        }
        if (file.getParent() != null)
        {
            Files.createDirectories(file.getParent());
        }
        if (file.getFileName().toString().endsWith(".bin"))
        {
            return new BinaryResultSink(file);
        }
        return new CsvResultSink(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }

    static
    {
        System.setProperty("iommu-emu.bundled-scenarios", String.join(", ", ScenarioReader.bundledNames()));
    }
}
