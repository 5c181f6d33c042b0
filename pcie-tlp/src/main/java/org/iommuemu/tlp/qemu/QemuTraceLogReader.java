package org.iommuemu.tlp.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.AtsRange;
import org.iommuemu.tlp.TlpEncoder;
import org.iommuemu.tlp.TlpError;
import org.iommuemu.tlp.TlpHeader;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.iommuemu.tlp.trace.BoundedLineReader;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * Turns a QEMU IOMMU trace log ({@code -trace 'vtd_*' -trace 'amdvi_*'} with the log backend) into TLPs, so a
 * guest's DMA translations can be replayed against the emulator. Event formats are those of QEMU's
 * {@code hw/i386/trace-events}:
 * <pre>
 *  vtd_dmar_translate dev BB:SS.FF iova 0xI -> gpa 0xG mask 0xM
 *  amdvi_translation_result devid: BB:SS.F gpa 0xI hpa 0xG
 *  vtd_dmar_fault sid 0xSSSS fault N addr 0xA write W
 * </pre>
 * optionally prefixed by the log backend's {@code PID@SECONDS.MICROS:}. Each translation becomes two records:
 * an upstream ATS Translation Request (MRd, AT = 01, one entry) from the device for the page of the input
 * address, and the downstream CplD whose single Translation Completion entry holds what QEMU answered (the
 * output page, R = W = 1 because the events do not carry permissions, size from the VT-d mask or 4 KiB for
 * AMD-Vi). A {@code vtd_dmar_fault} becomes an untranslated 4-byte MRd or MWr to the faulting address. Lines
 * of other events, and lines that are not events at all, are counted as ignored (the first few with their line
 * numbers). A line of one of the three events whose arguments do not match, whose device, source ID or mask is out
 * of range (bus above ff, device above 1f, function above 7, a mask that is not 2^n - 1), or whose
 * {@code PID@SECONDS.MICROS:} prefix is malformed is a bad line. Timestamps come from the prefix or, without
 * one, are the line number in microseconds; one that does not fit 63 bits of nanoseconds is a bad line. Lines
 * are at most {@link #MAX_LINE} bytes: a longer one ends reading. Tags count up modulo 1024 to pair requests
 * with completions.
 */
public final class QemuTraceLogReader implements TraceReader
{
    /** Completer ID used for the translation agent (the Root Complex, 00:00.0). */
    public static final int TRANSLATION_AGENT_ID = 0x0000;

    /** Longest line accepted. */
    public static final int MAX_LINE = 1 << 16;

    private static final Pattern PREFIX = Pattern.compile("^\\s*(?:(\\d+)@(\\d+)\\.(\\d{1,9}):)?\\s*([A-Za-z_]\\w*)(?:\\s+(.*))?$");
    /** A line that starts like the log backend's prefix (digits and {@code @}) must have a whole one. */
    private static final Pattern PREFIX_START = Pattern.compile("^\\s*\\d+@.*");
    private static final Pattern VTD_TRANSLATE = Pattern.compile(
        "dev ([0-9a-fA-F]{1,8}):([0-9a-fA-F]{1,8})\\.([0-9a-fA-F]{1,8}) iova 0x([0-9a-fA-F]{1,16}) -> gpa 0x([0-9a-fA-F]{1,16}) " +
        "mask 0x([0-9a-fA-F]{1,16})\\s*$");
    private static final Pattern AMDVI_TRANSLATE = Pattern.compile(
        "devid: ([0-9a-fA-F]{1,8}):([0-9a-fA-F]{1,8})\\.([0-9a-fA-F]{1,8}) gpa 0x([0-9a-fA-F]{1,16}) hpa 0x([0-9a-fA-F]{1,16})\\s*$");
    private static final Pattern VTD_FAULT = Pattern.compile(
        "sid 0x([0-9a-fA-F]{1,8}) fault (\\d{1,9}) addr 0x([0-9a-fA-F]{1,16}) write ([01])\\s*$");
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final String source;
    private final ErrorPolicy policy;
    private final BoundedLineReader in;
    private final TlpEncoder encoder = new TlpEncoder();
    private final UnsafeBuffer requestBuffer = new UnsafeBuffer(new byte[64]);
    private final UnsafeBuffer completionBuffer = new UnsafeBuffer(new byte[64]);
    private final TranslationCompletionEntry entry = new TranslationCompletionEntry();
    private final TraceRecord record = new TraceRecord();
    private final TraceSummary summary = new TraceSummary();
    private long lineNumber;
    private long lineOffset;
    private long recordIndex;
    private boolean done;
    private int tag;
    private boolean completionPending;
    private long pendingTimestamp;
    private int pendingLength;

    /**
     * @param path   of the log.
     * @param policy on malformed event lines.
     * @throws IOException when the file cannot be opened.
     */
    public QemuTraceLogReader(final Path path, final ErrorPolicy policy) throws IOException
    {
        this(path.toString(), Files.newInputStream(path), policy);
    }

    /**
     * @param source name for messages.
     * @param in     log bytes (ASCII; other bytes are read as ISO-8859-1 and fail the event formats); closed by
     *               {@link #close()}.
     * @param policy on malformed event lines.
     */
    public QemuTraceLogReader(final String source, final InputStream in, final ErrorPolicy policy)
    {
        this.source = source;
        this.in = new BoundedLineReader(in, MAX_LINE);
        this.policy = policy;
    }

    /** {@inheritDoc} */
    @Override
    public boolean next() throws IOException
    {
        if (completionPending)
        {
            completionPending = false;
            return emit(pendingTimestamp, Direction.DOWNSTREAM, completionBuffer, pendingLength);
        }
        int n;
        while (!done && (n = in.next()) != BoundedLineReader.END)
        {
            lineNumber = in.lineNumber();
            lineOffset = in.lineStart();
            if (BoundedLineReader.TOO_LONG == n)
            {
                done = true;
                policy.apply(new TraceFormatException(source, TraceError.LINE_TOO_LONG, recordIndex, lineOffset + MAX_LINE,
                    "line " + lineNumber + ": longer than " + MAX_LINE + " bytes; reading stops here"), summary, true);
                return false;
            }
            final String line = in.latin1();
            if (line.isBlank())
            {
                continue;
            }
            final Matcher prefix = PREFIX.matcher(line);
            if (!prefix.matches())
            {
                if (PREFIX_START.matcher(line).matches())
                {
                    bad(TraceError.BAD_TEXT_LINE, "the PID@SECONDS.MICROS: prefix is malformed");
                }
                else
                {
                    ignore("not a trace event");
                }
                continue;
            }
            final String event = prefix.group(4);
            if (!"vtd_dmar_translate".equals(event) && !"amdvi_translation_result".equals(event) && !"vtd_dmar_fault".equals(event))
            {
                ignore("event " + event + " is not a translation or a fault");
                continue;
            }
            final long timestampNs = null != prefix.group(2) ? prefixNanos(prefix.group(2), prefix.group(3)) :
                lineNumber > Long.MAX_VALUE / 1_000L ? -1 : lineNumber * 1_000L;
            if (timestampNs < 0)
            {
                bad(TraceError.BAD_TIMESTAMP, "timestamp " + prefix.group(2) + "." + prefix.group(3) + " s does not fit 63 bits of ns");
                continue;
            }
            final String args = null == prefix.group(5) ? "" : prefix.group(5);
            switch (event)
            {
                case "vtd_dmar_translate":
                {
                    final Matcher m = VTD_TRANSLATE.matcher(args);
                    if (!m.matches())
                    {
                        badArguments(event);
                        continue;
                    }
                    final int requester = bdf(m.group(1), m.group(2), m.group(3));
                    final long mask = Long.parseUnsignedLong(m.group(6), 16);
                    if (requester < 0)
                    {
                        bad(TraceError.BAD_TEXT_LINE, "dev " + m.group(1) + ":" + m.group(2) + "." + m.group(3) +
                            " is out of range (bus 00-ff, device 00-1f, function 0-7)");
                        continue;
                    }
                    if (mask == -1L || Long.bitCount(mask + 1) != 1 || mask + 1 < AtsRange.MIN_SIZE)
                    {
                        bad(TraceError.BAD_TEXT_LINE, "mask 0x" + m.group(6) + " is not a page mask (2^n - 1, at least 0xfff)");
                        continue;
                    }
                    return translation(timestampNs, requester, Long.parseUnsignedLong(m.group(4), 16),
                        Long.parseUnsignedLong(m.group(5), 16), mask + 1);
                }
                case "amdvi_translation_result":
                {
                    final Matcher m = AMDVI_TRANSLATE.matcher(args);
                    if (!m.matches())
                    {
                        badArguments(event);
                        continue;
                    }
                    final int requester = bdf(m.group(1), m.group(2), m.group(3));
                    if (requester < 0)
                    {
                        bad(TraceError.BAD_TEXT_LINE, "devid " + m.group(1) + ":" + m.group(2) + "." + m.group(3) +
                            " is out of range (bus 00-ff, device 00-1f, function 0-7)");
                        continue;
                    }
                    return translation(timestampNs, requester, Long.parseUnsignedLong(m.group(4), 16),
                        Long.parseUnsignedLong(m.group(5), 16), AtsRange.MIN_SIZE);
                }
                default: // vtd_dmar_fault
                {
                    final Matcher m = VTD_FAULT.matcher(args);
                    if (!m.matches())
                    {
                        badArguments(event);
                        continue;
                    }
                    final long sid = Long.parseLong(m.group(1), 16);
                    if (sid > 0xFFFF)
                    {
                        bad(TraceError.BAD_TEXT_LINE, "sid 0x" + m.group(1) + " is wider than a 16-bit source ID");
                        continue;
                    }
                    final long address = Long.parseUnsignedLong(m.group(3), 16) & ~3L;
                    final int length = encoder.memoryRequest(requestBuffer, 0, "1".equals(m.group(4)), (int)sid,
                        nextTag(), address, 4);
                    return emit(timestampNs, Direction.UPSTREAM, requestBuffer, length);
                }
            }
        }
        return false;
    }

    /** {@code SECONDS} and {@code FRACTION} of the log prefix in nanoseconds, or -1 when that does not fit 63 bits. */
    private static long prefixNanos(final String seconds, final String fraction)
    {
        if (seconds.length() > 18)
        {
            return -1;
        }
        final long whole = Long.parseLong(seconds);
        if (whole > (Long.MAX_VALUE - NANOS_PER_SECOND) / NANOS_PER_SECOND)
        {
            return -1;
        }
        return whole * NANOS_PER_SECOND + fractionNs(fraction);
    }

    private boolean translation(
        final long timestampNs, final int requesterId, final long input, final long output, final long size)
        throws IOException
    {
        final long rangeSize = size >= AtsRange.MIN_SIZE && Long.bitCount(size) == 1 ? size : AtsRange.MIN_SIZE;
        final int requestTag = nextTag();
        final int requestLength = encoder.translationRequest(requestBuffer, 0, requesterId, requestTag, input, 1,
            false);
        pendingLength = encoder.translationCompletion(completionBuffer, 0, TRANSLATION_AGENT_ID, requesterId,
            requestTag, 1);
        entry.wrap(completionBuffer, TlpHeader.HEADER_3DW_LENGTH).value(TranslationCompletionEntry.compose(
            output & -rangeSize, rangeSize, TranslationCompletionEntry.R | TranslationCompletionEntry.W));
        pendingTimestamp = timestampNs;
        completionPending = true;
        return emit(timestampNs, Direction.UPSTREAM, requestBuffer, requestLength);
    }

    private boolean emit(final long timestampNs, final Direction direction, final UnsafeBuffer buffer,
        final int length) throws TraceFormatException
    {
        record.position(recordIndex++, lineOffset);
        record.set(timestampNs, TraceRecord.NANOSECONDS, direction, 0).ide(false, false, 0)
            .tlpBytes(false, buffer, 0, length, length);
        if (TlpError.NONE != record.decode())
        {
            throw new IllegalStateException("encoder produced an invalid TLP: " + record.tlp().error());
        }
        summary.onDecoded(false, length);
        return true;
    }

    private int nextTag()
    {
        final int t = tag;
        tag = (tag + 1) & 0x3FF;
        return t;
    }

    private static long fractionNs(final String digits)
    {
        long value = Long.parseLong(digits);
        for (int i = digits.length(); i < 9; i++)
        {
            value *= 10;
        }
        return value;
    }

    /** The requester ID of {@code BB:SS.F} (hex), or -1 when a part is out of range. */
    private static int bdf(final String bus, final String slot, final String func)
    {
        final long b = Long.parseLong(bus, 16);
        final long s = Long.parseLong(slot, 16);
        final long f = Long.parseLong(func, 16);
        if (b > 0xFF || s > 0x1F || f > 7)
        {
            return -1;
        }
        return (int)(b << 8 | s << 3 | f);
    }

    private void badArguments(final String event) throws TraceFormatException
    {
        bad(TraceError.BAD_TEXT_LINE, event + " arguments do not match the QEMU trace-events format");
    }

    private void bad(final TraceError error, final String detail) throws TraceFormatException
    {
        policy.apply(new TraceFormatException(source, error, recordIndex, lineOffset, "line " + lineNumber + ": " + detail),
            summary, false);
    }

    private void ignore(final String why)
    {
        if (summary.wantsIgnoredReason())
        {
            summary.onIgnored("line " + lineNumber + ": " + why);
        }
        else
        {
            summary.onIgnored();
        }
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
        in.close();
    }
}
