package org.iommuemu.emulator.cli;

import java.io.BufferedReader;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.iommuemu.emulator.replay.CsvResultSink;
import org.iommuemu.emulator.replay.JsonReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code serve} and {@code client} together: the server prints where it listens; the client pokes it. */
class ServeCommandTest
{
    private static String[] run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void serveListensAndTheClientReadsWritesTranslatesSendsTlpsAndPrintsStatistics(@TempDir final Path dir) throws Exception
    {
        final Path scenario = dir.resolve("s.yaml");
        Files.writeString(scenario, "name: cli\nplatform:\n  iommu: amdvi\n");
        final PipedWriter pipe = new PipedWriter();
        final BufferedReader lines = new BufferedReader(new PipedReader(pipe, 1 << 16));
        final StringWriter err = new StringWriter();
        final CompletableFuture<Integer> server = CompletableFuture.supplyAsync(() -> Main.run(new PrintWriter(pipe, true),
            new PrintWriter(err, true), "serve", "--scenario", scenario.toString(), "--listen", "127.0.0.1:0", "--max-sessions", "4",
            "--json", dir.resolve("sessions.jsonl").toString()));
        final String first = lines.readLine();
        assertTrue(first.startsWith("iommu-emu: listening on tcp:127.0.0.1:"), first);
        final String address = first.substring("iommu-emu: listening on ".length());

        String[] r = run("client", "--connect", address, "write", "0x28", "0x7000", "--width", "8");
        assertEquals("0", r[0], r[2]);
        assertEquals("ok", r[1].trim());
        r = run("client", "--connect", address, "read", "0x30", "--width", "8");
        assertEquals("0x0", r[1].trim(), "EFR without SNP: a fresh session's platform");
        r = run("client", "--connect", address, "translate", "--requester", "01:00.0", "0x5123", "--write");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].startsWith("0x5123 len 0xedd rwx page 2^12"), r[1]);
        r = run("client", "--connect", address, "tlp", "40000001", "01000f0f", "00006000", "00000000");
        assertTrue(r[1].startsWith("dma requester 0x0100 address 0x6000: ok 0x6000 page 2^12"), r[1]);
        server.get(30, TimeUnit.SECONDS);
        final StringBuilder output = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine())
        {
            output.append(line).append('\n');
            if (output.toString().split("ended:").length > 4)
            {
                break;
            }
        }
        assertTrue(output.toString().contains("session 4 (tcp:127.0.0.1:"), output.toString());
        assertTrue(err.toString().contains("connected, amdvi (guest-driven)"), err.toString());
        // --json: one document per ended session, one per line (kind cosim_session, docs/results.md).
        final List<String> json = Files.readAllLines(dir.resolve("sessions.jsonl"));
        assertEquals(4, json.size(), String.join("\n", json));
        final Set<Integer> numbers = new HashSet<>();
        int withTlp = 0;
        for (final String line : json)
        {
            final JsonNode document = JsonReport.mapper().readTree(line);
            assertEquals("cosim_session", document.get("kind").asText(), line);
            numbers.add(document.at("/session/number").asInt());
            assertTrue(document.at("/session/ended").asBoolean(), line);
            if (document.at("/cosim/packets_in/IE_TLP").asInt() == 1)
            {
                withTlp++;
                assertEquals(1, document.at("/replay/traffic/tlps").asInt(), line);
                assertEquals(1, document.at("/replay/dma/ok").asInt(), line);
            }
        }
        assertEquals(Set.of(1, 2, 3, 4), numbers);
        assertEquals(1, withTlp, "one session sent a TLP");

        r = run("client", "--connect", address, "stats");
        assertEquals("1", r[0], "the server has shut down: " + r[2]);
        assertTrue(r[2].contains("cannot connect"), r[2]);
    }

    @Test
    void resultsAndLogsGoToOneFilePerSession(@TempDir final Path dir) throws Exception
    {
        final Path scenario = dir.resolve("s.yaml");
        Files.writeString(scenario, String.join("\n", "name: cli", "platform: {iommu: amdvi}",
            "domains: [{id: 1, mappings: [{iova: 0x100000, spa: 0x4000000, size: 1M}]}]",
            "devices: [{requester: 0x0100, domain: 1}]", ""));
        final Path folder = dir.resolve("out");
        final PipedWriter pipe = new PipedWriter();
        final BufferedReader lines = new BufferedReader(new PipedReader(pipe, 1 << 16));
        final StringWriter err = new StringWriter();
        final CompletableFuture<Integer> server = CompletableFuture.supplyAsync(() -> Main.run(new PrintWriter(pipe, true),
            new PrintWriter(err, true), "serve", "--scenario", scenario.toString(), "--setup", "scenario", "--listen", "127.0.0.1:0",
            "--max-sessions", "2", "--results", folder.toString(), "--log", "qemu,dmesg"));
        final String first = lines.readLine();
        assertTrue(first.startsWith("iommu-emu: listening on tcp:127.0.0.1:"), first);
        final String address = first.substring("iommu-emu: listening on ".length());
        String[] r = run("client", "--connect", address, "translate", "--requester", "01:00.0", "0x100040", "--write");
        assertEquals("0", r[0], r[2]);
        r = run("client", "--connect", address, "translate", "--requester", "01:00.0", "0x900000");
        assertEquals("1", r[0], r[1] + r[2]);
        assertTrue(r[1].contains("fault"), r[1] + r[2]);
        assertEquals(0, server.get(30, TimeUnit.SECONDS), err.toString());

        // Session 1: one request, translated (the replay's CSV columns).
        final List<String> one = Files.readAllLines(folder.resolve("session-1.csv"));
        assertEquals(2, one.size(), String.join("\n", one));
        assertEquals(CsvResultSink.HEADER, one.get(0));
        final String[] row = one.get(1).split(",", -1);
        assertEquals("dma", row[2], one.get(1));
        assertEquals("0x0100", row[3], one.get(1));
        assertEquals("0x100040", row[5], one.get(1));
        assertEquals("ok", row[9], one.get(1));
        assertEquals("0x4000040", row[10], one.get(1));
        // Session 2: one request, an I/O page fault, which the dmesg log prints as Linux's AMD-Vi driver does.
        final List<String> two = Files.readAllLines(folder.resolve("session-2.csv"));
        assertEquals(2, two.size(), String.join("\n", two));
        assertEquals("fault", two.get(1).split(",", -1)[9], two.get(1));
        final String dmesg = Files.readString(folder.resolve("session-2.dmesg.log"));
        assertTrue(dmesg.contains("IO_PAGE_FAULT") && dmesg.contains("address=0x900000"), dmesg);
        assertEquals("", Files.readString(folder.resolve("session-1.dmesg.log")), "no fault, no message");
        final String qemu = Files.readString(folder.resolve("session-1.qemu.log"));
        assertTrue(qemu.contains("amdvi_"), qemu);
        assertTrue(err.toString().contains("session 1 (tcp:127.0.0.1:") && err.toString().contains("writes its requests to"),
            err.toString());
    }

    @Test
    void badOptionsAreOneLineErrors(@TempDir final Path dir) throws Exception
    {
        final Path scenario = dir.resolve("s.yaml");
        Files.writeString(scenario, "name: cli\nplatform:\n  iommu: amdvi\ndomains:\n  - {id: 1}\n" +
            "timeline:\n  - {at: 1, action: invalidate, domain: 1}\n");
        String[] r = run("serve", "--scenario", scenario.toString(), "--listen", "127.0.0.1:0");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("s.yaml:7: timeline: the guest programs"), r[2]);
        r = run("serve", "--scenario", scenario.toString(), "--channel", "mmio=2");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("five different numbers"), r[2]);
        r = run("serve", "--scenario", scenario.toString(), "--memory", "shared");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--shared-file"), r[2]);
        r = run("serve", "--scenario", scenario.toString(), "--sync", "sometimes");
        assertTrue(r[2].contains("expected one of [free-running, lock-step]"), r[2]);
        r = run("serve", "--scenario", scenario.toString(), "--setup", "scenario", "--json", scenario.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("a command never writes a file it reads"), r[2]);
        final Path json = dir.resolve("sessions.json");
        r = run("serve", "--scenario", scenario.toString(), "--setup", "scenario", "--idle-poll", "-1", "--json", json.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--idle-poll -1: must be 0 or more microseconds"), r[2]);
        assertFalse(Files.exists(json), "a refused option leaves no --json file behind");
        r = run("serve", "--scenario", scenario.toString(), "--setup", "scenario", "--answer-wait", "1001", "--no-inline-answers",
            "--json", json.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--answer-wait 1001: must be 0-1000 microseconds"), r[2]);
        assertFalse(Files.exists(json), "a refused option leaves no --json file behind");
        r = run("serve", "--scenario", scenario.toString(), "--setup", "scenario", "--log", "qemu");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("give --results FOLDER too"), r[2]);
        final Path guestDriven = dir.resolve("g.yaml");
        Files.writeString(guestDriven, "name: cli\nplatform:\n  iommu: amdvi\n");
        r = run("serve", "--scenario", guestDriven.toString(), "--results", dir.resolve("out").toString(), "--log", "dmesg");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("the guest's own IOMMU driver reads the fault log"), r[2]);
        r = run("serve", "--scenario", guestDriven.toString(), "--results", dir.resolve("out").toString(), "--log", "syslog");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--log syslog: the kinds are qemu and dmesg"), r[2]);
        r = run("serve", "--scenario", scenario.toString(), "--setup", "scenario", "--results", dir.resolve("out").toString(),
            "--json", dir.resolve("out").resolve("session-2.csv").toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("is one of the files --results"), r[2]);
        assertFalse(Files.exists(dir.resolve("out")), "a refused option creates no folder");
        r = run("serve", "--scenario", guestDriven.toString(), "--results", dir.resolve("out").toString(), "--results-format", "xml");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--results-format xml: csv or bin"), r[2]);
        r = run("serve", "--scenario", guestDriven.toString(), "--results-format", "bin");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--results-format needs --results FOLDER"), r[2]);
        r = run("serve", "--scenario", guestDriven.toString(), "--results", scenario.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("is a file, not a folder"), r[2]);
        r = run("client", "--connect", "tcp:127.0.0.1:1", "stats");
        assertEquals("1", r[0]);
        r = run("client", "tlp", "abc");
        assertEquals("2", r[0]);
    }
}
