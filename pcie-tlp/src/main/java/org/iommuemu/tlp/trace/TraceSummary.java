package org.iommuemu.tlp.trace;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Counts kept by every trace reader: nothing is dropped silently. {@code read = decoded + skipped}; frames, blocks
 * or lines that are not TLP records at all (pcapng blocks other than packets, non-NetTLP frames in a NetTLP pcap,
 * QEMU log lines of other events) are counted apart in {@link #ignored()}. The first {@link #MAX_REASONS} reasons
 * of each kind are kept, with their record index and offset, so that a summary can say what was skipped or
 * ignored without anyone having to re-read the file.
 */
public final class TraceSummary
{
    /** How many skipped and how many ignored reasons are kept. */
    public static final int MAX_REASONS = 3;

    private long read;
    private long decoded;
    private long skipped;
    private long ignored;
    private long truncatedCaptures;
    private long decodedBytes;
    private final List<TraceFormatException> errors = new ArrayList<>(MAX_REASONS);
    private final List<String> ignoredReasons = new ArrayList<>(MAX_REASONS);
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

    /** A decoded record with {@code capturedBytes} of TLP: {@link #onDecoded(boolean)} that also counts the bytes. */
    public void onDecoded(final boolean truncatedCapture, final int capturedBytes)
    {
        onDecoded(truncatedCapture);
        decodedBytes += capturedBytes;
    }

    public void onSkipped(final TraceFormatException error, final boolean stop)
    {
        read++;
        skipped++;
        if (errors.size() < MAX_REASONS)
        {
            errors.add(error);
        }
        stoppedEarly |= stop;
    }

    /** Something that is not a TLP record, with no reason kept (prefer {@link #onIgnored(String)}). */
    public void onIgnored()
    {
        ignored++;
    }

    /**
     * Something that is not a TLP record; {@code reason} (naming the record index or offset) is kept when fewer than
     * {@link #MAX_REASONS} are. Callers that must not allocate ask {@link #wantsIgnoredReason()} first.
     */
    public void onIgnored(final String reason)
    {
        ignored++;
        if (ignoredReasons.size() < MAX_REASONS)
        {
            ignoredReasons.add(reason);
        }
    }

    /** @return true while another ignored reason would be kept. */
    public boolean wantsIgnoredReason()
    {
        return ignoredReasons.size() < MAX_REASONS;
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

    /** @return frames, blocks or lines that are not TLP records. */
    public long ignored()
    {
        return ignored;
    }

    /** @return decoded records whose capture kept fewer bytes than the TLP had (snap length). */
    public long truncatedCaptures()
    {
        return truncatedCaptures;
    }

    /** @return TLP bytes (as captured) of the decoded records, for readers that count them (0 otherwise). */
    public long decodedBytes()
    {
        return decodedBytes;
    }

    /** @return the first error met, or null. */
    public TraceFormatException firstError()
    {
        return errors.isEmpty() ? null : errors.get(0);
    }

    /** @return the first {@link #MAX_REASONS} errors of skipped records. */
    public List<TraceFormatException> firstErrors()
    {
        return Collections.unmodifiableList(errors);
    }

    /** @return the first {@link #MAX_REASONS} reasons for ignored records. */
    public List<String> firstIgnoredReasons()
    {
        return Collections.unmodifiableList(ignoredReasons);
    }

    /** @return true when reading stopped before the end of the file because the container lost sync. */
    public boolean stoppedEarly()
    {
        return stoppedEarly;
    }

    /** @return true when {@code read == decoded + skipped}, the invariant every reader keeps. */
    public boolean balanced()
    {
        return read == decoded + skipped && read >= 0 && decoded >= 0 && skipped >= 0 && ignored >= 0;
    }

    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder().append("records read ").append(read).append(", decoded ").append(decoded)
            .append(", skipped ").append(skipped).append(", ignored ").append(ignored);
        if (truncatedCaptures > 0)
        {
            text.append(", truncated captures ").append(truncatedCaptures);
        }
        if (stoppedEarly)
        {
            text.append(", stopped early");
        }
        for (int i = 0; i < errors.size(); i++)
        {
            text.append(i == 0 ? ", first skipped: " : "; ").append(errors.get(i).getMessage());
        }
        if (skipped > errors.size() && !errors.isEmpty())
        {
            text.append("; ...");
        }
        for (int i = 0; i < ignoredReasons.size(); i++)
        {
            text.append(i == 0 ? ", first ignored: " : "; ").append(ignoredReasons.get(i));
        }
        if (ignored > ignoredReasons.size() && !ignoredReasons.isEmpty())
        {
            text.append("; ...");
        }
        return text.toString();
    }
}
