package org.iommuemu.emulator.calibration;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

import org.iommuemu.emulator.timing.ConcurrencyParameters;
import org.iommuemu.emulator.timing.DeviceDmaParameters;
import org.iommuemu.emulator.timing.MemoryParameters;
import org.iommuemu.emulator.timing.ParameterException;
import org.iommuemu.emulator.timing.TimingProfile;

/**
 * Fits a profile's free parameters to a system's published points ({@code calibrate --fit}): coordinate descent over
 * a grid of candidate values per parameter, each step keeping the value with the smallest RMS relative error over
 * the points that carry the parameter's effect, until a round changes nothing. The free parameters are those no
 * vendor publishes (timing-perf.md 2): the host's DMA read latency, the miss latency (the walker's memory: DRAM and
 * LLC latency, and how many table lines stay cached), the walker count and the translation slots.
 */
public final class ProfileFit
{
    /** One fitted parameter: its profile key, its candidates, how to read and set it. */
    private record Parameter(String key, int[] candidates, ToIntFunction<TimingProfile> get,
        BiFunction<TimingProfile, Integer, TimingProfile> set)
    {
    }

    /** What a fit produced. */
    public record Result(TimingProfile profile, Map<String, Integer> values, List<Calibration.Row> rows)
    {
    }

    private static final int MAX_ROUNDS = 4;

    private ProfileFit()
    {
    }

    /** The parameters {@code calibrate --fit} fits, for a system's kind of points. */
    private static List<Parameter> parameters(final MeasuredSystem system)
    {
        final List<Parameter> parameters = new ArrayList<>();
        if (system.pcieBench())
        {
            parameters.add(new Parameter("memory.dma-read-latency", range(450, 700, 10),
                p -> p.memory().dmaReadLatency(), (p, v) -> memory(p, p.memory().llcHitLatency(), p.memory().dramLatency(),
                    p.memory().recentLines(), v)));
        }
        parameters.add(new Parameter("memory.dram-latency", range(100, 600, 10),
            p -> p.memory().dramLatency(), (p, v) -> memory(p, Math.min(v, p.memory().llcHitLatency()), v,
                p.memory().recentLines(), p.memory().dmaReadLatency())));
        if (system.pcieBench())
        {
            parameters.add(new Parameter("concurrency.concurrent-walkers", range(1, 16, 1),
                p -> p.concurrency().concurrentWalkers(), (p, v) -> concurrency(p, p.concurrency().translationsInFlight(), v)));
            parameters.add(new Parameter("memory.llc-hit-latency", range(20, 200, 20),
                p -> p.memory().llcHitLatency(), (p, v) -> memory(p, v, Math.max(v, p.memory().dramLatency()),
                    p.memory().recentLines(), p.memory().dmaReadLatency())));
            parameters.add(new Parameter("memory.recent-lines", new int[] {8, 16, 32, 64, 128, 256, 1024},
                p -> p.memory().recentLines(), (p, v) -> memory(p, p.memory().llcHitLatency(), p.memory().dramLatency(), v,
                    p.memory().dmaReadLatency())));
        }
        // A NIC measurement is one number: the miss latency and the translation slots are fitted to it, the rest is
        // the base's (the combination is not unique; docs/timing.md).
        parameters.add(new Parameter("concurrency.translations-in-flight", new int[] {8, 16, 24, 32, 48, 64},
            p -> p.concurrency().translationsInFlight(), (p, v) -> concurrency(p, v, p.concurrency().concurrentWalkers())));
        return parameters;
    }

    /** The points a fit weighs: every IOMMU point and the latency curve without one; the pcie-bench windows thinned. */
    public static Predicate<PublishedPoint> fitted()
    {
        return point -> point.test() == PublishedPoint.Test.NIC_RX ||
            (point.window() == 262_144 || point.window() == 524_288 || point.window() == 1_048_576 ||
                point.window() == 4_194_304 || point.window() == 67_108_864) &&
                (point.iommu() != PublishedPoint.Mode.OFF || point.test() == PublishedPoint.Test.LATENCY);
    }

    /**
     * Fit {@code start}'s free parameters to {@code system}; the result is named {@code name}. Progress goes to
     * {@code log}.
     */
    public static Result fit(final MeasuredSystem system, final TimingProfile start, final String name, final Experiments.Budget budget,
        final PrintWriter log)
    {
        return fit(system, start, name, budget, log, Calibration.NO_PROGRESS);
    }

    /**
     * As {@link #fit(MeasuredSystem, TimingProfile, String, Experiments.Budget, PrintWriter)}; {@code each} runs after
     * every point the fit runs (at most {@link #maxPointsRun(MeasuredSystem)} of them).
     */
    public static Result fit(final MeasuredSystem system, final TimingProfile start, final String name, final Experiments.Budget budget,
        final PrintWriter log, final Runnable each)
    {
        final DeviceDmaParameters nfp = DeviceDmaParameters.PCIE_BENCH_NFP6000;
        TimingProfile best = start;
        double bestError = Calibration.rms(Calibration.run(system, best, budget, fitted(), nfp, each));
        log.printf(Locale.ROOT, "fit %s to %s: start RMS %.1f%%%n", name, system.name(), bestError * 100);
        final List<Parameter> parameters = parameters(system);
        for (int round = 0; round < MAX_ROUNDS; round++)
        {
            boolean changed = false;
            for (final Parameter parameter : parameters)
            {
                final int before = parameter.get().applyAsInt(best);
                for (final int candidate : parameter.candidates())
                {
                    if (candidate == parameter.get().applyAsInt(best))
                    {
                        continue;
                    }
                    final TimingProfile trial;
                    try
                    {
                        trial = parameter.set().apply(best, candidate);
                    }
                    catch (final ParameterException ex)
                    {
                        continue; // an inconsistent combination (more walkers than slots): not a candidate
                    }
                    final double error = Calibration.rms(Calibration.run(system, trial, budget, fitted(), nfp, each));
                    if (error < bestError - 1e-6)
                    {
                        best = trial;
                        bestError = error;
                    }
                }
                final int after = parameter.get().applyAsInt(best);
                changed |= after != before;
                log.printf(Locale.ROOT, "  round %d: %s = %d (RMS %.1f%%)%n", round + 1, parameter.key(), after, bestError * 100);
                log.flush();
            }
            if (!changed)
            {
                break;
            }
        }
        final TimingProfile named = best.withName(name);
        return new Result(named, parameterValues(system, best), Calibration.run(system, named, budget, point -> true, nfp, each));
    }

    /** The free parameters a fit to {@code system} moves, by profile key, with their values in {@code profile}. */
    public static Map<String, Integer> parameterValues(final MeasuredSystem system, final TimingProfile profile)
    {
        final Map<String, Integer> values = new LinkedHashMap<>();
        for (final Parameter parameter : parameters(system))
        {
            values.put(parameter.key(), parameter.get().applyAsInt(profile));
        }
        return values;
    }

    /**
     * The most points a fit to {@code system} runs: the start, every candidate of every parameter in each of the
     * rounds, then every point once (a fit that converges sooner runs fewer).
     */
    public static long maxPointsRun(final MeasuredSystem system)
    {
        final long weighed = system.points().stream().filter(fitted()).count();
        long candidates = 0;
        for (final Parameter parameter : parameters(system))
        {
            candidates += parameter.candidates().length;
        }
        return weighed * (1 + MAX_ROUNDS * candidates) + system.points().size();
    }

    /**
     * Fit pcie-bench's device (the NFP-6000's tags, request interval and engine rate) to the points without an IOMMU
     * of every pcie-bench system, each under its profile ({@code calibrate --fit-device}): they do not depend on the
     * IOMMU, so the device is fitted first and the profiles after it.
     */
    public static DeviceDmaParameters fitDevice(final List<MeasuredSystem> systems, final List<TimingProfile> profiles,
        final DeviceDmaParameters start, final Experiments.Budget budget, final PrintWriter log)
    {
        final Predicate<PublishedPoint> off = point -> point.iommu() == PublishedPoint.Mode.OFF &&
            point.test() != PublishedPoint.Test.LATENCY && (point.window() == 16_384 || point.window() == 67_108_864);
        DeviceDmaParameters best = start;
        double bestError = deviceError(systems, profiles, best, budget, off);
        log.printf(Locale.ROOT, "fit pcie-bench's device: start RMS %.1f%%%n", bestError * 100);
        for (int round = 0; round < MAX_ROUNDS; round++)
        {
            boolean changed = false;
            for (int parameter = 0; parameter < 3; parameter++)
            {
                final double[] candidates = parameter == 0 ? new double[] {16, 24, 32, 40, 48, 64, 96} :
                    parameter == 1 ? doubles(6, 16, 0.5) : doubles(40, 120, 4);
                for (final double candidate : candidates)
                {
                    final DeviceDmaParameters trial = new DeviceDmaParameters(best.linkGbps(), best.maxPayload(),
                        parameter == 0 ? (int)candidate : best.outstandingReads(), best.completionBufferBytes(), best.postedCredits(),
                        parameter == 1 ? candidate : best.requestIntervalNs(), parameter == 2 ? candidate : best.engineGbps());
                    final double error = deviceError(systems, profiles, trial, budget, off);
                    if (error < bestError - 1e-6)
                    {
                        changed = true;
                        best = trial;
                        bestError = error;
                    }
                }
            }
            log.printf(Locale.ROOT, "  round %d: outstanding-reads %d, request-interval-ns %.1f, engine-gbps %.0f (RMS %.1f%%)%n",
                round + 1, best.outstandingReads(), best.requestIntervalNs(), best.engineGbps(), bestError * 100);
            log.flush();
            if (!changed)
            {
                break;
            }
        }
        return best;
    }

    private static double deviceError(final List<MeasuredSystem> systems, final List<TimingProfile> profiles,
        final DeviceDmaParameters device, final Experiments.Budget budget, final Predicate<PublishedPoint> which)
    {
        final List<Calibration.Row> rows = new ArrayList<>();
        for (int i = 0; i < systems.size(); i++)
        {
            rows.addAll(Calibration.run(systems.get(i), profiles.get(i), budget, which, device));
        }
        return Calibration.rms(rows);
    }

    private static double[] doubles(final double from, final double to, final double step)
    {
        final double[] values = new double[(int)Math.round((to - from) / step) + 1];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = from + i * step;
        }
        return values;
    }

    private static int[] range(final int from, final int to, final int step)
    {
        final int[] values = new int[(to - from) / step + 1];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = from + i * step;
        }
        return values;
    }

    static TimingProfile memory(final TimingProfile p, final int llc, final int dram, final int recentLines, final int dmaRead)
    {
        final MemoryParameters m = p.memory();
        return new TimingProfile(p.name(), p.description(), p.clock(), p.link(), p.caches(),
            new MemoryParameters(m.model(), llc, dram, m.llcHitProbability(), m.seed(), recentLines, m.lineBytes(), dmaRead),
            p.rmp(), p.concurrency(), p.walker(), p.ats());
    }

    static TimingProfile concurrency(final TimingProfile p, final int translations, final int walkers)
    {
        final ConcurrencyParameters c = p.concurrency();
        return new TimingProfile(p.name(), p.description(), p.clock(), p.link(), p.caches(), p.memory(), p.rmp(),
            new ConcurrencyParameters(translations, c.deviceTranslationsInFlight(), walkers, c.pteRequestsPerCycle(),
                c.mergeDuplicateMisses(), c.orderSameId()), p.walker(), p.ats());
    }
}
