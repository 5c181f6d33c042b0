package org.iommuemu.emulator.cli.trace;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.iommuemu.emulator.cli.Main;
import org.iommuemu.fixtures.SharedMaterial;
import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TraceCommandTest
{
    /** Surefire runs in the module directory; the shared data sits next to the repository. */
    /** The shared NetTLP captures, or a path that does not exist (the tests that need them then skip). */
    private static final Path NETTLP = Objects.requireNonNullElse(SharedMaterial.find("traces/nettlp"), Path.of("no-shared-material"));

    @TempDir
    Path dir;

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    private int run(final String... args)
    {
        out = new StringWriter();
        err = new StringWriter();
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private List<String> outLines()
    {
        return out.toString().lines().collect(Collectors.toList());
    }

    private Path gen(final String name, final String... options)
    {
        final Path file = dir.resolve(name);
        final String[] args = Stream.concat(Stream.of("trace", "gen", "-o", file.toString()), Arrays.stream(options))
            .toArray(String[]::new);
        assertEquals(0, run(args), err.toString());
        assertTrue(err.toString().startsWith("trace gen: wrote "), err.toString());
        return file;
    }

    // ---------------------------------------------------------------------------------------------- gen

    @Test
    void genIsDeterministicPerSeed() throws IOException
    {
        final String[] knobs = {"-w", "nvme-write", "-d", "3", "--pasid", "0.5", "--tee", "0.5", "--huge-pages", "0.3",
            "-c", "5000"};
        final Path a = gen("a.pcapng", concat(knobs, "-s", "7"));
        final Path b = gen("b.pcapng", concat(knobs, "-s", "7"));
        final Path c = gen("c.pcapng", concat(knobs, "-s", "8"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
        assertEquals(0, run("trace", "stats", a.toString()));
        assertTrue(err.toString().contains("records read 5000, decoded 5000, skipped 0"), err.toString());
    }

    @Test
    void genRejectsBadKnobsWithExitCodeTwo()
    {
        final String o = dir.resolve("x.pcapng").toString();
        assertEquals(2, run("trace", "gen", "-o", o, "-w", "video"));
        assertTrue(err.toString().contains("iommu-emu: --workload \"video\" is not a workload"), err.toString());
        assertEquals(2, run("trace", "gen", "-o", o, "--pasid", "1.5"));
        assertTrue(err.toString().contains("fraction must be within 0-1"), err.toString());
        assertEquals(2, run("trace", "gen", "-o", o, "-d", "4", "--footprint", "8M"));
        assertTrue(err.toString().contains("less than 4 MiB"), err.toString());
        assertEquals(2, run("trace", "gen", "-o", dir.resolve("x.pcap").toString()));
        assertTrue(err.toString().contains("cannot write classic pcap"), err.toString());
        assertEquals(2, run("trace", "gen"));
        assertTrue(err.toString().contains("missing required option: '--output=FILE' (see iommu-emu trace gen --help)"), err.toString());
    }

    // ---------------------------------------------------------------------------------------------- dump

    @Test
    void dumpOfAGeneratedFilePrintsOneDecodedLinePerTlpAndTheSummaryOnStderr()
    {
        // NIC RX with 64-byte packets: per operation MRd descriptor, MWr packet, MWr write-back, MWr MSI-X.
        final Path file = gen("rx.pcapng", "-w", "nic-rx", "--transfer-size", "64", "-d", "2", "-c", "40");
        assertEquals(0, run("trace", "dump", file.toString()));
        final List<String> lines = outLines();
        assertEquals(40, lines.size(), out.toString());
        assertEquals("0 22ns up port=0 MRd64 len 4 req 10:00.0 tag 0x00 last 0xf first 0xf addr 0x100000000", lines.get(0));
        assertTrue(lines.get(1).startsWith("1 ") && lines.get(1).contains(" MWr64 len 16 req 10:00.0 tag 0x01"), lines.get(1));
        assertTrue(lines.get(3).contains(" MWr32 len 1 req 10:00.0 tag 0x03 last 0x0 first 0xf addr 0xfee00000"), lines.get(3));
        assertTrue(lines.get(4).contains(" MRd64 len 4 req 11:00.0 tag 0x00"), lines.get(4));
        assertFalse(out.toString().contains("records read"), "the summary must not be on stdout");
        assertEquals("trace dump " + file + ": records read 40, decoded 40, skipped 0, ignored 0, printed 40\n",
            err.toString());

        assertEquals(0, run("trace", "dump", "--type", "mrd", "--requester", "11:00.0", file.toString()));
        assertEquals(5, outLines().size(), out.toString());
        assertTrue(outLines().stream().allMatch(l -> l.contains(" MRd64 ") && l.contains("req 11:00.0")), out.toString());

        assertEquals(0, run("trace", "dump", "-t", "MWr", "-r", "0x1000", "-n", "3", file.toString()));
        assertEquals(3, outLines().size(), out.toString());
        assertTrue(err.toString().contains("printed 3 (stopped at --limit)"), err.toString());
    }

    @Test
    void dumpShowsTheTBitAndPasid()
    {
        final Path file = gen("tee.txt", "-w", "random", "--tee", "1", "--pasid", "1", "-c", "10");
        assertEquals(0, run("trace", "dump", file.toString()));
        assertEquals(10, outLines().size(), out.toString());
        assertTrue(outLines().stream().allMatch(l -> l.contains(" up port=0 T ") && l.contains("pasid 0x00001")),
            out.toString());
    }

    @Test
    void dumpAndStatsRejectBadFiltersWithExitCodeTwo()
    {
        final Path file = gen("f.pcapng", "-c", "4");
        assertEquals(2, run("trace", "dump", "--type", "MRx", file.toString()));
        assertTrue(err.toString().contains("iommu-emu: --type \"MRx\" is not a TLP type"), err.toString());
        assertEquals(2, run("trace", "stats", "--requester", "1b:00", file.toString()));
        assertTrue(err.toString().contains("iommu-emu: --requester \"1b:00\" is not a requester ID"), err.toString());
        assertEquals(2, run("trace", "dump", dir.resolve("missing.pcapng").toString()));
        assertTrue(err.toString().contains("iommu-emu: no such file: "), err.toString());
        assertEquals(2, run("trace", "dump", "--from", "json", file.toString()));
        assertTrue(err.toString().contains("--from \"json\" is not a trace format"), err.toString());
    }

    // ---------------------------------------------------------------------------------------------- convert

    @Test
    void convertRoundTripsPcapngThroughTextByteForByte() throws IOException
    {
        final Path original = gen("o.pcapng", "-w", "nvme-read", "-d", "4", "--tee", "0.5", "--pasid", "0.5",
            "--huge-pages", "0.5", "-c", "3000", "-s", "3");
        final Path text = dir.resolve("o.txt");
        final Path back = dir.resolve("back.pcapng");
        assertEquals(0, run("trace", "convert", original.toString(), text.toString()));
        assertTrue(err.toString().contains("records read 3000, decoded 3000, skipped 0, ignored 0, written 3000 to " +
            text + " (pcapng -> text)"), err.toString());
        assertTrue(Files.readString(text).startsWith("# pcie-tlp text trace v1"));
        assertEquals(0, run("trace", "convert", text.toString(), back.toString()));
        assertTrue(err.toString().contains("(text -> pcapng)"), err.toString());
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(back));

        // --to overrides the extension; both files dump the same.
        final Path forced = dir.resolve("forced.dat");
        assertEquals(0, run("trace", "convert", "--to", "pcapng", text.toString(), forced.toString()));
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(forced));
        assertEquals(0, run("trace", "dump", original.toString()));
        final String dumpBinary = out.toString();
        assertEquals(0, run("trace", "dump", text.toString()));
        assertEquals(dumpBinary, out.toString());
    }

    @Test
    void convertKeepsPicosecondTimestamps() throws IOException
    {
        final Path ps = gen("ps.txt", "--timestamps", "ps", "-c", "5");
        assertTrue(Files.readString(ps).lines().anyMatch(l -> l.matches("^\\d+ps up .*")), Files.readString(ps));
        final Path bin = dir.resolve("ps.pcapng");
        assertEquals(0, run("trace", "convert", ps.toString(), bin.toString()));
        final Path again = dir.resolve("ps2.txt");
        assertEquals(0, run("trace", "convert", bin.toString(), again.toString()));
        assertEquals(Files.readString(ps), Files.readString(again));
    }

    @Test
    void convertImportsAQemuLog() throws IOException
    {
        final Path log = dir.resolve("qemu.log");
        Files.writeString(log,
            "4242@1700000000.000123:vtd_dmar_translate dev 00:03.00 iova 0x7ffff000 -> gpa 0x12345000 mask 0xfff\n" +
            "4242@1700000000.000200:vtd_inv_desc_cc_domain context invalidate domain 0x1\n");
        final Path bin = dir.resolve("qemu.pcapng");
        assertEquals(0, run("trace", "convert", log.toString(), bin.toString()));
        assertTrue(err.toString().contains("records read 2, decoded 2, skipped 0, ignored 1, first ignored: line 2: " +
            "event vtd_inv_desc_cc_domain is not a translation, an IOTLB hit or a fault, written 2"), err.toString());
        assertTrue(err.toString().contains("(qemu -> pcapng)"), err.toString());
        assertEquals(0, run("trace", "dump", bin.toString()));
        final List<String> lines = outLines();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(0).contains(" up ") && lines.get(0).contains("MRd32 ATS-TR") &&
            lines.get(0).contains("req 00:03.0") && lines.get(0).contains("addr 0x7ffff000"), lines.get(0));
        assertTrue(lines.get(1).contains(" down ") && lines.get(1).contains("CplD"), lines.get(1));
        assertEquals(0, run("trace", "dump", "--type", "ats-tr", bin.toString()));
        assertEquals(1, outLines().size(), out.toString());
    }

    @Test
    void convertRefusesToOverwriteItsInput()
    {
        final Path file = gen("same.pcapng", "-c", "3");
        assertEquals(2, run("trace", "convert", file.toString(), file.toString()));
        assertTrue(err.toString().contains("is the input IN: a command never writes a file it reads"), err.toString());
        assertTrue(Files.exists(file));
    }

    // ---------------------------------------------------------------------------------------------- stats

    @Test
    void statsMatchTheGeneratorsKnownCounts() throws IOException
    {
        // 4 NIC RX devices, 64-byte packets, 1000 operations of 4 TLPs each, every device TEE, every operation PASID.
        final Path file = gen("s.pcapng", "-w", "nic-rx", "--transfer-size", "64", "-d", "4", "--tee", "1",
            "--pasid", "1", "-c", "4000", "-s", "11");
        assertEquals(0, run("trace", "stats", file.toString()));
        final String report = out.toString();
        assertTrue(report.contains("records 4000 (upstream 4000, downstream 0, flit 0)"), report);
        assertTrue(report.contains("by kind: MRd=1000 MWr=3000\n"), report);
        assertTrue(report.contains("by requester: 10:00.0=1000 11:00.0=1000 12:00.0=1000 13:00.0=1000\n"), report);
        // The MSI-X write carries no PASID prefix: 3000 of the 4000 TLPs have one.
        assertTrue(report.contains("T bit 4000, PASID 3000, translation requests 0, truncated captures 0"), report);
        // Data per operation: 64 (packet) + 16 (descriptor write-back) + 4 (MSI-X) bytes.
        // Wire per operation: IDE prefix 4 on all; PASID prefix 4 on three; 4DW headers of 16 except the MSI-X
        // (below 4 GiB, 3DW = 12): MRd 24, packet 88, write-back 40, MSI-X 20.
        assertTrue(report.contains("bytes on wire 172000, data 84000\n"), report);
        final Matcher footprint = Pattern.compile("footprint (\\d+) pages of 4 KiB").matcher(report);
        assertTrue(footprint.find(), report);
        assertEquals(expectedFootprint(file), Long.parseLong(footprint.group(1)));
        assertTrue(err.toString().contains("records read 4000, decoded 4000, skipped 0"), err.toString());

        assertEquals(0, run("trace", "stats", "--requester", "12:00.0", "--type", "MWr", file.toString()));
        assertTrue(out.toString().contains("by kind: MWr=750\n"), out.toString());
        assertTrue(out.toString().contains("by requester: 12:00.0=750\n"), out.toString());
        assertTrue(err.toString().contains("matching the filters 750"), err.toString());
    }

    /** Distinct 4 KiB pages, counted here from the generator's own TLPs, independently of TraceStats. */
    private static long expectedFootprint(final Path file) throws IOException
    {
        final Set<Long> pages = new HashSet<>();
        try (TraceReader reader = TraceFiles.open(file, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                final long address = reader.record().tlp().request().address();
                final int bytes = reader.record().tlp().header().lengthDw() * 4;
                for (long p = address >>> 12; p <= (address + bytes - 1) >>> 12; p++)
                {
                    pages.add(p);
                }
            }
        }
        // Cross-check the reading against the generator itself.
        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX)
            .transferSize(64).devices(4).teeFraction(1).pasidFraction(1).seed(11));
        final TraceRecord record = new TraceRecord();
        final Set<Long> generated = new HashSet<>();
        for (int i = 0; i < 4000; i++)
        {
            generator.next(record);
            assertEquals(i % 4 == 0 ? TlpKind.MRD : TlpKind.MWR, record.tlp().kind());
            generated.add(record.tlp().request().address() >>> 12);
        }
        assertEquals(generated, pages);
        return pages.size();
    }

    // ---------------------------------------------------------------------------------------------- bad input

    @Test
    void truncatedPcapngStopsWithRecordAndOffsetOrIsSkipped() throws IOException
    {
        final Path good = gen("t.pcapng", "-w", "random", "-c", "50", "-s", "5");
        final long[] offsets = blockOffsets(good);
        final byte[] bytes = Files.readAllBytes(good);
        // Cut the file in the middle of record 20's block.
        final Path cut = dir.resolve("cut.pcapng");
        Files.write(cut, Arrays.copyOf(bytes, (int)offsets[20] + 20));

        assertEquals(1, run("trace", "dump", cut.toString()));
        assertEquals(20, outLines().size(), out.toString());
        assertTrue(err.toString().contains("iommu-emu: " + cut + ": record 20 at byte offset " + offsets[20] + ": "),
            err.toString());
        assertTrue(err.toString().contains("records read 20, decoded 20, skipped 0"), err.toString());
        assertTrue(err.toString().contains("stopped by the error"), err.toString());

        assertEquals(0, run("trace", "dump", "--skip-bad", cut.toString()));
        assertEquals(20, outLines().size(), out.toString());
        assertTrue(err.toString().contains("records read 21, decoded 20, skipped 1, ignored 0, stopped early, first skipped: " +
            cut + ": record 20 at byte offset " + offsets[20]), err.toString());

        assertEquals(1, run("trace", "stats", cut.toString()));
        assertEquals("", out.toString());
        assertEquals(0, run("trace", "stats", "--skip-bad", cut.toString()));
        assertTrue(out.toString().startsWith("records 20 "), out.toString());
    }

    @Test
    void undecodableTlpIsReportedOrSkippedAndConvertDeletesItsPartialOutput() throws IOException
    {
        final Path good = gen("u.pcapng", "-w", "strided", "-c", "30", "-s", "9");
        final long[] offsets = blockOffsets(good);
        final byte[] bytes = Files.readAllBytes(good);
        // EPB: 28 bytes of block header, 8 bytes of pseudo-header, then TLP byte 0 (Fmt/Type). 0x1f is reserved.
        bytes[(int)offsets[7] + 28 + 8] = 0x1f;
        final Path bad = dir.resolve("bad.pcapng");
        Files.write(bad, bytes);

        final Path converted = dir.resolve("bad-out.txt");
        assertEquals(1, run("trace", "convert", bad.toString(), converted.toString()));
        // The offset is that of the bad byte itself.
        assertTrue(err.toString().contains("record 7 at byte offset " + (offsets[7] + 28 + 8) +
            ": UNDECODABLE_TLP: reserved Fmt/Type at TLP byte 0"), err.toString());
        assertFalse(Files.exists(converted), "partial output must be deleted");

        assertEquals(0, run("trace", "convert", "--skip-bad", bad.toString(), converted.toString()));
        assertTrue(err.toString().contains("records read 30, decoded 29, skipped 1, ignored 0, first skipped"), err.toString());
        assertTrue(err.toString().contains("written 29"), err.toString());
        assertEquals(0, run("trace", "dump", converted.toString()));
        assertEquals(29, outLines().size());

        assertEquals(0, run("trace", "dump", "--skip-bad", bad.toString()));
        assertEquals(29, outLines().size());
        assertFalse(outLines().stream().anyMatch(l -> l.startsWith("7 ")), out.toString());
        assertTrue(outLines().stream().anyMatch(l -> l.startsWith("8 ")), out.toString());
    }

    @Test
    void garbageTextLinesAndBadMagic() throws IOException
    {
        final Path text = gen("g.txt", "-c", "6");
        final List<String> lines = Files.readAllLines(text);
        lines.add(3, "this is not a TLP");
        final Path bad = dir.resolve("garbage.txt");
        Files.write(bad, lines);
        assertEquals(1, run("trace", "dump", bad.toString()));
        assertTrue(err.toString().contains(": BAD_TEXT_LINE: "), err.toString());
        assertTrue(err.toString().contains("byte offset"), err.toString());
        assertEquals(0, run("trace", "dump", "--skip-bad", bad.toString()));
        assertEquals(6, outLines().size(), out.toString());
        assertTrue(err.toString().contains("records read 7, decoded 6, skipped 1"), err.toString());

        final Path noise = dir.resolve("noise.pcapng");
        Files.write(noise, "definitely not a capture file at all".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, run("trace", "dump", "--skip-bad", "--from", "pcapng", noise.toString()));
        assertTrue(err.toString().contains("BAD_MAGIC"), err.toString());
    }

    /** File offsets of the EPBs of a pcie-tlp pcapng, via the library reader. */
    private static long[] blockOffsets(final Path file) throws IOException
    {
        final long[] offsets = new long[100_000];
        int n = 0;
        try (TraceReader reader = TraceFiles.open(file, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                assertEquals(n, reader.record().recordIndex());
                offsets[n++] = reader.record().fileOffset();
            }
        }
        return Arrays.copyOf(offsets, n);
    }

    // ---------------------------------------------------------------------------------------------- NetTLP

    @Test
    void netTlpCaptureConvertsAndMatchesTheAnnotatedDecode() throws IOException
    {
        final Path ping = NETTLP.resolve("simple-nic/simple-nic-ping.pcap");
        assumeTrue(Files.isRegularFile(ping), "shared NetTLP traces absent: " + ping.toAbsolutePath());
        final Path bin = dir.resolve("ping.pcapng");
        assertEquals(0, run("trace", "convert", ping.toString(), bin.toString()));
        assertTrue(err.toString().contains("records read 12, decoded 12, skipped 0"), err.toString());
        assertTrue(err.toString().contains("(nettlp -> pcapng)"), err.toString());
        assertEquals(0, run("trace", "dump", bin.toString()));
        final List<String> lines = outLines();
        assertEquals(12, lines.size(), out.toString());
        // simple-nic/README.md, TX part steps 1-4.
        assertTrue(lines.get(0).endsWith(" down port=0 MWr32 len 1 req 00:00.0 tag 0x03 last 0x0 first 0xf addr 0xa0000010"),
            lines.get(0));
        assertTrue(lines.get(1).endsWith(" up port=0 MRd32 len 4 req 1b:00.0 tag 0x03 last 0xf first 0xf addr 0x2f001000"),
            lines.get(1));
        assertTrue(lines.get(2).contains(" down port=0 CplD len 4 cpl 00:00.0 SC bc 16 req 1b:00.0 tag 0x03"), lines.get(2));
        assertTrue(lines.get(3).endsWith(" MRd32 len 25 req 1b:00.0 tag 0x03 last 0x3 first 0xf addr 0x3bb26800"), lines.get(3));
        assertTrue(lines.get(5).endsWith(" MWr32 len 1 req 1b:00.0 tag 0x03 last 0x0 first 0xf addr 0xfee1a000"), lines.get(5));
        // The direct dump of the pcap gives the same lines.
        assertEquals(0, run("trace", "dump", ping.toString()));
        assertEquals(lines, outLines());
    }

    @Test
    void everyNetTlpCaptureDecodesFully() throws IOException
    {
        assumeTrue(Files.isDirectory(NETTLP.resolve("nic-and-nvme")), "shared NetTLP traces absent");
        final List<Path> captures;
        try (Stream<Path> walk = Files.walk(NETTLP.resolve("nic-and-nvme")))
        {
            captures = walk.filter(p -> p.toString().endsWith(".pcap")).sorted().collect(Collectors.toList());
        }
        assertFalse(captures.isEmpty());
        for (final Path capture : captures)
        {
            final Path bin = dir.resolve(capture.getFileName() + "ng");
            assertEquals(0, run("trace", "convert", "--downstream-source", "192.168.10.3", capture.toString(), bin.toString()),
                err.toString());
            final Matcher m = Pattern.compile("records read (\\d+), decoded (\\d+), skipped 0").matcher(err.toString());
            assertTrue(m.find(), capture + ": " + err);
            assertEquals(m.group(1), m.group(2));
            assertTrue(Long.parseLong(m.group(2)) > 0, capture + ": " + err);
            assertEquals(0, run("trace", "stats", bin.toString()));
            assertTrue(out.toString().startsWith("records " + m.group(2) + " "), out.toString());
        }
    }

    private static String[] concat(final String[] a, final String... b)
    {
        return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
    }
}
