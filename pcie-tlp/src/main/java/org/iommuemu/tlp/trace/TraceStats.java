package org.iommuemu.tlp.trace;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.agrona.collections.Int2IntCounterMap;
import org.agrona.collections.LongHashSet;
import org.iommuemu.tlp.CompletionHeader;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpFormatter;
import org.iommuemu.tlp.TlpKind;

/**
 * Counts for {@code trace stats}: TLPs by kind, by requester, bytes, and the address footprint (distinct
 * 4 KiB pages touched by address-routed requests). Feed it decoded records with {@link #accept(TraceRecord)};
 * the footprint set grows with the number of distinct pages, everything else is fixed size.
 */
public final class TraceStats
{
    private static final int PAGE_SHIFT = 12;

    private final long[] byKind = new long[TlpKind.values().length];
    private final Int2IntCounterMap byRequester = new Int2IntCounterMap(0);
    private final LongHashSet pages = new LongHashSet();
    private long records;
    private long flit;
    private long upstream;
    private long wireBytes;
    private long dataBytes;
    private long teeTlps;
    private long pasidTlps;
    private long translationRequests;
    private long truncatedCaptures;
    private long lowestAddress = -1;
    private long highestAddress;
    private long firstTimestamp;
    private long lastTimestamp;
    private int timestampExponent = TraceRecord.NANOSECONDS;

    /**
     * Adds one decoded record.
     *
     * @param record with a valid {@link TraceRecord#tlp()}.
     */
    public void accept(final TraceRecord record)
    {
        final Tlp tlp = record.tlp();
        if (0 == records)
        {
            firstTimestamp = record.timestamp();
            timestampExponent = record.timestampExponent();
        }
        lastTimestamp = record.timestamp();
        records++;
        wireBytes += record.wireLength();
        dataBytes += tlp.dataLength();
        if (Direction.UPSTREAM == record.direction())
        {
            upstream++;
        }
        if (record.effectiveT())
        {
            teeTlps++;
        }
        if (tlp.pasidValid())
        {
            pasidTlps++;
        }
        if (tlp.isTruncatedCapture())
        {
            truncatedCaptures++;
        }
        if (tlp.isFlit())
        {
            flit++;
            return;
        }
        final TlpKind kind = tlp.kind();
        byKind[kind.ordinal()]++;
        if (kind.isAddressRouted())
        {
            byRequester.incrementAndGet(tlp.request().requesterId());
            final long address = tlp.request().address();
            if (tlp.request().isTranslationRequest())
            {
                translationRequests++;
                return;
            }
            final int length = kind.isIo() ? 4 : tlp.header().lengthDw() * 4;
            final long first = address >>> PAGE_SHIFT;
            final long last = (address + length - 1) >>> PAGE_SHIFT;
            for (long page = first; page <= last; page++)
            {
                pages.add(page);
            }
            if (-1 == lowestAddress || Long.compareUnsigned(address, lowestAddress) < 0)
            {
                lowestAddress = address;
            }
            if (Long.compareUnsigned(address + length, highestAddress) > 0)
            {
                highestAddress = address + length;
            }
        }
        else if (kind.isConfig())
        {
            byRequester.incrementAndGet(tlp.config().requesterId());
        }
        else if (kind.isMessage())
        {
            byRequester.incrementAndGet(tlp.message().requesterId());
        }
        else if (kind.isCompletion())
        {
            final CompletionHeader c = tlp.completion();
            byRequester.incrementAndGet(c.requesterId());
        }
    }

    /** @return records accepted. */
    public long records()
    {
        return records;
    }

    /**
     * @param kind of TLP.
     * @return non-flit TLPs of that kind.
     */
    public long count(final TlpKind kind)
    {
        return byKind[kind.ordinal()];
    }

    /**
     * @param requesterId Requester ID.
     * @return TLPs that name it as requester.
     */
    public long countForRequester(final int requesterId)
    {
        return byRequester.get(requesterId);
    }

    /** @return distinct 4 KiB pages touched by address-routed requests (not translation requests). */
    public long footprintPages()
    {
        return pages.size();
    }

    /** @return TLP bytes on the wire. */
    public long wireBytes()
    {
        return wireBytes;
    }

    /** @return data payload bytes. */
    public long dataBytes()
    {
        return dataBytes;
    }

    /** @return TLPs with the T bit. */
    public long teeTlps()
    {
        return teeTlps;
    }

    /** @return TLPs with a PASID. */
    public long pasidTlps()
    {
        return pasidTlps;
    }

    /** @return TLPs going upstream (device to root complex). */
    public long upstream()
    {
        return upstream;
    }

    /** @return flit-mode TLPs (not counted by kind). */
    public long flit()
    {
        return flit;
    }

    /** @return ATS translation requests (not counted in the footprint). */
    public long translationRequests()
    {
        return translationRequests;
    }

    /** @return records whose capture holds fewer bytes than the TLP had on the wire. */
    public long truncatedCaptures()
    {
        return truncatedCaptures;
    }

    /** @return the lowest address an address-routed request touched, or -1 when none did. */
    public long lowestAddress()
    {
        return lowestAddress;
    }

    /** @return one past the highest byte an address-routed request touched (0 when none did). */
    public long highestAddress()
    {
        return highestAddress;
    }

    /** @return last minus first timestamp, in units of 10^-{@link #timestampExponent()} s. */
    public long timeSpan()
    {
        return lastTimestamp - firstTimestamp;
    }

    /** @return the decimal exponent of the timestamps' unit. */
    public int timestampExponent()
    {
        return timestampExponent;
    }

    /** @return non-flit TLPs by kind mnemonic ({@code MRd}, {@code MWr}, ...), kinds seen only, in {@link TlpKind} order. */
    public Map<String, Long> byKind()
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        for (final TlpKind kind : TlpKind.values())
        {
            if (byKind[kind.ordinal()] > 0)
            {
                result.merge(kind.mnemonic(), byKind[kind.ordinal()], Long::sum);
            }
        }
        return result;
    }

    /** @return TLPs by requester as {@code bus:dev.fn}, in requester ID order. */
    public Map<String, Long> byRequester()
    {
        final int[] ids = new int[byRequester.size()];
        final int[] n = {0};
        byRequester.forEach((id, count) -> ids[n[0]++] = id);
        Arrays.sort(ids);
        final Map<String, Long> result = new LinkedHashMap<>();
        for (final int id : ids)
        {
            result.put(TlpFormatter.bdf(new StringBuilder(7), id).toString(), (long)byRequester.get(id));
        }
        return result;
    }

    /**
     * Appends a human-readable report.
     *
     * @param out to append to.
     * @return out.
     */
    public StringBuilder report(final StringBuilder out)
    {
        out.append("records ").append(records).append(" (upstream ").append(upstream).append(", downstream ")
            .append(records - upstream).append(", flit ").append(flit).append(")\n");
        out.append("bytes on wire ").append(wireBytes).append(", data ").append(dataBytes).append('\n');
        out.append("by kind:");
        for (final TlpKind kind : TlpKind.values())
        {
            if (byKind[kind.ordinal()] > 0)
            {
                out.append(' ').append(kind.mnemonic()).append('=').append(byKind[kind.ordinal()]);
            }
        }
        out.append('\n').append("by requester:");
        final int[] ids = new int[byRequester.size()];
        final int[] n = {0};
        byRequester.forEach((id, count) -> ids[n[0]++] = id);
        Arrays.sort(ids);
        for (final int id : ids)
        {
            TlpFormatter.bdf(out.append(' '), id).append('=').append(byRequester.get(id));
        }
        out.append('\n').append("T bit ").append(teeTlps).append(", PASID ").append(pasidTlps)
            .append(", translation requests ").append(translationRequests)
            .append(", truncated captures ").append(truncatedCaptures).append('\n');
        out.append("footprint ").append(pages.size()).append(" pages of 4 KiB");
        if (-1 != lowestAddress)
        {
            TlpFormatter.hexLong(out.append(", addresses 0x"), lowestAddress);
            TlpFormatter.hexLong(out.append(" - 0x"), highestAddress);
        }
        out.append('\n').append("time ").append(lastTimestamp - firstTimestamp).append(' ')
            .append(TextTraceWriter.unit(timestampExponent)).append('\n');
        return out;
    }
}
