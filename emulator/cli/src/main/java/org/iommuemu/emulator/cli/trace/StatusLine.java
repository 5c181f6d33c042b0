package org.iommuemu.emulator.cli.trace;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The mechanics every progress line of the command line shares: one line on stderr, redrawn over itself with a carriage
 * return at most once per interval (half a second), erased when done; nothing at all when disabled (unless asked for
 * or a console is attached, so piped and test output never contain it). What the line says is its owner's.
 */
public final class StatusLine
{
    static final long INTERVAL_NS = 500_000_000L;

    private final PrintWriter err;
    private final boolean enabled;
    private final long intervalNs;
    private final long start = System.nanoTime();
    private long nextDraw;
    private boolean drawn;
    private int widest;

    public StatusLine(final PrintWriter err, final boolean enabled)
    {
        this(err, enabled, INTERVAL_NS);
    }

    StatusLine(final PrintWriter err, final boolean enabled, final long intervalNs)
    {
        this.err = err;
        this.enabled = enabled;
        this.intervalNs = intervalNs;
        this.nextDraw = start + intervalNs;
    }

    public boolean enabled()
    {
        return enabled;
    }

    /** When the line was created ({@code System.nanoTime()}), for rates and times left. */
    public long start()
    {
        return start;
    }

    /** Whether a redraw is due at {@code now}: enabled and an interval since the last one (which it then starts). */
    public boolean due(final long now)
    {
        if (!enabled || now < nextDraw)
        {
            return false;
        }
        nextDraw = now + intervalNs;
        return true;
    }

    /** Draw {@code text} over the line drawn before. */
    public void draw(final CharSequence text)
    {
        final String line = "\r" + text + "   ";
        widest = Math.max(widest, line.length() - 1);
        err.print(line);
        err.flush();
        drawn = true;
    }

    /** Erase the line, if one is drawn (before other output on stderr, and at the end). */
    public void erase()
    {
        if (drawn)
        {
            err.print("\r" + " ".repeat(widest) + "\r");
            err.flush();
            drawn = false;
        }
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
}
