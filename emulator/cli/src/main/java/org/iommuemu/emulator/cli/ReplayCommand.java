package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.cli.trace.TraceInputOptions;
import org.iommuemu.emulator.replay.BinaryResultSink;
import org.iommuemu.emulator.replay.CsvResultSink;
import org.iommuemu.emulator.replay.JsonReport;
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
    header = "Replay a TLP trace through a scenario's platform.",
    mixinStandardHelpOptions = true,
    description = {
        "Replay a TLP trace through the platform a scenario describes and print a summary.",
        "The summary gives outcomes, faults by architectural name, cache hit rates, walks, latency percentiles, simulated",
        "time, page-table memory and platform events. Without TRACE the scenario's own traffic (a generated workload or a",
        "file it names) is used.",
        "Example: replay --scenario seed001-huge --report out/seed001 --results out/seed001.csv --json out/seed001.json"})
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

    @Option(names = "--report", paramLabel = "FOLDER",
        description = "Write a report folder: summary (text, JSON, CSV, gem5 stats.txt), latency.hgrm, plots and index.html.")
    Path report;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON (docs/results.schema.json).")
    Path json;

    @Option(names = "--plots", paramLabel = "FORMATS", defaultValue = "png,svg",
        description = "Plot formats of the report: png, svg, or png,svg. Default: ${DEFAULT-VALUE}.")
    String plots;

    @Option(names = "--count", paramLabel = "TLPS", description = "TLPs to generate, overriding the scenario's traffic count.")
    Long count;

    @Option(names = "--progress", negatable = true,
        description = "Show progress with an estimated time left on stderr. Default: on when a console is attached.")
    Boolean progress;

    @Mixin
    TraceInputOptions input;

    @Mixin
    LogOptions logs;

    public Integer call() throws IOException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Scenario loaded = ReplaySupport.scenario(scenario);
        final Set<ReportWriter.ImageFormat> formats = ReplaySupport.imageFormats(plots);
        final List<LogOptions.Log> logList = logs.parsed();
        final CommandFiles files = ReplaySupport.files(List.of(loaded), trace).output("--results", results).output("--json", json)
            .outputFolder("--report", report, ReportWriter.files(formats));
        logs.outputs(files);
        files.check();
        final ReplaySupport.Context context = new ReplaySupport.Context(input, count, out, err,
            progress != null ? progress : System.console() != null, logList);
        final ReplayResult result;
        try (ResultSink sink = sink(results))
        {
            result = ReplaySupport.run(loaded, trace, context, sink);
        }
        out.println("Replay of " + (trace != null ? trace : "the scenario's traffic") + " through " + loaded.name() +
            (loaded.description().isEmpty() ? "" : ": " + loaded.description()));
        Summary.print(Summary.rows(result), out);
        if (results != null)
        {
            out.println("per-TLP results: " + results);
        }
        for (final LogOptions.Log log : logList)
        {
            if (log.file() != null)
            {
                out.println(log.kind() + " log: " + log.file());
            }
        }
        if (json != null)
        {
            ReplaySupport.createParent(json);
            JsonReport.write(JsonReport.replay(result), json);
            out.println("JSON: " + json);
        }
        if (report != null)
        {
            out.println("report: " + ReportWriter.write(result, report, formats));
        }
        out.flush();
        return 0;
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
