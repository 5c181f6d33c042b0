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
 *  vtd_iotlb_page_hit IOTLB page hit sid 0xSSSS iova 0xI slpte 0xP domain 0xD
 *  vtd_dmar_fault sid 0xSSSS fault N addr 0xA write W
 *  amdvi_translation_result devid: BB:SS.F gpa 0xI hpa 0xG
 *  amdvi_iotlb_hit hit iotlb devid BB:SS.F gpa 0xI hpa 0xG
 *  amdvi_page_fault error: page fault accessing guest physical address 0xA
 * </pre>
 * optionally prefixed by the log backend's {@code PID@SECONDS.MICROS:}. Each translation becomes two records:
 * an upstream ATS Translation Request (MRd, AT = 01, one entry) from the device for the page of the input
 * address, and the downstream CplD whose single Translation Completion entry holds what QEMU answered (the
 * output page, R = W = 1 because the events do not carry permissions, size from the VT-d mask or 4 KiB for
 * AMD-Vi). A fault becomes an untranslated 4-byte MRd or MWr to the faulting address from the device, and keeps
 * what QEMU said: {@link #faultReason()} is the VT-d fault reason of {@code vtd_dmar_fault}, or
 * {@link #AMDVI_IO_PAGE_FAULT} for {@code amdvi_page_fault} (which names no device: it is joined with the
 * {@code amdvi_translation_result} QEMU traces right after it, whose hpa is 0; AMD-Vi's events do not say read or
 * write, so the request is a read). An IOTLB-hit event marks the translation that follows it for the same device
 * and page ({@link #iotlbHit()}); {@link #annotation()} says both in words. A hit or page-fault event that is not
 * followed by its translation is counted as ignored with its line number.
 * <p>
 * Lines of other events, and lines that are not events at all, are counted as ignored (the first few with their
 * line numbers). A line of one of these events whose arguments do not match, whose device, source ID or mask is
 * out of range (bus above ff, device above 1f, function above 7, a mask that is not 2^n - 1), whose
 * {@code PID@SECONDS.MICROS:} prefix is malformed, or that holds bytes that are not UTF-8 (QEMU writes UTF-8; a
 * stray byte means a damaged or binary file) is a bad line, with its line number and the byte's column. Timestamps
 * come from the prefix or, without one, are the line number in microseconds; one that does not fit 63 bits of
 * nanoseconds is a bad line. Lines are at most {@link #MAX_LINE} bytes: a longer one ends reading. Tags count up
 * modulo 1024 to pair requests with completions.
 */
public final class QemuTraceLogReader implements TraceReader
{
    /** Completer ID used for the translation agent (the Root Complex, 00:00.0). */
    public static final int TRANSLATION_AGENT_ID = 0x0000;

    /** Longest line accepted. */
    public static final int MAX_LINE = 1 << 16;

    /** {@link #faultReason()} of an AMD-Vi page fault: the IO_PAGE_FAULT event code. */
    public static final int AMDVI_IO_PAGE_FAULT = 0x2;

    /** {@link #faultReason()} of a record that is no fault. */
    public static final int NO_FAULT = -1;

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
    private static final Pattern VTD_IOTLB_HIT = Pattern.compile(
        "IOTLB page hit sid 0x([0-9a-fA-F]{1,8}) iova 0x([0-9a-fA-F]{1,16}) slpte 0x([0-9a-fA-F]{1,16}) " +
        "domain 0x([0-9a-fA-F]{1,8})\\s*$");
    private static final Pattern AMDVI_IOTLB_HIT = Pattern.compile(
        "hit iotlb devid ([0-9a-fA-F]{1,8}):([0-9a-fA-F]{1,8})\\.([0-9a-fA-F]{1,8}) gpa 0x([0-9a-fA-F]{1,16}) " +
        "hpa 0x([0-9a-fA-F]{1,16})\\s*$");
    private static final Pattern AMDVI_PAGE_FAULT =
        Pattern.compile("error: page fault accessing guest physical address 0x([0-9a-fA-F]{1,16})\\s*$");
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
    /** An IOTLB-hit event waiting for its translation: requester, page (4 KiB), line. */
    private int hitRequester = -1;
    private long hitPage;
    private long hitLine;
    /** An amdvi_page_fault waiting for its translation result: address, line. */
    private boolean pageFaultPending;
    private long pageFaultAddress;
    private long pageFaultLine;
    /** What QEMU said about the current record. */
    private int faultReason = NO_FAULT;
    private boolean iotlbHit;
    private boolean pendingIotlbHit;
    private long iotlbHits;
    private long faults;

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
            faultReason = NO_FAULT;
            iotlbHit = pendingIotlbHit;
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
            final int notUtf8 = firstNonUtf8(in.bytes(), in.length());
            if (notUtf8 >= 0)
            {
                bad(TraceError.BAD_TEXT_LINE, String.format("byte 0x%02x at column %d is not UTF-8 text (QEMU writes UTF-8 logs)",
                    in.bytes()[notUtf8] & 0xFF, notUtf8 + 1));
                continue;
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
            if (!"vtd_dmar_translate".equals(event) && !"amdvi_translation_result".equals(event) && !"vtd_dmar_fault".equals(event) &&
                !"vtd_iotlb_page_hit".equals(event) && !"amdvi_iotlb_hit".equals(event) && !"amdvi_page_fault".equals(event))
            {
                ignore("event " + event + " is not a translation, an IOTLB hit or a fault");
                continue;
            }
            final boolean joins = "vtd_dmar_translate".equals(event) || "amdvi_translation_result".equals(event);
            if (hitRequester >= 0 && !joins)
            {
                unjoined("an IOTLB hit", hitLine);
            }
            if (pageFaultPending && !"amdvi_translation_result".equals(event))
            {
                unjoined("amdvi_page_fault", pageFaultLine);
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
                    final long mask = Long.parseUnsignedLong(m.group(6), 16);
                    final int requester = requester(m, "dev");
                    if (requester < 0)
                    {
                        continue;
                    }
                    if (mask == -1L || Long.bitCount(mask + 1) != 1 || mask + 1 < AtsRange.MIN_SIZE)
                    {
                        bad(TraceError.BAD_TEXT_LINE, "mask 0x" + m.group(6) + " is not a page mask (2^n - 1, at least 0xfff)");
                        continue;
                    }
                    final long iova = Long.parseUnsignedLong(m.group(4), 16);
                    return translation(timestampNs, requester, iova, Long.parseUnsignedLong(m.group(5), 16), mask + 1,
                        joinHit(requester, iova, mask + 1));
                }
                case "vtd_iotlb_page_hit":
                {
                    final Matcher m = VTD_IOTLB_HIT.matcher(args);
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
                    hit((int)sid, Long.parseUnsignedLong(m.group(2), 16));
                    continue;
                }
                case "amdvi_iotlb_hit":
                {
                    final Matcher m = AMDVI_IOTLB_HIT.matcher(args);
                    if (!m.matches())
                    {
                        badArguments(event);
                        continue;
                    }
                    final int requester = requester(m, "devid");
                    if (requester < 0)
                    {
                        continue;
                    }
                    hit(requester, Long.parseUnsignedLong(m.group(4), 16));
                    continue;
                }
                case "amdvi_page_fault":
                {
                    final Matcher m = AMDVI_PAGE_FAULT.matcher(args);
                    if (!m.matches())
                    {
                        badArguments(event);
                        continue;
                    }
                    pageFaultPending = true;
                    pageFaultAddress = Long.parseUnsignedLong(m.group(1), 16);
                    pageFaultLine = lineNumber;
                    continue;
                }
                case "amdvi_translation_result":
                {
                    final Matcher m = AMDVI_TRANSLATE.matcher(args);
                    if (!m.matches())
                    {
                        badArguments(event);
                        continue;
                    }
                    final int requester = requester(m, "devid");
                    if (requester < 0)
                    {
                        continue;
                    }
                    final long gpa = Long.parseUnsignedLong(m.group(4), 16);
                    if (pageFaultPending && pageFaultAddress == gpa)
                    {
                        pageFaultPending = false;
                        return fault(timestampNs, requester, gpa, false, AMDVI_IO_PAGE_FAULT);
                    }
                    if (pageFaultPending)
                    {
                        unjoined("amdvi_page_fault", pageFaultLine);
                    }
                    return translation(timestampNs, requester, gpa, Long.parseUnsignedLong(m.group(5), 16), AtsRange.MIN_SIZE,
                        joinHit(requester, gpa, AtsRange.MIN_SIZE));
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
                    return fault(timestampNs, (int)sid, Long.parseUnsignedLong(m.group(3), 16), "1".equals(m.group(4)),
                        Integer.parseInt(m.group(2)));
                }
            }
        }
        if (hitRequester >= 0)
        {
            unjoined("an IOTLB hit", hitLine);
        }
        if (pageFaultPending)
        {
            unjoined("amdvi_page_fault", pageFaultLine);
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

    /** A fault QEMU traced: an untranslated 4-byte request to the address, carrying the reason. */
    private boolean fault(final long timestampNs, final int requesterId, final long address, final boolean write, final int reason)
        throws TraceFormatException
    {
        final int length = encoder.memoryRequest(requestBuffer, 0, write, requesterId, nextTag(), address & ~3L, 4);
        faultReason = reason;
        iotlbHit = false;
        faults++;
        return emit(timestampNs, Direction.UPSTREAM, requestBuffer, length);
    }

    private void hit(final int requesterId, final long address)
    {
        hitRequester = requesterId;
        hitPage = address & -AtsRange.MIN_SIZE;
        hitLine = lineNumber;
    }

    /** Whether an IOTLB hit is pending for this requester and a page of {@code size} holding {@code input}; clears it. */
    private boolean joinHit(final int requesterId, final long input, final long size)
    {
        if (hitRequester < 0)
        {
            return false;
        }
        final boolean joined = hitRequester == requesterId && (hitPage & -size) == (input & -size);
        if (!joined)
        {
            unjoined("an IOTLB hit", hitLine);
        }
        hitRequester = -1;
        return joined;
    }

    private void unjoined(final String what, final long line)
    {
        if (summary.wantsIgnoredReason())
        {
            summary.onIgnored("line " + line + ": " + what + " not followed by its translation");
        }
        else
        {
            summary.onIgnored();
        }
        if (what.startsWith("amdvi_page_fault"))
        {
            pageFaultPending = false;
        }
        else
        {
            hitRequester = -1;
        }
    }

    /** The index of the first byte of {@code bytes[0, length)} that does not belong to well-formed UTF-8, or -1. */
    static int firstNonUtf8(final byte[] bytes, final int length)
    {
        int i = 0;
        while (i < length)
        {
            final int b = bytes[i] & 0xFF;
            if (b < 0x80)
            {
                i++;
                continue;
            }
            final int extra;
            final int min;
            if (b >= 0xC2 && b <= 0xDF)
            {
                extra = 1;
                min = 0x80;
            }
            else if (b >= 0xE0 && b <= 0xEF)
            {
                extra = 2;
                min = 0x800;
            }
            else if (b >= 0xF0 && b <= 0xF4)
            {
                extra = 3;
                min = 0x10000;
            }
            else
            {
                return i;
            }
            int code = b & (0x3F >> extra);
            for (int k = 1; k <= extra; k++)
            {
                if (i + k >= length || (bytes[i + k] & 0xC0) != 0x80)
                {
                    return i;
                }
                code = code << 6 | (bytes[i + k] & 0x3F);
            }
            if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            {
                return i;
            }
            i += extra + 1;
        }
        return -1;
    }

    /** The VT-d fault reason QEMU traced for the current record, {@link #AMDVI_IO_PAGE_FAULT}, or {@link #NO_FAULT}. */
    public int faultReason()
    {
        return faultReason;
    }

    /** Whether QEMU answered the current translation (request or completion) from its IOTLB. */
    public boolean iotlbHit()
    {
        return iotlbHit;
    }

    /** Translations QEMU answered from its IOTLB so far. */
    public long iotlbHits()
    {
        return iotlbHits;
    }

    /** Fault records so far. */
    public long faults()
    {
        return faults;
    }

    /** {@inheritDoc} */
    @Override
    public String annotation()
    {
        if (faultReason == AMDVI_IO_PAGE_FAULT)
        {
            return "QEMU: amdvi_page_fault (IO_PAGE_FAULT)";
        }
        if (faultReason != NO_FAULT)
        {
            return "QEMU: vtd_dmar_fault reason " + faultReason + String.format(" (0x%02x)", faultReason);
        }
        return iotlbHit ? "QEMU: IOTLB hit" : null;
    }

    private boolean translation(final long timestampNs, final int requesterId, final long input, final long output, final long size,
        final boolean hit) throws IOException
    {
        faultReason = NO_FAULT;
        iotlbHit = hit;
        pendingIotlbHit = hit;
        iotlbHits += hit ? 1 : 0;
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
    /**
     * The bus:dev.fn in groups 1 to 3 of {@code m} as a requester ID; one out of range is a bad line naming
     * {@code field}, and -1.
     */
    private int requester(final Matcher m, final String field) throws TraceFormatException
    {
        final int requester = bdf(m.group(1), m.group(2), m.group(3));
        if (requester < 0)
        {
            bad(TraceError.BAD_TEXT_LINE, field + " " + m.group(1) + ":" + m.group(2) + "." + m.group(3) +
                " is out of range (bus 00-ff, device 00-1f, function 0-7)");
        }
        return requester;
    }

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
