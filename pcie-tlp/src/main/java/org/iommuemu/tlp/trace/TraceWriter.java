package org.iommuemu.tlp.trace;

import java.io.Closeable;
import java.io.IOException;

/** Streams TLP records to a trace file with a fixed-size buffer. */
public interface TraceWriter extends Closeable
{
    /**
     * Appends one record: its metadata and its captured TLP bytes (the wire length is kept too).
     *
     * @param record to write; not retained.
     * @throws IOException when the file cannot be written.
     */
    void write(TraceRecord record) throws IOException;

    /** @return records written so far. */
    long recordsWritten();
}
