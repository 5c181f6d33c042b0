package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.cli.trace.TraceInputOptions;
import org.iommuemu.emulator.replay.ReportWriter;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.pagetable.PageSizePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code compare}: one trace under two scenarios, or one scenario under two page-size policies, side by side. */
@Command(
    name = "compare",
    header = "Replay one traffic under two scenarios or policies.",
    mixinStandardHelpOptions = true,
    description = {
        "Replay the same traffic under two scenarios, or one scenario under two page-size policies, side by side.",
        "The differences are marked (< or > the better side, * a difference with no better side, = equal within 1%).",
        "With --report, each run's report goes to FOLDER/<name> and one combined page with both runs on each plot to",
        "FOLDER/index.html.",
        "Examples: compare --scenario seed001-huge --scenario seed001-4k --report out/seed001",
        "          compare --scenario nic-passthrough --policies huge,forced-4k"})
final class CompareCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = {"-s", "--scenario"}, required = true, paramLabel = "SCENARIO",
        description = "A scenario file or bundled name; give it twice, or once with --policies.")
    List<String> scenarios;

    @Option(names = "--policies", split = ",", paramLabel = "POLICY,POLICY",
        description = "Two page-size policies (forced-4k, x86-sizes, largest/huge) applied to every domain of the one scenario.")
    List<String> policies;

    @Parameters(arity = "0..1", paramLabel = "TRACE", description = "Trace file. Default: the (first) scenario's traffic.")
    Path trace;

    @Option(names = "--report", paramLabel = "FOLDER",
        description = "Write both reports (FOLDER/<name>), the combined page FOLDER/index.html, compare.txt, compare.json, compare.csv.")
    Path report;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the comparison as JSON (both runs and every difference).")
    Path json;

    @Option(names = "--plots", paramLabel = "FORMATS", defaultValue = "png,svg",
        description = "Plot formats of the reports: png, svg, or png,svg. Default: ${DEFAULT-VALUE}.")
    String plots;

    @Option(names = "--count", paramLabel = "TLPS", description = "TLPs to generate, overriding the scenarios' traffic count.")
    Long count;

    @Option(names = "--progress", negatable = true,
        description = "Show progress with an estimated time left on stderr. Default: on when a console is attached.")
    Boolean progress;

    @Mixin
    TraceInputOptions input;

    public Integer call() throws IOException
    {
        final List<Scenario> pair = pair();
        final Set<ReportWriter.ImageFormat> formats = ReplaySupport.imageFormats(plots);
        ReplaySupport.files(pair, trace).output("--json", json)
            .outputFolder("--report", report, ReplaySupport.comparisonFiles(List.of(pair.get(0).name(), pair.get(1).name()), formats))
            .check();
        final ReplaySupport.Context context = new ReplaySupport.Context(input, count, spec.commandLine().getOut(),
            spec.commandLine().getErr(), progress != null ? progress : System.console() != null, List.of());
        ReplaySupport.compare(pair, trace, context, report, formats, json);
        return 0;
    }

    private List<Scenario> pair()
    {
        if (policies != null)
        {
            if (scenarios.size() != 1 || policies.size() != 2)
            {
                throw new IllegalArgumentException(
                    "--policies needs exactly one --scenario and two policies, like --policies huge,forced-4k");
            }
            final Scenario base = ReplaySupport.scenario(scenarios.get(0));
            final List<Scenario> pair = new ArrayList<>();
            for (final String policy : policies)
            {
                pair.add(withPolicy(base, PageSizePolicy.parse(policy), policy));
            }
            return pair;
        }
        if (scenarios.size() != 2)
        {
            throw new IllegalArgumentException("compare needs two --scenario options, or one with --policies A,B");
        }
        return List.of(ReplaySupport.scenario(scenarios.get(0)), ReplaySupport.scenario(scenarios.get(1)));
    }

    static Scenario withPolicy(final Scenario base, final PageSizePolicy policy, final String label)
    {
        final List<Scenario.DomainSpec> domains = new ArrayList<>();
        for (final Scenario.DomainSpec domain : base.domains())
        {
            domains.add(domain.withPolicy(policy));
        }
        return new Scenario(base.name() + "-" + label, base.description(), base.source(), base.directory(), base.platform(),
            base.rmp(), base.tdx(),
            List.copyOf(domains), base.devices(), base.timeline(), base.traffic());
    }
}
