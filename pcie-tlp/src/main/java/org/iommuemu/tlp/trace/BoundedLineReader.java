package org.iommuemu.tlp.trace;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Lines of a text file, read through fixed buffers with a limit on their length: the line readers of every text
 * input (text traces, QEMU logs, requests and register files) stop at the limit instead of scanning on to the end
 * of a line that may be gigabytes long, so the work per line is bounded whatever the file holds. Lines end at
 * {@code \n}; a {@code \r} before it is dropped. Line numbers are 1-based; byte offsets 0-based.
 */
public final class BoundedLineReader implements Closeable
{
    /** {@link #next()}: no more lines. */
    public static final int END = -1;
    /** {@link #next()}: the line is longer than the limit; its first {@code limit} bytes are in {@link #bytes()}. */
    public static final int TOO_LONG = -2;

    private final InputStream in;
    private final int limit;
    private final byte[] chunk = new byte[1 << 16];
    private final byte[] line;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private int chunkPosition;
    private int chunkLength;
    private int length;
    private long lineNumber;
    private long lineStart;
    private long nextLineStart;
    private boolean eof;

    /**
     * @param in    the text; closed by {@link #close()}.
     * @param limit longest line accepted, in bytes.
     */
    public BoundedLineReader(final InputStream in, final int limit)
    {
        if (limit <= 0)
        {
            throw new IllegalArgumentException("line limit must be positive: " + limit);
        }
        this.in = in;
        this.limit = limit;
        this.line = new byte[limit];
    }

    /**
     * Reads the next line. After {@link #TOO_LONG} the reader is at its end: the rest of that line is not read.
     *
     * @return the line's length in bytes, {@link #END} or {@link #TOO_LONG}.
     * @throws IOException when the file cannot be read.
     */
    public int next() throws IOException
    {
        if (eof)
        {
            return END;
        }
        lineStart = nextLineStart;
        length = 0;
        boolean any = false;
        while (true)
        {
            if (chunkPosition == chunkLength)
            {
                chunkLength = in.read(chunk, 0, chunk.length);
                chunkPosition = 0;
                if (chunkLength <= 0)
                {
                    chunkLength = 0;
                    eof = true;
                    break;
                }
            }
            final byte b = chunk[chunkPosition++];
            any = true;
            nextLineStart++;
            if ('\n' == b)
            {
                break;
            }
            if (length == limit)
            {
                eof = true;
                lineNumber++;
                return TOO_LONG;
            }
            line[length++] = b;
        }
        if (!any)
        {
            return END;
        }
        lineNumber++;
        if (length > 0 && '\r' == line[length - 1])
        {
            length--;
        }
        return length;
    }

    /** @return the buffer holding the current line (valid up to the length {@link #next()} returned). */
    public byte[] bytes()
    {
        return line;
    }

    /** @return length of the current line. */
    public int length()
    {
        return length;
    }

    /** @return the current line's 1-based number. */
    public long lineNumber()
    {
        return lineNumber;
    }

    /** @return byte offset of the current line's first byte. */
    public long lineStart()
    {
        return lineStart;
    }

    /** @return the longest line accepted. */
    public int limit()
    {
        return limit;
    }

    /** @return the current line as ISO-8859-1 text (every byte one character; never fails). */
    public String latin1()
    {
        return new String(line, 0, length, StandardCharsets.ISO_8859_1);
    }

    /**
     * @return the current line decoded as UTF-8.
     * @throws CharacterCodingException when it is not UTF-8 (callers name the file and line).
     */
    public String utf8() throws CharacterCodingException
    {
        final CharBuffer text = utf8.reset().decode(ByteBuffer.wrap(line, 0, length));
        return text.toString();
    }

    @Override
    public void close() throws IOException
    {
        in.close();
    }
}
