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
    SKIP_BAD
}
