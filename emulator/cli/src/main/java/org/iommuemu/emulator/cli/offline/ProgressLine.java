package org.iommuemu.emulator.cli.offline;

import java.io.PrintWriter;

import org.iommuemu.emulator.cli.trace.StatusLine;
import org.iommuemu.emulator.image.DecompressionProgress;

/**
 * Decompression progress as one line on stderr, redrawn with a carriage return at most twice a second and only
 * after the first half second, so small images never show it. Enabled by {@code --progress} or when a console
 * is attached; piped and test output never contain it. The clock is read on the caller's thread per 1 MiB
 * block, outside any model.
 */
final class ProgressLine implements DecompressionProgress
{
    private final StatusLine line;
    private final String label;

    ProgressLine(final PrintWriter err, final String label, final boolean enabled)
    {
        this.line = new StatusLine(err, enabled);
        this.label = label;
    }

    public void progress(final long compressedRead, final long compressedTotal, final long written)
    {
        final long now = System.nanoTime();
        if (!line.due(now))
        {
            return;
        }
        final StringBuilder text = new StringBuilder(label).append(": ").append(written >>> 20).append(" MiB decompressed");
        if (compressedTotal > 0)
        {
            text.append(" (").append(Math.min(100, compressedRead * 100 / compressedTotal)).append("% of the file");
            final double done = Math.min(1.0, (double)compressedRead / compressedTotal);
            if (done > 0.001)
            {
                text.append(", ETA ").append(StatusLine.duration((now - line.start()) / 1e9 * (1 - done) / done));
            }
            text.append(')');
        }
        line.draw(text);
    }

    public void done(final long written)
    {
        line.erase();
    }
}
