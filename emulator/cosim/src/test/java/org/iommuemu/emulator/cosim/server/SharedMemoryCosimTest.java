package org.iommuemu.emulator.cosim.server;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.client.GuestMemory;
import org.iommuemu.emulator.cosim.client.PhysicalGuestMemory;
import org.iommuemu.emulator.cosim.client.RemoteIommuPort;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.memory.RoutedMemory;
import org.iommuemu.emulator.cosim.memory.SharedFileMemory;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guest RAM shared through a file (QEMU memory-backend-file,share=on): the emulator maps the declared ranges and walks
 * without round trips; what lies outside them (here the MSI address, in msi-write mode) still goes over the socket.
 */
class SharedMemoryCosimTest
{
    @Test
    void walksReadTheSharedFileAndMsisAreWrittenToThePeer(@TempDir final Path dir) throws Exception
    {
        final Path ram = dir.resolve("guest-ram");
        try (RandomAccessFile file = new RandomAccessFile(ram.toFile(), "rw"))
        {
            file.setLength(48L << 20);
        }
        final String yaml = String.join("\n", "name: shared", "platform:", "  iommu: amdvi", "cosim:", "  interrupts: msi-write",
            "  memory:", "    backing: shared", "    file: " + ram,
            "    ranges: [{gpa: 0, offset: 0, size: 32M}, {gpa: 0x400000000, offset: 32M, size: 16M}]", "");
        final List<long[]> ranges = List.of(new long[] {0, 0, 32L << 20}, new long[] {0x4_0000_0000L, 32L << 20, 16L << 20});
        // The client's guest RAM: the same file, mapped; anything else in a buffer.
        final RoutedMemory guestRam = new RoutedMemory(new SparseMemory(), List.of(),
            new SharedFileMemory(ram, ranges), new SparseMemory());
        try (Loopback loop = new Loopback(yaml))
        {
            final CosimClient.Options options = new CosimClient.Options();
            final PhysicalGuestMemory served = new PhysicalGuestMemory(guestRam);
            final List<String> remote = new CopyOnWriteArrayList<>();
            options.memory = new GuestMemory()
            {
                public int read(final long address, final byte[] dst, final int length)
                {
                    remote.add(String.format("read 0x%x+%d", address, length));
                    return served.read(address, dst, length);
                }

                public int write(final long address, final byte[] src, final int length)
                {
                    remote.add(String.format("write 0x%x+%d data 0x%x", address, length, src[0] & 0xFF));
                    return served.write(address, src, length);
                }
            };
            try (CosimClient client = loop.client(options))
            {
                final RemoteIommuPort port = new RemoteIommuPort(client, 0, AmdViRegisters.SIZE);
                port.writeRegister(AmdViRegisters.MSI_ADDRESS_LOW, 4, 0xFEE0_0000L);
                port.writeRegister(AmdViRegisters.MSI_DATA, 4, 0x41);
                final AmdViDriver driver = new AmdViDriver(port, guestRam, AmdViDriver.Layout.DEFAULT).bringUp();
                final PageTable domain = driver.newDomain(3);
                assertEquals(MapStatus.OK, domain.map(0x1_0000_0000L, 0x100_0000L, 1L << 20,
                    Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
                driver.attach(0x0100, domain, 1, true, true);
                assertTrue(driver.completionWait(), "the completion-wait store reached the shared file");
                for (int i = 0; i < 64; i++)
                {
                    final Ats ats = client.translate(CosimClient.Translation.of(0x0100, 0x1_0000_0000L + ((long)i << 12), false));
                    assertEquals(AtsLayout.RESULT_OK, ats.result());
                    assertEquals(0x100_0000L + ((long)i << 12), ats.address());
                }
                final TlpResponse tlp = client.tlp(Tlps.memory(false, 0x0100, 0x1_0000_0000L, 4), 0);
                assertTrue(tlp.iotlbHit());
                assertTrue(remote.stream().noneMatch(r -> r.startsWith("read")), "no walk fetched over the socket: " + remote);
                assertTrue(remote.contains("write 0xfee00000+4 data 0x41"), "the completion-wait MSI as a write: " + remote);
                final String stats = client.stats();
                assertTrue(loop.awaitLog("shared guest memory (48.00 MiB mapped)").contains("session 1"));
                assertTrue(stats.contains("guest memory: 0 reads (0 failed)"), stats);
                assertTrue(stats.contains("(msi-write)"), stats);
            }
        }
    }
}
