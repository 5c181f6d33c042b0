package org.iommuemu.tlp;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Random;

import com.sun.management.ThreadMXBean;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.PcapngTraceReader;
import org.iommuemu.tlp.trace.PcapngTraceWriter;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Decoding allocates nothing per TLP, and reading a mapped pcapng allocates nothing per record. */
class AllocationTest
{
    @TempDir
    Path dir;

    private static long allocatedBytes()
    {
        return ((ThreadMXBean)ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void shouldDecodeWithoutAllocating()
    {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof ThreadMXBean);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1 << 16]);
        final int[] offsets = new int[64];
        final int[] lengths = new int[64];
        final Random random = new Random(1);
        int at = 0;
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[8192]);
        for (int i = 0; i < offsets.length; i++)
        {
            scratch.setMemory(0, scratch.capacity(), (byte)0);
            final int length = TlpRoundTripTest.writeRandom(random, scratch);
            buffer.putBytes(at, scratch, 0, length);
            offsets[i] = at;
            lengths[i] = length;
            at += length;
        }
        final Tlp tlp = new Tlp();
        long sink = 0;
        for (int i = 0; i < 200_000; i++)
        {
            final int k = i & 63;
            TlpDecoder.decode(buffer, offsets[k], lengths[k], tlp);
            sink += tlp.headerLength() + tlp.pasid() + (tlp.teeOriginated() ? 1 : 0) + tlp.header().length();
        }
        final long before = allocatedBytes();
        for (int i = 0; i < 1_000_000; i++)
        {
            final int k = i & 63;
            TlpDecoder.decode(buffer, offsets[k], lengths[k], tlp);
            sink += tlp.headerLength() + tlp.pasid() + (tlp.teeOriginated() ? 1 : 0) + tlp.header().length();
        }
        final long allocated = allocatedBytes() - before;
        assertTrue(sink != 0);
        assertTrue(allocated < 1024, "decode allocated " + allocated + " bytes for 1M TLPs");
    }

    @Test
    void shouldReadPcapngWithoutAllocatingPerRecord() throws Exception
    {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof ThreadMXBean);
        final Path file = dir.resolve("big.pcapng");
        final int records = 200_000;
        final UnsafeBuffer tlpBytes = new UnsafeBuffer(new byte[16 + 64]);
        tlpBytes.putBytes(0, new byte[] {0x60, 0, 0, 16, 1, 0, 0, (byte)0xff, 0, 0, 0, 1, 0, 0, 0x10, 0});
        final TraceRecord out = new TraceRecord();
        try (PcapngTraceWriter writer = new PcapngTraceWriter(file, TraceRecord.NANOSECONDS))
        {
            for (int i = 0; i < records; i++)
            {
                out.set(i, TraceRecord.NANOSECONDS, Direction.UPSTREAM, 0).tlpBytes(false, tlpBytes, 0, 80, 80);
                writer.write(out);
            }
        }
        long count = 0;
        long before = 0;
        try (PcapngTraceReader reader = new PcapngTraceReader(file, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                if (++count == 1000)
                {
                    before = allocatedBytes();
                }
            }
            final long allocated = allocatedBytes() - before;
            assertEquals(records, count);
            assertEquals(records, reader.summary().decoded());
            assertTrue(allocated < 64 * 1024, "reading " + records + " records allocated " + allocated + " bytes");
        }
    }
}
