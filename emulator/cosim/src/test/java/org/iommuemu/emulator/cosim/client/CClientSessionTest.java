package org.iommuemu.emulator.cosim.client;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.iommuemu.emulator.cosim.server.Loopback;
import org.iommuemu.emulator.cosim.server.ServerOptions;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.BusAccessLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The C client of contrib/iommu-emu-client against the Java server: gcc compiles the client (with the flags its
 * header promises: {@code -std=c11 -Wall -Wextra -Werror}) and the test program src/test/c/cclient_session.c, with
 * AddressSanitizer and UBSan when this gcc has them; the program then plays QEMU with an AMD-Vi guest driver against a
 * server on loopback (TCP and a UNIX socket) and against a hostile server that sends malformed packets. The program
 * checks what it sees and prints it; this test asserts the printed values and what the server saw.
 * <p>
 * Skipped (by assumption) only when there is no gcc on the PATH.
 */
class CClientSessionTest
{
    static final String SCENARIO = "name: c-client\nplatform:\n  iommu: amdvi\n";
    static final long RUN_SECONDS = 20;

    @TempDir
    static Path build;
    static Path program;
    static Path rtt;
    static boolean sanitized;

    @BeforeAll
    static void compile() throws Exception
    {
        assumeTrue(gccAvailable(), "gcc is not on the PATH: the C client is not built");
        final Path root = repositoryRoot();
        final Path client = root.resolve("contrib/iommu-emu-client");
        final Path session = root.resolve("emulator/cosim/src/test/c/cclient_session.c");
        // The client alone, with exactly the flags it promises to build warning-free with.
        final Result object = run(List.of("gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-c",
            client.resolve("iommu_emu_client.c").toString(), "-o", build.resolve("client.o").toString()), 60);
        assertEquals(0, object.exit, () -> "the client does not build warning-free:\n" + object.output);
        sanitized = run(List.of("gcc", "-fsanitize=address,undefined", "-x", "c", "-", "-o", build.resolve("probe").toString()),
            60, "int main(void) { return 0; }\n").exit == 0 && run(List.of(build.resolve("probe").toString()), 10).exit == 0;
        final List<String> command = new ArrayList<>(List.of("gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g",
            "-O1", "-I", client.toString()));
        if (sanitized)
        {
            command.addAll(List.of("-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"));
        }
        command.addAll(List.of(client.resolve("iommu_emu_client.c").toString(), session.toString(), "-o",
            build.resolve("cclient_session").toString()));
        final Result linked = run(command, 90);
        assertEquals(0, linked.exit, () -> "the test program does not build:\n" + linked.output);
        program = build.resolve("cclient_session");
        // The round-trip example (contrib/iommu-emu-client/examples), as its comment says to build it.
        final Result example = run(List.of("gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", client.toString(),
            "-o", build.resolve("iommu_emu_rtt").toString(), client.resolve("examples/iommu_emu_rtt.c").toString(),
            client.resolve("iommu_emu_client.c").toString()), 90);
        assertEquals(0, example.exit, () -> "the round-trip example does not build warning-free:\n" + example.output);
        rtt = build.resolve("iommu_emu_rtt");
    }

    /**
     * The round-trip example against a session on the scenario's own tables: every answer checked against the mapping
     * (a wrong expected base fails it), one line of percentiles, the server's count of the requests.
     */
    @Test
    void theRoundTripExampleTimesCheckedTranslations() throws Exception
    {
        final String yaml = String.join("\n", "name: rtt", "platform:", "  iommu: amdvi", "cosim:", "  setup: scenario", "domains:",
            "  - {id: 1, levels: 3, policy: x86-sizes, mappings: [{iova: 0x100000000, spa: 0x80000000, size: 64M}]}",
            "devices:", "  - {requester: 0x100, domain: 1}", "");
        try (Loopback loop = new Loopback(yaml))
        {
            final Result r = run(List.of(rtt.toString(), loop.address, "400", "0x100", "0x100000000", "0x80000000"), RUN_SECONDS);
            assertEquals(0, r.exit, r.output);
            assertTrue(r.output.matches("(?s)round trips: 400, p50 [0-9.]+ us, p99 [0-9.]+ us, p99.9 [0-9.]+ us, max [0-9.]+ us\n"),
                r.output);
            final Result wrong = run(List.of(rtt.toString(), loop.address, "10", "0x100", "0x100000000", "0x90000000"), RUN_SECONDS);
            assertEquals(1, wrong.exit, wrong.output);
            assertTrue(wrong.output.contains("request 0 for 0x100000000 answered result 0 address 0x80000000"), wrong.output);
            final Result bad = run(List.of(rtt.toString(), loop.address, "ten", "0x100", "0x100000000"), RUN_SECONDS);
            assertEquals(2, bad.exit, bad.output);
            assertTrue(bad.output.contains("COUNT 'ten' is not a number"), bad.output);
            loop.awaitEnded(2);
            assertTrue(loop.json.stream().anyMatch(j -> j.at("/replay/traffic/dma_requests").asLong() == 600), loop.json::toString);
        }
    }

    @Test
    void aCSessionBringsAmdViUpTranslatesInvalidatesAndTakesTheFault() throws Exception
    {
        try (Loopback loop = new Loopback(SCENARIO))
        {
            final Result r = run(List.of(program.toString(), "session", loop.address), RUN_SECONDS);
            final String out = r.output;
            assertEquals(0, r.exit, out);
            assertLine(out, "hello 4.3 negotiated ext_base 1 byte_en 1 ats 1 translate 1 tlp 1 control 1");
            assertLine(out, "msi_data 0x41");
            assertTrue(out.contains("control 0x101d status 0x"), out);
            assertLine(out, "semaphore 1 token 1");
            assertLine(out, "events attach: write 0x402000+8; interrupt line 1 val 1; interrupt line 1 val 0");
            // The translated address, the rest of the 4 KiB page, R/W/X (v1 tables have no execute control), domain 1.
            assertLine(out, "translate result 0 addr 0x80000123 len 0xedd perms 7 page 12 domain 1 fault 0 family 0 code -1 " +
                "recorded 0 hit 0 output 0x80000123");
            assertLine(out, "in_flight 17");
            assertLine(out, "pipelined 16 of 16 control 0x101d in_flight 0");
            assertTrue(out.contains("tlp class 0 outcome 0 output 0x80002040 page 12 requester 0x0100 "), out);
            // The peer's cached translation of page 0 is invalidated before the completion wait stores and interrupts.
            assertLine(out, "events invalidate: ats_inv 0x100000000+0x1000 rid 0x0100; write 0x402000+8; " +
                "interrupt line 1 val 1; interrupt line 1 val 0");
            assertTrue(out.contains("fault result 1 addr 0x0 len 0x0 perms 0 page "), out);
            assertTrue(out.contains(" domain 1 fault 1 family 1 code 2 recorded 1 "), out);
            assertLine(out, "events fault: write 0x401000+8; write 0x401008+8; interrupt line 0 val 1; interrupt line 0 val 0");
            assertLine(out, "event_tail 0x10 event code 2 device 0x0100 address 0x100000010");
            assertLine(out, "sync 0 time 123456789");
            final String stats = between(out, "stats-begin", "stats-end");
            assertTrue(stats.contains("IO_PAGE_FAULT"), stats);
            assertTrue(stats.contains("ATS_INV: 1 sent, 1 acknowledged"), stats);
            assertTrue(stats.contains("interrupts sent: 3"), stats);
            assertTrue(out.contains(" interrupts 6 ats_invalidations 1 error_responses 0 malformed 0 unmatched 0"), out);
            assertLine(out, "exit 0 failures 0");

            // The server's side of the same session, printed when the C program closed the connection.
            loop.awaitEnded(1);
            final String ended = loop.statistics.get(0);
            assertTrue(ended.contains("ATS_INV: 1 sent, 1 acknowledged"), ended);
            assertTrue(ended.contains("IO_PAGE_FAULT"), ended);
            assertTrue(ended.contains("protocol errors: 0, unmatched responses: 0"), ended);
            assertTrue(ended.contains("interrupts sent: 3 (wire)"), ended);
            assertTrue(loop.log.stream().noneMatch(line -> line.contains("malformed") || line.contains("dropped")), loop.log::toString);
        }
    }

    /**
     * The QEMU case from the C client: its guest's driver brings AMD-Vi up with the tables in the program's memory
     * (fetched with READs it answers), then the same 16 pages are translated in turn: every answer checked by the
     * program, and once the IOTLB holds them the server answers these repeats on its network thread.
     */
    @Test
    void aCGuestsRepeatedTranslationsAreAnsweredOnTheNetworkThread() throws Exception
    {
        try (Loopback loop = new Loopback(SCENARIO))
        {
            final Result r = run(List.of(program.toString(), "rtt", loop.address, "400"), RUN_SECONDS);
            final String out = r.output;
            assertEquals(0, r.exit, out);
            assertTrue(out.matches("(?s).*\nround trips: 400, p50 [0-9.]+ us, p99 [0-9.]+ us.*"), out);
            final Matcher inline = Pattern.compile("answered by the network thread: (\\d+)")
                .matcher(between(out, "stats-begin", "stats-end"));
            assertTrue(inline.find(), out);
            // 600 translations of 16 pages: after each page's first walk, repeats (a few may find the model thread
            // not yet idle).
            assertTrue(Long.parseLong(inline.group(1)) >= 300, out);
            assertLine(out, "exit 0 failures 0");
        }
    }

    @Test
    void overAUnixSocketWithPostedWritesAndAnAddressError(@TempDir final Path dir) throws Exception
    {
        final ServerOptions options = ServerOptions.defaults().withUnixPath(dir.resolve("rp.sock"));
        try (Loopback loop = new Loopback(Loopback.scenario(SCENARIO), options))
        {
            assertTrue(loop.address.startsWith("unix:"), loop.address);
            final Result r = run(List.of(program.toString(), "basic", loop.address), RUN_SECONDS);
            final String out = r.output;
            assertEquals(0, r.exit, out);
            assertLine(out, "control 0x0");
            assertLine(out, "msi_data 0x5a");
            assertLine(out, "outside rc 2");
            assertLine(out, "msi_data 0x77");
            assertLine(out, "sync 0 time 42");
            assertTrue(between(out, "stats-begin", "stats-end").contains("MMIO accesses: 6"), out);
        }
    }

    /**
     * A server that answers HELLO correctly and then misbehaves at every request (docs/protocol.md 9 seen from the
     * peer's side): a READ of 4 GiB, a WRITE whose data lies outside it, a short INTERRUPT, answers too short for their
     * command, an answer to no request, an answer with the wrong command, a name past the end, a frame over the limit.
     * The C program must return from every call, report the error, answer what it can and never crash (the sanitizers
     * are on when gcc has them).
     */
    @Test
    void survivesAServerThatSendsMalformedPackets() throws Exception
    {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final CompletableFuture<List<String>> seen = CompletableFuture.supplyAsync(() -> hostile(listener));
            final Result r = run(List.of(program.toString(), "hostile", "tcp:127.0.0.1:" + listener.getLocalPort()), RUN_SECONDS);
            final String out = r.output;
            assertEquals(0, r.exit, out);
            final List<String> server = seen.get(RUN_SECONDS, TimeUnit.SECONDS);
            assertEquals(List.of("hello caps 7", "READ 100 answered code 1 len 0 bytes 58", "WRITE 101 answered code 1 bytes 80",
                "request 2 READ", "request 3 ATS_REQ", "request 4 IE_TLP", "request 5 READ", "closed"), server, out);
            assertLine(out, "connect 0");
            assertTrue(out.contains("step1 rc -4 (MMIO READ answer of 30 bytes is malformed: it needs 58)"), out);
            assertLine(out, "step2 rc 0 value 0x1122334455667788");
            assertTrue(out.contains("step3 rc -4 (request 3 was ATS_REQ but its answer is WRITE)"), out);
            assertTrue(out.contains("step4 rc -4 (IE_TLP name answer of 100 bytes is malformed: it needs 300)"), out);
            assertTrue(out.contains("step5 rc -4 (packet at stream offset "), out);
            assertTrue(out.contains("exceeds the 65556-byte frame limit; closing"), out);
            assertLine(out, "after rc -4");
            assertTrue(out.contains(" malformed 7 unmatched 1"), out);
            assertLine(out, "survived");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The hostile server.

    private static List<String> hostile(final ServerSocket listener)
    {
        final List<String> seen = new ArrayList<>();
        try (Socket socket = listener.accept())
        {
            socket.setSoTimeout((int)TimeUnit.SECONDS.toMillis(RUN_SECONDS));
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            final DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            final ByteBuffer hello = read(in);
            seen.add("hello caps " + hello.getShort(28));
            send(out, helloPacket());

            // Request 1 (MMIO READ): a READ of 4 GiB less 64 KiB, a WRITE whose data lies outside it, a short
            // INTERRUPT, then an answer of 30 bytes.
            final ByteBuffer first = read(in);
            send(out, busAccess(RemotePort.CMD_READ, 100, 0xFFFF_0000, 0, false));
            send(out, busAccess(RemotePort.CMD_WRITE, 101, 4, 5000, true));
            send(out, header(RemotePort.CMD_INTERRUPT, 10, 55, RemotePort.FLAG_POSTED, 3, 10));
            send(out, header(RemotePort.CMD_READ, 10, first.getInt(RemotePort.ID_OFFSET), RemotePort.FLAG_RESPONSE, 1, 10));
            for (int i = 0; i < 2; i++)
            {
                final ByteBuffer answer = read(in);
                final int code = (int)((answer.getLong(BusAccessLayout.ATTRIBUTES_OFFSET) & BusAccessLayout.RESPONSE_MASK) >>>
                    BusAccessLayout.RESPONSE_SHIFT);
                if (answer.getInt(RemotePort.CMD_OFFSET) == RemotePort.CMD_READ)
                {
                    seen.add("READ " + answer.getInt(RemotePort.ID_OFFSET) + " answered code " + code + " len " +
                        answer.getInt(BusAccessLayout.LEN_OFFSET) + " bytes " + answer.capacity());
                }
                else
                {
                    seen.add("WRITE " + answer.getInt(RemotePort.ID_OFFSET) + " answered code " + code + " bytes " + answer.capacity());
                }
            }

            // Request 2 (MMIO READ): an answer to an id never sent, then the right one.
            ByteBuffer request = read(in);
            seen.add("request " + request.getInt(RemotePort.ID_OFFSET) + " READ");
            send(out, readResponse(9999, 0));
            send(out, readResponse(request.getInt(RemotePort.ID_OFFSET), 0x1122_3344_5566_7788L));

            // Request 3 (ATS_REQ): an answer with its id but the command WRITE.
            request = read(in);
            seen.add("request " + request.getInt(RemotePort.ID_OFFSET) + " " + name(request.getInt(RemotePort.CMD_OFFSET)));
            final ByteBuffer wrong = header(RemotePort.CMD_WRITE, AtsLayout.LENGTH - 20, request.getInt(RemotePort.ID_OFFSET),
                RemotePort.FLAG_RESPONSE, 4, AtsLayout.LENGTH - 20);
            send(out, wrong);

            // Request 4 (IE_TLP): an answer whose name length runs 200 bytes past its end.
            request = read(in);
            seen.add("request " + request.getInt(RemotePort.ID_OFFSET) + " " + name(request.getInt(RemotePort.CMD_OFFSET)));
            final ByteBuffer tlp = header(RemotePort.CMD_IE_TLP, TlpCommandLayout.RESPONSE_LENGTH - 20,
                request.getInt(RemotePort.ID_OFFSET), RemotePort.FLAG_RESPONSE, 5, TlpCommandLayout.RESPONSE_LENGTH - 20);
            tlp.put(TlpCommandLayout.NAME_LENGTH_OFFSET, (byte)200);
            send(out, tlp);

            // Request 5 (MMIO READ): a header announcing 2 GiB.
            request = read(in);
            seen.add("request " + request.getInt(RemotePort.ID_OFFSET) + " " + name(request.getInt(RemotePort.CMD_OFFSET)));
            send(out, header(RemotePort.CMD_READ, Integer.MAX_VALUE, request.getInt(RemotePort.ID_OFFSET), RemotePort.FLAG_RESPONSE, 1, 0));

            // The client gives the connection up: nothing more arrives.
            seen.add(in.read() < 0 ? "closed" : "still sending");
        }
        catch (final IOException ex)
        {
            seen.add("server failed: " + ex);
        }
        return seen;
    }

    private static String name(final int cmd)
    {
        return cmd == RemotePort.CMD_ATS_REQ ? "ATS_REQ" : cmd == RemotePort.CMD_IE_TLP ? "IE_TLP" : cmd == RemotePort.CMD_READ ? "READ" :
            "cmd " + cmd;
    }

    private static ByteBuffer read(final DataInputStream in) throws IOException
    {
        final byte[] header = new byte[RemotePort.HEADER_LENGTH];
        in.readFully(header);
        final int len = ByteBuffer.wrap(header).getInt(RemotePort.LEN_OFFSET);
        final byte[] packet = new byte[RemotePort.HEADER_LENGTH + len];
        System.arraycopy(header, 0, packet, 0, header.length);
        in.readFully(packet, header.length, len);
        return ByteBuffer.wrap(packet);
    }

    private static void send(final DataOutputStream out, final ByteBuffer packet) throws IOException
    {
        out.write(packet.array(), 0, packet.capacity());
        out.flush();
    }

    /** A header with {@code len} and {@code payloadBytes} zeroed payload bytes after it (they may disagree). */
    private static ByteBuffer header(final int cmd, final int len, final int id, final int flags, final int dev, final int payloadBytes)
    {
        final ByteBuffer b = ByteBuffer.allocate(RemotePort.HEADER_LENGTH + payloadBytes);
        b.putInt(RemotePort.CMD_OFFSET, cmd).putInt(RemotePort.LEN_OFFSET, len).putInt(RemotePort.ID_OFFSET, id)
            .putInt(RemotePort.FLAGS_OFFSET, flags).putInt(RemotePort.DEV_OFFSET, dev);
        return b;
    }

    private static ByteBuffer helloPacket()
    {
        final int[] caps = {RemotePort.CAP_BUSACCESS_EXT_BASE, RemotePort.CAP_BUSACCESS_EXT_BYTE_EN, RemotePort.CAP_WIRE_POSTED_UPDATES,
            RemotePort.CAP_ATS, RemotePort.IE_TRANSLATE, RemotePort.IE_TLP, RemotePort.IE_CONTROL};
        final ByteBuffer b = header(RemotePort.CMD_HELLO, 12 + 4 * caps.length, 0, 0, 0, 12 + 4 * caps.length);
        b.putShort(20, (short)4).putShort(22, (short)3).putInt(24, 32).putShort(28, (short)caps.length);
        for (int i = 0; i < caps.length; i++)
        {
            b.putInt(32 + 4 * i, caps[i]);
        }
        return b;
    }

    /** A request of the server's on the memory channel; {@code dataOffset} > 0 uses the extended layout. */
    private static ByteBuffer busAccess(final int cmd, final int id, final int length, final int dataOffset, final boolean extended)
    {
        final int size = extended ? BusAccessLayout.EXTENDED_LENGTH : BusAccessLayout.BASE_LENGTH;
        final ByteBuffer b = header(cmd, size - 20, id, 0, 2, size - 20);
        b.putLong(BusAccessLayout.ATTRIBUTES_OFFSET, extended ? BusAccessLayout.ATTR_EXT_BASE : 0)
            .putLong(BusAccessLayout.ADDR_OFFSET, 0x1000).putInt(BusAccessLayout.LEN_OFFSET, length)
            .putInt(BusAccessLayout.STREAM_WIDTH_OFFSET, length);
        if (extended)
        {
            b.putInt(BusAccessLayout.DATA_OFFSET_OFFSET, dataOffset);
        }
        return b;
    }

    private static ByteBuffer readResponse(final int id, final long value)
    {
        final ByteBuffer b = header(RemotePort.CMD_READ, BusAccessLayout.BASE_LENGTH - 20 + 8, id, RemotePort.FLAG_RESPONSE, 1,
            BusAccessLayout.BASE_LENGTH - 20 + 8);
        b.putLong(BusAccessLayout.ADDR_OFFSET, 0x18).putInt(BusAccessLayout.LEN_OFFSET, 8).putInt(BusAccessLayout.STREAM_WIDTH_OFFSET, 8);
        for (int i = 0; i < 8; i++)
        {
            b.put(BusAccessLayout.BASE_LENGTH + i, (byte)(value >>> (8 * i)));
        }
        return b;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Processes.

    record Result(int exit, String output)
    {
    }

    private static Result run(final List<String> command, final long seconds) throws Exception
    {
        return run(command, seconds, null);
    }

    private static Result run(final List<String> command, final long seconds, final String input) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0");
        builder.environment().put("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
        final Process process = builder.start();
        if (input != null)
        {
            process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        final CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        if (!process.waitFor(seconds, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + seconds + " s:\n" +
                output.get(5, TimeUnit.SECONDS));
        }
        return new Result(process.exitValue(), output.get(5, TimeUnit.SECONDS));
    }

    private static String readAll(final InputStream in)
    {
        try
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return "(output lost: " + ex + ")";
        }
    }

    private static boolean gccAvailable()
    {
        try
        {
            return run(List.of("gcc", "--version"), 30).exit == 0;
        }
        catch (final Exception ex)
        {
            return false;
        }
    }

    /** The repository's root: the first directory up from the working directory that holds the C client. */
    private static Path repositoryRoot()
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            if (Files.isRegularFile(dir.resolve("contrib/iommu-emu-client/iommu_emu_client.c")))
            {
                return dir;
            }
        }
        throw new AssertionError("contrib/iommu-emu-client not found above " + Path.of("").toAbsolutePath());
    }

    private static void assertLine(final String output, final String line)
    {
        assertTrue(output.lines().anyMatch(line::equals), () -> "no line '" + line + "' in:\n" + output);
    }

    private static String between(final String output, final String begin, final String end)
    {
        final int from = output.indexOf(begin);
        final int to = output.indexOf(end, Math.max(from, 0));
        assertTrue(from >= 0 && to > from, () -> "no " + begin + " ... " + end + " in:\n" + output);
        return output.substring(from, to);
    }
}
