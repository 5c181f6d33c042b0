package org.iommuemu.emulator.cli.trace;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress indicator on stderr, redrawn with a carriage return at most twice a second. Checking the
 * clock costs one branch per record and a {@code nanoTime} every 16 384 records. Disabled unless asked for or a
 * console is attached, so piped and test output never contains it.
 */
public final class Progress
{
    private static final long INTERVAL_NS = 500_000_000L;
    private static final int CHECK_MASK = (1 << 14) - 1;

    private final PrintWriter err;
    private final boolean enabled;
    private final String label;
    private final long totalBytes;
    private final long intervalNs;
    private final long start = System.nanoTime();
    private long nextDraw;
    private boolean drawn;
    private int widest;

    public Progress(final PrintWriter err, final boolean enabled, final String label, final long totalBytes)
    {
        this(err, enabled, label, totalBytes, INTERVAL_NS);
    }

    Progress(final PrintWriter err, final boolean enabled, final String label, final long totalBytes, final long intervalNs)
    {
        this.err = err;
        this.enabled = enabled;
        this.label = label;
        this.totalBytes = totalBytes;
        this.intervalNs = intervalNs;
        this.nextDraw = start + intervalNs;
    }

    /**
     * @param records  done so far.
     * @param position bytes of input (or output) done so far, or -1 when unknown.
     */
    public void tick(final long records, final long position)
    {
        if (!enabled || (records & CHECK_MASK) != 0)
        {
            return;
        }
        final long now = System.nanoTime();
        if (now < nextDraw)
        {
            return;
        }
        nextDraw = now + intervalNs;
        final StringBuilder line = new StringBuilder(80).append('\r').append(label).append(": ")
            .append(records).append(" records");
        final double seconds = (now - start) / 1e9;
        if (position >= 0 && totalBytes > 0)
        {
            line.append(", ").append(Math.min(100, position * 100 / totalBytes)).append('%');
            final double done = Math.min(1.0, (double)position / totalBytes);
            if (done > 0.001)
            {
                line.append(", ETA ").append(duration(seconds * (1 - done) / done));
            }
        }
        line.append(String.format(Locale.ROOT, ", %.0f records/s ", records / Math.max(seconds, 1e-9)));
        widest = Math.max(widest, line.length() - 1);
        err.print(line);
        err.flush();
        drawn = true;
    }

    /** A remaining time as people say it: {@code 42s}, {@code 3m05s}, {@code 1h02m}. */
    public static String duration(final double seconds)
    {
        final long s = Math.max(0, Math.round(seconds));
        if (s < 60)
        {
            return s + "s";
        }
        if (s < 3600)
        {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }

    /** Erases the progress line, if one was drawn. */
    public void done()
    {
        if (drawn)
        {
            err.print("\r" + " ".repeat(widest) + "\r");
            err.flush();
            drawn = false;
        }
    }
}
