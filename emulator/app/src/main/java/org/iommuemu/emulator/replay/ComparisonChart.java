package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The plot of a {@code compare --report}: for both sides, the distribution (cumulative, log scale) of the translation
 * latency and of the time requests waited in their device before leaving, with each side's DMA throughput in the
 * legend: what the closed-loop timing model predicts the difference between them costs.
 */
public final class ComparisonChart
{
    /** The file {@link #write} writes into its folder. */
    public static final String FILE = "compare.png";

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;

    private ComparisonChart()
    {
    }

    /** The one-line statement of the two throughputs (and of the second relative to the first). */
    public static String throughputLine(final String leftName, final ReplayResult left, final String rightName,
        final ReplayResult right)
    {
        final double a = left.throughputGBps();
        final double b = right.throughputGBps();
        return String.format(Locale.ROOT, "DMA throughput: %s %.2f GB/s (%.1f Gb/s), %s %.2f GB/s (%.1f Gb/s): %s %+.1f%% against %s",
            leftName, a, a * 8, rightName, b, b * 8, rightName, a == 0 ? 0 : (b - a) * 100 / a, leftName);
    }

    /** Write {@code compare.png} into {@code folder}; returns it. */
    public static Path write(final String leftName, final ReplayResult left, final String rightName, final ReplayResult right,
        final Path folder) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(folder);
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title("Translation latency and device wait: " + leftName + " and " + rightName)
            .xAxisTitle("cycles (log scale)").yAxisTitle("% of DMA requests at or below").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        for (final Object[] side : new Object[][] {{leftName, left}, {rightName, right}})
        {
            final String name = (String)side[0];
            final ReplayResult result = (ReplayResult)side[1];
            final String rate = String.format(Locale.ROOT, " (%.1f Gb/s)", result.throughputGBps() * 8);
            addCdf(chart, name + " latency" + rate, result.statistics().latency());
            addCdf(chart, name + " device wait", result.statistics().deviceWait());
        }
        final Path file = folder.resolve(FILE);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    private static void addCdf(final XYChart chart, final String name, final Histogram histogram)
    {
        final List<Double> x = new ArrayList<>();
        final List<Double> y = new ArrayList<>();
        final long total = histogram.getTotalCount();
        if (total == 0)
        {
            return;
        }
        long seen = 0;
        for (final HistogramIterationValue value : histogram.recordedValues())
        {
            seen += value.getCountAtValueIteratedTo();
            // A log axis has no 0: waits of 0 cycles are drawn at 1.
            x.add((double)Math.max(1, value.getValueIteratedTo()));
            y.add(seen * 100.0 / total);
        }
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
    }
}
