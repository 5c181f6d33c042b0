package org.iommuemu.tlp.trace;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.TlpError;

/**
 * Reads the text trace format of {@link TextTraceWriter}, streaming line by line through fixed buffers
 * (a line may be up to {@link #MAX_LINE} bytes). Blank lines and lines starting with {@code #} are skipped. A longer
 * line ends reading ({@link TraceError#LINE_TOO_LONG}, also with {@link ErrorPolicy#SKIP_BAD}): the reader does
 * not scan on to its end, so a multi-gigabyte line costs no more than 64 KiB of reading. A field given twice
 * ({@code port=}, {@code flit}, {@code ide=}, {@code wire=}) and a timestamp that does not fit 63 bits are bad
 * lines.
 * Errors give the record index (0-based count of data lines before), the byte offset of the problem in the
 * file, and the line number in the detail.
 */
public final class TextTraceReader implements TraceReader
{
    /** Longest line accepted. */
    public static final int MAX_LINE = 1 << 16;
    /** Largest TLP accepted, in bytes. */
    public static final int MAX_TLP = 1 << 14;

    private final String source;
    private final ErrorPolicy policy;
    private final BoundedLineReader lines;
    private final byte[] line;
    private final UnsafeBuffer tlpBuffer = new UnsafeBuffer(new byte[MAX_TLP]);
    private final TraceRecord record = new TraceRecord();
    private final TraceSummary summary = new TraceSummary();
    private int lineLength;
    private boolean lineTooLong;
    private long lineNumber;
    private long lineStart;
    private long recordIndex;

    /**
     * @param path   of the text trace.
     * @param policy on bad lines.
     * @throws IOException when the file cannot be opened.
     */
    public TextTraceReader(final Path path, final ErrorPolicy policy) throws IOException
    {
        this(path.toString(), Files.newInputStream(path), policy);
    }

    /**
     * @param source name for messages.
     * @param in     stream of ASCII text; closed by {@link #close()}.
     * @param policy on bad lines.
     */
    public TextTraceReader(final String source, final InputStream in, final ErrorPolicy policy)
    {
        this.source = source;
        this.lines = new BoundedLineReader(in, MAX_LINE);
        this.line = lines.bytes();
        this.policy = policy;
    }

    private boolean readLine() throws IOException
    {
        final int n = lines.next();
        if (BoundedLineReader.END == n)
        {
            return false;
        }
        lineTooLong = BoundedLineReader.TOO_LONG == n;
        lineLength = lineTooLong ? MAX_LINE : n;
        lineNumber = lines.lineNumber();
        lineStart = lines.lineStart();
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public boolean next() throws IOException
    {
        while (readLine())
        {
            int pos = skipSpaces(0);
            if (pos == lineLength || '#' == line[pos])
            {
                continue;
            }
            final long index = recordIndex++;
            if (lineTooLong)
            {
                // Bounded work: the rest of the line is not scanned, so the next line cannot be found either.
                policy.apply(new TraceFormatException(source, TraceError.LINE_TOO_LONG, index, lineStart + MAX_LINE,
                    "line " + lineNumber + ": longer than " + MAX_LINE + " bytes; reading stops here"), summary, true);
                return false;
            }
            // timestamp with unit
            long timestamp = 0;
            final int digitsStart = pos;
            boolean overflow = false;
            while (pos < lineLength && line[pos] >= '0' && line[pos] <= '9')
            {
                final int digit = line[pos++] - '0';
                overflow |= timestamp > (Long.MAX_VALUE - digit) / 10;
                timestamp = overflow ? timestamp : timestamp * 10 + digit;
            }
            if (overflow)
            {
                bad(TraceError.BAD_TIMESTAMP, index, lineStart + digitsStart, "timestamp " +
                    new String(line, digitsStart, pos - digitsStart, StandardCharsets.US_ASCII) + " does not fit 63 bits");
                continue;
            }
            final int exponent = pos + 2 <= lineLength ? unitExponent(line[pos], line[pos + 1]) : -1;
            if (pos == digitsStart || exponent < 0 || !isSpaceAt(pos + 2))
            {
                bad(TraceError.BAD_TEXT_LINE, index, lineStart + digitsStart,
                    "expected a timestamp such as 1234ns, 1234ps or 1234us");
                continue;
            }
            pos = skipSpaces(pos + 2);
            final Direction direction;
            if (matches(pos, "down"))
            {
                direction = Direction.DOWNSTREAM;
                pos += 4;
            }
            else if (matches(pos, "up"))
            {
                direction = Direction.UPSTREAM;
                pos += 2;
            }
            else
            {
                bad(TraceError.BAD_TEXT_LINE, index, lineStart + pos, "expected direction 'down' or 'up'");
                continue;
            }
            int port = 0;
            boolean flit = false;
            boolean ideValid = false;
            boolean t = false;
            int stream = 0;
            int wire = -1;
            boolean ok = true;
            int seen = 0;
            String duplicate = null;
            pos = skipSpaces(pos);
            while (pos < lineLength && !matches(pos, "tlp="))
            {
                final int tokenStart = pos;
                final int field = matches(pos, "port=") ? 1 : matches(pos, "flit") ? 2 : matches(pos, "ide=") ? 4 :
                    matches(pos, "wire=") ? 8 : 0;
                if ((seen & field) != 0)
                {
                    duplicate = field == 1 ? "port=" : field == 2 ? "flit" : field == 4 ? "ide=" : "wire=";
                    break;
                }
                seen |= field;
                if (matches(pos, "port="))
                {
                    final long value = parseNumber(pos + 5, 10);
                    port = (int)value;
                    ok = value >= 0 && value <= 0xFFFF;
                }
                else if (matches(pos, "flit") && (isSpaceAt(pos + 4)))
                {
                    flit = true;
                }
                else if (matches(pos, "ide=") && pos + 6 <= lineLength && line[pos + 5] == ':')
                {
                    ideValid = true;
                    t = line[pos + 4] == '1';
                    ok = line[pos + 4] == '1' || line[pos + 4] == '0';
                    final long value = parseNumber(pos + 6, 16);
                    stream = (int)value;
                    ok &= value >= 0 && value <= 0xFF;
                }
                else if (matches(pos, "wire="))
                {
                    final long value = parseNumber(pos + 5, 10);
                    wire = (int)value;
                    ok = value > 0 && value <= MAX_TLP;
                }
                else
                {
                    ok = false;
                }
                if (!ok)
                {
                    bad(TraceError.BAD_TEXT_LINE, index, lineStart + tokenStart, "bad or unknown field '" +
                        new String(line, tokenStart, tokenEnd(tokenStart) - tokenStart,
                        StandardCharsets.US_ASCII) + "'");
                    break;
                }
                pos = skipSpaces(tokenEnd(pos));
            }
            if (null != duplicate)
            {
                bad(TraceError.BAD_TEXT_LINE, index, lineStart + pos, "field " + duplicate + " appears twice");
                continue;
            }
            if (!ok)
            {
                continue;
            }
            if (!matches(pos, "tlp="))
            {
                bad(TraceError.BAD_TEXT_LINE, index, lineStart + pos, "missing tlp= field");
                continue;
            }
            pos += 4;
            int length = 0;
            int high = -1;
            while (pos < lineLength && '#' != line[pos])
            {
                final byte c = line[pos];
                if (' ' != c && '\t' != c)
                {
                    final int nibble = Character.digit(c, 16);
                    if (nibble < 0 || length == MAX_TLP)
                    {
                        ok = false;
                        break;
                    }
                    if (high < 0)
                    {
                        high = nibble;
                    }
                    else
                    {
                        tlpBuffer.putByte(length++, (byte)((high << 4) | nibble));
                        high = -1;
                    }
                }
                pos++;
            }
            if (!ok || high >= 0 || 0 == length)
            {
                bad(TraceError.BAD_TEXT_LINE, index, lineStart + pos, "tlp= needs an even number (> 0) of hex " +
                    "digits, at most " + MAX_TLP + " bytes");
                continue;
            }
            record.position(index, lineStart);
            record.set(timestamp, exponent, direction, port).ide(ideValid, t, stream)
                .tlpBytes(flit, tlpBuffer, 0, length, Math.max(wire, length));
            final TlpError error = record.decode();
            if (TlpError.NONE != error)
            {
                bad(TraceError.UNDECODABLE_TLP, index, lineStart, error.description() + " at TLP byte " +
                    record.tlp().errorOffset());
                continue;
            }
            summary.onDecoded(record.tlp().isTruncatedCapture(), length);
            return true;
        }
        return false;
    }

    private int tokenEnd(final int from)
    {
        int pos = from;
        while (pos < lineLength && !isSpaceAt(pos))
        {
            pos++;
        }
        return pos;
    }

    private long parseNumber(final int from, final int radix)
    {
        final int end = tokenEnd(from);
        if (end == from || end - from > 12)
        {
            return -1;
        }
        long value = 0;
        for (int i = from; i < end; i++)
        {
            final int digit = Character.digit(line[i], radix);
            if (digit < 0)
            {
                return -1;
            }
            value = value * radix + digit;
        }
        return value;
    }

    private static int unitExponent(final byte a, final byte b)
    {
        if ('s' != b)
        {
            return -1;
        }
        switch (a)
        {
            case 'n':
                return TraceRecord.NANOSECONDS;
            case 'p':
                return TraceRecord.PICOSECONDS;
            case 'u':
                return TraceRecord.MICROSECONDS;
            default:
                return -1;
        }
    }

    private boolean isSpaceAt(final int pos)
    {
        return pos >= lineLength || ' ' == line[pos] || '\t' == line[pos];
    }

    private int skipSpaces(final int from)
    {
        int pos = from;
        while (pos < lineLength && (' ' == line[pos] || '\t' == line[pos]))
        {
            pos++;
        }
        return pos;
    }

    private boolean matches(final int pos, final String word)
    {
        if (pos + word.length() > lineLength)
        {
            return false;
        }
        for (int i = 0; i < word.length(); i++)
        {
            if (line[pos + i] != word.charAt(i))
            {
                return false;
            }
        }
        return true;
    }

    private void bad(final TraceError error, final long index, final long offset, final String detail)
        throws TraceFormatException
    {
        policy.apply(new TraceFormatException(source, error, index, offset, "line " + lineNumber + ": " + detail),
            summary, false);
    }

    /** {@inheritDoc} */
    @Override
    public TraceRecord record()
    {
        return record;
    }

    /** {@inheritDoc} */
    @Override
    public TraceSummary summary()
    {
        return summary;
    }

    @Override
    public final String source()
    {
        return source;
    }

    @Override
    public void close() throws IOException
    {
        lines.close();
    }
}
