package org.iommuemu.emulator.calibration;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.timing.TimingProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationTest
{
    private static final Experiments.Budget BUDGET = Experiments.Budget.QUICK;

    @Test
    void everyPublishedPointNamesItsSourceAndEverySystemItsFittedProfile()
    {
        final List<MeasuredSystem> systems = MeasuredSystem.all();
        assertEquals(6, systems.size());
        for (final MeasuredSystem system : systems)
        {
            assertFalse(system.points().isEmpty(), system.name());
            assertTrue(TimingProfiles.BUNDLED.contains(system.profile()), system.profile() + " is bundled");
            for (final PublishedPoint point : system.points())
            {
                assertTrue(point.source().contains(".dat") || point.source().contains("PeerJ"), point.source());
                assertTrue(point.value() > 0, point.label());
            }
        }
        // pcie-bench's table in confidential-io-extras.md 4.1: BDW reads of 64 B, 28.1 -> 27.6/20.2/14.3/9.8 Gb/s.
        final MeasuredSystem bdw = MeasuredSystem.named("bdw-e5-2630v4");
        assertEquals(9.843, value(bdw, PublishedPoint.Mode.PAGES_4K, PublishedPoint.Test.READ, 64, 64L << 20), 1e-9);
        assertEquals(20.198, value(bdw, PublishedPoint.Mode.PAGES_4K, PublishedPoint.Test.READ, 64, 512L << 10), 1e-9);
        assertEquals(28.116, value(bdw, PublishedPoint.Mode.OFF, PublishedPoint.Test.READ, 64, 64L << 20), 1e-9);
    }

    @Test
    void theBroadwellProfileReproducesTheIotlbKneeAndTheFloor()
    {
        final MeasuredSystem bdw = MeasuredSystem.named("bdw-e5-2630v4");
        final TimingProfile profile = TimingProfiles.bundled(bdw.profile());
        final List<Calibration.Row> rows = Calibration.run(bdw, profile, BUDGET, point ->
            point.test() == PublishedPoint.Test.READ && point.bytes() == 64 && point.iommu() != PublishedPoint.Mode.OFF &&
                (point.window() == 256L << 10 || point.window() == 1L << 20 || point.window() == 64L << 20));
        assertEquals(3, rows.size());
        for (final Calibration.Row row : rows)
        {
            assertTrue(Math.abs(row.error()) <= Calibration.GOAL, row.point().label() + ": " + row.model() + " against " +
                row.point().value());
        }
        assertTrue(rows.get(0).model() > 2 * rows.get(2).model(), "64-byte reads lose more than half beyond the IOTLB's reach");
    }

    @Test
    void superpagesLoseNothingAndAMissCostsWhatPcieBenchMeasured()
    {
        final MeasuredSystem hsw = MeasuredSystem.named("hsw-e5-2620v3");
        final TimingProfile profile = TimingProfiles.bundled(hsw.profile());
        final List<Calibration.Row> rows = Calibration.run(hsw, profile, BUDGET, point ->
            point.bytes() == 64 && point.window() == 64L << 20 &&
                (point.test() == PublishedPoint.Test.LATENCY || point.test() == PublishedPoint.Test.READ));
        final Map<String, Double> model = new HashMap<>();
        for (final Calibration.Row row : rows)
        {
            model.put(row.point().test().label() + "-" + row.point().iommu().label(), row.model());
            if (row.point().test() == PublishedPoint.Test.LATENCY)
            {
                assertTrue(Math.abs(row.error()) <= Calibration.GOAL, row.point().label() + ": " + row.model());
            }
        }
        assertEquals(model.get("rd-off"), model.get("rd-2m"), model.get("rd-off") * 0.03, "2 MiB pages: no loss at 64 MiB");
        // What a miss adds to a 64-byte read, in the mean, across pcie-bench's systems (lat_dma_sweep, 64 MiB window).
        double least = Double.MAX_VALUE;
        double most = 0;
        for (final MeasuredSystem system : MeasuredSystem.all())
        {
            if (system.pcieBench() && !system.name().startsWith("snb"))
            {
                final double added = value(system, PublishedPoint.Mode.PAGES_4K, PublishedPoint.Test.LATENCY, 64, 64L << 20) -
                    value(system, PublishedPoint.Mode.OFF, PublishedPoint.Test.LATENCY, 64, 64L << 20);
                least = Math.min(least, added);
                most = Math.max(most, added);
            }
        }
        final double added = model.get("lat-4k") - model.get("lat-off");
        assertTrue(added >= least && added <= most, "a miss adds " + added + " ns; pcie-bench measured " + least + " to " + most);
    }

    @Test
    void aTwoHundredGigabitNicLosesAFifthWithSmallPagesAndNothingWithHugePages()
    {
        final MeasuredSystem farshin = MeasuredSystem.named("farshin-200g");
        final List<Calibration.Row> rows = Calibration.run(farshin, TimingProfiles.bundled(farshin.profile()), BUDGET);
        assertEquals(2, rows.size());
        assertEquals(0.80, rows.get(0).model(), 0.80 * Calibration.GOAL, "4 KiB pages");
        assertEquals(1.00, rows.get(1).model(), 0.02, "2 MiB pages recover it");
    }

    @Test
    void aFittedProfileFileReadsBackToTheFittedValues()
    {
        final MeasuredSystem bdw = MeasuredSystem.named("bdw-e5-2630v4");
        final TimingProfile fitted = ProfileFit.concurrency(ProfileFit.memory(TimingProfiles.bundled("intel"), 70, 310, 32, 575), 12, 5)
            .withName("pcie-bench-bdw");
        final Map<String, Integer> values = new LinkedHashMap<>();
        values.put("memory.dma-read-latency", 575);
        values.put("memory.dram-latency", 310);
        values.put("memory.llc-hit-latency", 70);
        values.put("memory.recent-lines", 32);
        values.put("concurrency.concurrent-walkers", 5);
        values.put("concurrency.translations-in-flight", 12);
        final String text = FittedProfileWriter.text(new ProfileFit.Result(fitted, values, List.of()), bdw, "intel",
            TimingProfiles.bundled("intel"));
        final TimingProfile read = TimingProfiles.parse(new StringReader(text), "fitted.yaml");
        assertEquals(fitted.withDescription(read.description()), read);
        assertTrue(text.startsWith("# Fitted by `bin/iommu-emu calibrate --system bdw-e5-2630v4 --fit`"), text);
    }

    /** calibrate --fit: from a profile whose miss latency and slots are far off, the fit finds values that meet the goal. */
    @Test
    void aFitFromAWrongStartReachesThePublishedValues()
    {
        final MeasuredSystem farshin = MeasuredSystem.named("farshin-200g");
        final TimingProfile fitted = TimingProfiles.bundled(farshin.profile());
        final TimingProfile wrong = ProfileFit.concurrency(ProfileFit.memory(fitted, fitted.memory().llcHitLatency(), 600,
            fitted.memory().recentLines(), fitted.memory().dmaReadLatency()), 64, fitted.concurrency().concurrentWalkers());
        final double before = Calibration.rms(Calibration.run(farshin, wrong, BUDGET));
        final int[] points = new int[1];
        final ProfileFit.Result result = ProfileFit.fit(farshin, wrong, "fitted", BUDGET, new PrintWriter(Writer.nullWriter()),
            () -> points[0]++);
        final double after = Calibration.rms(result.rows());
        assertTrue(before > Calibration.GOAL, "the wrong start misses the goal: RMS " + before);
        assertTrue(after < before / 2 && Calibration.beyondGoal(result.rows()) == 0, "fitted RMS " + after + " from " + before);
        assertEquals("fitted", result.profile().name());
        assertEquals(result.values(), ProfileFit.parameterValues(farshin, result.profile()));
        assertTrue(result.values().get("memory.dram-latency") < 600, result.values().toString());
        assertTrue(points[0] > 2 && points[0] <= ProfileFit.maxPointsRun(farshin), points[0] + " points run");
    }

    /** calibrate --plot: one chart per test, each curve's published values and the model's on the same chart. */
    @Test
    void thePlotDrawsModelAndPublishedCurvesOnOneChart(@TempDir final Path folder) throws IOException
    {
        final MeasuredSystem bdw = MeasuredSystem.named("bdw-e5-2630v4");
        final List<Calibration.Row> rows = Calibration.run(bdw, TimingProfiles.bundled(bdw.profile()), BUDGET, point ->
            point.bytes() == 64 && (point.window() == 256L << 10 || point.window() == 64L << 20));
        final XYChart read = CalibrationChart.curveChart(bdw, bdw.profile(), rows, PublishedPoint.Test.READ);
        final Set<String> series = read.getSeriesMap().keySet();
        for (final String curve : List.of("64 B, no IOMMU", "64 B, 4k"))
        {
            assertTrue(series.contains(curve + " published") && series.contains(curve + " model"), series.toString());
        }
        final double[] published = read.getSeriesMap().get("64 B, 4k published").getYData();
        final double[] model = read.getSeriesMap().get("64 B, 4k model").getYData();
        assertEquals(2, published.length);
        assertEquals(9.843, published[1], 1e-9, "64 MiB, as published");
        assertEquals(rows.stream().filter(r -> r.point().iommu() == PublishedPoint.Mode.PAGES_4K &&
            r.point().test() == PublishedPoint.Test.READ && r.point().window() == 64L << 20).findFirst().orElseThrow().model(), model[1]);
        final List<Path> files = CalibrationChart.write(bdw, bdw.profile(), rows, folder);
        assertEquals(List.of("calibration-bdw-e5-2630v4-rd.png", "calibration-bdw-e5-2630v4-wr.png",
            "calibration-bdw-e5-2630v4-lat.png"), files.stream().map(f -> f.getFileName().toString()).toList());
        for (final Path file : files)
        {
            assertTrue(Files.size(file) > 1000, file.toString());
        }
    }

    private static double value(final MeasuredSystem system, final PublishedPoint.Mode mode, final PublishedPoint.Test test,
        final int bytes, final long window)
    {
        return system.points().stream().filter(p -> p.iommu() == mode && p.test() == test && p.bytes() == bytes &&
            p.window() == window).findFirst().orElseThrow().value();
    }
}
