package org.iommuemu.emulator.calibration;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

import org.iommuemu.emulator.timing.DeviceDmaParameters;
import org.iommuemu.emulator.timing.TimingProfile;

/**
 * Published curves beside the model's (docs/timing.md, "Calibration"; {@code bin/iommu-emu calibrate}): every
 * published point of a {@link MeasuredSystem} run through {@link Experiments} under a profile, with the relative
 * error. The goal is every point within {@link #GOAL} of the published value; docs/timing.md explains the points
 * the model cannot reach.
 */
public final class Calibration
{
    /** Relative error every calibrated point should stay within. */
    public static final double GOAL = 0.20;

    /** One published point and the model's value. */
    public record Row(PublishedPoint point, double model)
    {
        /** (model - published) / published. */
        public double error()
        {
            return (model - point.value()) / point.value();
        }
    }

    /** A {@code Runnable} that does nothing: no progress to report. */
    public static final Runnable NO_PROGRESS = () -> { };

    private Calibration()
    {
    }

    /** The points of {@code system} that {@code which} selects, under {@code profile}. */
    public static List<Row> run(final MeasuredSystem system, final TimingProfile profile, final Experiments.Budget budget,
        final Predicate<PublishedPoint> which)
    {
        return run(system, profile, budget, which, DeviceDmaParameters.PCIE_BENCH_NFP6000);
    }

    /** As {@link #run(MeasuredSystem, TimingProfile, Experiments.Budget, Predicate)} with pcie-bench's device as {@code nfp}. */
    public static List<Row> run(final MeasuredSystem system, final TimingProfile profile, final Experiments.Budget budget,
        final Predicate<PublishedPoint> which, final DeviceDmaParameters nfp)
    {
        return run(system, profile, budget, which, nfp, NO_PROGRESS);
    }

    /**
     * As {@link #run(MeasuredSystem, TimingProfile, Experiments.Budget, Predicate, DeviceDmaParameters)}; {@code each}
     * runs after every point.
     */
    public static List<Row> run(final MeasuredSystem system, final TimingProfile profile, final Experiments.Budget budget,
        final Predicate<PublishedPoint> which, final DeviceDmaParameters nfp, final Runnable each)
    {
        final List<Row> rows = new ArrayList<>();
        for (final PublishedPoint point : system.points())
        {
            if (which.test(point))
            {
                rows.add(new Row(point, Experiments.value(point, profile, system, budget, nfp)));
                each.run();
            }
        }
        return rows;
    }

    /** Every point of {@code system}. */
    public static List<Row> run(final MeasuredSystem system, final TimingProfile profile, final Experiments.Budget budget)
    {
        return run(system, profile, budget, point -> true);
    }

    /** Every point of {@code system}; {@code each} runs after every point (progress). */
    public static List<Row> run(final MeasuredSystem system, final TimingProfile profile, final Experiments.Budget budget,
        final Runnable each)
    {
        return run(system, profile, budget, point -> true, DeviceDmaParameters.PCIE_BENCH_NFP6000, each);
    }

    /** The root mean square of the rows' relative errors. */
    public static double rms(final List<Row> rows)
    {
        double sum = 0;
        for (final Row row : rows)
        {
            sum += row.error() * row.error();
        }
        return rows.isEmpty() ? 0 : Math.sqrt(sum / rows.size());
    }

    /** The largest relative error (by magnitude). */
    public static double worst(final List<Row> rows)
    {
        double worst = 0;
        for (final Row row : rows)
        {
            worst = Math.abs(row.error()) > Math.abs(worst) ? row.error() : worst;
        }
        return worst;
    }

    /** Rows beyond {@link #GOAL}. */
    public static long beyondGoal(final List<Row> rows)
    {
        return rows.stream().filter(row -> Math.abs(row.error()) > GOAL).count();
    }

    /** A Markdown table: point, model, published, error, source; then one line of totals. */
    public static void print(final MeasuredSystem system, final TimingProfile profile, final List<Row> rows, final PrintWriter out)
    {
        out.printf(Locale.ROOT, "Calibration of profile %s against %s: %s%n%n", profile.name(), system.name(), system.description());
        out.println("| point | model | published | error | source |");
        out.println("|---|---|---|---|---|");
        for (final Row row : rows)
        {
            final PublishedPoint p = row.point();
            out.printf(Locale.ROOT, "| %s | %s | %s | %s%+.1f%% | %s |%n", p.label(), p.format(row.model()), p.format(p.value()),
                Math.abs(row.error()) > GOAL ? "**" : "", row.error() * 100, p.source());
        }
        out.printf(Locale.ROOT, "%n%d points: RMS error %.1f%%, worst %+.1f%%, %d beyond %.0f%%%n%n", rows.size(), rms(rows) * 100,
            worst(rows) * 100, beyondGoal(rows), GOAL * 100);
        out.flush();
    }
}
