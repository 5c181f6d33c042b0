package org.iommuemu.emulator.replay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@code compare} judges two values of one metric. Values within 1% of each other (0 and 0 included) are
 * {@link Verdict#EQUAL}; otherwise one side is better only when the metric has a better side
 * ({@link Summary.Direction}) and both values are numbers: a ratio with no denominator on a side (a walk cache's hit
 * rate on a run that never walks) is {@link Verdict#NOT_COMPARABLE}, never a win; a difference in a metric with no
 * better side (TLP counts, wall-clock time) is {@link Verdict#DIFFERENT}.
 */
public final class Comparison
{
    /** The outcome of comparing two values, with the mark the side-by-side table prints. */
    public enum Verdict
    {
        /** Within 1% (0 versus 0 included). */
        EQUAL("=", "equal"),
        /** The left value is better. */
        LEFT_BETTER("<", "left_better"),
        /** The right value is better. */
        RIGHT_BETTER(">", "right_better"),
        /** Different, and the metric has no better side. */
        DIFFERENT("*", "different"),
        /** A side has no value (not measured, or a ratio with nothing to divide by). */
        NOT_COMPARABLE(" ", "not_comparable");

        private final String mark;
        private final String word;

        Verdict(final String mark, final String word)
        {
            this.mark = mark;
            this.word = word;
        }

        /** The one-character mark of the side-by-side table. */
        public String mark()
        {
            return mark;
        }

        /** The word machine-readable outputs use. */
        public String word()
        {
            return word;
        }
    }

    /** One metric of both runs: the values (null where a side has none), their ratio right / left, the verdict. */
    public record Line(String key, Object left, Object right, Double ratio, Verdict verdict)
    {
    }

    private Comparison()
    {
    }

    /** The verdict on {@code left} and {@code right} of a metric going {@code direction}. */
    public static Verdict verdict(final Summary.Direction direction, final double left, final double right)
    {
        if (Double.isNaN(left) || Double.isNaN(right))
        {
            return Verdict.NOT_COMPARABLE;
        }
        final double scale = Math.max(Math.abs(left), Math.abs(right));
        if (scale == 0 || Math.abs(left - right) <= scale * 0.01)
        {
            return Verdict.EQUAL;
        }
        switch (direction)
        {
            case HIGHER_IS_BETTER:
                return left > right ? Verdict.LEFT_BETTER : Verdict.RIGHT_BETTER;
            case LOWER_IS_BETTER:
                return left < right ? Verdict.LEFT_BETTER : Verdict.RIGHT_BETTER;
            default:
                return Verdict.DIFFERENT;
        }
    }

    /** Which way a metric key is better ({@link ResultMetrics} keys). */
    public static Summary.Direction direction(final String key)
    {
        if (key.startsWith("run.") || key.startsWith("traffic.") || key.startsWith("wall.") || key.startsWith("events.") ||
            key.startsWith("timeline.") || key.equals("dma.bytes") || key.equals("time.first_arrival_ns") ||
            key.startsWith("trace.") && !key.equals("trace.skipped") || key.endsWith(".count") || key.endsWith(".lookups") ||
            key.endsWith(".hits") || key.endsWith(".fills") || key.endsWith(".entries") || key.endsWith(".ways") ||
            key.endsWith(".invalidated"))
        {
            return Summary.Direction.NEUTRAL;
        }
        if (key.equals("dma.ok") || key.equals("dma.ok_bytes") || key.endsWith(".hit_ratio") || key.startsWith("throughput."))
        {
            return Summary.Direction.HIGHER_IS_BETTER;
        }
        if (key.startsWith("dma.fault") || key.startsWith("faults.") || key.startsWith("effects.") || key.startsWith("machine_checks.") ||
            key.startsWith("walks.") || key.startsWith("queues.") || key.startsWith("latency.") || key.startsWith("device_wait.") ||
            key.startsWith("time.") || key.startsWith("page_tables.") || key.equals("trace.skipped") || key.endsWith(".misses") ||
            key.endsWith(".evictions"))
        {
            return Summary.Direction.LOWER_IS_BETTER;
        }
        return Summary.Direction.NEUTRAL;
    }

    /** Every metric of either run, in the left run's order then the right's new keys, with the verdicts. */
    public static List<Line> lines(final List<ResultMetrics.Metric> left, final List<ResultMetrics.Metric> right)
    {
        final Map<String, Object> a = new LinkedHashMap<>();
        for (final ResultMetrics.Metric metric : left)
        {
            a.put(metric.key(), metric.value());
        }
        final Map<String, Object> b = new LinkedHashMap<>();
        for (final ResultMetrics.Metric metric : right)
        {
            b.put(metric.key(), metric.value());
        }
        final List<String> keys = new ArrayList<>(a.keySet());
        for (final String key : b.keySet())
        {
            if (!a.containsKey(key))
            {
                keys.add(key);
            }
        }
        final List<Line> lines = new ArrayList<>();
        for (final String key : keys)
        {
            final Object l = a.get(key);
            final Object r = b.get(key);
            final double x = number(l);
            final double y = number(r);
            Verdict verdict;
            if (l instanceof Number || r instanceof Number || (l == null && r == null))
            {
                verdict = verdict(direction(key), x, y);
            }
            else
            {
                verdict = Objects.equals(l, r) ? Verdict.EQUAL : Verdict.DIFFERENT;
            }
            final Double ratio = Double.isNaN(x) || Double.isNaN(y) || x == 0 ? null : y / x;
            lines.add(new Line(key, l, r, ratio, verdict));
        }
        return lines;
    }

    private static double number(final Object value)
    {
        if (value instanceof Number n)
        {
            return n.doubleValue();
        }
        if (value instanceof Boolean b)
        {
            return b ? 1 : 0;
        }
        return Double.NaN;
    }
}
