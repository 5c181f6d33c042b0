package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report folder of a replay: {@code summary.txt}, {@code summary.csv}, plots ({@code latency}, {@code timeline}
 * with IOTLB hit rate and faults over the trace, {@code page-tables} with page-table memory over the trace) as PNG
 * or SVG, drawn with XChart, and an {@code index.html} that shows the summary and the plots.
 */
public final class ReportWriter
{
    /** Image format of the plots. */
    public enum ImageFormat
    {
        PNG,
        SVG
    }

    private static final int WIDTH = 900;
    private static final int HEIGHT = 420;

    private ReportWriter()
    {
    }

    /** The files {@link #write} creates in its folder (for the check that none of them is an input). */
    public static List<String> files(final ImageFormat format)
    {
        final String extension = "." + format.name().toLowerCase(Locale.ROOT);
        return List.of("summary.txt", "summary.csv", "latency" + extension, "timeline" + extension, "page-tables" + extension,
            "index.html");
    }

    /** Write the report for {@code result} into {@code folder} (created if needed); returns the HTML page. */
    public static Path write(final ReplayResult result, final Path folder, final ImageFormat format) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(folder);
        final List<Summary.Row> rows = Summary.rows(result);
        final StringWriter text = new StringWriter();
        Summary.print(rows, new PrintWriter(text));
        Files.writeString(folder.resolve("summary.txt"), text.toString(), StandardCharsets.UTF_8);
        final StringBuilder csv = new StringBuilder("metric,value,text\n");
        for (final Summary.Row row : rows)
        {
            csv.append(csvField(row.metric().trim())).append(',').append(Double.isNaN(row.value()) ? "" : Double.toString(row.value()))
                .append(',').append(csvField(row.text())).append('\n');
        }
        Files.writeString(folder.resolve("summary.csv"), csv.toString(), StandardCharsets.UTF_8);

        final List<String> images = new ArrayList<>();
        images.add(save(latencyChart(result), folder, "latency", format));
        images.add(save(timelineChart(result), folder, "timeline", format));
        images.add(save(pageTableChart(result), folder, "page-tables", format));

        final Path html = folder.resolve("index.html");
        Files.writeString(html, html(result, rows, images), StandardCharsets.UTF_8);
        return html;
    }

    private static XYChart latencyChart(final ReplayResult result)
    {
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title("Translation latency by outcome").xAxisTitle("latency (cycles)").yAxisTitle("TLPs").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
        chart.getStyler().setMarkerSize(0);
        final long top = Math.max(1, result.statistics().latency().getValueAtPercentile(99.9));
        final long bucket = Math.max(1, top / 100);
        boolean any = false;
        for (final Map.Entry<String, Histogram> entry : result.statistics().latencyByOutcome().entrySet())
        {
            final Histogram histogram = entry.getValue();
            if (histogram.getTotalCount() == 0)
            {
                continue;
            }
            final List<Double> xs = new ArrayList<>();
            final List<Double> ys = new ArrayList<>();
            for (final HistogramIterationValue value : histogram.linearBucketValues(bucket))
            {
                if (value.getValueIteratedTo() > top + bucket)
                {
                    break;
                }
                xs.add((double)value.getValueIteratedTo());
                ys.add((double)value.getCountAddedInThisIterationStep());
            }
            if (!xs.isEmpty())
            {
                chart.addSeries(entry.getKey(), xs, ys).setMarker(SeriesMarkers.NONE);
                any = true;
            }
        }
        if (!any)
        {
            chart.addSeries("no DMA requests", new double[] {0}, new double[] {0});
        }
        return chart;
    }

    private static XYChart timelineChart(final ReplayResult result)
    {
        final TimeSeries series = result.statistics().series();
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title("IOTLB hit rate and faults over the trace").xAxisTitle("TLP index").yAxisTitle("% of DMA requests").build();
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        final int n = Math.max(1, series.buckets());
        final double[] x = new double[n];
        final double[] hits = new double[n];
        final double[] faults = new double[n];
        for (int i = 0; i < series.buckets(); i++)
        {
            x[i] = series.firstIndex(i);
            final double dma = Math.max(1, series.dma(i));
            hits[i] = series.hits(i) * 100.0 / dma;
            faults[i] = series.faults(i) * 100.0 / dma;
        }
        chart.addSeries("IOTLB hit rate", x, hits).setMarker(SeriesMarkers.NONE);
        chart.addSeries("faults", x, faults).setMarker(SeriesMarkers.NONE);
        return chart;
    }

    private static XYChart pageTableChart(final ReplayResult result)
    {
        final TimeSeries series = result.statistics().series();
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title("Page-table memory over the trace").xAxisTitle("TLP index").yAxisTitle("KiB").build();
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setYAxisMin(0.0);
        final int n = Math.max(1, series.buckets());
        final double[] x = new double[n];
        final double[] kib = new double[n];
        for (int i = 0; i < series.buckets(); i++)
        {
            x[i] = series.firstIndex(i);
            kib[i] = series.pageTableBytes(i) / 1024.0;
        }
        if (series.buckets() == 0)
        {
            kib[0] = result.pageTableBytes() / 1024.0;
        }
        chart.addSeries("page tables", x, kib).setMarker(SeriesMarkers.NONE);
        return chart;
    }

    private static String save(final XYChart chart, final Path folder, final String name, final ImageFormat format) throws IOException
    {
        if (format == ImageFormat.SVG)
        {
            VectorGraphicsEncoder.saveVectorGraphic(chart, folder.resolve(name).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            return name + ".svg";
        }
        BitmapEncoder.saveBitmap(chart, folder.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        return name + ".png";
    }

    private static String html(final ReplayResult result, final List<Summary.Row> rows, final List<String> images)
    {
        final StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>iommu-emu replay: ")
            .append(escape(result.scenario())).append("</title>\n<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}" +
                "table{border-collapse:collapse}td{padding:2px 12px;border-bottom:1px solid #ddd}td.v{font-family:monospace}" +
                "img{max-width:100%;margin:1em 0}</style></head><body>\n")
            .append("<h1>Replay of ").append(escape(result.scenario())).append("</h1>\n<table>\n");
        for (final Summary.Row row : rows)
        {
            b.append("<tr><td>").append(escape(row.metric())).append("</td><td class=\"v\">").append(escape(row.text()))
                .append("</td></tr>\n");
        }
        b.append("</table>\n");
        for (final String image : images)
        {
            b.append("<img src=\"").append(image).append("\" alt=\"").append(image).append("\">\n");
        }
        b.append(String.format(Locale.ROOT, "<p>Per-TLP results, when requested, are beside this report. Timing profile: %s.</p>\n",
            escape(result.profile())));
        b.append("</body></html>\n");
        return b.toString();
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String csvField(final String text)
    {
        return text.contains(",") || text.contains("\"") ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
    }
}
