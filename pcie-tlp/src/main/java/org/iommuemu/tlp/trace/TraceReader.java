package org.iommuemu.tlp.trace;

import java.io.Closeable;
import java.io.IOException;

/**
 * Streams the TLP records of a trace file in constant memory. Typical use:
 * <pre>{@code
 * try (TraceReader reader = TraceFiles.open(path, ErrorPolicy.STOP))
 * {
 *     while (reader.next())
 *     {
 *         TraceRecord record = reader.record();   // same object every time
 *         Tlp tlp = record.tlp();                 // already decoded
 *     }
 *     System.out.println(reader.summary());
 * }
 * }</pre>
 */
public interface TraceReader extends Closeable
{
    /**
     * Advances to the next decodable record.
     *
     * @return true when {@link #record()} holds a record; false at the end (or when skip-bad mode stopped).
     * @throws TraceFormatException in {@link ErrorPolicy#STOP} mode at the first bad record.
     * @throws IOException          when the file cannot be read.
     */
    boolean next() throws IOException;

    /** @return the current record, re-pointed by each {@link #next()}. */
    TraceRecord record();

    /** @return counts so far; complete after {@link #next()} returned false. */
    TraceSummary summary();

    /** @return the file (or other source) the records come from, for messages. */
    default String source()
    {
        return "trace";
    }

    /**
     * @return what the source said about the current record besides its TLP (a QEMU log's fault reason or IOTLB hit),
     *         for {@code trace dump}; null when nothing (the default).
     */
    default String annotation()
    {
        return null;
    }
}
