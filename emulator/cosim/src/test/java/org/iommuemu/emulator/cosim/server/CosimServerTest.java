package org.iommuemu.emulator.cosim.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.client.CosimException;
import org.iommuemu.emulator.cosim.client.GuestMemory;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.codec.Sync;
import org.iommuemu.emulator.cosim.codec.TlpRequest;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.tlp.TlpError;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server on loopback: handshake, registers, sessions, pipelining, backpressure, time, idle time-out, shutdown. */
class CosimServerTest
{
    static final String AMDVI = "platform:\n  iommu: amdvi\n";
    static final String VTD = "platform:\n  iommu: vtd\n";

    @Test
    void handshakeListsTheExtensionAndRegistersAreReadAndWritten() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((GuestMemory)null))
        {
            assertTrue(loop.address.startsWith("tcp:127.0.0.1:"), loop.address);
            final Hello hello = client.serverHello();
            assertEquals(4, hello.major());
            assertEquals(3, hello.minor());
            for (final int cap : SessionHandler.CAPABILITIES)
            {
                assertTrue(hello.has(cap), RemotePort.capabilityName(cap));
            }
            client.mmioWrite(AmdViRegisters.DEVICE_TABLE_BASE, 8, 0x100_0000L | 0x1FF);
            assertEquals(0x100_0000L | 0x1FF, client.mmioRead(AmdViRegisters.DEVICE_TABLE_BASE, 8));
            assertEquals(0x100_01FFL, client.mmioRead(AmdViRegisters.DEVICE_TABLE_BASE, 4));
            assertEquals(0, client.mmioRead(AmdViRegisters.DEVICE_TABLE_BASE + 4, 4));
            assertEquals(0, client.mmioRead(0x3000, 8), "reserved MMIO space reads as zero");
            final String stats = client.stats();
            assertTrue(stats.contains("MMIO accesses: 5"), stats);
            assertTrue(loop.awaitLog("connected, amdvi (guest-driven)").contains("session 1 (tcp:127.0.0.1:"));
        }
    }

    /** A blocking call polls for its answer first (CosimClient.Options.answerPollMicros), or sleeps at once: the same answers. */
    @ParameterizedTest
    @ValueSource(ints = {0, 200, 5000})
    void blockingCallsGetTheirAnswersWhetherTheClientPollsOrSleeps(final int micros) throws Exception
    {
        final CosimClient.Options options = new CosimClient.Options();
        options.answerPollMicros = micros;
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client(options))
        {
            for (int i = 0; i < 50; i++)
            {
                final long value = 0x100_0000L + ((long)i << 12) | 0x1FF;
                client.mmioWrite(AmdViRegisters.DEVICE_TABLE_BASE, 8, value);
                assertEquals(value, client.mmioRead(AmdViRegisters.DEVICE_TABLE_BASE, 8));
            }
        }
    }

    @Test
    void mmioAccessesAreCheckedAndSplitAndByteEnablesMerge() throws Exception
    {
        try (Loopback loop = new Loopback(VTD); CosimClient client = loop.client((GuestMemory)null))
        {
            // FEADDR (0x40) and FEUADDR (0x44) are two 4-byte registers: one 8-byte access reaches both.
            assertEquals(RemotePort.RESP_OK, client.mmioWrite(VtdRegisters.FEADDR, 8, 0x0000_0012_FEE0_1000L));
            assertEquals(0xFEE0_1000L, client.mmioRead(VtdRegisters.FEADDR, 4));
            assertEquals(0x12, client.mmioRead(VtdRegisters.FEUADDR, 4));
            assertEquals(0x0000_0012_FEE0_1000L, client.mmioRead(VtdRegisters.FEADDR, 8));
            // Byte enables: only bytes 0 and 2 of FEDATA change.
            client.mmioWrite(VtdRegisters.FEDATA, 4, 0x1111_1111L);
            final BusAccess merged = (BusAccess)client.mmioWriteAsync(VtdRegisters.FEDATA, 4, 0x4433_2211L,
                new byte[] {(byte)0xFF, 0, (byte)0xFF, 0}).get(5, TimeUnit.SECONDS);
            assertEquals(RemotePort.RESP_OK, merged.responseCode());
            assertEquals(0x1133_1111L, client.mmioRead(VtdRegisters.FEDATA, 4));
            // A posted write is carried out and not answered.
            client.mmioWritePosted(VtdRegisters.IEDATA, 4, 0x77);
            assertEquals(0x77, client.mmioRead(VtdRegisters.IEDATA, 4));
            // Refused accesses: the remote-port response code, nothing changed.
            assertEquals(RemotePort.RESP_ADDR_ERROR, client.mmioWrite(0x10_0000, 4, 1), "outside the block");
            assertEquals(RemotePort.RESP_BUS_GENERIC_ERROR, client.mmioWrite(VtdRegisters.FEDATA + 2, 4, 1), "misaligned");
            assertEquals(RemotePort.RESP_BUS_GENERIC_ERROR, ((BusAccess)client.mmioReadAsync(VtdRegisters.FEDATA, 2)
                .get(5, TimeUnit.SECONDS)).responseCode(), "2-byte access");
            assertEquals(0x1133_1111L, client.mmioRead(VtdRegisters.FEDATA, 4));
            loop.awaitLog("is outside the vtd register block");
        }
    }

    @Test
    void extendedLayoutRequestsAreAnsweredInTheExtendedLayout() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI))
        {
            final CosimClient.Options options = new CosimClient.Options();
            options.extendedRequests = true;
            try (CosimClient client = loop.client(options))
            {
                client.mmioWrite(AmdViRegisters.EXCLUSION_LIMIT, 8, 0x5000);
                final BusAccess read = (BusAccess)client.mmioReadAsync(AmdViRegisters.EXCLUSION_LIMIT, 8).get(5, TimeUnit.SECONDS);
                assertTrue(read.extended());
                assertEquals(0x5000, read.data()[1] << 8 & 0xFF00);
            }
        }
    }

    @Test
    void unixDomainSocket(@TempDir final Path dir) throws Exception
    {
        final Path socket = dir.resolve("qemu-rport-_machine_iommu");
        try (Loopback loop = new Loopback(Loopback.scenario(AMDVI), ServerOptions.defaults().withUnixPath(socket)))
        {
            assertEquals("unix:" + socket, loop.address);
            assertTrue(Files.exists(socket));
            try (CosimClient client = loop.client((GuestMemory)null))
            {
                assertEquals(AmdViRegisters.EFR_SNP_SUP & 0, client.mmioRead(AmdViRegisters.EXTENDED_FEATURE, 8));
                assertTrue(loop.awaitLog("connected").contains("(unix:"));
            }
        }
        assertFalse(Files.exists(socket), "the socket file is removed at shutdown");
    }

    @Test
    void sessionsHaveTheirOwnPlatformsAndRunAtOnce() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI))
        {
            final List<CosimClient> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++)
            {
                clients.add(loop.client((GuestMemory)null));
            }
            for (int i = 0; i < clients.size(); i++)
            {
                clients.get(i).mmioWrite(AmdViRegisters.EXCLUSION_LIMIT, 8, (i + 1L) << 12);
            }
            for (int i = 0; i < clients.size(); i++)
            {
                assertEquals((i + 1L) << 12, clients.get(i).mmioRead(AmdViRegisters.EXCLUSION_LIMIT, 8));
            }
            assertEquals(4, loop.server.activeSessions());
            clients.get(1).close();
            loop.awaitEnded(1);
            assertTrue(loop.statistics.get(0).startsWith("session 2 "), loop.statistics.get(0));
            assertEquals(1L << 12, clients.get(0).mmioRead(AmdViRegisters.EXCLUSION_LIMIT, 8), "the others carry on");
            for (final CosimClient client : clients)
            {
                client.close();
            }
            loop.awaitEnded(4);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWithTheirIds() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((GuestMemory)null))
        {
            // IommuEn is clear: every translation passes through, so each answer names its own request's address.
            final List<CompletableFuture<RpPacket>> answers = new ArrayList<>();
            for (int i = 0; i < 2000; i++)
            {
                answers.add(client.translateAsync(CosimClient.Translation.of(0x10, 0x1000L * i, false)));
            }
            int previousId = -1;
            for (int i = 0; i < answers.size(); i++)
            {
                final Ats ats = (Ats)answers.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(0x1000L * i, ats.address());
                assertTrue(ats.id() > previousId);
                previousId = ats.id();
            }
            assertEquals(0, client.outstanding());
        }
    }

    @Test
    void aSlowReaderNeverMakesTheServerBufferWithoutBound() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((GuestMemory)null))
        {
            client.pauseReading();
            final List<CompletableFuture<RpPacket>> answers = new ArrayList<>();
            for (int i = 0; i < 60_000; i++)
            {
                answers.add(client.requestNoFlush(new Sync().timestamp(i)));
                final Ats ats = Ats.request().address(0x1000L * i).length(4);
                ats.dev(4);
                answers.add(client.requestNoFlush(ats));
                if ((i & 255) == 0)
                {
                    client.flush();
                }
            }
            client.flush();
            Thread.sleep(1500);
            assertEquals(answers.size(), client.outstanding(), "nothing read yet");
            client.resumeReading();
            for (final CompletableFuture<RpPacket> answer : answers)
            {
                answer.get(30, TimeUnit.SECONDS);
            }
            final String stats = client.stats();
            final long waiting = Long.parseLong(stats.replaceAll("(?s).*most bytes waiting for the peer to read: (\\d+).*", "$1"));
            // The water marks stop the reading at 256 KiB of unread output; what the queue already held adds a bounded amount.
            assertTrue(waiting < 4L << 20, "at most " + waiting + " bytes were buffered");
        }
    }

    @Test
    void syncIsEchoedFreeRunningAndWaitsForTheModelInLockStep() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((GuestMemory)null))
        {
            assertEquals(12345, client.sync(12345));
        }
        try (Loopback loop = new Loopback(AMDVI + "cosim:\n  sync: lock-step\n");
            CosimClient client = loop.client((GuestMemory)null))
        {
            client.timestamp(1000);
            final Ats ats = client.translate(CosimClient.Translation.of(0x10, 0x5000, false));
            assertTrue(ats.timestamp() > 1000, "completion after the arrival: " + ats.timestamp());
            final long answer = client.sync(1001);
            assertEquals(Math.max(1001, ats.timestamp()), answer);
            assertEquals(5000, client.sync(5000));
        }
    }

    @Test
    void aSessionThatCannotWriteItsResultsEndsSayingSo(@TempDir final Path dir) throws Exception
    {
        try (Loopback loop = new Loopback(Loopback.scenario(AMDVI), ServerOptions.defaults()))
        {
            // A folder that is not there (serve creates it; here it went away): the session cannot open its file.
            final Path gone = dir.resolve("gone");
            loop.server.sessionOutputs(new SessionOutputs(gone, false, false, false));
            final CosimClient client = loop.client((GuestMemory)null);
            client.closeFuture().get(5, TimeUnit.SECONDS);
            assertTrue(loop.awaitLog("cannot write " + gone.resolve("session-1.csv")).contains("session 1"));
            loop.awaitEnded(1);
            assertTrue(loop.statistics.get(0).contains("ended: cannot write"), loop.statistics.get(0));
            client.close();
        }
    }

    @Test
    void aResultsFileThatCannotTakeItsLastLinesIsNamedInTheEndReason(@TempDir final Path dir) throws Exception
    {
        // /dev/full takes nothing (ENOSPC): the buffered lines fail when the session closes its file.
        final Path full = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.isWritable(full), "needs /dev/full");
        final Path link = Files.createSymbolicLink(dir.resolve("session-1.csv"), full);
        try (Loopback loop = new Loopback(Loopback.scenario(AMDVI), ServerOptions.defaults()))
        {
            loop.server.sessionOutputs(new SessionOutputs(dir, false, false, false));
            final CosimClient client = loop.client((GuestMemory)null);
            client.close();
            loop.awaitEnded(1);
            assertTrue(loop.statistics.get(0).contains("cannot write " + dir.resolve("session-1.csv")), loop.statistics.get(0));
            assertTrue(loop.awaitLog("cannot write").contains("session 1"));
        }
        finally
        {
            Files.delete(link);
        }
    }

    @Test
    void idleSessionsAreClosed() throws Exception
    {
        try (Loopback loop = new Loopback(Loopback.scenario(AMDVI), ServerOptions.defaults().withIdleSeconds(1)))
        {
            final CosimClient client = loop.client((GuestMemory)null);
            client.closeFuture().get(5, TimeUnit.SECONDS);
            assertTrue(loop.awaitLog("no packet from the peer for 1 s").contains("session 1"));
            loop.awaitEnded(1);
            client.close();
        }
    }

    @Test
    void shutdownAnswersOrFailsEveryRequestInFlight() throws Exception
    {
        final Loopback loop = new Loopback(Loopback.scenario(AMDVI), ServerOptions.defaults().withGraceMillis(200));
        final CosimClient client = loop.client((GuestMemory)null);
        final List<CompletableFuture<RpPacket>> answers = new ArrayList<>();
        for (int i = 0; i < 20_000; i++)
        {
            answers.add(client.requestNoFlush(new TlpRequest().tlp(Tlps.memory(false, 0x10, 0x1000, 4))
                .dev(5)));
        }
        client.flush();
        answers.get(0).get(10, TimeUnit.SECONDS);
        loop.server.close();
        int answered = 0;
        int failedByServer = 0;
        for (final CompletableFuture<RpPacket> answer : answers)
        {
            try
            {
                final RpPacket packet = answer.get(10, TimeUnit.SECONDS);
                answered += packet instanceof TlpResponse ? 1 : 0;
            }
            catch (final ExecutionException ex)
            {
                final Throwable cause = ex.getCause();
                assertInstanceOf(CosimException.class, cause);
                failedByServer += cause.getMessage().contains("shutting down") ? 1 : 0;
            }
        }
        assertTrue(answered > 0, "requests queued before the shutdown are carried out");
        final int closedWithConnection = answers.size() - answered - failedByServer;
        assertTrue(closedWithConnection >= 0);
        assertEquals(1, loop.statistics.size(), "the session printed its statistics");
        assertTrue(loop.statistics.get(0).contains("ended: server shutdown"), loop.statistics.get(0));
        client.close();
    }

    @Test
    void aTlpThatDoesNotDecodeIsAnsweredWithTheDecodersErrorAndOffset() throws Exception
    {
        try (Loopback loop = new Loopback(AMDVI); CosimClient client = loop.client((GuestMemory)null))
        {
            final byte[] truncated = Arrays.copyOf(Tlps.memory(true, 0x10, 0x1000, 64), 20);
            final TlpResponse r = client.tlp(truncated, 0);
            assertEquals(TlpCommandLayout.CLASS_NOT_DECODED, r.trafficClass);
            assertEquals(TlpCommandLayout.OUTCOME_TLP_ERROR, r.outcome);
            assertEquals(TlpError.TRUNCATED_DATA.ordinal(), r.tlpError);
            assertTrue(r.name.startsWith("truncated data"), r.name);
            final TlpResponse completion = client.tlp(new byte[] {0x4A, 0, 0, 1, 0, 0x10, 0, 4, 0, 0x10, 0, 0, 0, 0, 0, 0}, 0);
            assertEquals(TlpCommandLayout.OUTCOME_NOT_TRANSLATED, completion.outcome);
            assertEquals("completion", completion.name);
            final TlpResponse ok = client.tlp(Tlps.memory(false, 0x10, 0x2000, 4), 0);
            assertEquals(TlpCommandLayout.OUTCOME_OK, ok.outcome, "the session carries on");
            assertTrue(client.stats().contains("TLPs that did not decode: 1"));
        }
    }

    @Test
    void theClientFailsCleanlyWhenNoServerListens()
    {
        assertThrows(IOException.class, () -> CosimClient.connect("tcp:127.0.0.1:1"));
    }
}
