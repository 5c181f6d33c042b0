package org.iommuemu.emulator.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The defect classes of issue 21, through the command line as a user meets them: an output naming an input (by
 * any name) is refused before anything is written; hostile numbers are record errors; work is bounded; nothing is
 * misread silently; no answer is made up from memory an image lacks; every error is one line in words, with the
 * exit code of the one convention (0 ok, 1 bad input data, 2 usage).
 */
class RobustnessCommandTest
{
    /** Words that must never reach a user: Java class names and parser internals. */
    private static final List<String> INTERNALS = List.of("Exception", "For input string", "exceeds range", ": null", "\tat ");

    @TempDir
    Path dir;

    private StringWriter out;
    private StringWriter err;

    @BeforeEach
    void streams()
    {
        out = new StringWriter();
        err = new StringWriter();
    }

    private int run(final String... args)
    {
        out = new StringWriter();
        err = new StringWriter();
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private void assertClean(final String text)
    {
        for (final String internal : INTERNALS)
        {
            assertFalse(text.contains(internal), "\"" + internal + "\" in: " + text);
        }
    }

    private Path trace(final String name, final int count)
    {
        final Path file = dir.resolve(name);
        assertEquals(0, run("trace", "gen", "-c", Integer.toString(count), "-o", file.toString()), err.toString());
        return file;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inputs destroyed

    @Test
    void replayRefusesAnOutputThatIsItsTraceByAnyName() throws IOException
    {
        final Path trace = trace("t.pcapng", 200);
        final byte[] before = Files.readAllBytes(trace);
        final Path symlink = Files.createSymbolicLink(dir.resolve("link.bin"), trace);
        final Path hardLink = Files.createLink(dir.resolve("hard.csv"), trace);
        for (final String results : List.of(trace.toString(), symlink.toString(), hardLink.toString(),
            dir.resolve("sub/../t.pcapng").toString()))
        {
            assertEquals(ExitCodes.USAGE, run("replay", "--scenario", "nic-passthrough", trace.toString(), "--results", results), results);
            assertTrue(err.toString().contains("--results " + results + " is the input TRACE"), err.toString());
            assertArrayEquals(before, Files.readAllBytes(trace), "the trace is untouched: " + results);
        }
        // A report folder that holds the trace under a name the report writes.
        final Path report = Files.createDirectories(dir.resolve("report"));
        final Path inReport = Files.copy(trace, report.resolve("summary.csv"));
        assertEquals(ExitCodes.USAGE, run("replay", "--scenario", "nic-passthrough", inReport.toString(), "--report", report.toString()));
        assertTrue(err.toString().contains("--report (summary.csv) " + inReport + " is the input TRACE"), err.toString());
        assertArrayEquals(before, Files.readAllBytes(inReport));
        // A report folder that is the trace itself, and two outputs that are one file.
        assertEquals(ExitCodes.USAGE, run("replay", "--scenario", "nic-passthrough", trace.toString(), "--report", trace.toString()));
        assertTrue(err.toString().contains("is a file, not a folder (it is the input TRACE)"), err.toString());
        assertEquals(ExitCodes.USAGE, run("replay", "--scenario", "nic-passthrough", "--count", "10", "--report", report.toString(),
            "--results", report.resolve("index.html").toString()));
        assertTrue(err.toString().contains("are the same file"), err.toString());
        assertArrayEquals(before, Files.readAllBytes(trace));
    }

    @Test
    void replayRefusesToOverwriteItsScenarioAndProfileFiles() throws IOException
    {
        final Path profile = Files.writeString(dir.resolve("p.yaml"), "extends: amd\n");
        final Path scenario = Files.writeString(dir.resolve("s.yaml"), String.join("\n", "platform:", "  iommu: amdvi",
            "  profile: p.yaml", "domains:", "  - id: 1", "    mappings:", "      - {iova: 0x100000000, size: 256M}",
            "devices:", "  - {requester: \"10:00.0\", domain: 1}", "traffic:", "  count: 100", ""));
        final String scenarioText = Files.readString(scenario);
        assertEquals(ExitCodes.USAGE, run("replay", "--scenario", scenario.toString(), "--results", scenario.toString()));
        assertEquals(scenarioText, Files.readString(scenario));
        assertEquals(ExitCodes.USAGE, run("replay", "--scenario", scenario.toString(), "--results", profile.toString()));
        assertTrue(err.toString().contains("is the input (a file of scenario s)"), err.toString());
        assertEquals("extends: amd\n", Files.readString(profile));
        assertEquals(ExitCodes.USAGE, run("compare", "--scenario", scenario.toString(), "--policies", "huge,forced-4k", "--report",
            profile.toString()));
        assertEquals("extends: amd\n", Files.readString(profile));
        assertEquals(ExitCodes.OK, run("replay", "--scenario", scenario.toString(), "--results", dir.resolve("r.csv").toString()),
            err.toString());
    }

    @Test
    void translateAndConvertRefuseOutputsThatAreInputs() throws IOException
    {
        final Path image = Files.write(dir.resolve("mem.raw"), new byte[8192]);
        final Path requests = Files.writeString(dir.resolve("r.csv"), "requester_id,pasid,iova,access\n0x10,,0x1000,r\n");
        final Path regs = Files.writeString(dir.resolve("regs.txt"), "0x0=0x1000\n");
        final Path hardRegs = Files.createLink(dir.resolve("regs-link.csv"), regs);
        final Path linkRequests = Files.createSymbolicLink(dir.resolve("out.csv"), requests);
        for (final Path output : List.of(image, linkRequests, hardRegs))
        {
            assertEquals(ExitCodes.USAGE, run("translate", "--iommu", "amdvi", "--memory", image.toString(), "--regs", regs.toString(),
                "--requests", requests.toString(), "--out", output.toString()), output.toString());
            assertTrue(err.toString().contains("--out " + output + " is the input"), err.toString());
        }
        assertArrayEquals(new byte[8192], Files.readAllBytes(image));
        assertEquals("requester_id,pasid,iova,access\n0x10,,0x1000,r\n", Files.readString(requests));
        assertEquals("0x0=0x1000\n", Files.readString(regs));

        final Path trace = trace("c.pcapng", 20);
        final byte[] before = Files.readAllBytes(trace);
        final Path hard = Files.createLink(dir.resolve("c.txt"), trace);
        assertEquals(ExitCodes.USAGE, run("trace", "convert", trace.toString(), hard.toString()));
        assertArrayEquals(before, Files.readAllBytes(trace));
        assertEquals(ExitCodes.USAGE, run("trace", "gen", "-c", "5", "-o", dir.toString()));
        assertTrue(err.toString().contains("is a folder, not a file"), err.toString());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Hostile numbers, bounds

    @Test
    void replayOfTimestampsBeyondTheClockIsARecordErrorNotANegativeLatency() throws IOException
    {
        final Path text = trace("t.txt", 3);
        final List<String> lines = new ArrayList<>(Files.readAllLines(text));
        lines.set(2, lines.get(2).replaceFirst("^[0-9]+ns", "92233720368547758us"));
        Files.write(text, lines);
        assertEquals(ExitCodes.BAD_INPUT, run("replay", "--scenario", "nic-passthrough", text.toString()));
        assertTrue(err.toString().contains("t.txt: record 1 at byte offset "), err.toString());
        assertTrue(err.toString().contains("BAD_TIMESTAMP: timestamp 92233720368547758 x 10^-6 s is beyond what the replay can time"),
            err.toString());
        assertClean(err.toString());
    }

    @Test
    void generatedCountsHaveAnUpperBound()
    {
        assertEquals(ExitCodes.USAGE, run("trace", "gen", "-c", "1000000001", "-o", dir.resolve("x.pcapng").toString()));
        assertTrue(err.toString().contains("--count must be 0 to 1000000000"), err.toString());
        assertFalse(Files.exists(dir.resolve("x.pcapng")));
        assertEquals(ExitCodes.USAGE, run("replay", "--scenario", "nic-passthrough", "--count", "1000000001"));
        assertEquals(ExitCodes.USAGE, run("walk", "--format", "x86:-4"));
        assertTrue(err.toString().contains("the level count after ':' must be positive, not -4"), err.toString());
    }

    @Test
    void imageDecompressionStopsAtItsCapAndCorruptImagesSayWhyInWords() throws IOException
    {
        final ByteArrayOutputStream gzip = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(gzip))
        {
            zip.write(new byte[4 << 20]);
        }
        final Path image = Files.write(dir.resolve("zeros.gz"), gzip.toByteArray());
        final Path requests = Files.writeString(dir.resolve("r.csv"), "requester_id,pasid,iova,access\n0x10,,0x1000,r\n");
        assertEquals(ExitCodes.BAD_INPUT, run("translate", "--iommu", "amdvi", "--memory", image.toString(), "--reg", "0x0=0x1000",
            "--requests", requests.toString(), "--max-image-size", "1M"));
        assertTrue(err.toString().contains("zeros.gz: the gzip-compressed image decompresses to more than 1048576 bytes, the cap " +
            "(--max-image-size)"), err.toString());
        final byte[] cut = Arrays.copyOf(gzip.toByteArray(), gzip.size() / 2);
        Files.write(image, cut);
        assertEquals(ExitCodes.BAD_INPUT, run("translate", "--iommu", "amdvi", "--memory", image.toString(), "--reg", "0x0=0x1000",
            "--requests", requests.toString()));
        assertTrue(err.toString().contains("gzip decompression failed after"), err.toString());
        assertClean(err.toString());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Made-up answers

    @Test
    void translateOnAnImageWithoutTheDeviceTableAnswersNoRequest() throws IOException
    {
        final Path requests = Files.writeString(dir.resolve("r.csv"), "requester_id,pasid,iova,access\n0x10,,0x1000,r\n0x10,,0x2000,w\n");
        final Path tiny = Files.write(dir.resolve("tiny.raw"), new byte[] {1, 2, 3});
        final Path page = Files.write(dir.resolve("page.raw"), new byte[1 << 20]);
        final List<List<String>> cases = List.of(
            List.of("--iommu", "amdvi", "--memory", tiny.toString(), "--reg", "0x0=0x100000001ff"),
            List.of("--iommu", "amdvi", "--memory", page.toString(), "--reg", "0x0=0x1ff", "--memory-base", "0x40000000"),
            List.of("--iommu", "amdvi", "--memory", page.toString(), "--reg", "0x0=0x80000001ff"),
            List.of("--iommu", "vtd", "--memory", tiny.toString(), "--reg", "0x20=0x100000", "--reg", "0x1c=0xc0000000"));
        for (final List<String> options : cases)
        {
            final List<String> args = new ArrayList<>(List.of("translate", "--requests", requests.toString()));
            args.addAll(options);
            assertEquals(ExitCodes.BAD_INPUT, run(args.toArray(new String[0])), err.toString());
            final String[] lines = out.toString().split("\n");
            assertEquals(3, lines.length, out.toString());
            assertTrue(lines[1].startsWith("0x0010,,0x1000,r,error,,,,outside the image at 0x"), out.toString());
            assertTrue(lines[2].startsWith("0x0010,,0x2000,w,error,,,,outside the image at 0x"), out.toString());
            assertTrue(err.toString().contains("2 requests could not be answered"), err.toString());
            assertFalse(out.toString().contains(",ok,"), "no identity translation from zeros: " + out);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Vague errors, silent misreads

    @Test
    void inputFilesOfBadBytesNameTheFileAndLine() throws IOException
    {
        final Path image = Files.write(dir.resolve("mem.raw"), new byte[1 << 20]);
        final byte[] latin1 = "requester_id,pasid,iova,access\n0x10,,0x1000,r\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        final Path requests = Files.write(dir.resolve("r.csv"), latin1);
        assertEquals(ExitCodes.BAD_INPUT, run("translate", "--iommu", "amdvi", "--memory", image.toString(), "--reg", "0x0=0x1ff",
            "--requests", requests.toString()));
        assertTrue(err.toString().contains("r.csv:2: not UTF-8 text"), err.toString());
        assertClean(err.toString());
        Files.writeString(requests, "requester_id,pasid,iova,access\n0x10,,99999999999999999999,r\n");
        assertEquals(ExitCodes.BAD_INPUT, run("translate", "--iommu", "amdvi", "--memory", image.toString(), "--reg", "0x0=0x1ff",
            "--requests", requests.toString()));
        assertTrue(err.toString().contains("r.csv:2: field iova"), err.toString());
        assertClean(err.toString());
        final Path scenario = Files.write(dir.resolve("latin.yaml"),
            "platform:\n  iommu: amdvi\n# caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(ExitCodes.BAD_INPUT, run("replay", "--scenario", scenario.toString()));
        assertTrue(err.toString().contains("latin.yaml: not UTF-8 text"), err.toString());
        assertClean(err.toString());
        final Path profile = Files.write(dir.resolve("p.yaml"), "name: x\n# caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(ExitCodes.BAD_INPUT, run("calibrate", "--profile", profile.toString()));
        assertTrue(err.toString().contains("p.yaml: not UTF-8 text"), err.toString());
        assertClean(err.toString());
        Files.writeString(requests, "requester_id,pasid,iova,access\n" + "0".repeat(10_000) + "\n");
        assertEquals(ExitCodes.BAD_INPUT, run("translate", "--iommu", "amdvi", "--memory", image.toString(), "--reg", "0x0=0x1ff",
            "--requests", requests.toString()));
        assertTrue(err.toString().contains("r.csv:2: longer than 4096 bytes"), err.toString());
    }

    @Test
    void registerValuesWiderThanTheirRegisterAreRefused() throws IOException
    {
        final Path image = Files.write(dir.resolve("mem.raw"), new byte[1 << 20]);
        for (final String register : List.of("0x18=0x1ffffffff", "0x1c=0x100000000", "0x34=0x1ffffffff"))
        {
            assertEquals(ExitCodes.USAGE, run("tables", "--iommu", "vtd", "--memory", image.toString(), "--reg", "0x20=0x1000",
                "--reg", register));
            assertTrue(err.toString().contains("is a 32-bit register; 0x1"), err.toString());
        }
        assertEquals(ExitCodes.USAGE, run("tables", "--iommu", "vtd", "--memory", image.toString(), "--reg", "0x20=0x1000",
            "--reg", "0x24=0x1"));
        assertTrue(err.toString().contains("offset 0x24 is inside the 64-bit register"), err.toString());
        final Path regs = Files.writeString(dir.resolve("regs.txt"), "0x20=0x1000\n0x1c=0x100000000\n");
        assertEquals(ExitCodes.BAD_INPUT, run("tables", "--iommu", "vtd", "--memory", image.toString(), "--regs", regs.toString()));
        assertTrue(err.toString().contains("regs.txt:2: "), err.toString());
    }

    @Test
    void scenarioValuesThatMakeNoSenseAreErrors() throws IOException
    {
        final String head = String.join("\n", "platform:", "  iommu: amdvi", "  snp: true", "domains:", "  - id: 1",
            "    mappings:", "      - {iova: 0x100000000, size: 256M%s}", "devices:", "  - {requester: \"10:00.0\", domain: 1}", "");
        final List<String[]> cases = List.of(
            new String[] {String.format(head, ", access: rwx"), "access 'rwx': the IOMMU tables"},
            new String[] {String.format(head, "").replace("size: 256M", "size: -4096"), "a size or address is not negative"},
            new String[] {String.format(head, "") + "timeline:\n  - {at: 5, action: detach, requester: \"20:00.0\"}\n",
                "requester 2000 is not attached"},
            new String[] {String.format(head, "") + "timeline:\n  - {at: 5, action: detach, requester: \"10:00.0\"}\n" +
                "  - {at: 6, action: detach, requester: \"10:00.0\"}\n", "requester 1000 is not attached"},
            new String[] {String.format(head, "") + "timeline:\n  - {at: 5, action: make-private, spa: 0x100000000, asid: 0}\n",
                "a guest ASID is 1-1023"},
            new String[] {String.format(head, "").replace("id: 1", "id: -1"), "a domain id is 0-65535, not -1"});
        for (final String[] scenario : cases)
        {
            final Path file = Files.writeString(dir.resolve("bad.yaml"), scenario[0]);
            assertEquals(ExitCodes.BAD_INPUT, run("replay", "--scenario", file.toString()), scenario[0]);
            assertTrue(err.toString().contains(scenario[1]), err.toString());
            assertTrue(err.toString().startsWith("iommu-emu: " + file + ":"), err.toString());
        }
    }

    @Test
    void controlCharactersOfAnInputAreQuotedEscaped() throws IOException
    {
        // A register file whose bad value holds a terminal escape sequence and a carriage return: the error quotes it
        // escaped, so that an input cannot drive the terminal or overwrite the line. (A text
        // trace with such bytes is not taken for text at all: BAD_MAGIC, naming the byte.)
        final Path regs = Files.writeString(dir.resolve("r.regs"), "0x18=1\u001b[2Jx\rz\n");
        assertEquals(ExitCodes.BAD_INPUT, run("tables", "--iommu", "amdvi", "--memory", Files.write(dir.resolve("m.img"),
            new byte[4096]).toString(), "--regs", regs.toString()));
        assertTrue(err.toString().contains("\\x1b[2Jx\\x0d"), err.toString());
        assertFalse(err.toString().contains("\u001b") || err.toString().contains("\r"), err.toString());

        final Path text = trace("t.txt", 2);
        Files.writeString(text, Files.readString(text) + "3ns up port=1 \u001b[2J=1 tlp=00000000\n");
        assertEquals(ExitCodes.BAD_INPUT, run("replay", "--scenario", "nic-passthrough", text.toString()));
        assertTrue(err.toString().contains("(0x1b) is not text"), err.toString());
        assertFalse(err.toString().contains("\u001b"), err.toString());
    }

    @Test
    void replaySummaryShowsSkippedAndIgnoredRecordsAndRowsKeepTheTraceIndex() throws IOException
    {
        final Path text = trace("t.txt", 6);
        final List<String> lines = new ArrayList<>(Files.readAllLines(text));
        lines.set(3, "12ns up port=1 port=2 tlp=00000000"); // record 2: a field twice
        Files.write(text, lines);
        final Path results = dir.resolve("r.csv");
        assertEquals(ExitCodes.OK, run("replay", "--scenario", "nic-passthrough", "--skip-bad", text.toString(), "--results",
            results.toString()), err.toString());
        assertTrue(out.toString().matches("(?s).*trace records read +6 \\(replayed 5, skipped 1\\).*"), out.toString());
        assertTrue(out.toString().contains("skipped 1"), out.toString());
        assertTrue(out.toString().contains("record 2 at byte offset"), out.toString());
        assertTrue(out.toString().contains("field port= appears twice"), out.toString());
        final List<String> rows = Files.readAllLines(results);
        assertEquals(6, rows.size());
        assertEquals(List.of("0", "1", "3", "4", "5"), rows.subList(1, 6).stream().map(row -> row.substring(0, row.indexOf(','))).toList(),
            "the result rows keep the trace's record index");

        final Path binary = Files.write(dir.resolve("noise.bin"), new byte[] {0x0B, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0});
        assertEquals(ExitCodes.BAD_INPUT, run("replay", "--scenario", "nic-passthrough", "--skip-bad", binary.toString()));
        assertTrue(err.toString().contains("BAD_MAGIC: not a trace"), err.toString());
    }
}
