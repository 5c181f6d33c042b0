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
    private static final int CHECK_MASK = (1 << 14) - 1;

    private final StatusLine line;
    private final String label;
    private final long totalBytes;

    public Progress(final PrintWriter err, final boolean enabled, final String label, final long totalBytes)
    {
        this(err, enabled, label, totalBytes, StatusLine.INTERVAL_NS);
    }

    Progress(final PrintWriter err, final boolean enabled, final String label, final long totalBytes, final long intervalNs)
    {
        this.line = new StatusLine(err, enabled, intervalNs);
        this.label = label;
        this.totalBytes = totalBytes;
    }

    /**
     * @param records  done so far.
     * @param position bytes of input (or output) done so far, or -1 when unknown.
     */
    public void tick(final long records, final long position)
    {
        if (!line.enabled() || (records & CHECK_MASK) != 0)
        {
            return;
        }
        final long now = System.nanoTime();
        if (!line.due(now))
        {
            return;
        }
        final StringBuilder text = new StringBuilder(80).append(label).append(": ").append(records).append(" records");
        final double seconds = (now - line.start()) / 1e9;
        if (position >= 0 && totalBytes > 0)
        {
            text.append(", ").append(Math.min(100, position * 100 / totalBytes)).append('%');
            final double done = Math.min(1.0, (double)position / totalBytes);
            if (done > 0.001)
            {
                text.append(", ETA ").append(StatusLine.duration(seconds * (1 - done) / done));
            }
        }
        text.append(String.format(Locale.ROOT, ", %.0f records/s", records / Math.max(seconds, 1e-9)));
        line.draw(text);
    }

    /** Erases the progress line, if one was drawn. */
    public void done()
    {
        line.erase();
    }
}
