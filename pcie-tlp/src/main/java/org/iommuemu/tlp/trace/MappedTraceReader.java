package org.iommuemu.tlp.trace;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What the readers of memory-mapped capture files (pcapng, NetTLP pcap) share: the mapped input, the record they
 * re-point, the summary, and the bad-record handling under the {@link ErrorPolicy}: {@link #skip} for a record
 * that can be passed over with the container still in sync, {@link #fail} for one after which reading must stop.
 */
public abstract class MappedTraceReader implements TraceReader
{
    protected final String source;
    protected final ErrorPolicy policy;
    protected final MappedInput input;
    protected final TraceRecord record = new TraceRecord();
    protected final TraceSummary summary = new TraceSummary();
    /** Set once reading must stop (end of input, or a bad record the container cannot be resynchronised after). */
    protected boolean done;

    protected MappedTraceReader(final Path path, final ErrorPolicy policy) throws IOException
    {
        this.source = path.toString();
        this.policy = policy;
        this.input = new MappedInput(path.toFile());
    }

    /** Close the input and throw a bad-magic error (for a constructor that finds the wrong kind of file). */
    protected final TraceFormatException badMagic(final String detail)
    {
        input.close();
        return new TraceFormatException(source, TraceError.BAD_MAGIC, 0, 0, detail);
    }

    /** A bad record that can be skipped: count it (or throw in STOP mode); returns false for "no record here". */
    protected final boolean skip(final TraceError error, final long index, final long offset, final String detail)
        throws TraceFormatException
    {
        policy.apply(new TraceFormatException(source, error, index, offset, detail), summary, false);
        return false;
    }

    /** A bad record after which reading must stop: count it (or throw in STOP mode) and stop. */
    protected final void fail(final TraceError error, final long index, final long offset, final String detail)
        throws TraceFormatException
    {
        policy.apply(new TraceFormatException(source, error, index, offset, detail), summary, true);
        done = true;
    }

    @Override
    public final TraceRecord record()
    {
        return record;
    }

    @Override
    public final TraceSummary summary()
    {
        return summary;
    }

    @Override
    public final String source()
    {
        return source;
    }

    @Override
    public void close()
    {
        input.close();
    }
}
