package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    mixinStandardHelpOptions = true,
    description = {
        "Replay the same traffic under two scenarios, or under one scenario with two page-size policies, and print",
        "the summaries side by side with the differences marked.",
        "Examples: compare --scenario seed001-huge --scenario seed001-4k",
        "          compare --scenario nic-passthrough --policies huge,forced-4k"})
final class CompareCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = {"-s", "--scenario"}, required = true, paramLabel = "SCENARIO",
        description = "A scenario file or bundled name; give it twice, or once with --policies.")
    List<String> scenarios;

    @Option(names = "--policies", split = ",", paramLabel = "A,B",
        description = "Two page-size policies (forced-4k, x86-sizes, largest/huge) applied to every domain of the one scenario.")
    List<String> policies;

    @Parameters(arity = "0..1", paramLabel = "TRACE", description = "Trace file. Default: the (first) scenario's traffic.")
    Path trace;

    @Option(names = "--report", paramLabel = "DIR", description = "Write both reports (DIR/<name>) and compare.txt.")
    Path report;

    @Option(names = "--count", paramLabel = "N", description = "TLPs to generate, overriding the scenarios' traffic count.")
    Long count;

    @Option(names = "--progress", negatable = true, description = "Show progress on stderr. Default: on when a console is attached.")
    Boolean progress;

    @Mixin
    TraceInputOptions input;

    public Integer call() throws IOException
    {
        final List<Scenario> pair = pair();
        final List<String> reportFiles = new ArrayList<>(List.of("compare.txt"));
        for (final Scenario scenario : pair)
        {
            for (final String file : ReportWriter.files(ReportWriter.ImageFormat.PNG))
            {
                reportFiles.add(scenario.name() + "/" + file);
            }
        }
        ReplaySupport.files(pair, trace).outputFolder("--report", report, reportFiles).check();
        ReplaySupport.compare(pair, trace, input, count, report, spec.commandLine().getOut(), spec.commandLine().getErr(),
            progress != null ? progress : System.console() != null);
        return 0;
    }

    private List<Scenario> pair()
    {
        if (policies != null)
        {
            if (scenarios.size() != 1 || policies.size() != 2)
            {
                throw new IllegalArgumentException("--policies needs exactly one --scenario and two policies, " +
                    "like --policies huge,forced-4k");
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
            domains.add(new Scenario.DomainSpec(domain.id(), domain.levels(), policy, domain.mappings(), domain.kvmEpt(), domain.line()));
        }
        return new Scenario(base.name() + "-" + label, base.description(), base.source(), base.directory(), base.platform(), base.rmp(),
            base.tdx(),
            List.copyOf(domains), base.devices(), base.timeline(), base.traffic());
    }
}
