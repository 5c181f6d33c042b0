package org.iommuemu.emulator.replay;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's plots (XChart), for one run or several overlaid ({@code compare}): the latency percentile plot per
 * outcome with a logarithmic tail axis, and over simulated time the hit rate of every cache the traffic consulted,
 * walks per microsecond, faults by kind, DMA throughput and (only when it changes) page-table memory. The time plots
 * carry a labelled vertical marker for every timeline action ({@code A1}, {@code A2}, ...) and platform event
 * ({@code E1}, ...) of the first run; the page lists what each label stands for.
 */
final class ReportCharts
{
    /** One run to plot: its name (empty for a single run: series then carry no prefix) and its result. */
    record Run(String name, ReplayResult result)
    {
        String series(final String what)
        {
            return name.isEmpty() ? what : name + ": " + what;
        }
    }

    /** A vertical marker: where (microseconds of simulated time), its short label, and what it stands for. */
    record Marker(double micros, String label, String text, long beforeTlp)
    {
    }

    /** A chart and the file name (without extension) it is saved under. */
    record Chart(String name, String title, XYChart chart)
    {
    }

    static final int WIDTH = 960;
    static final int HEIGHT = 440;
    /** Markers with a text label drawn; more are drawn as lines only (the page still lists every one). */
    private static final int MAX_MARKER_LABELS = 40;

    private ReportCharts()
    {
    }

    /** Every chart for these runs, in page order; page-table memory only when it changed in some run. */
    static List<Chart> charts(final List<Run> runs)
    {
        final List<Marker> markers = markers(runs.get(0).result());
        final List<Chart> charts = new ArrayList<>();
        charts.add(new Chart("latency", "Translation latency by outcome", latency(runs)));
        charts.add(new Chart("hit-rates", "Cache hit rates over simulated time", hitRates(runs, markers)));
        charts.add(new Chart("walks", "Walks per microsecond over simulated time", walks(runs, markers)));
        charts.add(new Chart("faults", "Faults by kind over simulated time", faults(runs, markers)));
        charts.add(new Chart("throughput", "DMA throughput over simulated time", throughput(runs, markers)));
        boolean pageTablesChange = false;
        for (final Run run : runs)
        {
            pageTablesChange |= pageTablesChange(run.result());
        }
        if (pageTablesChange)
        {
            charts.add(new Chart("page-tables", "Page-table memory over simulated time", pageTables(runs, markers)));
        }
        return charts;
    }

    /** Whether the run's page-table memory was ever different from what it ended with. */
    static boolean pageTablesChange(final ReplayResult result)
    {
        if (result.peakPageTableBytes() != result.pageTableBytes())
        {
            return true;
        }
        final TimeSeries series = result.statistics().series();
        for (int i = 0; i < series.buckets(); i++)
        {
            if (series.pageTableBytes(i) != result.pageTableBytes())
            {
                return true;
            }
        }
        return false;
    }

    /** The markers of a run: its timeline actions and platform events (setup events have no time and no marker). */
    static List<Marker> markers(final ReplayResult result)
    {
        final List<Marker> markers = new ArrayList<>();
        final ReplayStatistics s = result.statistics();
        int number = 0;
        for (final ReplayStatistics.ActionMark mark : s.actionMarks())
        {
            markers.add(new Marker(micros(result, mark.cycle()), "A" + ++number, mark.description(), mark.beforeTlp()));
        }
        number = 0;
        for (int i = 0; i < result.events().size(); i++)
        {
            final PlatformEvent event = result.events().get(i);
            number++;
            if (event.beforeTlp() == PlatformEvent.SETUP || s.eventCycle(i) < 0)
            {
                continue;
            }
            markers.add(new Marker(micros(result, s.eventCycle(i)), "E" + number, PlatformEventText.sentence(event), event.beforeTlp()));
        }
        return markers;
    }

    /** Microseconds of simulated time from the first DMA request's arrival (0 before it). */
    static double micros(final ReplayResult result, final long cycle)
    {
        final long first = Math.max(0, result.statistics().firstArrivalCycle());
        return Math.max(0, cycle - first) / result.frequencyGhz() / 1000.0;
    }

    private static XYChart timeChart(final String title, final String yTitle)
    {
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
            .xAxisTitle("simulated time (microseconds from the first DMA request)").yAxisTitle(yTitle).build();
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setXAxisTickMarkSpacingHint(110);
        chart.getStyler().setYAxisTickMarkSpacingHint(60);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(ReportCharts::shortNumber);
        chart.getStyler().setyAxisTickLabelsFormattingFunction(ReportCharts::shortNumber);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        return chart;
    }

    /** A tick label short enough not to run into its neighbours: 3 significant digits, k and M for thousands. */
    static String shortNumber(final Double value)
    {
        final double v = value;
        final double a = Math.abs(v);
        final DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.ROOT);
        if (a >= 1e6)
        {
            return new DecimalFormat("0.##", symbols).format(v / 1e6) + "M";
        }
        if (a >= 1e4)
        {
            return new DecimalFormat("0.##", symbols).format(v / 1e3) + "k";
        }
        if (a >= 100 || a == 0)
        {
            return new DecimalFormat("0", symbols).format(v);
        }
        if (a >= 1)
        {
            return new DecimalFormat("0.#", symbols).format(v);
        }
        return new DecimalFormat("0.###", symbols).format(v);
    }

    /**
     * The percentile plot: latency against percentile on HdrHistogram's tail axis, log10(1 / (1 - percentile)), so that
     * 0-90%, 90-99%, 99-99.9% and 99.9-99.99% get equal room.
     */
    static XYChart latency(final List<Run> runs)
    {
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Translation latency by outcome (percentiles)")
            .xAxisTitle("percentile").yAxisTitle("latency (cycles)").build();
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setXAxisTickMarkSpacingHint(90);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(ReportCharts::percentileLabel);
        chart.getStyler().setyAxisTickLabelsFormattingFunction(ReportCharts::shortNumber);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        boolean any = false;
        for (final Run run : runs)
        {
            for (final Map.Entry<String, Histogram> entry : run.result().statistics().latencyByOutcome().entrySet())
            {
                final Histogram histogram = entry.getValue();
                if (histogram.getTotalCount() == 0)
                {
                    continue;
                }
                final List<Double> xs = new ArrayList<>();
                final List<Double> ys = new ArrayList<>();
                for (final HistogramIterationValue value : histogram.percentiles(5))
                {
                    final double percentile = Math.min(value.getPercentileLevelIteratedTo(), 99.9999);
                    xs.add(Math.log10(100.0 / (100.0 - percentile)));
                    ys.add((double)value.getValueIteratedTo());
                }
                chart.addSeries(run.series(entry.getKey() + " (" + histogram.getTotalCount() + ")"), xs, ys).setMarker(SeriesMarkers.NONE);
                any = true;
            }
        }
        if (!any)
        {
            chart.addSeries("no DMA requests", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /**
     * The percentile a point of the tail axis stands for: the axis is log10(1 / (1 - percentile)), so 0 -> 0%,
     * 1 -> 90%, 2 -> 99%, 3 -> 99.9%, ...
     */
    static String percentileLabel(final Double x)
    {
        // Every tick gets a distinct label (XChart widens the tick spacing until they are, so equal labels for ticks
        // left of 0, or rounded to the same digits, would never let it finish): as many decimals as the tail needs.
        final double percentile = 100.0 - 100.0 / Math.pow(10, x);
        final int decimals = (int)Math.min(12, Math.max(0, Math.ceil(Math.abs(x))) + 2);
        return new DecimalFormat(decimals == 0 ? "0" : "0." + "#".repeat(decimals), DecimalFormatSymbols.getInstance(Locale.ROOT))
            .format(percentile) + "%";
    }

    static XYChart hitRates(final List<Run> runs, final List<Marker> markers)
    {
        final XYChart chart = timeChart("Cache hit rates over simulated time", "hit rate (% of lookups)");
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        boolean any = false;
        for (final Run run : runs)
        {
            final TimeSeries series = run.result().statistics().series();
            for (int c = 0; c < series.watchedCaches(); c++)
            {
                final List<Double> xs = new ArrayList<>();
                final List<Double> ys = new ArrayList<>();
                long lookups = 0;
                long hits = 0;
                for (int i = 0; i < series.buckets(); i++)
                {
                    final long l = series.cacheLookups(c, i) - lookups;
                    final long h = series.cacheHits(c, i) - hits;
                    lookups = series.cacheLookups(c, i);
                    hits = series.cacheHits(c, i);
                    if (l > 0)
                    {
                        xs.add(micros(run.result(), series.endCycle(i)));
                        ys.add(h * 100.0 / l);
                    }
                }
                if (!xs.isEmpty())
                {
                    chart.addSeries(run.series(series.cacheName(c)), xs, ys).setMarker(SeriesMarkers.NONE);
                    any = true;
                }
            }
        }
        return finish(chart, any, markers, 100.0);
    }

    static XYChart walks(final List<Run> runs, final List<Marker> markers)
    {
        final XYChart chart = timeChart("Walks per microsecond over simulated time", "walks per microsecond");
        chart.getStyler().setYAxisMin(0.0);
        double top = 0;
        boolean any = false;
        for (final Run run : runs)
        {
            final List<double[]> points = rates(run.result(), (series, i) -> series.walks(i), 1000.0);
            top = Math.max(top, add(chart, run.series("walks"), points));
            any |= !points.isEmpty();
        }
        return finish(chart, any, markers, top);
    }

    static XYChart throughput(final List<Run> runs, final List<Marker> markers)
    {
        final XYChart chart = timeChart("DMA throughput over simulated time", "GB/s (bytes per nanosecond)");
        chart.getStyler().setYAxisMin(0.0);
        double top = 0;
        boolean any = false;
        for (final Run run : runs)
        {
            final List<double[]> points = rates(run.result(), (series, i) -> series.bytes(i), 1.0);
            top = Math.max(top, add(chart, run.series("DMA throughput"), points));
            any |= !points.isEmpty();
        }
        return finish(chart, any, markers, top);
    }

    static XYChart faults(final List<Run> runs, final List<Marker> markers)
    {
        final XYChart chart = timeChart("Faults by kind over simulated time", "% of DMA requests");
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        boolean any = false;
        for (final Run run : runs)
        {
            final TimeSeries series = run.result().statistics().series();
            final List<FaultKind> kinds = run.result().statistics().faultKinds();
            for (int k = 0; k < Math.min(kinds.size(), TimeSeries.MAX_FAULT_KINDS); k++)
            {
                final List<Double> xs = new ArrayList<>();
                final List<Double> ys = new ArrayList<>();
                for (int i = 0; i < series.buckets(); i++)
                {
                    if (series.dma(i) > 0)
                    {
                        xs.add(micros(run.result(), series.endCycle(i)));
                        ys.add(series.faults(i, k) * 100.0 / series.dma(i));
                    }
                }
                final String name = k == TimeSeries.MAX_FAULT_KINDS - 1 && kinds.size() > TimeSeries.MAX_FAULT_KINDS ?
                    "other fault kinds" : kinds.get(k).faultName();
                if (!xs.isEmpty())
                {
                    chart.addSeries(run.series(name), xs, ys).setMarker(SeriesMarkers.NONE);
                    any = true;
                }
            }
        }
        if (!any)
        {
            chart.addSeries("no faults", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
            any = true;
        }
        return finish(chart, any, markers, 100.0);
    }

    static XYChart pageTables(final List<Run> runs, final List<Marker> markers)
    {
        final XYChart chart = timeChart("Page-table memory over simulated time", "KiB");
        chart.getStyler().setYAxisMin(0.0);
        double top = 0;
        boolean any = false;
        for (final Run run : runs)
        {
            final TimeSeries series = run.result().statistics().series();
            final List<double[]> points = new ArrayList<>();
            for (int i = 0; i < series.buckets(); i++)
            {
                points.add(new double[] {micros(run.result(), series.endCycle(i)), series.pageTableBytes(i) / 1024.0});
            }
            top = Math.max(top, add(chart, run.series("page tables"), points));
            any |= !points.isEmpty();
        }
        return finish(chart, any, markers, top);
    }

    @FunctionalInterface
    private interface BucketCount
    {
        long count(TimeSeries series, int bucket);
    }

    /** Per bucket, {@code count / duration} (count per nanosecond times {@code scale}), at the bucket's end. */
    private static List<double[]> rates(final ReplayResult result, final BucketCount count, final double scale)
    {
        final TimeSeries series = result.statistics().series();
        final List<double[]> points = new ArrayList<>();
        long start = Math.max(0, result.statistics().firstArrivalCycle());
        for (int i = 0; i < series.buckets(); i++)
        {
            final long end = series.endCycle(i);
            if (series.dma(i) > 0 && end > start)
            {
                final double nanos = (end - start) / result.frequencyGhz();
                points.add(new double[] {micros(result, end), count.count(series, i) / nanos * scale});
            }
            start = Math.max(start, end);
        }
        return points;
    }

    /** Add points as a series; returns their largest y (0 when none). */
    private static double add(final XYChart chart, final String name, final List<double[]> points)
    {
        if (points.isEmpty())
        {
            return 0;
        }
        final double[] xs = new double[points.size()];
        final double[] ys = new double[points.size()];
        double top = 0;
        for (int i = 0; i < xs.length; i++)
        {
            xs[i] = points.get(i)[0];
            ys[i] = points.get(i)[1];
            top = Math.max(top, ys[i]);
        }
        chart.addSeries(name, xs, ys).setMarker(SeriesMarkers.NONE);
        return top;
    }

    /** Markers (vertical lines with staggered labels), and a placeholder series when there is no data. */
    private static XYChart finish(final XYChart chart, final boolean any, final List<Marker> markers, final double top)
    {
        if (!any)
        {
            chart.addSeries("no DMA requests", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        final double height = top > 0 ? top : 1;
        if (chart.getStyler().getYAxisMax() == null)
        {
            chart.getStyler().setYAxisMax(height * 1.25);
        }
        final double labelTop = chart.getStyler().getYAxisMax();
        for (int i = 0; i < markers.size(); i++)
        {
            final Marker marker = markers.get(i);
            chart.addAnnotation(new AnnotationLine(marker.micros(), true, false));
            if (i < MAX_MARKER_LABELS)
            {
                final double y = labelTop * (0.97 - 0.06 * (i % 4));
                chart.addAnnotation(new AnnotationText(marker.label(), marker.micros(), y, false));
            }
        }
        chart.getStyler().setAnnotationLineColor(new Color(120, 120, 120));
        chart.getStyler().setAnnotationLineStroke(
            new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 3f}, 0f));
        return chart;
    }

    /** Save a chart as {@code name.png} or {@code name.svg} in {@code folder}; returns the file name. */
    static String save(final XYChart chart, final Path folder, final String name, final ReportWriter.ImageFormat format) throws IOException
    {
        if (format == ReportWriter.ImageFormat.SVG)
        {
            VectorGraphicsEncoder.saveVectorGraphic(chart, folder.resolve(name).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            return name + ".svg";
        }
        BitmapEncoder.saveBitmap(chart, folder.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        return name + ".png";
    }
}
