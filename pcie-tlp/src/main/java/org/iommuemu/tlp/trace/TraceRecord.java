package org.iommuemu.tlp.trace;

import org.agrona.DirectBuffer;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpDecoder;
import org.iommuemu.tlp.TlpError;

/**
 * One TLP of a trace with its metadata: a caller-owned, re-pointed object. Readers fill the one they own and
 * hand it out from {@link TraceReader#record()}; writers take one (or its fields) to write. The TLP bytes are
 * not copied: {@link #buffer()}, {@link #tlpOffset()} and {@link #capturedLength()} point into the reader's
 * memory map or line buffer and stay valid until the next {@code next()}.
 * <p>
 * Timestamps are integers in units of 10^-{@link #timestampExponent()} seconds (9 = ns, 12 = ps, 6 = us), so
 * that epoch-based nanosecond captures and picosecond simulations both fit a {@code long} unscaled.
 */
public final class TraceRecord
{
    /** Exponent for nanoseconds. */
    public static final int NANOSECONDS = 9;
    /** Exponent for picoseconds. */
    public static final int PICOSECONDS = 12;
    /** Exponent for microseconds. */
    public static final int MICROSECONDS = 6;

    private final Tlp tlp = new Tlp();
    private long recordIndex;
    private long fileOffset;
    private long timestamp;
    private int timestampExponent = NANOSECONDS;
    private Direction direction = Direction.UPSTREAM;
    private int port;
    private boolean flit;
    private boolean ideValid;
    private boolean t;
    private int streamId;
    private DirectBuffer buffer;
    private int tlpOffset;
    private int capturedLength;
    private int wireLength;

    /**
     * Sets the metadata.
     *
     * @param timestamp         in units of 10^-exponent s.
     * @param timestampExponent 6, 9 or 12.
     * @param direction         of the TLP.
     * @param port              port or link id.
     * @return this.
     */
    public TraceRecord set(final long timestamp, final int timestampExponent, final Direction direction, final int port)
    {
        this.timestamp = timestamp;
        this.timestampExponent = timestampExponent;
        this.direction = direction;
        this.port = port;
        return this;
    }

    /**
     * Sets the out-of-band IDE fields of the pseudo-header.
     *
     * @param ideValid true when t and streamId are meaningful.
     * @param t        T bit.
     * @param streamId IDE stream ID.
     * @return this.
     */
    public TraceRecord ide(final boolean ideValid, final boolean t, final int streamId)
    {
        this.ideValid = ideValid;
        this.t = ideValid && t;
        this.streamId = ideValid ? streamId : 0;
        return this;
    }

    /**
     * Points at the TLP bytes.
     *
     * @param flit           true for a flit-mode TLP.
     * @param buffer         holding the TLP.
     * @param offset         of its first byte.
     * @param capturedLength bytes present.
     * @param wireLength     bytes on the wire (at least capturedLength).
     * @return this.
     */
    public TraceRecord tlpBytes(
        final boolean flit, final DirectBuffer buffer, final int offset, final int capturedLength, final int wireLength)
    {
        this.flit = flit;
        this.buffer = buffer;
        this.tlpOffset = offset;
        this.capturedLength = capturedLength;
        this.wireLength = wireLength;
        return this;
    }

    /**
     * Decodes the TLP bytes into {@link #tlp()}.
     *
     * @return the decoder's verdict.
     */
    public TlpError decode()
    {
        return flit ?
            TlpDecoder.decodeFlit(buffer, tlpOffset, capturedLength, tlp) :
            TlpDecoder.decode(buffer, tlpOffset, capturedLength, wireLength, tlp);
    }

    public void position(final long recordIndex, final long fileOffset)
    {
        this.recordIndex = recordIndex;
        this.fileOffset = fileOffset;
    }

    /** @return the decoded TLP (valid after a reader's successful {@code next()}). */
    public Tlp tlp()
    {
        return tlp;
    }

    /** @return index of the record in its file, 0-based. */
    public long recordIndex()
    {
        return recordIndex;
    }

    /** @return offset in the file of the record's block, frame or line. */
    public long fileOffset()
    {
        return fileOffset;
    }

    /** @return timestamp in units of 10^-{@link #timestampExponent()} s. */
    public long timestamp()
    {
        return timestamp;
    }

    /** @return decimal exponent of the timestamp unit. */
    public int timestampExponent()
    {
        return timestampExponent;
    }

    /**
     * @param exponent wanted, 6, 9 or 12.
     * @return the timestamp rescaled.
     * @throws ArithmeticException when it does not fit a long.
     */
    public long timestampIn(final int exponent)
    {
        return rescale(timestamp, timestampExponent, exponent);
    }

    /**
     * @param value    timestamp.
     * @param from     its exponent.
     * @param to       the exponent wanted.
     * @return value x 10^(to - from), truncated when scaling down.
     * @throws ArithmeticException when it does not fit a long.
     */
    public static long rescale(final long value, final int from, final int to)
    {
        long result = value;
        for (int e = from; e < to; e++)
        {
            result = Math.multiplyExact(result, 10L);
        }
        for (int e = to; e < from; e++)
        {
            result /= 10;
        }
        return result;
    }

    /**
     * Refuses a timestamp no reader accepts back (a negative one), so a writer never writes what the readers
     * reject.
     *
     * @param record about to be written.
     * @throws IllegalArgumentException when its timestamp is negative.
     */
    public static void checkTimestamp(final TraceRecord record)
    {
        if (record.timestamp < 0)
        {
            throw new IllegalArgumentException("timestamp " + record.timestamp + " is negative; trace files hold 0 to 2^63 - 1");
        }
    }

    /** @return direction. */
    public Direction direction()
    {
        return direction;
    }

    /** @return port or link id. */
    public int port()
    {
        return port;
    }

    /** @return true for a flit-mode TLP. */
    public boolean flit()
    {
        return flit;
    }

    /** @return true when the out-of-band T bit and stream ID are valid. */
    public boolean ideValid()
    {
        return ideValid;
    }

    /** @return the out-of-band T bit. */
    public boolean t()
    {
        return t;
    }

    /** @return the out-of-band stream ID. */
    public int streamId()
    {
        return streamId;
    }

    /** @return the T bit that applies: from the TLP's IDE prefix or OHC-C if present, else the out-of-band one. */
    public boolean effectiveT()
    {
        return tlp.teeOriginated() || (ideValid && t);
    }

    /** @return buffer holding the TLP bytes. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** @return offset of the TLP's first byte in {@link #buffer()}. */
    public int tlpOffset()
    {
        return tlpOffset;
    }

    /** @return bytes of the TLP present. */
    public int capturedLength()
    {
        return capturedLength;
    }

    /** @return bytes of the TLP on the wire. */
    public int wireLength()
    {
        return wireLength;
    }
}
