package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.platform.AccessEffect;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tlp.trace.GuestAccess;

/**
 * Per-TLP results in a compact binary file for large runs (docs/replay.md): a 16-byte header ({@code IOMMURS1},
 * version 2, record size 64), one little-endian 64-byte record per TLP, then a name table (fault and effect names)
 * and a 16-byte footer ({@code offset of the table}, {@code IOMMUEND}).
 * <pre>
 *  0 u64 index          8 u64 time_ns        16 u64 address       24 u64 output_address
 * 32 u64 latency cycles 40 u32 pasid (all ones: none)             44 u16 requester
 * 46 u8  class (TrafficClass ordinal)        47 u8 flags: 0 read, 1 write, 2 execute, 3 T, 4 IOTLB hit, 5 ok, 6-7 AT
 * 48 u8  page size lg2  49 u8 effect id (0 none, else 1 + index in the table; ok records only)
 * 50 u16 fault id (0 none, else 1 + index in the table)
 * 52 u16 table fetches  54 u16 RMP fetches (both saturate at 65535)      56 u64 arrival cycle
 * table: "FAULTTBL" u32 count, then per name u16 length + UTF-8 name
 * </pre>
 * Version 1 had byte 49 reserved (always 0); a version 1 reader reads version 2 files correctly but sees no effects.
 */
public final class BinaryResultSink implements ResultSink
{
    public static final long MAGIC = 0x3153_524D_4D4F_4F49L; // "IOMMURS1" little-endian
    public static final long END_MAGIC = 0x444E_4555_4D4D_4F49L; // "IOMMUEND"
    public static final int VERSION = 2;
    public static final int RECORD_SIZE = 64;

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(RECORD_SIZE * 16384).order(ByteOrder.LITTLE_ENDIAN);
    private final Map<Object, Integer> nameIds = new IdentityHashMap<>();
    private final List<String> names = new ArrayList<>();
    private long written;

    public BinaryResultSink(final Path file) throws IOException
    {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        buffer.putLong(MAGIC).putInt(VERSION).putInt(RECORD_SIZE);
    }

    public void accept(final ReplayRecord record) throws IOException
    {
        if (buffer.remaining() < RECORD_SIZE)
        {
            flush();
        }
        if (record.trafficClass == TrafficClass.GUEST_ACCESS)
        {
            guestAccess(record);
            return;
        }
        final boolean dma = record.trafficClass == TrafficClass.DMA;
        final int access = dma ? record.request.access() : 0;
        int flags = 0;
        if (dma)
        {
            flags = ((access & Permissions.READ) != 0 ? 1 : 0) | ((access & Permissions.WRITE) != 0 ? 2 : 0) |
                ((access & Permissions.EXECUTE) != 0 ? 4 : 0) | (record.request.trusted() ? 8 : 0) |
                (record.outcome.iotlbHit() ? 16 : 0) | (record.outcome.isOk() ? 32 : 0) | (record.atField() << 6);
        }
        buffer.putLong(record.index).putLong(record.timeNanos)
            .putLong(dma ? record.request.address() : 0)
            .putLong(dma && record.outcome.isOk() ? record.outcome.outputAddress() : 0)
            .putLong(dma ? record.latencyCycles() : 0)
            .putInt(dma && record.request.hasPasid() ? record.request.pasid() : -1)
            .putShort((short)(dma ? record.request.requesterId() : 0))
            .put((byte)record.trafficClass.ordinal()).put((byte)flags)
            .put((byte)(dma && record.outcome.isOk() ? record.outcome.pageSizeLg2() : 0))
            .put((byte)(dma && record.outcome.effect() != null ? effectId(record.outcome.effect()) : 0))
            .putShort((short)(dma && !record.outcome.isOk() ? faultId(record.outcome.fault()) : 0))
            .putShort((short)Math.min(0xFFFF, record.tableFetches)).putShort((short)Math.min(0xFFFF, record.rmpFetches))
            .putLong(dma ? record.arrivalCycle : 0);
        written++;
    }

    /**
     * A guest CPU access record: the GPA as the address, the SPA as the output, the vCPU as the requester, the access
     * flags, the C-bit as T, the NPT leaf size, the #NPF / #VC as the fault; no timing.
     */
    private void guestAccess(final ReplayRecord record)
    {
        final GuestAccess access = record.guestAccess;
        final boolean ok = record.outcome.isOk();
        final int flags = access.access() | (access.encrypted() ? 8 : 0) | (ok ? 32 : 0);
        buffer.putLong(record.index).putLong(record.timeNanos).putLong(access.gpa()).putLong(ok ? record.outcome.outputAddress() : 0)
            .putLong(0).putInt(-1).putShort((short)access.vcpu()).put((byte)record.trafficClass.ordinal()).put((byte)flags)
            .put((byte)(ok ? record.outcome.pageSizeLg2() : 0)).put((byte)0).putShort((short)(ok ? 0 : faultId(record.outcome.fault())))
            .putShort((short)0).putShort((short)0).putLong(0);
        written++;
    }

    /** Records written so far. */
    public long records()
    {
        return written;
    }

    public void close() throws IOException
    {
        try
        {
            flush();
            final long tableOffset = channel.position();
            final ByteBuffer table = ByteBuffer.allocate(16 + names.size() * 260 + 16).order(ByteOrder.LITTLE_ENDIAN);
            table.put("FAULTTBL".getBytes(StandardCharsets.US_ASCII)).putInt(names.size());
            for (final String name : names)
            {
                final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
                table.putShort((short)bytes.length).put(bytes);
            }
            table.putLong(tableOffset).putLong(END_MAGIC);
            table.flip();
            while (table.hasRemaining())
            {
                channel.write(table);
            }
        }
        finally
        {
            channel.close();
        }
    }

    private int faultId(final FaultKind fault)
    {
        final Integer id = nameIds.get(fault);
        return id != null ? id : nameId(fault, fault.faultName());
    }

    /** An effect's id in the name table; effects are few (a u8 holds them), checked when one is added. */
    private int effectId(final AccessEffect effect)
    {
        final Integer id = nameIds.get(effect);
        if (id != null)
        {
            return id;
        }
        if (names.size() >= 0xFF)
        {
            throw new IllegalStateException("the name table holds 255 names: a further effect id (1 + index) would not fit its byte");
        }
        return nameId(effect, effect.effectName());
    }

    private int nameId(final Object kind, final String name)
    {
        names.add(name);
        nameIds.put(kind, names.size());
        return names.size();
    }

    private void flush() throws IOException
    {
        buffer.flip();
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
        buffer.clear();
    }
}
