package org.iommuemu.emulator.calibration;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The calibration's plots ({@code calibrate --plot DIR}): model and published values on one chart, as PNG. For a
 * pcie-bench system one chart per test (reads, writes, latency): throughput (or latency) against the window size on
 * a log axis, each curve drawn twice, published as markers and the model as a line of the same name. For the NIC
 * measurement a bar chart of the relative throughput with 4 KiB and 2 MiB pages, published and model.
 */
public final class CalibrationChart
{
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728),
        new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b),
        new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;

    private CalibrationChart()
    {
    }

    /** Write the charts of {@code rows} into {@code folder}; returns the files written. */
    public static List<Path> write(final MeasuredSystem system, final String profile, final List<Calibration.Row> rows,
        final Path folder) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(folder);
        final List<Path> files = new ArrayList<>();
        if (!system.pcieBench())
        {
            final Path file = folder.resolve("calibration-" + system.name() + ".png");
            BitmapEncoder.saveBitmap(nicChart(system, profile, rows), file.toString(), BitmapEncoder.BitmapFormat.PNG);
            files.add(file);
            return files;
        }
        for (final PublishedPoint.Test test : new PublishedPoint.Test[] {PublishedPoint.Test.READ, PublishedPoint.Test.WRITE,
            PublishedPoint.Test.LATENCY})
        {
            final XYChart chart = curveChart(system, profile, rows, test);
            if (chart != null)
            {
                final Path file = folder.resolve("calibration-" + system.name() + "-" + test.label() + ".png");
                BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
                files.add(file);
            }
        }
        return files;
    }

    /** One test's curves: per transfer size and IOMMU setting, the published values (markers) and the model's (a line). */
    static XYChart curveChart(final MeasuredSystem system, final String profile, final List<Calibration.Row> rows,
        final PublishedPoint.Test test)
    {
        final Map<String, List<Calibration.Row>> curves = new LinkedHashMap<>();
        for (final Calibration.Row row : rows)
        {
            final PublishedPoint p = row.point();
            if (p.test() == test)
            {
                final String name = (test == PublishedPoint.Test.LATENCY ? "64 B" : p.bytes() + " B") + ", " +
                    (p.iommu() == PublishedPoint.Mode.OFF ? "no IOMMU" : p.iommu().label());
                curves.computeIfAbsent(name, k -> new ArrayList<>()).add(row);
            }
        }
        if (curves.isEmpty())
        {
            return null;
        }
        final String what = test == PublishedPoint.Test.READ ? "DMA read throughput" : test == PublishedPoint.Test.WRITE ?
            "DMA write throughput" : "DMA read latency (one at a time)";
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title(what + ", " + system.name() + ": published (markers) and model " + profile + " (lines)")
            .xAxisTitle("window (KiB, log scale)").yAxisTitle(test.unit()).build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        int colour = 0;
        for (final Map.Entry<String, List<Calibration.Row>> curve : curves.entrySet())
        {
            final Color color = PALETTE[colour++ % PALETTE.length];
            final List<Calibration.Row> points = curve.getValue();
            final double[] x = new double[points.size()];
            final double[] published = new double[points.size()];
            final double[] model = new double[points.size()];
            for (int i = 0; i < points.size(); i++)
            {
                x[i] = points.get(i).point().window() / 1024.0;
                published[i] = points.get(i).point().value();
                model[i] = points.get(i).model();
            }
            final XYSeries measured = chart.addSeries(curve.getKey() + " published", x, published);
            measured.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            measured.setMarker(SeriesMarkers.CIRCLE);
            measured.setMarkerColor(color);
            final XYSeries modelled = chart.addSeries(curve.getKey() + " model", x, model);
            modelled.setMarker(SeriesMarkers.NONE);
            modelled.setLineColor(color);
        }
        return chart;
    }

    private static CategoryChart nicChart(final MeasuredSystem system, final String profile, final List<Calibration.Row> rows)
    {
        final CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
            .title("200 Gb/s NIC receive, throughput with the IOMMU over without: published and model " + profile)
            .xAxisTitle("IOMMU pages").yAxisTitle("relative throughput").build();
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.1);
        final List<String> pages = new ArrayList<>();
        final List<Double> published = new ArrayList<>();
        final List<Double> model = new ArrayList<>();
        for (final Calibration.Row row : rows)
        {
            pages.add(row.point().iommu().label());
            published.add(row.point().value());
            model.add(row.model());
        }
        chart.addSeries("published (" + system.name() + ")", pages, published);
        chart.addSeries("model", pages, model);
        return chart;
    }
}
