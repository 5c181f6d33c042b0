package org.iommuemu.emulator.cosim.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The three backings behind one PhysicalMemory: local ranges, a shared file, and the peer over round trips. */
class RoutedMemoryTest
{
    /** A peer whose memory is a SparseMemory, counting round trips; addresses at or above {@code limit} fail. */
    static final class FakePeer implements PeerAccess
    {
        final SparseMemory memory = new SparseMemory();
        final List<String> trips = new ArrayList<>();
        long limit = PhysicalMemory.ADDRESS_LIMIT;

        public int read(final long address, final byte[] dst, final int length)
        {
            trips.add("R 0x" + Long.toHexString(address) + "+" + length);
            if (address + length > limit)
            {
                return 2;
            }
            memory.read(address, new UnsafeBuffer(dst), 0, length);
            return 0;
        }

        public int write(final long address, final byte[] src, final int length)
        {
            trips.add("W 0x" + Long.toHexString(address) + "+" + length);
            if (address + length > limit)
            {
                return 2;
            }
            memory.write(address, new UnsafeBuffer(src), 0, length);
            return 0;
        }
    }

    @Test
    void remoteMemoryMakesOneRoundTripPerEntryAndPerPageOfBulkData()
    {
        final FakePeer peer = new FakePeer();
        final RemoteMemory remote = new RemoteMemory(peer, (byte)0xFF);
        peer.memory.writeEntry(0x1008, 0x1122_3344_5566_7788L);
        assertEquals(0x1122_3344_5566_7788L, remote.readEntry(0x1008));
        remote.writeEntry(0x2000, -2);
        assertEquals(-2, peer.memory.readEntry(0x2000));
        final byte[] data = new byte[6000];
        data[5999] = 9;
        remote.write(0x3F00, new UnsafeBuffer(data), 0, data.length);
        assertEquals(List.of("R 0x1008+8", "W 0x2000+8", "W 0x3f00+256", "W 0x4000+4096", "W 0x5000+1648"), peer.trips);
        final byte[] back = new byte[6000];
        remote.read(0x3F00, new UnsafeBuffer(back), 0, back.length);
        assertArrayEquals(data, back);
        remote.writeEntries(0x6000, 4, 10, 1, 8);
        assertEquals(13, peer.memory.readEntry(0x6018));
        assertEquals("W 0x6000+32", peer.trips.get(peer.trips.size() - 1), "a run of entries is one WRITE");
        remote.writeEntries(0x7000, 2, 5, 0, 16);
        assertEquals(5, peer.memory.readEntry(0x7010));
        remote.zero(0x6000, 0x1000);
        assertEquals(0, peer.memory.readEntry(0x6018));
        assertEquals(1 + 3 + 1, remote.reads(), "the entry, the bulk read's three pages, the strided run's read-modify-write");
    }

    @Test
    void aFailedReadReadsAsAllOnesOrZerosAndIsCounted()
    {
        final FakePeer peer = new FakePeer();
        peer.limit = 0x1000;
        assertEquals(-1L, new RemoteMemory(peer, (byte)0xFF).readEntry(0x1000));
        final RemoteMemory zeros = new RemoteMemory(peer, (byte)0);
        assertEquals(0, zeros.readEntry(0x2000));
        assertEquals(1, zeros.failedReads());
        zeros.writeEntry(0x2000, 1);
        assertEquals(1, zeros.failedWrites());
        assertThrows(IllegalArgumentException.class, () -> zeros.readEntry(0x1001), "a misaligned entry is an emulator bug");
    }

    @Test
    void routesLocalSharedAndPeerRangesAndSplitsBulkAccessesAtTheirBoundaries(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("ram");
        Files.write(file, new byte[3 * 4096]);
        final SharedFileMemory shared = new SharedFileMemory(file, List.of(new long[] {0x10000, 0x1000, 0x2000}));
        final SparseMemory local = new SparseMemory();
        final FakePeer peer = new FakePeer();
        final RoutedMemory memory = new RoutedMemory(local, List.<long[]>of(new long[] {0x20000, 0x22000}), shared,
            new RemoteMemory(peer, (byte)0xFF));
        assertEquals("shared", memory.backingName(0x10008));
        assertEquals("local", memory.backingName(0x21000));
        assertEquals("peer", memory.backingName(0x12000));
        memory.writeEntry(0x10008, 42);
        assertEquals(42, shared.readEntry(0x10008));
        assertEquals(42, ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getLong(0x1008),
            "the store is in the file, where the peer sees it");
        memory.writeEntry(0x21000, 7);
        assertEquals(7, local.readEntry(0x21000));
        assertTrue(peer.trips.isEmpty());
        // A bulk write from the peer's memory across the shared range and on into the peer's.
        final byte[] data = new byte[0x4000];
        Arrays.fill(data, (byte)1);
        memory.write(0xF000, new UnsafeBuffer(data), 0, data.length);
        assertEquals(List.of("W 0xf000+4096", "W 0x12000+4096"), peer.trips, "the 8 KiB in the middle went to the file");
        assertEquals(0x0101_0101_0101_0101L, shared.readEntry(0x11FF8));
        final List<String> heard = new ArrayList<>();
        memory.listener(new MemoryAccessListener()
        {
            public void onEntryRead(final long address, final long value)
            {
                heard.add(Long.toHexString(address));
            }
        });
        memory.readEntry(0x10008);
        memory.readEntry(0x21000);
        memory.readEntry(0x30000);
        assertEquals(List.of("10008", "21000", "30000"), heard, "every backing reports to the one listener");
        assertThrows(IllegalArgumentException.class, () -> shared.readEntry(0x30000), "the shared backing holds only its ranges");
    }

    @Test
    void sharedRangesAreCheckedAgainstTheFile(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("ram");
        Files.write(file, new byte[4096]);
        assertThrows(IOException.class, () -> new SharedFileMemory(file, List.of(new long[] {0, 0, 0x2000})));
        assertThrows(IllegalArgumentException.class, () -> new SharedFileMemory(file, List.of(new long[] {0x10, 0, 0x1000})));
        assertThrows(IllegalArgumentException.class, () -> new RoutedMemory(new SparseMemory(), List.<long[]>of(new long[] {0, 0x10}),
            null, new SparseMemory()));
    }
}
