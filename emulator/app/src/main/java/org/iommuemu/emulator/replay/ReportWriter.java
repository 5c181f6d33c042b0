package org.iommuemu.emulator.replay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.scenario.PlatformEvent;

/**
 * The report folder of a replay:
 * <ul>
 * <li>{@code summary.txt}: the summary as the terminal shows it;</li>
 * <li>{@code summary.json}: every number with its unit in its key, the events, actions and histograms
 *     ({@link JsonReport}; docs/results.schema.json);</li>
 * <li>{@code summary.csv}: one header line of the same keys, one line of values, numbers as numbers;</li>
 * <li>{@code stats.txt}: gem5's format, {@code name value # description (unit)} per line, per cache and per model;</li>
 * <li>{@code latency.hgrm}: the latency HdrHistogram's percentile distribution (HdrHistogram's own text format);</li>
 * <li>plots as PNG and/or SVG ({@link ReportCharts}) and an {@code index.html} that shows the summary with its
 *     indentation, the plots, and every event and action as a sentence.</li>
 * </ul>
 * {@link #writeComparison} writes the combined page of {@code compare}: both runs overlaid on each plot, the
 * side-by-side table, {@code compare.json} and {@code compare.csv}, with links to each run's own report.
 */
public final class ReportWriter
{
    /** Image format of the plots. */
    public enum ImageFormat
    {
        PNG,
        SVG
    }

    /** Plot names, without extension, that a report may hold. */
    private static final List<String> PLOTS = List.of("latency", "hit-rates", "walks", "faults", "throughput", "page-tables");

    private ReportWriter()
    {
    }

    /** The files {@link #write} may create in its folder (for the check that none of them is an input). */
    public static List<String> files(final ImageFormat format)
    {
        return files(EnumSet.of(format));
    }

    /** The files {@link #write} may create in its folder with these plot formats. */
    public static List<String> files(final Set<ImageFormat> formats)
    {
        final List<String> files = new ArrayList<>(List.of("summary.txt", "summary.json", "summary.csv", "stats.txt", "latency.hgrm",
            "index.html"));
        for (final ImageFormat format : formats)
        {
            for (final String plot : PLOTS)
            {
                files.add(plot + "." + format.name().toLowerCase(Locale.ROOT));
            }
        }
        return files;
    }

    /** The files {@link #writeComparison} may create in its folder (besides each run's report in its subfolder). */
    public static List<String> comparisonFiles(final Set<ImageFormat> formats)
    {
        final List<String> files = new ArrayList<>(List.of("compare.txt", "compare.json", "compare.csv", "index.html"));
        for (final ImageFormat format : formats)
        {
            for (final String plot : PLOTS)
            {
                files.add(plot + "." + format.name().toLowerCase(Locale.ROOT));
            }
        }
        return files;
    }

    /** Write the report for {@code result} into {@code folder} (created if needed); returns the HTML page. */
    public static Path write(final ReplayResult result, final Path folder, final ImageFormat format) throws IOException
    {
        return write(result, folder, EnumSet.of(format));
    }

    /** Write the report with plots in each of {@code formats}; returns the HTML page. */
    public static Path write(final ReplayResult result, final Path folder, final Set<ImageFormat> formats) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(folder);
        final List<Summary.Row> rows = Summary.rows(result);
        final StringWriter text = new StringWriter();
        Summary.print(rows, new PrintWriter(text));
        Files.writeString(folder.resolve("summary.txt"), text.toString(), StandardCharsets.UTF_8);
        final List<ResultMetrics.Metric> metrics = ResultMetrics.of(result);
        JsonReport.write(JsonReport.replay(result), folder.resolve("summary.json"));
        Files.writeString(folder.resolve("summary.csv"), csv(List.of(""), List.of(metrics)), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("stats.txt"), statsText(metrics), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("latency.hgrm"), hgrm(result.statistics().latency()), StandardCharsets.UTF_8);

        final List<ReportCharts.Run> runs = List.of(new ReportCharts.Run("", result));
        final Map<String, List<String>> images = plots(runs, folder, formats);
        final Path html = folder.resolve("index.html");
        Files.writeString(html, html(result, rows, images), StandardCharsets.UTF_8);
        return html;
    }

    /**
     * The combined page of a comparison in {@code folder}: both runs overlaid on each plot, the side-by-side table
     * ({@code table}, as {@code compare} printed it), {@code compare.json} and {@code compare.csv}; {@code links} are
     * the runs' own report pages relative to {@code folder} (null: none). Returns the HTML page.
     */
    public static Path writeComparison(final String leftName, final ReplayResult left, final String rightName, final ReplayResult right,
        final String table, final Path folder, final Set<ImageFormat> formats, final List<String> links) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("compare.txt"), table, StandardCharsets.UTF_8);
        JsonReport.write(JsonReport.compare(leftName, left, rightName, right), folder.resolve("compare.json"));
        Files.writeString(folder.resolve("compare.csv"), csv(List.of(leftName, rightName), List.of(ResultMetrics.of(left),
            ResultMetrics.of(right))), StandardCharsets.UTF_8);
        final List<ReportCharts.Run> runs = List.of(new ReportCharts.Run(leftName, left), new ReportCharts.Run(rightName, right));
        final Map<String, List<String>> images = plots(runs, folder, formats);
        final StringBuilder b = new StringBuilder();
        head(b, "iommu-emu comparison: " + leftName + " and " + rightName);
        b.append("<h1>").append(escape(leftName)).append(" and ").append(escape(rightName)).append("</h1>\n");
        if (links != null && !links.isEmpty())
        {
            b.append("<p>Each run's own report: ");
            for (int i = 0; i < links.size(); i++)
            {
                b.append(i == 0 ? "" : ", ").append("<a href=\"").append(escape(links.get(i))).append("\">")
                    .append(escape(i == 0 ? leftName : rightName)).append("</a>");
            }
            b.append(". Machine-readable: <a href=\"compare.json\">compare.json</a>, <a href=\"compare.csv\">compare.csv</a>.</p>\n");
        }
        b.append("<h2>Side by side</h2>\n<pre class=\"table\">").append(escape(table)).append("</pre>\n");
        b.append("<h2>Plots</h2>\n<p>Both runs on each plot; the markers (A: timeline action, E: platform event) are ")
            .append(escape(leftName)).append("'s, listed below.</p>\n");
        images(b, images);
        markerList(b, left);
        b.append("</body></html>\n");
        final Path html = folder.resolve("index.html");
        Files.writeString(html, b.toString(), StandardCharsets.UTF_8);
        return html;
    }

    /** Every chart of the runs in every format; returns, per chart, its image files. */
    private static Map<String, List<String>> plots(final List<ReportCharts.Run> runs, final Path folder, final Set<ImageFormat> formats)
        throws IOException
    {
        final Map<String, List<String>> images = new LinkedHashMap<>();
        for (final ReportCharts.Chart chart : ReportCharts.charts(runs))
        {
            final List<String> files = new ArrayList<>();
            for (final ImageFormat format : formats)
            {
                files.add(ReportCharts.save(chart.chart(), folder, chart.name(), format));
            }
            images.put(chart.title(), files);
        }
        return images;
    }

    /**
     * CSV of metrics: a header of the keys (with a leading {@code run} column when there are several runs), then one
     * line of values per run; numbers as numbers, empty where a run has no value.
     */
    public static String csv(final List<String> runs, final List<List<ResultMetrics.Metric>> metrics)
    {
        final List<String> keys = new ArrayList<>();
        final List<Map<String, ResultMetrics.Metric>> byKey = new ArrayList<>();
        for (final List<ResultMetrics.Metric> run : metrics)
        {
            final Map<String, ResultMetrics.Metric> map = new LinkedHashMap<>();
            for (final ResultMetrics.Metric metric : run)
            {
                map.put(metric.key(), metric);
                if (!keys.contains(metric.key()))
                {
                    keys.add(metric.key());
                }
            }
            byKey.add(map);
        }
        final boolean named = runs.size() > 1;
        final StringBuilder b = new StringBuilder();
        if (named)
        {
            b.append("run,");
        }
        b.append(String.join(",", keys)).append('\n');
        for (int r = 0; r < metrics.size(); r++)
        {
            if (named)
            {
                b.append(csvField(runs.get(r))).append(',');
            }
            for (int k = 0; k < keys.size(); k++)
            {
                final ResultMetrics.Metric metric = byKey.get(r).get(keys.get(k));
                if (k > 0)
                {
                    b.append(',');
                }
                if (metric != null)
                {
                    b.append(metric.value() instanceof String ? csvField((String)metric.value()) : metric.text());
                }
            }
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * gem5's {@code stats.txt}: {@code system.iommu.<key> value # description (unit)} per numeric metric, between
     * gem5's begin and end lines, so tools that read gem5 statistics (and people used to its SMMUv3's) read these.
     */
    public static String statsText(final List<ResultMetrics.Metric> metrics)
    {
        final StringBuilder b = new StringBuilder("\n---------- Begin Simulation Statistics ----------\n");
        for (final ResultMetrics.Metric metric : metrics)
        {
            if (metric.value() instanceof String)
            {
                continue;
            }
            final String value = metric.value() instanceof Boolean flag ? (flag ? "1" : "0") :
                metric.value() == null ? "nan" : metric.text();
            b.append(String.format(Locale.ROOT, "%-60s %20s   # %s%s%n", "system.iommu." + metric.key(), value, metric.description(),
                metric.unit().isEmpty() ? "" : " (" + metric.unit() + ")"));
        }
        return b.append("\n---------- End Simulation Statistics   ----------\n").toString();
    }

    /** HdrHistogram's percentile distribution text (values in cycles), the {@code .hgrm} format its plotters read. */
    public static String hgrm(final Histogram histogram)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8))
        {
            histogram.outputPercentileDistribution(out, 5, 1.0);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static void head(final StringBuilder b, final String title)
    {
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title))
            .append("</title>\n<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}" +
                "table{border-collapse:collapse}td{padding:2px 12px;border-bottom:1px solid #ddd;vertical-align:top}" +
                "td.v{font-family:monospace;white-space:pre-wrap}td.i1{padding-left:2em}td.i2{padding-left:4em}" +
                "img{max-width:100%;margin:1em 0}pre.table{font-size:85%;overflow-x:auto}" +
                "details{margin:1em 0}summary{cursor:pointer;font-weight:bold}ol.events li{margin:2px 0}" +
                "span.when{font-family:monospace;color:#555}</style></head><body>\n");
    }

    private static String html(final ReplayResult result, final List<Summary.Row> rows, final Map<String, List<String>> images)
    {
        final StringBuilder b = new StringBuilder();
        head(b, "iommu-emu replay: " + result.scenario());
        b.append("<h1>Replay of ").append(escape(result.scenario())).append("</h1>\n");
        b.append("<p>Machine-readable: <a href=\"summary.json\">summary.json</a>, <a href=\"summary.csv\">summary.csv</a>, " +
            "<a href=\"stats.txt\">stats.txt</a> (gem5 format), <a href=\"latency.hgrm\">latency.hgrm</a> (HdrHistogram).</p>\n");
        b.append("<table>\n");
        for (final Summary.Row row : rows)
        {
            final String metric = row.metric();
            final int indent = (metric.length() - metric.stripLeading().length()) / 2;
            if (metric.startsWith("event ") || metric.equals("  ..."))
            {
                continue; // the events have their own list below, all of them
            }
            b.append("<tr><td").append(indent == 0 ? "" : " class=\"i" + Math.min(indent, 2) + "\"").append('>')
                .append(escape(metric.strip())).append("</td><td class=\"v\">").append(escape(row.text())).append("</td></tr>\n");
        }
        b.append("</table>\n");
        markerList(b, result);
        b.append("<h2>Plots</h2>\n<p>Time is simulated time from the first DMA request. Vertical markers: A = timeline action, " +
            "E = platform event, numbered as in the lists above.</p>\n");
        images(b, images);
        if (!ReportCharts.pageTablesChange(result))
        {
            b.append("<p>Page-table memory stayed at ").append(escape(Summary.bytes(result.pageTableBytes())))
                .append(" for the whole replay (no plot).</p>\n");
        }
        b.append(String.format(Locale.ROOT, "<p>Per-TLP results, when requested, are beside this report. Timing profile: %s.</p>\n",
            escape(result.profile())));
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void images(final StringBuilder b, final Map<String, List<String>> images)
    {
        for (final Map.Entry<String, List<String>> image : images.entrySet())
        {
            final List<String> files = image.getValue();
            final String shown = files.stream().filter(f -> f.endsWith(".svg")).findFirst().orElse(files.get(0));
            b.append("<figure><img src=\"").append(shown).append("\" alt=\"").append(escape(image.getKey())).append("\">");
            b.append("<figcaption>").append(escape(image.getKey()));
            for (final String file : files)
            {
                b.append(" <a href=\"").append(file).append("\">")
                    .append(file.substring(file.lastIndexOf('.') + 1).toUpperCase(Locale.ROOT))
                    .append("</a>");
            }
            b.append("</figcaption></figure>\n");
        }
    }

    /** The timeline actions and the platform events, every one kept, as numbered sentences in collapsible lists. */
    private static void markerList(final StringBuilder b, final ReplayResult result)
    {
        final ReplayStatistics s = result.statistics();
        final List<ReplayStatistics.ActionMark> actions = s.actionMarks();
        b.append("<details").append(actions.size() <= 50 ? " open" : "").append("><summary>Timeline actions (").append(actions.size())
            .append(")</summary>\n<ol class=\"events\">\n");
        for (int i = 0; i < actions.size(); i++)
        {
            final ReplayStatistics.ActionMark mark = actions.get(i);
            b.append("<li><span class=\"when\">A").append(i + 1).append(" before TLP ").append(mark.beforeTlp())
                .append(String.format(Locale.ROOT, ", %.3f us", ReportCharts.micros(result, mark.cycle()))).append("</span> ")
                .append(escape(mark.description())).append(" (scenario line ").append(mark.line()).append(")</li>\n");
        }
        b.append("</ol></details>\n");
        final List<PlatformEvent> events = result.events();
        b.append("<details").append(events.size() <= 50 ? " open" : "").append("><summary>Platform events (").append(result.eventCount())
            .append(result.eventCount() > events.size() ? ", the first " + events.size() + " kept" : "")
            .append(")</summary>\n<ol class=\"events\">\n");
        for (int i = 0; i < events.size(); i++)
        {
            final PlatformEvent event = events.get(i);
            b.append("<li><span class=\"when\">E").append(i + 1).append(' ');
            if (event.beforeTlp() == PlatformEvent.SETUP)
            {
                b.append("setup");
            }
            else
            {
                b.append("before TLP ").append(event.beforeTlp());
                if (s.eventCycle(i) >= 0)
                {
                    b.append(String.format(Locale.ROOT, ", %.3f us", ReportCharts.micros(result, s.eventCycle(i))));
                }
            }
            b.append("</span> ").append(escape(PlatformEventText.sentence(event))).append("</li>\n");
        }
        b.append("</ol></details>\n");
    }

    static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String csvField(final String text)
    {
        return text.contains(",") || text.contains("\"") || text.contains("\n") ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
    }
}
