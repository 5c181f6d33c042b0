package org.iommuemu.emulator.replay;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.knowm.xchart.BitmapEncoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's plots: what each one shows, the markers, the tail axis's labels, and that every plot draws in time. */
class ReportChartsTest
{
    /**
     * XChart widens the tick spacing until the tick labels are all different; a label function that gives equal labels
     * for different ticks (every tick left of 0 as "0%") made it loop for ever. Every plot of these runs must draw.
     */
    @ParameterizedTest
    @ValueSource(strings = {"seed001-huge", "seed003-t-flip", "tdx-t0-poison", "seed000-separate-ept"})
    void everyPlotDrawsAndTheLatencyPlotCoversEveryOutcome(final String name) throws Exception
    {
        System.setProperty("java.awt.headless", "true");
        final ReplayResult result = ResultsSchemaTest.replay(name);
        final List<ReportCharts.Chart> charts = ReportCharts.charts(List.of(new ReportCharts.Run("", result)));
        assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
        {
            for (final ReportCharts.Chart chart : charts)
            {
                assertTrue(BitmapEncoder.getBufferedImage(chart.chart()).getWidth() > 100, chart.name());
            }
        });
        final ReportCharts.Chart latency = charts.get(0);
        assertEquals("latency", latency.name());
        assertEquals(result.statistics().latencyByOutcome().values().stream().filter(h -> h.getTotalCount() > 0).count(),
            latency.chart().getSeriesMap().size());
        assertEquals(ReportCharts.pageTablesChange(result), charts.stream().anyMatch(c -> c.name().equals("page-tables")));
    }

    @Test
    void theTailAxisIsLabelledInPercentiles()
    {
        assertEquals("0%", ReportCharts.percentileLabel(0.0));
        assertEquals("90%", ReportCharts.percentileLabel(1.0));
        assertEquals("99%", ReportCharts.percentileLabel(2.0));
        assertEquals("99.9%", ReportCharts.percentileLabel(3.0));
        assertEquals("99.999%", ReportCharts.percentileLabel(5.0));
        assertFalse(ReportCharts.percentileLabel(-1.0).equals(ReportCharts.percentileLabel(-2.0)), "distinct left of 0");
        assertFalse(ReportCharts.percentileLabel(5.5).equals(ReportCharts.percentileLabel(5.6)), "distinct in the tail");
    }

    @Test
    void timeTicksAreShort()
    {
        assertEquals("0", ReportCharts.shortNumber(0.0));
        assertEquals("2.5", ReportCharts.shortNumber(2.5));
        assertEquals("150", ReportCharts.shortNumber(150.0));
        assertEquals("12.5k", ReportCharts.shortNumber(12_500.0));
        assertEquals("3M", ReportCharts.shortNumber(3e6));
    }

    /** Every timeline action and platform event has a marker at its simulated time; the page lists them by label. */
    @Test
    void markersForEveryActionAndEvent() throws Exception
    {
        final ReplayResult result = ResultsSchemaTest.replay("seed003-t-flip");
        final List<ReportCharts.Marker> markers = ReportCharts.markers(result);
        final long actions = result.statistics().timelineActions();
        assertEquals(actions + result.events().stream().filter(e -> e.beforeTlp() >= 0).count(), markers.size());
        assertEquals("A1", markers.get(0).label());
        assertTrue(markers.stream().anyMatch(m -> m.label().equals("E1") && m.text().contains("bound")), markers.toString());
        for (final ReportCharts.Marker marker : markers)
        {
            assertEquals(10000, marker.beforeTlp(), "the flip happens before TLP 10000");
            assertTrue(marker.micros() > 0, marker.toString());
        }
        // The marker sits where the TLP it came before arrived: after the first half of the traffic in simulated time.
        final TimeSeries series = result.statistics().series();
        final double end = ReportCharts.micros(result, series.endCycle(series.buckets() - 1));
        assertTrue(markers.get(0).micros() > end * 0.3 && markers.get(0).micros() < end * 0.7, markers.get(0) + " of " + end);
    }
}
