package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.replay.Calibration;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.timing.TimingProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code calibrate}: the timing model's outputs beside the published figures (the table in docs/timing.md). */
@Command(
    name = "calibrate",
    header = "Print the timing model beside published figures.",
    mixinStandardHelpOptions = true,
    description = {
        "Run the calibration measurements through the AMD-Vi model and the timing model and print them beside the",
        "published figures they should reproduce: IOTLB miss cost, walk cost per level, IOTLB reach with 4 KiB and",
        "2 MiB pages. Output is a Markdown table (docs/timing.md holds one for each bundled profile)."})
final class CalibrateCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--profile", paramLabel = "PROFILE", defaultValue = "amd",
        description = "Bundled profile (amd, intel, gem5-smmuv3) or a profile file. Default: ${DEFAULT-VALUE}.")
    String profile;

    @Option(names = "--iommu", paramLabel = "IOMMU", description = "amdvi or vtd. Default: vtd for the intel profile, amdvi otherwise.")
    String iommu;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the table as JSON (docs/results.schema.json).")
    Path json;

    public Integer call() throws IOException
    {
        new CommandFiles().input("--profile", TimingProfiles.BUNDLED.contains(profile) ? null : Path.of(profile))
            .output("--json", json).check();
        if (!TimingProfiles.BUNDLED.contains(profile) && !Files.isRegularFile(Path.of(profile)))
        {
            throw new IllegalArgumentException("--profile " + profile + ": no such file, and no bundled profile of that name (" +
                String.join(", ", TimingProfiles.BUNDLED) + ")");
        }
        final TimingProfile timing = TimingProfiles.BUNDLED.contains(profile) ? TimingProfiles.bundled(profile) :
            TimingProfiles.load(Path.of(profile));
        ReplaySupport.printUnmodelled(timing, spec.commandLine().getErr());
        final List<Calibration.Row> rows;
        if (iommu == null)
        {
            rows = Calibration.run(timing);
        }
        else
        {
            switch (iommu.toLowerCase(Locale.ROOT))
            {
                case "amdvi" -> rows = Calibration.run(timing, Scenario.IommuKind.AMDVI);
                case "vtd" -> rows = Calibration.run(timing, Scenario.IommuKind.VTD);
                default -> throw new IllegalArgumentException("--iommu must be amdvi or vtd, not " + iommu);
            }
        }
        final PrintWriter out = spec.commandLine().getOut();
        out.println("Calibration, profile " + timing.name() + " (" + timing.description() + ")");
        out.println();
        out.println("| quantity | model | published | source |");
        out.println("|---|---|---|---|");
        for (final Calibration.Row row : rows)
        {
            out.println("| " + row.quantity() + " | " + row.model() + " | " + row.published() + " | " + row.source() + " |");
        }
        if (json != null)
        {
            ReplaySupport.createParent(json);
            final boolean vtd = iommu != null ? iommu.equalsIgnoreCase("vtd") : timing.name().contains("intel");
            JsonReport.write(JsonReport.calibration(timing.name(),
                timing.description(), vtd ? "vtd" : "amdvi", rows), json);
            out.println();
            out.println("JSON: " + json);
        }
        out.flush();
        return 0;
    }
}
