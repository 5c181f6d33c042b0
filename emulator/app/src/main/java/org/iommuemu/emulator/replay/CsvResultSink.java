package org.iommuemu.emulator.replay;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tlp.trace.GuestAccess;

/**
 * Per-TLP results as CSV (docs/replay.md): one header line, then one line per TLP of the trace in order:
 * {@code index,time_ns,class,requester,pasid,address,access,at,t,outcome,output_address,page_size,fault,cycles,iotlb_hit,
 * table_fetches,rmp_fetches,effect} (one line).
 * Addresses and requester IDs are hex; empty fields where a column does not apply. {@code effect} is the
 * {@link org.iommuemu.emulator.platform.AccessEffect} of an ok request (POISONED_WRITE, READ_ZEROS), else empty.
 */
public final class CsvResultSink implements ResultSink
{
    public static final String HEADER = "index,time_ns,class,requester,pasid,address,access,at,t,outcome,output_address," +
        "page_size,fault,cycles,iotlb_hit,table_fetches,rmp_fetches,effect";

    private final Writer out;
    private final StringBuilder line = new StringBuilder(160);

    public CsvResultSink(final Writer out) throws IOException
    {
        this.out = out instanceof BufferedWriter ? out : new BufferedWriter(out, 1 << 16);
        this.out.write(HEADER);
        this.out.write('\n');
    }

    public void accept(final ReplayRecord record) throws IOException
    {
        final StringBuilder b = line;
        b.setLength(0);
        b.append(record.index).append(',').append(record.timeNanos).append(',').append(record.trafficClass.label()).append(',');
        if (record.trafficClass == TrafficClass.DMA)
        {
            hex(b.append("0x"), record.request.requesterId(), 4).append(',');
            if (record.request.hasPasid())
            {
                b.append("0x").append(Integer.toHexString(record.request.pasid()));
            }
            b.append(",0x").append(Long.toHexString(record.request.address())).append(',');
            b.append(Permissions.toString(record.request.access()), 0, 3).append(',');
            b.append(record.atField()).append(',').append(record.request.trusted() ? 1 : 0).append(',');
            b.append(record.outcomeLabel()).append(',');
            if (record.outcome.isOk())
            {
                b.append("0x").append(Long.toHexString(record.outcome.outputAddress())).append(',')
                    .append(1L << record.outcome.pageSizeLg2()).append(',');
            }
            else
            {
                b.append(",,").append(record.outcome.fault().faultName());
            }
            b.append(',').append(record.latencyCycles()).append(',').append(record.outcome.iotlbHit() ? 1 : 0).append(',')
                .append(record.tableFetches).append(',').append(record.rmpFetches).append(',');
            if (record.outcome.effect() != null)
            {
                b.append(record.outcome.effect().effectName());
            }
        }
        else if (record.trafficClass == TrafficClass.GUEST_ACCESS)
        {
            guestAccess(record, b);
        }
        else
        {
            b.append(",,,,,,").append(record.outcomeLabel()).append(",,,,,,,,");
        }
        b.append('\n');
        out.append(b);
    }

    /**
     * A guest CPU access row: requester {@code vcpuN}, no PASID, the GPA as the address, the access, no AT, the C-bit in
     * the t column, the SPA and NPT leaf size when ok, the #NPF / #VC as the fault; no timing columns.
     */
    private static void guestAccess(final ReplayRecord record, final StringBuilder b)
    {
        final GuestAccess access = record.guestAccess;
        b.append("vcpu").append(access.vcpu()).append(",,0x").append(Long.toHexString(access.gpa())).append(',');
        b.append(access.access() == GuestAccess.WRITE ? "-w-" :
            access.access() == GuestAccess.EXECUTE ? "--x" : "r--");
        b.append(",,").append(access.encrypted() ? 1 : 0).append(',').append(record.outcomeLabel()).append(',');
        if (record.outcome.isOk())
        {
            b.append("0x").append(Long.toHexString(record.outcome.outputAddress())).append(',').append(1L << record.outcome.pageSizeLg2())
                .append(',');
        }
        else
        {
            b.append(",,").append(record.outcome.fault().faultName());
        }
        b.append(",,,,,");
    }

    public void close() throws IOException
    {
        out.close();
    }

    private static StringBuilder hex(final StringBuilder b, final int value, final int digits)
    {
        final String text = Integer.toHexString(value);
        for (int i = text.length(); i < digits; i++)
        {
            b.append('0');
        }
        return b.append(text);
    }
}
