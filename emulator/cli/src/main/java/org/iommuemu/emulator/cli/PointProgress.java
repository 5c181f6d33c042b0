package org.iommuemu.emulator.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.Locale;

import org.iommuemu.emulator.cli.trace.Progress;

/**
 * {@code calibrate}'s progress: one line on stderr with the points run so far, the share of the total and the time
 * left, redrawn with a carriage return at most twice a second. A fit's total is an upper bound (a fit that converges
 * early runs fewer points), so its line says "at most". Disabled unless asked for or a console is attached, so piped
 * and test output never contain it.
 */
final class PointProgress
{
    private static final long INTERVAL_NS = 500_000_000L;

    private final PrintWriter err;
    private final boolean enabled;
    private final String label;
    private final long total;
    private final boolean upperBound;
    private final long start = System.nanoTime();
    private long nextDraw = start + INTERVAL_NS;
    private long points;
    private boolean drawn;
    private int widest;

    PointProgress(final PrintWriter err, final boolean enabled, final String label, final long total, final boolean upperBound)
    {
        this.err = err;
        this.enabled = enabled;
        this.label = label;
        this.total = total;
        this.upperBound = upperBound;
    }

    boolean enabled()
    {
        return enabled;
    }

    /** One more point run. */
    void tick()
    {
        points++;
        if (!enabled)
        {
            return;
        }
        final long now = System.nanoTime();
        if (now < nextDraw)
        {
            return;
        }
        nextDraw = now + INTERVAL_NS;
        final double done = Math.min(1.0, (double)points / Math.max(1, total));
        final StringBuilder line = new StringBuilder(96).append('\r').append(label).append(": ").append(points)
            .append(upperBound ? " points of at most " : " points of ").append(total)
            .append(String.format(Locale.ROOT, " (%.0f%%)", done * 100));
        if (done > 0.001)
        {
            line.append(upperBound ? ", at most " : ", ETA ").append(Progress.duration((now - start) / 1e9 * (1 - done) / done))
                .append(upperBound ? " left" : "");
        }
        line.append("   ");
        widest = Math.max(widest, line.length() - 1);
        err.print(line);
        err.flush();
        drawn = true;
    }

    /** Erases the progress line, if one is drawn (before other output, and at the end). */
    void done()
    {
        if (drawn)
        {
            err.print("\r" + " ".repeat(widest) + "\r");
            err.flush();
            drawn = false;
        }
    }

    /** A writer onto stderr that erases the progress line before each write (for a fit's log lines). */
    PrintWriter log()
    {
        return new PrintWriter(new Writer()
        {
            public void write(final char[] buffer, final int offset, final int length)
            {
                done();
                err.write(buffer, offset, length);
            }

            public void flush()
            {
                err.flush();
            }

            public void close()
            {
                err.flush();
            }
        });
    }
}
