package org.iommuemu.tlp.trace;

import java.io.IOException;

/** A trace file is malformed: which record, at which byte offset of the file, and why. */
public final class TraceFormatException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final TraceError error;
    private final long recordIndex;
    private final long byteOffset;
    private final String detail;

    /**
     * @param source      file name or description, for the message.
     * @param error       kind of problem.
     * @param recordIndex index of the record (0-based; for text traces the line number, 1-based).
     * @param byteOffset  offset in the file where the problem was found.
     * @param detail      human-readable reason.
     */
    public TraceFormatException(
        final String source, final TraceError error, final long recordIndex, final long byteOffset, final String detail)
    {
        super(source + ": record " + recordIndex + " at byte offset " + byteOffset + ": " + error + ": " + detail);
        this.error = error;
        this.recordIndex = recordIndex;
        this.byteOffset = byteOffset;
        this.detail = detail;
    }

    /** @return kind of problem. */
    public TraceError error()
    {
        return error;
    }

    /** @return index of the bad record. */
    public long recordIndex()
    {
        return recordIndex;
    }

    /** @return byte offset in the file. */
    public long byteOffset()
    {
        return byteOffset;
    }

    /** @return reason without the location. */
    public String detail()
    {
        return detail;
    }
}
