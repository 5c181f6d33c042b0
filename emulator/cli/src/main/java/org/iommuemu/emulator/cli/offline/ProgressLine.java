package org.iommuemu.emulator.cli.offline;

import java.io.PrintWriter;

import org.iommuemu.emulator.cli.trace.Progress;
import org.iommuemu.emulator.image.DecompressionProgress;

/**
 * Decompression progress as one line on stderr, redrawn with a carriage return at most twice a second and only
 * after the first half second, so small images never show it. Enabled by {@code --progress} or when a console
 * is attached; piped and test output never contain it. The clock is read on the caller's thread per 1 MiB
 * block, outside any model.
 */
final class ProgressLine implements DecompressionProgress
{
    private static final long INTERVAL_NS = 500_000_000L;

    private final PrintWriter err;
    private final String label;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long nextDraw = start + INTERVAL_NS;
    private boolean drawn;
    private int widest;

    ProgressLine(final PrintWriter err, final String label, final boolean enabled)
    {
        this.err = err;
        this.label = label;
        this.enabled = enabled;
    }

    public void progress(final long compressedRead, final long compressedTotal, final long written)
    {
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
        final StringBuilder line = new StringBuilder("\r").append(label).append(": ").append(written >>> 20).append(" MiB decompressed");
        if (compressedTotal > 0)
        {
            line.append(" (").append(Math.min(100, compressedRead * 100 / compressedTotal)).append("% of the file");
            final double done = Math.min(1.0, (double)compressedRead / compressedTotal);
            if (done > 0.001)
            {
                line.append(", ETA ").append(Progress.duration((now - start) / 1e9 * (1 - done) / done));
            }
            line.append(')');
        }
        line.append("   ");
        widest = Math.max(widest, line.length() - 1);
        err.print(line);
        err.flush();
        drawn = true;
    }

    public void done(final long written)
    {
        if (drawn)
        {
            err.print("\r" + " ".repeat(widest) + "\r");
            err.flush();
            drawn = false;
        }
    }
}
