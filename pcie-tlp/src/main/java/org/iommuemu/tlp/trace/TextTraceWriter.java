package org.iommuemu.tlp.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.iommuemu.tlp.TlpFormatter;

/**
 * Writes the pcie-tlp text trace format, one TLP per line (docs/trace-format.md):
 * <pre>
 * 1574380308210015000ns down port=0 tlp=40000001 0000030f a0000010 00000000 # MWr32 len 1 req 00:00.0 ...
 * </pre>
 * Fields: timestamp with unit (ns, ps or us), direction (down/up), port, then optional {@code flit},
 * {@code ide=T:SS} (out-of-band T bit and hex stream ID) and {@code wire=N} (wire length when the capture is
 * shorter), then {@code tlp=} and the captured TLP bytes in hex, grouped by DW. Everything after {@code #} is
 * a decoded comment that readers ignore. The TLP bytes are the whole truth, so text and pcapng round-trip.
 */
public final class TextTraceWriter implements TraceWriter
{
    /** First line of every file this writer makes. */
    public static final String HEADER = "# pcie-tlp text trace v1: timestamp direction port [flit] [ide=T:SS] " +
        "[wire=N] tlp=HEX # decoded";

    private final Writer out;
    private final StringBuilder line = new StringBuilder(256);
    private final boolean comments;
    private long records;

    /**
     * @param path     to create or truncate.
     * @param comments true to append the decoded TLP as a comment on each line.
     * @throws IOException when the file cannot be created.
     */
    public TextTraceWriter(final Path path, final boolean comments) throws IOException
    {
        this(Files.newBufferedWriter(path, StandardCharsets.US_ASCII), comments);
    }

    /**
     * @param out      to write to; closed by {@link #close()}.
     * @param comments true to append the decoded TLP as a comment on each line.
     * @throws IOException when the header cannot be written.
     */
    public TextTraceWriter(final Writer out, final boolean comments) throws IOException
    {
        this.out = out instanceof BufferedWriter ? out : new BufferedWriter(out);
        this.comments = comments;
        this.out.write(HEADER);
        this.out.write('\n');
    }

    /** {@inheritDoc} */
    @Override
    public void write(final TraceRecord record) throws IOException
    {
        TraceRecord.checkTimestamp(record);
        line.setLength(0);
        line.append(record.timestamp()).append(unit(record.timestampExponent()));
        line.append(' ').append(record.direction().token());
        line.append(" port=").append(record.port());
        if (record.flit())
        {
            line.append(" flit");
        }
        if (record.ideValid())
        {
            line.append(" ide=").append(record.t() ? 1 : 0).append(':');
            TlpFormatter.hex(line, record.streamId(), 2);
        }
        if (record.wireLength() > record.capturedLength())
        {
            line.append(" wire=").append(record.wireLength());
        }
        line.append(" tlp=");
        for (int i = 0; i < record.capturedLength(); i++)
        {
            if (i > 0 && (i & 3) == 0)
            {
                line.append(' ');
            }
            TlpFormatter.hex(line, record.buffer().getByte(record.tlpOffset() + i) & 0xFF, 2);
        }
        if (comments)
        {
            record.decode();
            TlpFormatter.format(record.tlp(), line.append(" # "));
        }
        line.append('\n');
        out.append(line);
        records++;
    }

    /**
     * @param exponent 6, 9 or 12.
     * @return "us", "ns" or "ps".
     */
    static String unit(final int exponent)
    {
        switch (exponent)
        {
            case TraceRecord.MICROSECONDS:
                return "us";
            case TraceRecord.NANOSECONDS:
                return "ns";
            case TraceRecord.PICOSECONDS:
                return "ps";
            default:
                throw new IllegalArgumentException("no text unit for 10^-" + exponent + " s");
        }
    }

    /** {@inheritDoc} */
    @Override
    public long recordsWritten()
    {
        return records;
    }

    @Override
    public void close() throws IOException
    {
        out.close();
    }
}
