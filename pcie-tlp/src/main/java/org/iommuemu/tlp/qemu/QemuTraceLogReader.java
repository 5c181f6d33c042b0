package org.iommuemu.tlp.qemu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
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
 * AMD-Vi). A {@code vtd_dmar_fault} becomes an untranslated 4-byte MRd or MWr to the faulting address. Other
 * lines are counted as ignored. Timestamps come from the prefix (microseconds) or, without one, are the line
 * number in microseconds. Tags count up modulo 1024 to pair requests with completions.
 */
public final class QemuTraceLogReader implements TraceReader
{
    /** Completer ID used for the translation agent (the Root Complex, 00:00.0). */
    public static final int TRANSLATION_AGENT_ID = 0x0000;

    private static final Pattern PREFIX = Pattern.compile("^\\s*(?:\\d+@(\\d+)\\.(\\d{1,9}):)?\\s*(\\w+)\\s*(.*)$");
    private static final Pattern VTD_TRANSLATE = Pattern.compile(
        "dev ([0-9a-fA-F]+):([0-9a-fA-F]+)\\.([0-9a-fA-F]+) iova 0x([0-9a-fA-F]+) -> gpa 0x([0-9a-fA-F]+) " +
        "mask 0x([0-9a-fA-F]+)\\s*$");
    private static final Pattern AMDVI_TRANSLATE = Pattern.compile(
        "devid: ([0-9a-fA-F]+):([0-9a-fA-F]+)\\.([0-9a-fA-F]+) gpa 0x([0-9a-fA-F]+) hpa 0x([0-9a-fA-F]+)\\s*$");
    private static final Pattern VTD_FAULT = Pattern.compile(
        "sid 0x([0-9a-fA-F]+) fault (\\d+) addr 0x([0-9a-fA-F]+) write (\\d)\\s*$");

    private final String source;
    private final ErrorPolicy policy;
    private final BufferedReader in;
    private final TlpEncoder encoder = new TlpEncoder();
    private final UnsafeBuffer requestBuffer = new UnsafeBuffer(new byte[64]);
    private final UnsafeBuffer completionBuffer = new UnsafeBuffer(new byte[64]);
    private final TranslationCompletionEntry entry = new TranslationCompletionEntry();
    private final TraceRecord record = new TraceRecord();
    private final TraceSummary summary = new TraceSummary();
    private long lineNumber;
    private long lineOffset;
    private long nextLineOffset;
    private long recordIndex;
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
        this(path.toString(), Files.newBufferedReader(path, StandardCharsets.UTF_8), policy);
    }

    /**
     * @param source name for messages.
     * @param in     log text; closed by {@link #close()}.
     * @param policy on malformed event lines.
     */
    public QemuTraceLogReader(final String source, final Reader in, final ErrorPolicy policy)
    {
        this.source = source;
        this.in = in instanceof BufferedReader ? (BufferedReader)in : new BufferedReader(in);
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
        String line;
        while ((line = in.readLine()) != null)
        {
            lineNumber++;
            lineOffset = nextLineOffset;
            nextLineOffset += line.length() + 1;
            final Matcher prefix = PREFIX.matcher(line);
            if (!prefix.matches())
            {
                if (!line.isBlank())
                {
                    summary.onIgnored();
                }
                continue;
            }
            final long timestampNs = null != prefix.group(1) ?
                Long.parseLong(prefix.group(1)) * 1_000_000_000L + fractionNs(prefix.group(2)) :
                lineNumber * 1_000L;
            final String event = prefix.group(3);
            final String args = prefix.group(4);
            switch (event)
            {
                case "vtd_dmar_translate":
                {
                    final Matcher m = VTD_TRANSLATE.matcher(args);
                    if (!m.matches())
                    {
                        bad(event);
                        continue;
                    }
                    final long mask = Long.parseUnsignedLong(m.group(6), 16);
                    return translation(timestampNs, bdf(m.group(1), m.group(2), m.group(3)),
                        Long.parseUnsignedLong(m.group(4), 16), Long.parseUnsignedLong(m.group(5), 16), mask + 1);
                }
                case "amdvi_translation_result":
                {
                    final Matcher m = AMDVI_TRANSLATE.matcher(args);
                    if (!m.matches())
                    {
                        bad(event);
                        continue;
                    }
                    return translation(timestampNs, bdf(m.group(1), m.group(2), m.group(3)),
                        Long.parseUnsignedLong(m.group(4), 16), Long.parseUnsignedLong(m.group(5), 16),
                        AtsRange.MIN_SIZE);
                }
                case "vtd_dmar_fault":
                {
                    final Matcher m = VTD_FAULT.matcher(args);
                    if (!m.matches())
                    {
                        bad(event);
                        continue;
                    }
                    final int sid = Integer.parseInt(m.group(1), 16);
                    final long address = Long.parseUnsignedLong(m.group(3), 16) & ~3L;
                    final int length = encoder.memoryRequest(requestBuffer, 0, !"0".equals(m.group(4)), sid,
                        nextTag(), address, 4);
                    return emit(timestampNs, Direction.UPSTREAM, requestBuffer, length);
                }
                default:
                    summary.onIgnored();
                    break;
            }
        }
        return false;
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
        summary.onDecoded(false);
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

    private static int bdf(final String bus, final String slot, final String func)
    {
        return (Integer.parseInt(bus, 16) & 0xFF) << 8 | (Integer.parseInt(slot, 16) & 0x1F) << 3 |
            (Integer.parseInt(func, 16) & 0x7);
    }

    private void bad(final String event) throws TraceFormatException
    {
        policy.apply(new TraceFormatException(source, TraceError.BAD_TEXT_LINE, recordIndex, lineOffset,
            "line " + lineNumber + ": " + event + " arguments do not match the QEMU trace-events format"), summary, false);
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
    public void close() throws IOException
    {
        in.close();
    }
}
