package org.iommuemu.tlp.trace;

/**
 * Counts kept by every trace reader: nothing is dropped silently. {@code read = decoded + skipped}; frames
 * that are not TLP records at all (pcapng blocks other than packets, non-NetTLP frames in a NetTLP pcap) are
 * counted apart in {@link #ignored()}.
 */
public final class TraceSummary
{
    private long read;
    private long decoded;
    private long skipped;
    private long ignored;
    private long truncatedCaptures;
    private TraceFormatException firstError;
    private boolean stoppedEarly;

    public void onDecoded(final boolean truncatedCapture)
    {
        read++;
        decoded++;
        if (truncatedCapture)
        {
            truncatedCaptures++;
        }
    }

    public void onSkipped(final TraceFormatException error, final boolean stop)
    {
        read++;
        skipped++;
        if (null == firstError)
        {
            firstError = error;
        }
        stoppedEarly |= stop;
    }

    public void onIgnored()
    {
        ignored++;
    }

    /** @return records read, good or bad. */
    public long read()
    {
        return read;
    }

    /** @return records whose TLP decoded. */
    public long decoded()
    {
        return decoded;
    }

    /** @return bad records skipped (skip-bad mode). */
    public long skipped()
    {
        return skipped;
    }

    /** @return frames or blocks that are not TLP records. */
    public long ignored()
    {
        return ignored;
    }

    /** @return decoded records whose capture kept fewer bytes than the TLP had (snap length). */
    public long truncatedCaptures()
    {
        return truncatedCaptures;
    }

    /** @return the first error met, or null. */
    public TraceFormatException firstError()
    {
        return firstError;
    }

    /** @return true when reading stopped before the end of the file because the container lost sync. */
    public boolean stoppedEarly()
    {
        return stoppedEarly;
    }

    @Override
    public String toString()
    {
        return "records read " + read + ", decoded " + decoded + ", skipped " + skipped + ", ignored " + ignored +
            (truncatedCaptures > 0 ? ", truncated captures " + truncatedCaptures : "") +
            (stoppedEarly ? ", stopped early" : "") +
            (null != firstError ? ", first error: " + firstError.getMessage() : "");
    }
}
