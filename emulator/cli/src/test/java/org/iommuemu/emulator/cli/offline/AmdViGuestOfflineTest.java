package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.fixtures.OffsetMemory;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.map;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AMD-Vi v2 (guest) translation offline: {@link OfflineTestBed}'s machine with Control.GTEn and three GV devices
 * set up by {@link AmdViDriver}: GUEST (Mode 0, guest tables at SPAs, a 1-level GCR3 table, GIOV, PASIDs 0, 1
 * and 5), NESTED (a Mode 3 host table, a 2-level GCR3 table, guest tables at GPAs only the host table maps,
 * PASIDs 3 and 0x205) and BROKEN (a GCR3 table beyond the image). {@code translate} on the image file answers
 * as the in-memory model; {@code tables} shows each GCR3 table's PASIDs and guest trees.
 */
class AmdViGuestOfflineTest
{
    static final int GUEST = 0x0040;     // 00:08.0
    static final int NESTED = 0x0041;    // 00:08.1
    static final int BROKEN = 0x0042;    // 00:08.2
    /** A second device on GUEST's GCR3 table (as devices of one guest share it). */
    static final int SHARING = 0x0043;   // 00:08.3
    /** Guest tables of NESTED: GPA 0x3000_0000 is SPA 0x50_0000 (free space inside the image). */
    static final long GUEST_TABLES_GPA = 0x3000_0000L;
    static final long GUEST_TABLES = 0x50_0000L;

    @TempDir
    Path dir;

    private final OfflineTestBed bed = new OfflineTestBed();

    AmdViGuestOfflineTest()
    {
        final AmdViDriver driver = bed.driver;
        driver.enableGuestTranslation();

        final int user = Permissions.USER;
        final PageTable first = driver.newGuestDomain(4);
        map(first, 0x1000, 0x10_5000, 0x2000, Permissions.READ_WRITE | user);
        map(first, 0x20_0000, 0x4000_0000L, 0x20_0000, Permissions.READ_WRITE | user);
        map(first, 0x9000, 0x9000, 0x1000, Permissions.READ | user);           // read-only
        map(first, 0xA000, 0xA000, 0x1000, Permissions.READ_WRITE);            // supervisor only
        final PageTable fifth = driver.newGuestDomain(4);
        map(fifth, 0x7000, 0x33_3000, 0x1000, Permissions.READ_WRITE | user);
        map(fifth, 0xFFFF_8000_0000_0000L, 0x5_0000_0000L, 0x20_0000, Permissions.READ | user);
        final long gcr3 = driver.newGcr3Table();
        driver.attachGuest(GUEST, null, 20, gcr3, 1, 4, true);
        driver.setGuestCr3(gcr3, 1, 20, 0, first.root());
        driver.setGuestCr3(gcr3, 1, 20, 1, first.root());
        driver.setGuestCr3(gcr3, 1, 20, 5, fifth.root());
        driver.attachGuest(SHARING, null, 20, gcr3, 1, 4, true);

        final PageTable host = driver.newDomain(3);
        map(host, GUEST_TABLES_GPA, GUEST_TABLES, 0x10_0000, Permissions.READ_WRITE);
        map(host, 0x1_0000_0000L, 0x2_4000_0000L, 0x20_0000, Permissions.READ_WRITE);
        map(host, 0x1_0040_0000L, 0x2_4040_0000L, 0x1000, Permissions.READ);
        final PageTable nested = new PageTable(new X86Format(4),
            new FrameAllocator(new OffsetMemory(bed.memory, GUEST_TABLES - GUEST_TABLES_GPA), GUEST_TABLES_GPA, 0x10_0000));
        map(nested, 0x1000, 0x1_0000_1000L, 0x2000, Permissions.READ_WRITE | user);
        map(nested, 0x20_0000, 0x1_0000_0000L, 0x20_0000, Permissions.READ_WRITE | user);
        map(nested, 0x5000, 0x1_0040_0000L, 0x1000, Permissions.READ_WRITE | user);   // host read-only
        map(nested, 0x6000, 0x2_0000_0000L, 0x1000, Permissions.READ_WRITE | user);   // GPA the host does not map
        final long gcr3Nested = driver.newGcr3Table();
        driver.attachGuest(NESTED, host, 21, gcr3Nested, 2, 4, false);
        driver.setGuestCr3(gcr3Nested, 2, 21, 3, nested.root());
        driver.setGuestCr3(gcr3Nested, 2, 21, 0x205, nested.root());

        driver.attachGuest(BROKEN, null, 22, OfflineTestBed.BEYOND_IMAGE, 1, 4, false);
    }

    private static List<Long> addresses()
    {
        return List.of(0L, 0x1000L, 0x2008L, 0x3000L, 0x5008L, 0x6000L, 0x7008L, 0x9000L, 0xA008L, 0x20_0000L, 0x21_2340L,
            0x3f_fff8L, 0x40_0000L, 0x40_0000_0000L, 0x8000_0000_0000L, 0xFFFF_8000_0000_1000L, 0xFFFF_FFFF_FFFF_FFF8L);
    }

    private List<String> args(final String command, final Path image, final List<String> extra)
    {
        final List<String> args = new ArrayList<>(List.of(command, "--iommu", "amdvi", "--memory", image.toString()));
        args.addAll(extra);
        args.addAll(bed.registerOptions());
        return args;
    }

    @ParameterizedTest
    @EnumSource(OfflineTestBed.Kind.class)
    void guestTranslationLikeTheInMemoryModelFromEveryImageKind(final OfflineTestBed.Kind kind) throws IOException
    {
        final Path image = dir.resolve("memory.img");
        final List<String> args = args("translate", image, bed.write(kind, image));
        final byte[] before = Files.readAllBytes(image);
        final RequestMatrix matrix = new RequestMatrix(bed.iommu, bed.memory, OfflineTestBed.IMAGE_BASE, OfflineTestBed.IMAGE_END,
            new int[] {GUEST, NESTED, BROKEN, OfflineTestBed.NIC},
            new int[] {-1, 0, 1, 3, 5, 0x205, 0x1ff}, addresses());
        args.addAll(List.of("--requests", matrix.write(dir.resolve("reqs.csv")).toString()));
        final String[] result = OfflineTestBed.run(args);
        assertEquals("1", result[2], "requests that need memory beyond the image are not answered: " + result[1]);
        final List<String> actual = matrix.assertMatches(result[0]);
        assertArrayEquals(before, Files.readAllBytes(image), "the image file is never written");
        assertFalse(result[0].contains("NOT_MODELLED"), result[0]);
        assertTrue(actual.contains("0x0040,0x1,0x2008,w,ok,0x106008,4K,rw,"), result[0]);
        assertTrue(actual.contains("0x0040,,0x2008,r,ok,0x106008,4K,rw,"), "GIOV: PASID 0");
        assertTrue(actual.contains("0x0040,0x5,0x7008,rw,ok,0x333008,4K,rw,"));
        assertTrue(actual.contains("0x0040,0x5,0xffff800000001000,r,ok,0x500001000,2M,r,"), "canonical upper half");
        assertTrue(actual.contains("0x0040,0x1,0x9000,w,fault,,,,IO_PAGE_FAULT"), "read-only guest page");
        assertTrue(actual.contains("0x0040,0x1,0xa008,r,fault,,,,IO_PAGE_FAULT"), "supervisor page, user request");
        assertTrue(actual.contains("0x0040,0x3,0x1000,r,fault,,,,IO_PAGE_FAULT"), "no GCR3 entry");
        assertTrue(actual.contains("0x0041,0x3,0x2008,w,ok,0x240002008,4K,rw,"), "nested, 2-level GCR3");
        assertTrue(actual.contains("0x0041,0x205,0x212340,r,ok,0x240012340,2M,rw,"), "PASID above 511");
        assertTrue(actual.contains("0x0041,0x205,0x5008,w,fault,,,,IO_PAGE_FAULT"), "host table read-only");
        assertTrue(actual.contains("0x0041,0x3,0x6000,r,fault,,,,IO_PAGE_FAULT"), "GPA not mapped by the host");
        assertTrue(actual.stream().anyMatch(line -> line.startsWith("0x0042,0x1,0x1000,r,error,,,,outside the image at 0x40000")),
            "GCR3 table outside the image");
        assertTrue(result[1].contains("outside the image (first at 0x4000000000)"), result[1]);
    }

    @Test
    void tablesShowGcr3PasidsAndGuestTrees() throws IOException
    {
        final Path image = dir.resolve("m.elf.xz");
        final String[] result = OfflineTestBed.run(args("tables", image, bed.write(OfflineTestBed.Kind.ELF_XZ, image)));
        OfflineTestBed.assertDumpWithHoles(result); // the bed holds hostile structures outside the image
        final String out = result[0];
        assertTrue(out.contains("device 0x0040 (00:08.0) DTE @0x"), out);
        assertTrue(out.contains("mode 0: no host table (guest addresses are system physical)"), out);
        assertTrue(out.contains("guest (v2): GCR3 table 0x"), out);
        assertTrue(out.contains(", 1 level, 4-level guest tables, GIOV (requests without a PASID use PASID 0)"), out);
        assertTrue(out.contains("PASID 0x0 GCR3 entry @0x"), out);
        assertTrue(out.contains("PASID 0x1 GCR3 entry @0x"), out);
        assertTrue(out.contains("PASID 0x5 GCR3 entry @0x"), out);
        assertTrue(out.contains("000000000001000-000000000002fff -> 0000000105000-0000000106fff    4K x2      rw-u L0") ||
            out.contains("0000000000001000-0000000000002fff -> 0000000105000-0000000106fff    4K x2      rw-u L0"), out);
        assertTrue(out.contains("0000000000200000-00000000003fffff -> 0000040000000-00000401fffff    2M x1      rw-u L1"), out);
        assertTrue(out.contains("ffff800000000000-ffff8000001fffff -> 0000500000000-00005001fffff    2M x1      r--u L1"), out);
        assertTrue(out.contains("0000000000009000-0000000000009fff -> 0000000009000-0000000009fff    4K x1      r--u L0"), out);
        assertTrue(out.contains("device 0x0041 (00:08.1) DTE @0x"), out);
        assertTrue(out.contains(", 2 levels, 4-level guest tables, nested: guest addresses are GPAs translated by the host table above"),
            out);
        assertTrue(out.contains("PASID 0x3 GCR3 entry @0x"), out);
        assertTrue(out.contains("PASID 0x205 GCR3 entry @0x"), out);
        assertTrue(out.contains("guest CR3 GPA 0x3000"), out);
        assertTrue(out.contains("0000000000001000-0000000000002fff -> 0000100001000-0000100002fff    4K x2      rw-u L0"), out);
        assertTrue(out.contains("! GCR3 level-0 table 0x4000000000 lies outside the image: reads as zero (no PASID)"), out);
        // Shared structures are shown once: PASIDs 3 and 0x205 of NESTED have one guest table, GUEST and SHARING one
        // GCR3 table (PASIDs 0 and 1 of GUEST share a root too, but PASID 0 is walked zero-extended: both shown).
        assertTrue(out.contains("    same guest page table as PASID 0x3 of device 0x0041, shown above"), out);
        assertTrue(out.contains("device 0x0043 (00:08.3) DTE @0x"), out);
        assertTrue(out.contains("  same GCR3 table as device 0x0040, shown above"), out);
        assertEquals(1, out.split("PASID 0x5 GCR3 entry", -1).length - 1, out);

        final List<String> one = args("tables", image, List.of());
        one.addAll(List.of("--device", "00:08.1"));
        final String[] nested = OfflineTestBed.run(one);
        assertEquals("0", nested[2], nested[1]);
        assertTrue(nested[0].contains("PASID 0x205 GCR3 entry"), nested[0]);
        assertFalse(nested[0].contains("device 0x0040"), nested[0]);
    }
}
