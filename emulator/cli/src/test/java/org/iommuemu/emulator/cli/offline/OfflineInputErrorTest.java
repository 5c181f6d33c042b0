package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed requests, register values and options: a clear error naming where and why; exit code 1 for bad data
 * in a file (requests, register file, image), 2 for a bad command line.
 */
class OfflineInputErrorTest
{
    @TempDir
    Path dir;

    private final OfflineTestBed bed = new OfflineTestBed();
    private Path image;
    private List<String> imageArgs;

    @BeforeEach
    void writeImage() throws IOException
    {
        image = dir.resolve("memory.bin");
        imageArgs = new ArrayList<>(List.of("--iommu", "amdvi", "--memory", image.toString()));
        imageArgs.addAll(bed.write(OfflineTestBed.Kind.RAW_GZIP, image));
    }

    private String[] translate(final List<String> requestLines, final String... more) throws IOException
    {
        final List<String> args = new ArrayList<>(List.of("translate"));
        args.addAll(imageArgs);
        args.addAll(List.of("--requests", OfflineTestBed.writeLines(dir.resolve("reqs.csv"), requestLines).toString()));
        args.addAll(List.of(more));
        if (!args.contains("--regs"))
        {
            args.addAll(bed.registerOptions());
        }
        return OfflineTestBed.run(args);
    }

    /** A usage error: exit code 2. */
    private void assertError(final String[] result, final String message)
    {
        assertEquals("2", result[2], result[1]);
        assertTrue(result[1].contains(message), result[1]);
    }

    /** Bad data in an input file: exit code 1. */
    private void assertDataError(final String[] result, final String message)
    {
        assertEquals("1", result[2], result[1]);
        assertTrue(result[1].contains(message), result[1]);
        assertFalse(result[1].contains("Exception"), result[1]);
    }

    @Test
    void malformedRequestLinesNameTheLineAndField() throws IOException
    {
        final String header = "requester_id,pasid,iova,access";
        final String[] result = translate(List.of(header, "0x0010,,0x1000,r", "", "# a comment", "0x0010,,0xZZ,r"));
        assertDataError(result, "reqs.csv:5: field iova: \"0xZZ\" is not a 64-bit number");
        assertTrue(result[0].contains("0x0010,,0x1000,r,ok"), "earlier lines were answered: " + result[0]);
        assertDataError(translate(List.of(header, "0x0010,,0x1000,x")), "reqs.csv:2: field access: \"x\" is not r, w or rw");
        assertDataError(translate(List.of(header, "0x10000,,0x1000,r")),
            "reqs.csv:2: field requester_id: \"0x10000\" is wider than a 16-bit requester ID");
        assertDataError(translate(List.of(header, "00:20.0,,0x1000,r")), "reqs.csv:2: field requester_id: \"00:20.0\" is out of range");
        assertDataError(translate(List.of(header, "16,,0x1000,r")),
            "reqs.csv:2: field requester_id: \"16\" is neither a 0x-prefixed requester ID nor a BDF");
        assertDataError(translate(List.of(header, "0x0010,0x100000,0x1000,r")),
            "reqs.csv:2: field pasid: \"0x100000\" is wider than a 20-bit PASID");
        assertDataError(translate(List.of(header, "0x0010,,0x1000")), "reqs.csv:2: has 3 fields, the header 4");
        assertDataError(translate(List.of(header, "0x0010,,0x1000,r,extra")), "reqs.csv:2: has more than the header's 4 fields");
        assertDataError(translate(List.of("0x0010,,0x1000,r")),
            "reqs.csv:1: header column \"0x0010\" is not one of requester_id,pasid,iova,access (is the header row missing?)");
        assertDataError(translate(List.of("requester_id,iova,access")), "reqs.csv:1: the header lacks the column \"pasid\"");
        assertDataError(translate(List.of()), "reqs.csv: empty");
    }

    @Test
    void malformedRegisterLinesNameTheFileAndLine() throws IOException
    {
        final Path regs = OfflineTestBed.writeLines(dir.resolve("regs.txt"), List.of("# captured from debugfs", "",
            "0x0000 = 0x2001ff   # device table", "0x18=zz"));
        assertDataError(translate(List.of("requester_id,pasid,iova,access"), "--regs", regs.toString()),
            "regs.txt:4: value \"zz\" is not a hexadecimal number");
        OfflineTestBed.writeLines(regs, List.of("0x0000=0x2001ff", "0x0018"));
        assertDataError(translate(List.of("requester_id,pasid,iova,access"), "--regs", regs.toString()),
            "regs.txt:2: \"0x0018\" is not OFFSET=VALUE");
        OfflineTestBed.writeLines(regs, List.of("0x0000=0x2001ff", "0x1c=1"));
        assertDataError(translate(List.of("requester_id,pasid,iova,access"), "--regs", regs.toString()),
            "regs.txt:2: offset 0x1c is not an 8-byte aligned offset inside the AMD-Vi MMIO block");
        OfflineTestBed.writeLines(regs, List.of("0x18=1"));
        assertError(translate(List.of("requester_id,pasid,iova,access"), "--regs", regs.toString()),
            "AMD-Vi needs the device table base register");
        assertError(translate(List.of("requester_id,pasid,iova,access"), "--regs", dir.resolve("nope").toString()), "no such file");
    }

    @Test
    void registerFileWithCommentsWorksAndCommandLineValuesOverrideIt() throws IOException
    {
        final Path regs = OfflineTestBed.writeLines(dir.resolve("regs.txt"), List.of("# AMD-Vi", "",
            "0000=0000000000000000  # wrong, overridden below", "0x0038=0x1234 # PPR log: not modelled"));
        final String[] result = translate(List.of("requester_id,pasid,iova,access", "00:02.0,,0x1000,r"), "--regs", regs.toString(),
            "--reg", String.format("0x0=0x%x", OfflineTestBed.DEVICE_TABLE | 0x1FF));
        assertEquals("0", result[2], result[1]);
        assertTrue(result[0].contains("0x0010,,0x1000,r,ok,0x102000,4K,rw,"), result[0]);
        assertTrue(result[1].contains("note: no CONTROL (0x18) value: enabling translation with IommuEn only"), result[1]);
        assertTrue(result[1].contains("regs.txt:4: offset 0x38 is not modelled, ignored"), result[1]);
    }

    @Test
    void unknownIommuKindAndVtdWithoutRootTable() throws IOException
    {
        final List<String> args = new ArrayList<>(List.of("translate", "--iommu", "vtd", "--memory", image.toString(),
            "--requests", OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access")).toString(),
            "--reg", "0x1c=0x80000000"));
        assertError(OfflineTestBed.run(args), "VT-d needs the root table address register: --reg 0x20=VALUE");
        args.set(0, "tables");
        args.subList(5, 7).clear();
        assertError(OfflineTestBed.run(args), "VT-d needs the root table address register: --reg 0x20=VALUE");
        args.set(2, "arm-smmu");
        assertError(OfflineTestBed.run(args), "--iommu \"arm-smmu\" is not amdvi or vtd");
    }

    @Test
    void badImagesAndOptions() throws IOException
    {
        final List<String> args = new ArrayList<>(List.of("translate", "--iommu", "amdvi", "--memory", dir.resolve("missing").toString(),
            "--requests", OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access")).toString(),
            "--reg", "0x0=0x2001ff"));
        assertError(OfflineTestBed.run(args), "missing: no such file");
        final Path zstd = dir.resolve("mem.raw");
        Files.write(zstd, new byte[] {0x28, (byte)0xB5, 0x2F, (byte)0xFD, 0, 0, 0, 0});
        args.set(4, zstd.toString());
        assertDataError(OfflineTestBed.run(args), "zstd-compressed images are not supported");
        args.set(4, image.toString());
        args.addAll(List.of("--memory-base", "0xq"));
        assertError(OfflineTestBed.run(args), "--memory-base \"0xq\" is not a number");
        final List<String> tables = new ArrayList<>(List.of("tables", "--iommu", "amdvi", "--memory", image.toString(), "--reg",
            "0x0=0x2001ff", "--device", "00:02"));
        assertError(OfflineTestBed.run(tables), "--device: \"00:02\" is neither");
    }
}
