package org.iommuemu.emulator.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.Locale;

import org.iommuemu.emulator.cli.trace.StatusLine;

/**
 * {@code calibrate}'s progress: one line on stderr with the points run so far, the share of the total and the time
 * left, redrawn with a carriage return at most twice a second. A fit's total is an upper bound (a fit that converges
 * early runs fewer points), so its line says "at most". Disabled unless asked for or a console is attached, so piped
 * and test output never contain it.
 */
final class PointProgress
{
    private final PrintWriter err;
    private final StatusLine line;
    private final String label;
    private final long total;
    private final boolean upperBound;
    private long points;

    PointProgress(final PrintWriter err, final boolean enabled, final String label, final long total, final boolean upperBound)
    {
        this.err = err;
        this.line = new StatusLine(err, enabled);
        this.label = label;
        this.total = total;
        this.upperBound = upperBound;
    }

    boolean enabled()
    {
        return line.enabled();
    }

    /** One more point run. */
    void tick()
    {
        points++;
        final long now = System.nanoTime();
        if (!line.due(now))
        {
            return;
        }
        final double done = Math.min(1.0, (double)points / Math.max(1, total));
        final StringBuilder text = new StringBuilder(96).append(label).append(": ").append(points)
            .append(upperBound ? " points of at most " : " points of ").append(total)
            .append(String.format(Locale.ROOT, " (%.0f%%)", done * 100));
        if (done > 0.001)
        {
            text.append(upperBound ? ", at most " : ", ETA ").append(StatusLine.duration((now - line.start()) / 1e9 * (1 - done) / done))
                .append(upperBound ? " left" : "");
        }
        line.draw(text);
    }

    /** Erases the progress line, if one is drawn (before other output, and at the end). */
    void done()
    {
        line.erase();
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
