package org.iommuemu.tlp.trace;

/** What a trace reader does with a bad record. */
public enum ErrorPolicy
{
    /** Throw {@link TraceFormatException} at the first bad record (the default). */
    STOP,
    /**
     * Count the bad record as skipped and go on when the container is still in sync; when it is not (a block
     * length that cannot be trusted), count it and stop reading, keeping the error in the summary.
     */
    SKIP_BAD;

    /**
     * Apply this policy to a bad record: {@link #STOP} throws {@code error}; {@link #SKIP_BAD} counts it in
     * {@code summary}, noting whether reading must stop because the container is out of sync.
     */
    public void apply(final TraceFormatException error, final TraceSummary summary, final boolean stopsReading)
        throws TraceFormatException
    {
        if (this == STOP)
        {
            throw error;
        }
        summary.onSkipped(error, stopsReading);
    }
}
