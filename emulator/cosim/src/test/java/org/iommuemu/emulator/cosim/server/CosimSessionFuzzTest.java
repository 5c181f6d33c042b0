package org.iommuemu.emulator.cosim.server;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.iommuemu.emulator.config.Printable;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.client.GuestMemory;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.ErrorResponse;
import org.iommuemu.emulator.cosim.codec.Interrupt;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.codec.Sync;
import org.iommuemu.emulator.cosim.codec.TlpRequest;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.AfterAll;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzz target of a whole co-simulation session (docs/reliability.md): a peer on a raw socket says
 * HELLO with every capability, then sends a few packets, each either well-formed with fuzzed fields (ATS_REQ and
 * ATS_INV, bus reads and writes of the IOMMU's registers and beyond, IE_TLP with fuzzed TLP bytes and T flags,
 * INTERRUPT, SYNC, IE_STATS) or a header with a fuzzed command and length and fuzzed bytes, then a SYNC as a fence,
 * against a loopback server of one of four bundled scenarios (AMD-Vi with SEV-SNP, SEV-TIO, VT-d scalable mode, TDX
 * Connect). Regression mode in {@code mvn verify} runs the committed seeds
 * ({@code src/test/resources/org/iommuemu/emulator/cosim/server/CosimSessionFuzzTestInputs/packets/});
 * {@code bin/fuzz emulator/cosim CosimSessionFuzzTest#packets 5m} fuzzes it.
 * <p>
 * Invariants: the server answers the fence or closes the session, never neither (no hang: a 10 s read time-out
 * fails); whatever it sends decodes; it never ends a session on an emulator bug (an exception other than the
 * protocol's, logged as such); its log holds printable ASCII only, whatever the peer sent (the peer's text is
 * escaped); and after the session a fresh client is served.
 */
class CosimSessionFuzzTest
{
    static final String DURATION = "5m";
    private static final String[] SCENARIOS = {"nic-passthrough", "seed003-sev-tio-t-flip", "vtd-pasids", "tdx-tdi-error"};
    private static final int[] COMMANDS = {RemotePort.CMD_NOP, RemotePort.CMD_CFG, RemotePort.CMD_READ, RemotePort.CMD_WRITE,
        RemotePort.CMD_INTERRUPT, RemotePort.CMD_SYNC, RemotePort.CMD_ATS_REQ, RemotePort.CMD_ATS_INV, RemotePort.CMD_IE_TLP,
        RemotePort.CMD_IE_STATS, RemotePort.CMD_HELLO};
    private static final int FENCE_ID = 0x7FFF_FFF0;
    /** How the server logs a session that ends on an exception other than the protocol's (Session, SessionHandler). */
    private static final Pattern BUG = Pattern.compile("iommu-emu: session [0-9]+ \\([^)]*\\): (ends on an emulator bug|closing on )");
    private static final Map<String, Loopback> SERVERS = new HashMap<>();

    @AfterAll
    static void stopServers()
    {
        SERVERS.values().forEach(Loopback::close);
        SERVERS.clear();
    }

    private static Loopback server(final String name) throws Exception
    {
        Loopback loop = SERVERS.get(name);
        if (loop == null)
        {
            loop = new Loopback(ScenarioReader.bundled(name), ServerOptions.defaults());
            SERVERS.put(name, loop);
        }
        return loop;
    }

    @FuzzTest(maxDuration = DURATION)
    void packets(final FuzzedDataProvider data) throws Exception
    {
        // The peer and the server talk over loopback: not a request forgery (Jazzer's detector would say so while fuzzing).
        BugDetectors.allowNetworkConnections();
        final Loopback loop = server(data.pickValue(SCENARIOS));
        // Each input's sessions (its peer's and the fresh client's) have ended before the next input (below): what the
        // server logged is this input's alone, and the lists do not grow with the campaign.
        loop.log.clear();
        loop.statistics.clear();
        loop.json.clear();
        final int packets = data.consumeInt(1, 8);
        try (RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(CosimClient.ALL_CAPABILITIES);
            try
            {
                for (int i = 0; i < packets && data.remainingBytes() > 0; i++)
                {
                    final RpPacket packet = packet(data, i + 1);
                    if (packet == null)
                    {
                        peer.sendBytes(raw(data, i + 1));
                    }
                    else
                    {
                        peer.send(packet);
                    }
                }
                peer.send(new Sync().timestamp(1).id(FENCE_ID));
            }
            catch (final IOException closedBefore)
            {
                // The server ended the session on an earlier packet (a fatal protocol error) while the peer still sent.
            }
            while (true)
            {
                final RpPacket answer;
                try
                {
                    answer = peer.receive();
                }
                catch (final SocketTimeoutException ex)
                {
                    fail("no answer to the fence and the session is still open; log " + log(loop));
                    return;
                }
                catch (final IOException ex)
                {
                    break; // the server ended the session (a fatal protocol error): said in its log
                }
                if (answer.command() == RemotePort.CMD_SYNC && answer.id() == FENCE_ID &&
                    (answer.flags() & RemotePort.FLAG_RESPONSE) != 0 && !(answer instanceof ErrorResponse))
                {
                    break;
                }
            }
        }
        // The session's end (its statistics come after anything it logged) before the log is read.
        loop.awaitEnded(1);
        final List<String> lines = log(loop);
        for (final String line : lines)
        {
            for (int i = 0; i < line.length(); i++)
            {
                final char c = line.charAt(i);
                assertTrue(c >= 0x20 && c < 0x7F || c == '\n' || c == '\t', () -> "a log line with a control or non-ASCII character: " +
                    Printable.ascii(line));
            }
            // The server's own words at the start of a line: a line quoting the peer's error text may hold any words.
            assertTrue(!BUG.matcher(line).lookingAt(), () -> "the session ended on a bug: " +
                String.join("\n", lines));
        }
        try (CosimClient client = loop.client((GuestMemory)null))
        {
            client.request(new Sync().timestamp(2));
        }
        loop.awaitEnded(2);
    }

    /** The server's log lines, copied: its threads may still add lines (the log is a copy-on-write list, its views are not). */
    private static List<String> log(final Loopback loop)
    {
        return List.copyOf(loop.log);
    }

    /** A well-formed packet with fuzzed fields, or null for raw bytes. */
    private static RpPacket packet(final FuzzedDataProvider data, final int id)
    {
        final RpPacket packet;
        switch (data.consumeInt(0, 7))
        {
            case 0 -> packet = Ats.request().timestamp(data.consumeLong(0, 1L << 40)).attributes(data.consumeLong())
                .address(data.consumeLong()).length(data.consumeLong(0, 1L << 22));
            case 1 -> packet = Ats.invalidation().timestamp(data.consumeLong(0, 1L << 40)).attributes(data.consumeLong())
                .address(data.consumeLong()).length(data.consumeLong(0, 1L << 22)).result(data.consumeInt());
            case 2 ->
            {
                final int length = data.pickValue(new int[] {1, 2, 4, 8, 16});
                packet = BusAccess.write().timestamp(data.consumeLong(0, 1L << 40)).attributes(data.consumeLong())
                    .address(data.consumeBoolean() ? data.consumeLong(0, 0x1000) : data.consumeLong()).length(length)
                    .width(data.pickValue(new int[] {0, 1, 4, 8})).data(data.consumeBytes(length));
            }
            case 3 -> packet = BusAccess.read().timestamp(data.consumeLong(0, 1L << 40)).attributes(data.consumeLong())
                .address(data.consumeBoolean() ? data.consumeLong(0, 0x1000) : data.consumeLong())
                .length(data.pickValue(new int[] {1, 2, 4, 8, 16})).width(data.pickValue(new int[] {0, 1, 4, 8}));
            case 4 -> packet = new TlpRequest().timestamp(data.consumeLong(0, 1L << 40))
                .tlpFlags(data.pickValue(new int[] {0, TlpCommandLayout.FLAG_T_VALID,
                    TlpCommandLayout.FLAG_T_VALID | TlpCommandLayout.FLAG_T, data.consumeInt()}))
                .tlp(data.consumeBytes(data.consumeInt(0, 48)));
            case 5 -> packet = new Interrupt().timestamp(data.consumeLong(0, 1L << 40)).vector(data.consumeInt())
                .line(data.consumeInt()).value(data.consumeInt(0, 1));
            case 6 -> packet = new Sync().timestamp(data.consumeLong());
            default -> packet = null;
        }
        if (packet != null)
        {
            packet.id(id).dev(data.consumeInt(0, 3));
            if (data.consumeInt(0, 7) == 0)
            {
                packet.flags(data.consumeInt());
            }
        }
        return packet;
    }

    /** A 20-byte header with a command (mostly a known one), a length and an ID, then that many fuzzed bytes at most. */
    private static byte[] raw(final FuzzedDataProvider data, final int id)
    {
        final int command = data.consumeBoolean() ? data.pickValue(COMMANDS) : data.consumeInt();
        final byte[] payload = data.consumeBytes(data.consumeInt(0, 120));
        final int length = data.consumeBoolean() ? payload.length : data.consumeInt(0, payload.length);
        final byte[] bytes = new byte[20 + length];
        CosimFaultTest.putInt(bytes, 0, command);
        CosimFaultTest.putInt(bytes, 4, length);
        CosimFaultTest.putInt(bytes, 8, id);
        CosimFaultTest.putInt(bytes, 12, data.consumeInt());
        CosimFaultTest.putInt(bytes, 16, data.consumeInt(0, 3));
        System.arraycopy(payload, 0, bytes, 20, length);
        return bytes;
    }
}
