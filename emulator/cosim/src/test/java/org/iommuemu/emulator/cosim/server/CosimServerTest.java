package org.iommuemu.emulator.cosim.server;

import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CosimServerTest
{
    static final String AMDVI = "platform:\n  iommu: amdvi\n";

    @Test
    void handshakeAndRegisterAccess() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((org.iommuemu.emulator.cosim.client.GuestMemory)null))
        {
            assertTrue(loop.address.startsWith("tcp:127.0.0.1:"), loop.address);
            final Hello hello = client.serverHello();
            assertEquals(4, hello.major());
            assertTrue(hello.has(RemotePort.IE_TLP));
            client.mmioWrite(AmdViRegisters.DEVICE_TABLE_BASE, 8, 0x100_0000L | 0x1FF);
            assertEquals(0x100_0000L | 0x1FF, client.mmioRead(AmdViRegisters.DEVICE_TABLE_BASE, 8));
            assertEquals(0x100_01FFL, client.mmioRead(AmdViRegisters.DEVICE_TABLE_BASE, 4));
            assertEquals(0, client.mmioRead(AmdViRegisters.DEVICE_TABLE_BASE + 4, 4));
            final String stats = client.stats();
            assertTrue(stats.contains("MMIO accesses: 4"), stats);
        }
    }
}
