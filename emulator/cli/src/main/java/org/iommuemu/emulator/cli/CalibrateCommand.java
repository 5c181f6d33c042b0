package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.calibration.Calibration;
import org.iommuemu.emulator.calibration.CalibrationChart;
import org.iommuemu.emulator.calibration.CalibrationJson;
import org.iommuemu.emulator.calibration.Experiments;
import org.iommuemu.emulator.calibration.FittedProfileWriter;
import org.iommuemu.emulator.calibration.MeasuredSystem;
import org.iommuemu.emulator.calibration.ProfileFit;
import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.timing.DeviceDmaParameters;
import org.iommuemu.emulator.timing.TimingProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code calibrate}: published curves beside the model's, with the relative error of every point; {@code --fit}
 * fits a profile's free parameters to them and {@code --write} saves the fitted profile; {@code --plot} draws model
 * and published curves on one chart (docs/timing.md, "Calibration").
 */
@Command(
    name = "calibrate",
    header = "Run published DMA measurements and fit profiles to them.",
    mixinStandardHelpOptions = true,
    description = {
        "Run the published DMA experiments through the models and print model and published values side by side with",
        "the relative error: pcie-bench's DMA throughput against window size with and without the IOMMU (64-512 B",
        "reads and writes, 4 KiB and 2 MiB pages) and its read latency, per measured Xeon; a 200 Gb/s NIC with 4 KiB",
        "and 2 MiB IOMMU pages (Farshin et al.). Each system is run with the bundled profile fitted to it unless",
        "--profile says otherwise. Output is Markdown (docs/timing.md shows it).",
        "Examples: calibrate --system bdw-e5-2630v4 --plot plots --json bdw.json",
        "          calibrate --system farshin-200g --fit --write my-200g.yaml"})
final class CalibrateCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--system", paramLabel = "NAME", defaultValue = "all",
        description = "A measured system (bdw-e5-2630v4, hsw-e5-2620v3, hsw-e5-2637v3, ivb-e5-2620v2, snb-e5-2630, farshin-200g) " +
            "or all. Default: ${DEFAULT-VALUE}.")
    String system;

    @Option(names = "--profile", paramLabel = "PROFILE",
        description = "A bundled profile or a profile file to evaluate (or to start a fit from). Default: the system's fitted profile.")
    String profile;

    @Option(names = "--fit", description =
        "Fit the profile's free parameters (read and miss latency, walkers, slots) to the system's points.")
    boolean fit;

    @Option(names = "--fit-device", description = "Fit pcie-bench's device (the NFP-6000's tags, request interval and engine " +
        "rate) to the points without an IOMMU of every pcie-bench system, and print it.")
    boolean fitDevice;

    @Option(names = "--write", paramLabel = "FILE", description = "With --fit: write the fitted profile to FILE.")
    Path write;

    @Option(names = "--plot", arity = "0..1", paramLabel = "DIR", fallbackValue = "calibration-plots",
        description = "Draw model and published curves on one chart per test into DIR (default calibration-plots).")
    Path plot;

    @Option(names = "--quick", description = "Fewer requests per point (about 4 times faster, a little noisier).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE",
        description = "Also write every system's points, errors and (fitted) parameters as JSON (docs/results.md).")
    Path json;

    @Option(names = "--progress", negatable = true,
        description = "Show progress with an estimated time left on stderr. Default: on when a console is attached.")
    Boolean progress;

    public Integer call() throws IOException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final List<MeasuredSystem> systems = new ArrayList<>();
        if (system.equals("all"))
        {
            systems.addAll(MeasuredSystem.all());
        }
        else
        {
            systems.add(MeasuredSystem.named(system));
        }
        if ((fit || write != null) && systems.size() != 1)
        {
            throw new IllegalArgumentException("--fit and --write need one --system");
        }
        if (fitDevice && (json != null || plot != null || write != null))
        {
            // The device fit prints its rounds and the fitted device; it writes no calibration document, plot or profile.
            throw new IllegalArgumentException("--fit-device prints the fitted device and its rounds; it writes no " +
                (json != null ? "--json" : plot != null ? "--plot" : "--write") + " (run calibrate without --fit-device for those)");
        }
        if (write != null && !fit)
        {
            throw new IllegalArgumentException("--write saves a fitted profile: give --fit too");
        }
        final CommandFiles files = new CommandFiles();
        if (profile != null && !TimingProfiles.BUNDLED.contains(profile))
        {
            files.input("--profile", Path.of(profile));
        }
        files.output("--write", write).output("--json", json).check();
        if (write != null)
        {
            FittedProfileWriter.checkWritable(write);
        }
        final Experiments.Budget budget = quick ? Experiments.Budget.QUICK : Experiments.Budget.FULL;
        if (fitDevice)
        {
            final List<MeasuredSystem> bench = new ArrayList<>();
            final List<TimingProfile> profiles = new ArrayList<>();
            for (final MeasuredSystem measured : MeasuredSystem.all())
            {
                if (measured.pcieBench())
                {
                    bench.add(measured);
                    profiles.add(profile(measured));
                }
            }
            final DeviceDmaParameters device = ProfileFit.fitDevice(bench, profiles, DeviceDmaParameters.PCIE_BENCH_NFP6000, budget, err);
            out.println("pcie-bench's device, fitted: " + device);
            out.flush();
            return 0;
        }
        final List<CalibrationJson.SystemRun> runs = new ArrayList<>();
        long total = 0;
        for (final MeasuredSystem measured : systems)
        {
            total += fit ? ProfileFit.maxPointsRun(measured) : measured.points().size();
        }
        final PointProgress points = new PointProgress(err, progress != null ? progress : System.console() != null,
            fit ? "calibrate --fit" : "calibrate", total, fit);
        for (final MeasuredSystem measured : systems)
        {
            TimingProfile timing = profile(measured);
            List<Calibration.Row> rows;
            if (fit)
            {
                final ProfileFit.Result result = ProfileFit.fit(measured, timing, measured.profile(), budget,
                    points.log(), points::tick);
                points.done();
                timing = result.profile();
                rows = result.rows();
                out.println("Fitted " + result.values());
                if (write != null)
                {
                    FittedProfileWriter.write(result, measured, measured.base(), TimingProfiles.bundled(measured.base()), write);
                    out.println("fitted profile: " + write);
                }
            }
            else
            {
                rows = Calibration.run(measured, timing, budget, points::tick);
                points.done();
            }
            runs.add(new CalibrationJson.SystemRun(measured, timing, ProfileFit.parameterValues(measured, timing), fit, rows));
            Calibration.print(measured, timing, rows, out);
            if (plot != null)
            {
                for (final Path file : CalibrationChart.write(measured, timing.name(), rows, plot))
                {
                    out.println("plot: " + file);
                }
            }
        }
        if (json != null)
        {
            ReplaySupport.createParent(json);
            JsonReport.write(CalibrationJson.document(runs), json);
            out.println("JSON: " + json);
        }
        out.flush();
        return 0;
    }

    /** The profile to run a system with: --profile, else the bundled profile fitted to it, else its base. */
    private TimingProfile profile(final MeasuredSystem measured)
    {
        if (profile != null)
        {
            if (!TimingProfiles.BUNDLED.contains(profile) && !Files.isRegularFile(Path.of(profile)))
            {
                throw new IllegalArgumentException("--profile " + profile + ": no such file, and no bundled profile of that name (" +
                    String.join(", ", TimingProfiles.BUNDLED) + ")");
            }
            return TimingProfiles.BUNDLED.contains(profile) ? TimingProfiles.bundled(profile) : TimingProfiles.load(Path.of(profile));
        }
        if (TimingProfiles.BUNDLED.contains(measured.profile()))
        {
            return TimingProfiles.bundled(measured.profile());
        }
        return TimingProfiles.bundled(measured.base()).withName(measured.profile());
    }
}
