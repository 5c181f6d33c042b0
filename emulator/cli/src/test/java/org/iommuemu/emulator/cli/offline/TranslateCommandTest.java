package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.iommuemu.emulator.amdvi.DeviceTableEntry;
import org.iommuemu.emulator.image.ImageCompression;
import org.iommuemu.emulator.image.ImageWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.iommuemu.emulator.cli.offline.OfflineTestBed.ABSENT;
import static org.iommuemu.emulator.cli.offline.OfflineTestBed.HOSTILE;
import static org.iommuemu.emulator.cli.offline.OfflineTestBed.NIC;
import static org.iommuemu.emulator.cli.offline.OfflineTestBed.NVME;
import static org.iommuemu.emulator.cli.offline.OfflineTestBed.SHARED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TranslateCommandTest
{
    @TempDir
    Path dir;

    private final OfflineTestBed bed = new OfflineTestBed();

    /** Addresses around every mapping and the hostile table's slots, plus random ones of every width. */
    private static List<Long> addresses()
    {
        final List<Long> addresses = new ArrayList<>(List.of(0L, 0x1000L, 0x1fffL, 0x2008L, 0x3ff8L, 0x4000L, 0x11ff8L, 0x12000L,
            0x12345L, 0x13ff8L, 0x14000L, 0x27ff8L, 0x28000L, 0x2abcdL, 0x2fff8L, 0x30000L, 0x40000L, 0x40ff8L, 0x41000L,
            0x3fff_fff8L, 0x4000_0000L, 0x4012_3450L, 0x403f_fff8L, 0x4040_0000L, 0x405f_fff8L, 0x4060_0000L, 0x7f_ffff_f008L,
            0x80_0000_0000L, 0x4000_0008L, 0x8000_0000L, 0x1234_5678L, 0x7fff_ffe0_0000L, 0x7fff_ffff_fff8L, 0x8000_0000_0000L,
            0xffff_ffff_ffff_fff8L));
        final Random random = new Random(42);
        for (int i = 0; i < 60; i++)
        {
            addresses.add(random.nextLong() >>> (64 - 12 - random.nextInt(52)) & -8L);
        }
        return addresses;
    }

    private List<String> args(final Path image, final List<String> extra, final Path reqs)
    {
        final List<String> args = new ArrayList<>(List.of("translate", "--iommu", "amdvi", "--memory", image.toString(),
            "--requests", reqs.toString()));
        args.addAll(extra);
        args.addAll(bed.registerOptions());
        return args;
    }

    @ParameterizedTest
    @EnumSource(OfflineTestBed.Kind.class)
    void translatesLikeTheInMemoryModelFromEveryImageKind(final OfflineTestBed.Kind kind) throws IOException
    {
        final int[] devices = {NIC, SHARED, NVME, HOSTILE, ABSENT};
        final Path image = dir.resolve("memory.img");
        final List<String> extra = bed.write(kind, image);
        final byte[] before = Files.readAllBytes(image);
        final RequestMatrix matrix = new RequestMatrix(bed.iommu, bed.memory, OfflineTestBed.IMAGE_BASE, OfflineTestBed.IMAGE_END,
            devices, new int[] {-1}, addresses());
        final Path reqs = matrix.write(dir.resolve("reqs.csv"));
        final String[] result = OfflineTestBed.run(args(image, extra, reqs));
        assertEquals("1", result[2], "the hostile device's table beyond the image is not answered: " + result[1]);
        final List<String> actual = matrix.assertMatches(result[0]);
        // Spot checks against the mappings themselves.
        assertTrue(actual.contains("0x0010,,0x12345,r,ok,0x552345,8K,rw,"), result[0]);
        assertTrue(actual.contains("0x0010,,0x2abcd,w,ok,0x66abcd,32K,rw,") || actual.contains("0x0010,,0x2abc8,w,ok,0x66abc8,32K,rw,"));
        assertTrue(actual.contains("0x0010,,0x40000,w,fault,,,,IO_PAGE_FAULT"));
        assertTrue(actual.contains("0x0010,,0x40000,rw,fault,,,,IO_PAGE_FAULT"));
        assertTrue(actual.contains("0x0010,,0x7ffffff008,rw,fault,,,,IO_PAGE_FAULT"), "write-only page refuses rw");
        assertTrue(actual.contains("0x0010,,0x7ffffff008,w,ok,0x3008,4K,w,"));
        assertTrue(actual.contains("0x0018,,0x7fffffe00000,r,ok,0x200000000,2M,r,"));
        assertTrue(actual.contains("0x0018,,0x7fffffe00000,w,fault,,,,IO_PAGE_FAULT"), "the DTE is read-only");
        assertTrue(actual.contains("0x0030,,0x1000,w,ok,0x1000,4K,rw,"), "no DTE (V=0): untranslated");
        assertTrue(actual.contains("0x0020,,0x0,r,fault,,,,IO_PAGE_FAULT"), "self-referencing table");
        assertTrue(actual.contains("0x0020,,0x40000000,r,error,,,,outside the image at 0x4000000000"), "table beyond the image");
        assertTrue(actual.contains("0x0020,,0x80000000,r,fault,,,,IO_PAGE_FAULT"), "reserved NextLevel");
        assertTrue(result[1].contains("reads outside the image (first at 0x4000000000)") ||
            result[1].contains("read outside the image (first at 0x4000000000)"), result[1]);
        // Faults were logged to the event log: into the overlay, never the file.
        assertArrayEquals(before, Files.readAllBytes(image));
    }

    @Test
    void aRequestThatNeedsMemoryBeyondTheImageIsAnErrorNotAFault() throws IOException
    {
        // Only the device table and rings: the page tables are not in the image.
        final Path image = dir.resolve("partial.elf");
        ImageWriter.writeElfCore(bed.memory, image, ImageCompression.NONE,
            OfflineTestBed.IMAGE_BASE, OfflineTestBed.TABLE_POOL);
        final Path reqs = OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access",
            "00:02.0,,0x12345,r", "0x0030,,0x5000,r"));
        final String[] result = OfflineTestBed.run(args(image, List.of(), reqs));
        assertEquals("1", result[2], result[1]);
        assertEquals(TranslateCommand.RESULT_HEADER + "\n0x0010,,0x12345,r,error,,,,outside the image at 0x800000\n" +
            "0x0030,,0x5000,r,ok,0x5000,4K,rw,\n", result[0]);
        assertTrue(result[1].contains("1 read outside the image (first at 0x800000)"), result[1]);
        assertTrue(result[1].contains("1 request could not be answered"), result[1]);
    }

    @Test
    void deviceBeyondTheDeviceTableIsAnIllegalEntry() throws IOException
    {
        final Path image = dir.resolve("m");
        final List<String> args = args(image, bed.write(OfflineTestBed.Kind.RAW, image),
            OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access", "0x0100,,0x1000,r",
                "0x0010,,0x1000,r")));
        // A one-page device table (Size = 0): 128 entries.
        args.addAll(List.of("--reg", String.format("0x0=0x%x", OfflineTestBed.DEVICE_TABLE)));
        final String[] result = OfflineTestBed.run(args);
        assertEquals("0", result[2], result[1]);
        assertTrue(result[0].contains("0x0100,,0x1000,r,fault,,,,ILLEGAL_DEV_TABLE_ENTRY\n0x0010,,0x1000,r,ok,0x102000,4K,rw,"), result[0]);
    }

    @Test
    void pasidRequestsUseTheHostTableWhenGuestTranslationIsOff() throws IOException
    {
        final long address = DeviceTableEntry.address(OfflineTestBed.DEVICE_TABLE, 0x0040);
        bed.memory.writeEntry(address, DeviceTableEntry.hostQuadword0(bed.nicDomain.root(), 3, true, true) |
            DeviceTableEntry.GV);
        final Path image = dir.resolve("m");
        final List<String> extra = bed.write(OfflineTestBed.Kind.RAW, image);
        final String[] result = OfflineTestBed.run(args(image, extra, OfflineTestBed.writeLines(dir.resolve("r.csv"),
            List.of("requester_id,pasid,iova,access", "0x0040,0x5,0x1000,r", "0x0040,,0x1000,r", "0x0010,7,0x1000,r"))));
        assertEquals("0", result[2], result[1]);
        // GV without Control.GTEn is ignored (guest translation proper: AmdViGuestOfflineTest).
        assertEquals(TranslateCommand.RESULT_HEADER + "\n0x0040,0x5,0x1000,r,ok,0x102000,4K,rw,\n0x0040,,0x1000,r,ok,0x102000,4K,rw,\n" +
            "0x0010,0x7,0x1000,r,ok,0x102000,4K,rw,\n", result[0]);
    }

    /**
     * AMD-Vi's switches reach the offline commands as they reach a scenario's amdvi section: a PASID request to a device
     * without guest translation uses the host table by default, and is refused with pasid-without-guest set so.
     */
    @Test
    void modelSwitchesApplyOffline() throws IOException
    {
        final Path image = dir.resolve("m");
        final List<String> extra = bed.write(OfflineTestBed.Kind.RAW, image);
        final Path reqs = OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access", "0x0010,7,0x1000,r"));
        assertTrue(OfflineTestBed.run(args(image, extra, reqs))[0].contains("0x0010,0x7,0x1000,r,ok,0x102000,4K,rw,"));
        final List<String> refused = args(image, extra, reqs);
        refused.addAll(List.of("--switch", "pasid-without-guest=invalid-device-request"));
        final String[] result = OfflineTestBed.run(refused);
        assertEquals("0", result[2], result[1]);
        assertTrue(result[0].contains("0x0010,0x7,0x1000,r,fault,,,,INVALID_DEVICE_REQUEST"), result[0]);
        final List<String> vtdKey = args(image, extra, reqs);
        vtdKey.addAll(List.of("--switch", "compress-faults=true"));
        final String[] error = OfflineTestBed.run(vtdKey);
        assertEquals("2", error[2], error[1]);
        assertTrue(error[1].contains("--switch: compress-faults: unknown key; expected one of [pasid-without-guest"), error[1]);
    }

    @Test
    void manyRequestsStreamToAFile() throws IOException
    {
        final Path image = dir.resolve("m.xz");
        final List<String> extra = bed.write(OfflineTestBed.Kind.RAW_XZ, image);
        final Path reqs = dir.resolve("big.csv");
        try (var out = Files.newBufferedWriter(reqs))
        {
            out.write("iova,access,requester_id,pasid\n");
            for (int i = 0; i < 90_000; i++)
            {
                out.write(String.format("0x%x,%s,00:02.0,%n", 0x4000_0000L + (long)i * 64, (i & 1) == 0 ? "r" : "w"));
            }
        }
        final Path results = dir.resolve("out.csv");
        final List<String> args = args(image, extra, reqs);
        args.addAll(List.of("--out", results.toString()));
        final String[] result = OfflineTestBed.run(args);
        assertEquals("0", result[2], result[1]);
        assertEquals("", result[0]);
        assertTrue(result[1].contains("90000 requests: 90000 ok, 0 faults"), result[1]);
        final List<String> lines = Files.readAllLines(results);
        assertEquals(90_001, lines.size());
        assertEquals("0x0010,,0x40000040,w,ok,0x180000040,4M,rw,", lines.get(2));
        assertEquals(String.format("0x0010,,0x%x,w,ok,0x%x,2M,rw,", 0x4000_0000L + 89_999L * 64, 0x1_8000_0000L + 89_999L * 64),
            lines.get(90_000));
    }
}
