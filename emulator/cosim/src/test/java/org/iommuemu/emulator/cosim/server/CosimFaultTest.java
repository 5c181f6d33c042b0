package org.iommuemu.emulator.cosim.server;

import java.io.IOException;
import java.util.Arrays;

import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.FaultFamily;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.client.GuestMemory;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.ErrorResponse;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.codec.Stats;
import org.iommuemu.emulator.cosim.codec.Sync;
import org.iommuemu.emulator.cosim.codec.TlpRequest;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.ErrorLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input from a peer (docs/protocol.md 9), each on loopback with a raw socket: an error response or a closed
 * session with a logged reason naming the session, the packet and the offset, while the server and other sessions
 * carry on. Loops are bounded.
 */
class CosimFaultTest
{
    static final String AMDVI = "platform:\n  iommu: amdvi\n";
    static final int[] PLAIN = {RemotePort.CAP_BUSACCESS_EXT_BASE, RemotePort.CAP_ATS};
    static final int[] ALL = CosimClient.ALL_CAPABILITIES;

    private static byte[] header(final int cmd, final int len, final int id)
    {
        final byte[] b = new byte[20 + Math.max(0, len)];
        putInt(b, 0, cmd);
        putInt(b, 4, len);
        putInt(b, 8, id);
        return b;
    }

    /** Big-endian, as remote-port puts every field. */
    static void putInt(final byte[] b, final int at, final int v)
    {
        b[at] = (byte)(v >>> 24);
        b[at + 1] = (byte)(v >>> 16);
        b[at + 2] = (byte)(v >>> 8);
        b[at + 3] = (byte)v;
    }

    /** After every fault, a fresh session still works. */
    private static void serverStillServes(final Loopback loop) throws Exception
    {
        try (CosimClient client = loop.client((GuestMemory)null))
        {
            client.mmioWrite(AmdViRegisters.EXCLUSION_LIMIT, 8, 0x3000);
            assertEquals(0x3000, client.mmioRead(AmdViRegisters.EXCLUSION_LIMIT, 8));
        }
    }

    @Test
    void wrongVersionClosesTheSession() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); RawPeer peer = new RawPeer(loop.address))
        {
            assertInstanceOf(Hello.class, peer.receive());
            peer.send(new Hello().version(3, 0).capabilities(ALL));
            assertTrue(peer.closedByServer());
            final String line = loop.awaitLog("speaks remote-port 3.0");
            assertTrue(line.contains("session 1 (tcp:127.0.0.1:") && line.contains("HELLO id 0 dev 0 at byte 0"), line);
            serverStillServes(loop);
        }
    }

    @Test
    void theFirstPacketMustBeAHelloAndThereIsOnlyOne() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI))
        {
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.receive();
                peer.send(new Sync().timestamp(1));
                assertTrue(peer.closedByServer());
                loop.awaitLog("the first packet must be the peer's HELLO");
            }
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(ALL);
                peer.send(new Hello().capabilities(ALL));
                final ErrorResponse error = assertInstanceOf(ErrorResponse.class, peer.receive());
                assertEquals(ErrorLayout.MALFORMED, error.code());
                assertTrue(peer.closedByServer());
                assertTrue(loop.awaitLog("a second HELLO").contains("at byte 60"), "the second HELLO's offset in the stream");
            }
            serverStillServes(loop);
        }
    }

    @Test
    void unnegotiatedExtensionsCloseTheSession() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI))
        {
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(PLAIN);
                final TlpRequest tlp = new TlpRequest().tlp(Tlps.memory(false, 1, 0x1000, 4));
                tlp.dev(5);
                peer.send(tlp);
                assertTrue(peer.closedByServer(), "no error response to a peer that cannot read one");
                loop.awaitLog("IE_TLP from a peer that did not list the IE_TLP capability");
            }
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(PLAIN);
                final Ats ats = Ats.request().address(0x1000).reserved(0, TranslateWords.request(1, -1, false, true, 0));
                ats.dev(4);
                peer.send(ats);
                assertTrue(peer.closedByServer());
                assertTrue(loop.awaitLog("did not list the IE_TRANSLATE capability").contains("field @56"));
            }
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(PLAIN);
                peer.send(new Stats());
                assertTrue(peer.closedByServer());
                loop.awaitLog("IE_STATS from a peer that did not list the IE_CONTROL capability");
            }
            serverStillServes(loop);
        }
    }

    @Test
    void aPlainPeersReservedAtsWordsAreIgnored() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(PLAIN);
            final Ats ats = Ats.request().address(0x7000).length(8).attributes(AtsLayout.ATTR_READ).reserved(2, 5);
            ats.id(3).dev(4);
            peer.send(ats);
            final Ats answer = (Ats)peer.receive();
            assertEquals(AtsLayout.RESULT_OK, answer.result());
            assertEquals(0x7000, answer.address(), "IommuEn clear: passed through");
            assertEquals(0, answer.reserved(0), "no outcome words for a plain peer");
        }
    }

    @Test
    void malformedPacketsGetErrorResponsesWithOffsetsAndTheSessionCarriesOn() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(ALL);
            // A READ too short for its layout: packet at stream byte 32 + 12 (after our HELLO with 7 caps = 60 bytes).
            peer.sendBytes(header(RemotePort.CMD_READ, 10, 5));
            ErrorResponse error = assertInstanceOf(ErrorResponse.class, peer.receive());
            assertEquals(ErrorLayout.MALFORMED, error.code());
            assertEquals(5, error.id());
            assertEquals(60, error.packetOffset());
            assertEquals(RemotePort.LEN_OFFSET, error.fieldOffset());
            assertTrue(loop.awaitLog("READ id 5 dev 0 at byte 60 len 10").contains("needs 58 bytes"));
            // An unknown command.
            peer.sendBytes(header(0x77, 0, 6));
            error = assertInstanceOf(ErrorResponse.class, peer.receive());
            assertEquals(ErrorLayout.UNKNOWN_COMMAND, error.code());
            assertEquals(90, error.packetOffset());
            // A HELLO-style capability list pointing outside its packet arrives as a malformed packet of another command.
            final byte[] ats = header(RemotePort.CMD_ATS_REQ, 40, 7);
            peer.sendBytes(ats);
            assertEquals(7, peer.receive().id());
            // The session still works.
            final BusAccess read = BusAccess.read().address(AmdViRegisters.CONTROL).length(8).streamWidth(8);
            read.id(8).dev(1);
            peer.send(read);
            final RpPacket answer = peer.receive();
            assertEquals(8, answer.id());
            assertEquals(RemotePort.RESP_OK, ((BusAccess)answer).responseCode());
        }
    }

    @Test
    void malformedPacketsFromAPlainPeerCloseItsSession() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(PLAIN);
            peer.sendBytes(header(RemotePort.CMD_WRITE, 12, 1));
            assertTrue(peer.closedByServer());
            loop.awaitLog("it cannot be sent an error response");
            serverStillServes(loop);
        }
    }

    @Test
    void oversizedAndTruncatedFramesEndTheSessionWithTheirOffset() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI))
        {
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(ALL);
                final byte[] big = header(RemotePort.CMD_WRITE, 0, 1);
                putInt(big, 4, 1 << 20);
                peer.sendBytes(big);
                assertTrue(peer.closedByServer());
                assertTrue(loop.awaitLog("above the maximum frame").contains("WRITE packet at byte 60: len (@4) 1048576"));
            }
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(ALL);
                final byte[] half = Arrays.copyOf(header(RemotePort.CMD_ATS_REQ, 68, 2), 50);
                peer.sendBytes(half);
                Thread.sleep(100);
            }
            assertTrue(loop.awaitLog("the stream ended inside").contains("ATS_REQ packet at byte 60: 50 of 88 bytes arrived"));
            loop.awaitEnded(2);
            serverStillServes(loop);
        }
    }

    @Test
    void aFloodOfMalformedFramesEndsOnlyThatSession() throws Exception
    {
        try (Loopback loop = new Loopback(Loopback.scenario(AMDVI), ServerOptions.defaults().withMaxErrors(50));
            CosimClient bystander = loop.client((GuestMemory)null);
            RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(ALL);
            final byte[] bad = header(0x99, 4, 0);
            final byte[] flood = new byte[bad.length * 500];
            for (int i = 0; i < 500; i++)
            {
                System.arraycopy(bad, 0, flood, i * bad.length, bad.length);
            }
            peer.sendBytes(flood);
            int errors = 0;
            try
            {
                while (errors < 500)
                {
                    assertInstanceOf(ErrorResponse.class, peer.receive());
                    errors++;
                }
            }
            catch (final IOException closed)
            {
                // The server closed the session after its error limit.
            }
            assertTrue(errors >= 50 && errors <= 51, errors + " error responses");
            assertTrue(loop.awaitLog("more than 50 bad packets").contains("session 2"));
            bystander.mmioWrite(AmdViRegisters.EXCLUSION_LIMIT, 8, 0x4000);
            assertEquals(0x4000, bystander.mmioRead(AmdViRegisters.EXCLUSION_LIMIT, 8), "the other session carries on");
        }
    }

    @Test
    void aPeersErrorTextIsLoggedEscaped() throws Exception
    {
        // The reason of a peer's error response is the peer's text: with a line break and a terminal escape sequence it
        // could forge a log line or drive the operator's terminal. It is logged on one line, escaped.
        try (Loopback loop = new Loopback(AMDVI); RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(ALL);
            peer.send(ErrorResponse.to(RemotePort.CMD_IE_TLP, 3, 0, ErrorLayout.MALFORMED, 0, 0,
                "bad\niommu-emu: session 9: forged\u001b[2J"));
            final String line = loop.awaitLog("the peer reports");
            assertTrue(line.endsWith(": bad\\x0aiommu-emu: session 9: forged\\x1b[2J"), line);
            assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7F), line);
            peer.send(new Sync().timestamp(1));
            assertInstanceOf(Sync.class, peer.receive(), "the session carries on");
        }
    }

    @Test
    void requestsOnTheWrongChannelAreRefused() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((GuestMemory)null))
        {
            final BusAccess read = BusAccess.read().address(0).length(8).streamWidth(8);
            read.dev(2);
            assertEquals(RemotePort.RESP_ADDR_ERROR, ((BusAccess)client.request(read).get()).responseCode());
            final Ats ats = Ats.request().address(0x1000);
            ats.dev(1);
            assertEquals(AtsLayout.RESULT_ERROR, ((Ats)client.request(ats).get()).result());
            final Ats reserved = Ats.request().address(0x1000).reserved(0, TranslateWords.request(1, -1, false, false, 3));
            reserved.dev(4);
            assertEquals(AtsLayout.RESULT_ERROR, ((Ats)client.request(reserved).get()).result(), "AT 11");
            assertTrue(loop.awaitLog("AT 11 is reserved").contains("session 1"));
            assertTrue(client.stats().contains("protocol errors: 3"));
        }
    }

    @Test
    void aPeerKilledWhileTheModelWaitsForItsMemoryEndsOnlyItsSession() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(ALL);
            int id = 1;
            for (final long[] write : new long[][] {
                {AmdViRegisters.COMMAND_BUFFER_BASE, 0x120_0000L | (9L << 56)},
                {AmdViRegisters.CONTROL, AmdViRegisters.CONTROL_CMD_BUF_EN | AmdViRegisters.CONTROL_IOMMU_EN},
                {AmdViRegisters.COMMAND_TAIL, 0x10}})
            {
                final byte[] data = new byte[8];
                for (int i = 0; i < 8; i++)
                {
                    data[i] = (byte)(write[1] >>> (8 * i));
                }
                final BusAccess w = BusAccess.write().address(write[0]).length(8).streamWidth(8).data(data);
                w.id(id++).dev(1);
                peer.send(w);
                if (write[0] != AmdViRegisters.COMMAND_TAIL)
                {
                    assertEquals(RemotePort.RESP_OK, ((BusAccess)peer.receive()).responseCode());
                }
            }
            // The tail write makes the IOMMU fetch the command: a READ of guest memory comes, and the peer vanishes.
            final BusAccess fetch = assertInstanceOf(BusAccess.class, peer.receive());
            assertTrue(fetch.isRead() && !fetch.isResponse());
            assertEquals(0x120_0000L, fetch.address());
            assertEquals(0, fetch.width(), "remote-port peers assert width 0");
            assertEquals(2, fetch.dev());
            peer.close();
            loop.awaitEnded(1);
            assertTrue(loop.statistics.get(0).contains("ended: the peer closed the connection while the model waited"),
                loop.statistics.get(0));
            serverStillServes(loop);
        }
    }

    @Test
    void aGuestMemoryErrorReadsAsAllOnesSoTheRequestFaultsAndIsCounted() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((GuestMemory)null))
        {
            // No guest memory on this client: every READ is answered with an address error.
            client.mmioWrite(AmdViRegisters.DEVICE_TABLE_BASE, 8, 0x100_0000L | 0x1FF);
            client.mmioWrite(AmdViRegisters.CONTROL, 8, AmdViRegisters.CONTROL_IOMMU_EN);
            final Ats ats = client.translate(CosimClient.Translation.of(0x100, 0x5000, false));
            assertEquals(AtsLayout.RESULT_ERROR, ats.result(), "an all-ones DTE (Mode 7) is illegal: the DMA faults");
            assertEquals("ILLEGAL_DEV_TABLE_ENTRY", FaultFamily.kind(
                TranslateWords.outcomeFamily(ats.reserved(0)), TranslateWords.outcomeFaultCode(ats.reserved(0))).faultName());
            final String stats = client.stats();
            assertTrue(stats.contains("guest memory: 3 reads (3 failed)"), stats);
            assertTrue(loop.awaitLog("with response code 2; it reads as all ones").contains("session 1"));
        }
        try (Loopback loop = new Loopback(AMDVI + "cosim:\n  memory: {errors-read-as: zeros}\n");
            CosimClient client = loop.client((GuestMemory)null))
        {
            client.mmioWrite(AmdViRegisters.DEVICE_TABLE_BASE, 8, 0x100_0000L | 0x1FF);
            client.mmioWrite(AmdViRegisters.CONTROL, 8, AmdViRegisters.CONTROL_IOMMU_EN);
            final Ats ats = client.translate(CosimClient.Translation.of(0x100, 0x5000, false));
            assertEquals(AtsLayout.RESULT_OK, ats.result(), "a zero DTE has V = 0: AMD-Vi passes the DMA untranslated");
            assertEquals(0x5000, ats.address());
        }
    }
}
