package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.iommuemu.emulator.image.ImageCompression;
import org.iommuemu.emulator.image.ImageWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.ABSENT;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.BAD_CONTEXT;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.HOSTILE;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.NIC;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.OTHER_BUS;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.PASS;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.SHARED;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.STORAGE;
import static org.iommuemu.emulator.cli.offline.VtdOfflineTestBed.UPPER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code translate --iommu vtd} and {@code tables --iommu vtd} on images of {@link VtdOfflineTestBed}: the file's
 * answers equal the in-memory model's for every device, PASID, address and access, from every image kind, in
 * legacy and scalable mode (second stage, first stage, nested, pass-through); the dump shows the expected
 * structures and ranges and marks hostile ones.
 */
class VtdOfflineTest
{
    private static final int[] LEGACY_DEVICES = {NIC, SHARED, STORAGE, PASS, HOSTILE, BAD_CONTEXT, ABSENT, OTHER_BUS};
    private static final int[] SCALABLE_DEVICES = {NIC, SHARED, UPPER, HOSTILE, ABSENT, OTHER_BUS};
    private static final int[] LEGACY_PASIDS = {-1, 1};
    private static final int[] SCALABLE_PASIDS = {-1, 0, 1, 2, 3, 4, 0x40, 0x2000};

    @TempDir
    Path dir;

    /** Addresses around every mapping and the hostile slots, plus random ones of every width. */
    static List<Long> addresses()
    {
        final List<Long> addresses = new ArrayList<>(List.of(0L, 0x1000L, 0x1ff8L, 0x2008L, 0x3ff8L, 0x4000L, 0x5008L, 0x6000L,
            0x9000L, 0xA008L, 0x40000L, 0x50000L, 0x1f_fff8L, 0x20_0000L, 0x3f_fff8L, 0x40_0000L, 0x41_2340L, 0x5f_fff8L, 0x60_0000L,
            0x3fff_fff8L, 0x4000_0000L, 0x5234_5678L, 0x7fff_fff8L, 0x8000_0000L, 0x80_0000_0000L, 0x100_0000_0000L,
            0x1234_5000L, 0x7f_ffe0_0000L, 0x7f_ffff_fff8L, 0xfee0_0000L, 0x8000_0000_0000L, 0xffff_8000_0000_1000L,
            0xffff_ffff_ffff_fff8L));
        final Random random = new Random(7);
        for (int i = 0; i < 25; i++)
        {
            addresses.add(random.nextLong() >>> (64 - 12 - random.nextInt(52)) & -8L);
        }
        return addresses;
    }

    private static List<String> args(final String command, final Path image, final List<String> extra, final VtdOfflineTestBed bed)
    {
        final List<String> args = new ArrayList<>(List.of(command, "--iommu", "vtd", "--memory", image.toString()));
        args.addAll(extra);
        args.addAll(bed.registerOptions());
        return args;
    }

    private void translatesLikeTheModel(final boolean scalable, final OfflineTestBed.Kind kind) throws IOException
    {
        final VtdOfflineTestBed bed = new VtdOfflineTestBed(scalable);
        final Path image = dir.resolve("memory.img");
        final List<String> args = args("translate", image, bed.write(kind, image), bed);
        final byte[] before = Files.readAllBytes(image);
        final RequestMatrix matrix = new RequestMatrix(bed.iommu, bed.memory, VtdOfflineTestBed.IMAGE_BASE, VtdOfflineTestBed.IMAGE_END,
            scalable ? SCALABLE_DEVICES : LEGACY_DEVICES,
            scalable ? SCALABLE_PASIDS : LEGACY_PASIDS, addresses());
        args.addAll(List.of("--requests", matrix.write(dir.resolve("reqs.csv")).toString()));
        final String[] result = OfflineTestBed.run(args);
        assertEquals("1", result[2], "requests that need memory beyond the image are not answered: " + result[1]);
        final List<String> actual = matrix.assertMatches(result[0]);
        assertTrue(result[1].contains("read outside the image (first at 0x4000000000)") ||
            result[1].contains("reads outside the image (first at 0x4000000000)"), result[1]);
        assertArrayEquals(before, Files.readAllBytes(image), "the image file is never written");
        // Spot checks against the mappings themselves.
        final String rid = scalable ? "0x0010,," : "0x0010,,";
        assertTrue(actual.contains(rid + "0x2008,r,ok,0x103008,4K,rw,"), result[0]);
        assertTrue(actual.contains(rid + "0x412340,w,ok,0x40412340,2M,rw,"));
        assertTrue(actual.contains(rid + "0x52345678,rw,ok,0x152345678,1G,rw,"));
        assertTrue(actual.contains(rid + "0x1000,r,ok,0x102000,4K,rw,"));
        assertTrue(actual.contains("0x0030,,0x1000,r,fault,,,," + (scalable ? "SM_CONTEXT_ENTRY_NOT_PRESENT" :
            "CONTEXT_ENTRY_NOT_PRESENT")));
        assertTrue(actual.contains("0x0500,,0x1000,r,fault,,,," + (scalable ? "SM_ROOT_ENTRY_NOT_PRESENT" : "ROOT_ENTRY_NOT_PRESENT")));
        if (scalable)
        {
            assertTrue(actual.contains("0x0010,,0x40000,w,fault,,,,SS_PERMISSION"));
            assertTrue(actual.contains("0x0010,0x1,0x2008,w,ok,0x204008,4K,rw,"), "first stage");
            assertTrue(actual.contains("0x0010,0x1,0x9000,w,fault,,,,FS_WRITE"));
            assertTrue(actual.contains("0x0010,0x1,0xa008,r,fault,,,,FS_USER"));
            assertTrue(actual.contains("0x0010,0x1,0xffff800000001000,r,ok,0x500001000,2M,r,"), "canonical upper half");
            assertTrue(actual.contains("0x0010,0x2,0x2008,r,ok,0x300002008,4K,rw,"), "nested");
            assertTrue(actual.contains("0x0010,0x2,0x5008,w,fault,,,,SS_PERMISSION"), "nested: second stage read-only");
            assertTrue(actual.contains("0x0010,0x3,0x5234_5678,r,ok,0x52345678,4K,rw,".replace("_", "")), "pass-through");
            assertTrue(actual.contains("0x0011,0x1,0x1000,r,fault,,,,SM_PASIDE_CLEAR"));
            assertTrue(actual.contains("0x0010,0x2000,0x1000,r,fault,,,,SM_PASID_TOO_LARGE"));
            assertTrue(actual.contains("0x0010,0x40,0x1000,r,fault,,,,SM_PASID_DIR_NOT_PRESENT"));
            assertTrue(actual.contains("0x0010,0x4,0x1000,r,fault,,,,SM_PASID_ENTRY_NOT_PRESENT"));
            assertTrue(actual.contains("0x0020,0x1,0x1000,r,fault,,,,SM_PASID_ENTRY_RESERVED"));
            assertTrue(actual.contains("0x0020,0x2,0x1000,r,fault,,,,SM_PASID_ENTRY_INVALID"));
            assertTrue(actual.contains("0x0020,0x3,0x1000,r,fault,,,,NESTED_FS_ROOT_READ"));
            assertTrue(actual.contains("0x0090,,0x12345000,w,ok,0x9000,4K,rw,"), "upper half of the root entry");
        }
        else
        {
            assertTrue(actual.contains("0x0010,,0x40000,w,fault,,,,WRITE"));
            assertTrue(actual.contains("0x0010,,0x50000,r,fault,,,,READ"));
            assertTrue(actual.contains("0x0010,0x1,0x1000,r,fault,,,,SM_LEGACY_WITH_PASID"));
            assertTrue(actual.contains("0x0018,,0x12345000,w,ok,0x9000,4K,rw,"));
            assertTrue(actual.contains("0x0019,,0x52345678,w,ok,0x52345678,4K,rw,"), "pass-through");
            assertTrue(actual.contains("0x0021,,0x1000,r,fault,,,,CONTEXT_ENTRY_RESERVED"));
        }
    }

    @ParameterizedTest
    @EnumSource(OfflineTestBed.Kind.class)
    void legacyTranslatesLikeTheInMemoryModelFromEveryImageKind(final OfflineTestBed.Kind kind) throws IOException
    {
        translatesLikeTheModel(false, kind);
    }

    @ParameterizedTest
    @EnumSource(OfflineTestBed.Kind.class)
    void scalableTranslatesLikeTheInMemoryModelFromEveryImageKind(final OfflineTestBed.Kind kind) throws IOException
    {
        translatesLikeTheModel(true, kind);
    }

    @Test
    void missingRegionReadsAsZero() throws IOException
    {
        // Only the root, context and PASID structures: the page tables are not in the image.
        final VtdOfflineTestBed bed = new VtdOfflineTestBed(true);
        final Path image = dir.resolve("partial.elf");
        ImageWriter.writeElfCore(bed.memory, image, ImageCompression.NONE, VtdOfflineTestBed.IMAGE_BASE, VtdOfflineTestBed.DOMAINS);
        final Path reqs = OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access",
            "00:02.0,,0x1000,r", "00:02.0,1,0x1000,r", "00:02.0,3,0x1000,r"));
        final List<String> args = args("translate", image, List.of(), bed);
        args.addAll(List.of("--requests", reqs.toString()));
        final String[] result = OfflineTestBed.run(args);
        assertEquals("1", result[2], result[1]);
        final String[] lines = result[0].split("\n");
        assertEquals(4, lines.length, result[0]);
        assertTrue(lines[1].startsWith("0x0010,,0x1000,r,error,,,,outside the image at 0x"), result[0]);
        assertTrue(lines[2].startsWith("0x0010,0x1,0x1000,r,error,,,,outside the image at 0x"), result[0]);
        assertEquals("0x0010,0x3,0x1000,r,ok,0x1000,4K,rw,", lines[3], "pass-through needs no page table");
        assertTrue(result[1].contains("outside the image (first at 0x4"), result[1]);
        assertTrue(result[1].contains("2 requests could not be answered"), result[1]);
    }

    @Test
    void legacyTablesShowDevicesRangesAndHostileStructures() throws IOException
    {
        final VtdOfflineTestBed bed = new VtdOfflineTestBed(false);
        final Path image = dir.resolve("m.elf.gz");
        final String[] result = OfflineTestBed.run(args("tables", image, bed.write(OfflineTestBed.Kind.ELF_GZIP, image), bed));
        OfflineTestBed.assertDumpWithHoles(result); // the bed holds hostile structures outside the image
        final String out = result[0];
        assertTrue(out.contains("VT-d root table at 0x"), out);
        assertTrue(out.contains("legacy mode (TTM 00)"), out);
        assertTrue(out.contains("bus 00 root entry @0x"), out);
        assertTrue(out.contains("device 0x0010 (00:02.0) context entry @0x"), out);
        assertTrue(out.contains("DID 5, AW 2 (4-level, 48-bit), TT 00 (untranslated requests)"), out);
        assertTrue(out.contains("000000001000-000000003fff -> 0000000102000-0000000104fff    4K x3      rw L0"), out);
        assertTrue(out.contains("000000200000-0000005fffff -> 0000040200000-00000405fffff    2M x2      rw L1"), out);
        assertTrue(out.contains("000040000000-00007fffffff -> 0000140000000-000017fffffff    1G x1      rw L2"), out);
        assertTrue(out.contains("000000040000-000000040fff -> 0000000777000-0000000777fff    4K x1      r- L0"), out);
        assertTrue(out.contains("000000050000-000000050fff -> 0000000003000-0000000003fff    4K x1      -w L0"), out);
        assertTrue(out.contains("same table as 0x0010, shown above"), out);
        assertTrue(out.contains("device 0x0018 (00:03.0)"), out);
        assertTrue(out.contains("TT 01 (untranslated and ATS)"), out);
        assertTrue(out.contains("7fffe00000-7fffffffff -> 0000200000000-00002001fffff    2M x1      rw L1"), out);
        assertTrue(out.contains("pass-through: DMA addresses are host physical"), out);
        assertTrue(out.contains("! reserved bits set: CONTEXT_ENTRY_RESERVED"), out);
        assertTrue(out.contains("was already shown (a loop or a shared table): not followed"), out);
        assertTrue(out.contains("! L2 table 0x4000000000 for IOVA 008000000000 lies outside the image"), out);
        assertTrue(out.contains(": RESERVED_BIT"), out);
        assertTrue(out.contains("6 devices with a present context entry"), out);

        final List<String> one = args("tables", image, List.of(), bed);
        one.addAll(List.of("--device", "00:06.0"));
        final String[] absent = OfflineTestBed.run(one);
        assertEquals("0", absent[2], absent[1]);
        assertTrue(absent[0].contains("device 0x0030 (00:06.0): context entry @0x"), absent[0]);
        assertTrue(absent[0].contains("is not present: CONTEXT_ENTRY_NOT_PRESENT"), absent[0]);
        assertFalse(absent[0].contains("00:02.0"), absent[0]);
        one.set(one.size() - 1, "05:00.0");
        assertTrue(OfflineTestBed.run(one)[0].contains("bus 05 root entry"), "missing root entry");
    }

    @Test
    void scalableTablesShowPasidsStagesAndHostileStructures() throws IOException
    {
        final VtdOfflineTestBed bed = new VtdOfflineTestBed(true);
        final Path image = dir.resolve("m.raw");
        final String[] result = OfflineTestBed.run(args("tables", image, bed.write(OfflineTestBed.Kind.RAW, image), bed));
        OfflineTestBed.assertDumpWithHoles(result); // the bed holds hostile structures outside the image
        final String out = result[0];
        assertTrue(out.contains("scalable mode (TTM 01)"), out);
        assertTrue(out.contains("lower context table 0x"), out);
        assertTrue(out.contains("PASID directory 0x"), out);
        assertTrue(out.contains("128 entries, RID_PASID 0x0, PASIDE"), out);
        assertTrue(out.contains("PASID 0x0 (RID_PASID) entry @0x"), out);
        assertTrue(out.contains("PGTT 2 (second stage), DID 5, SLPTPTR 0x"), out);
        assertTrue(out.contains("000000001000-000000003fff -> 0000000102000-0000000104fff    4K x3      rw L0"), out);
        assertTrue(out.contains("PGTT 1 (first stage), DID 6, FLPTPTR 0x"), out);
        assertTrue(out.contains("0000000000001000-0000000000003fff -> 0000000203000-0000000205fff    4K x3      rw-u L0"), out);
        assertTrue(out.contains("0000000000400000-00000000005fffff -> 0000060000000-00000601fffff    2M x1      rw-u L1"), out);
        assertTrue(out.contains("000000000000a000-000000000000afff -> 000000000a000-000000000afff    4K x1      rw-- L0"), out);
        assertTrue(out.contains("ffff800000000000-ffff8000001fffff -> 0000500000000-00005001fffff    2M x1      r--u L1"), out);
        assertTrue(out.contains("PGTT 3 (nested), DID 8"), out);
        assertTrue(out.contains("first stage (4-level; its tables and outputs are GPAs, each translated by the second stage below):"), out);
        assertTrue(out.contains("0000000000001000-0000000000002fff -> 0000100001000-0000100002fff    4K x2      rw-u L0"), out);
        assertTrue(out.contains("000010000000-0000100fffff -> 0000000800000-00000008fffff    4K x256    rw L0"), out);
        assertTrue(out.contains("PGTT 4 (pass-through)"), out);
        assertTrue(out.contains("device 0x0011 (00:02.1) context entry"), out);
        assertTrue(out.contains("PASIDE clear (requests with a PASID fault)"), out);
        assertTrue(out.contains("same table as 0x0010 PASID 0x0, shown above"), out);
        assertTrue(out.contains("device 0x0090 (00:12.0) context entry"), out);
        assertTrue(out.contains("! reserved bits set: SM_PASID_ENTRY_RESERVED"), out);
        assertTrue(out.contains("! PGTT 5 is reserved: SM_PASID_ENTRY_INVALID"), out);
        assertTrue(out.contains("! L3 table GPA 0x70000000 for IOVA 0000000000000000: the second stage fails with NOT_PRESENT"), out);
        assertTrue(out.contains("was already shown (a loop or a shared table): not followed"), out);
        assertTrue(out.contains("4 devices with a present context entry"), out);

        final List<String> one = args("tables", image, List.of("--memory-base", "0x200000"), bed);
        one.addAll(List.of("--device", "0x0011"));
        final String[] shared = OfflineTestBed.run(one);
        assertEquals("0", shared[2], shared[1]);
        assertTrue(shared[0].contains("device 0x0011 (00:02.1) context entry"), shared[0]);
        assertTrue(shared[0].contains("000000001000-000000003fff -> 0000000102000-0000000104fff    4K x3      rw L0"), shared[0]);
        assertFalse(shared[0].contains("device 0x0010"), shared[0]);
    }

    @Test
    void hostileContextAndPasidStructuresAreMarkedNotFollowed() throws IOException
    {
        // A context table that aliases the root table, and a PASID directory entry pointing beyond the image.
        final VtdOfflineTestBed bed = new VtdOfflineTestBed(true);
        final long root = bed.iommu.rootTableAddress();
        bed.memory.writeEntry(root + 16, root | 1);                            // bus 1 lower half: the root table itself
        bed.memory.writeEntry(root + 24, 0x5000L | 2 | 1);                      // bus 1 upper half: a reserved bit
        final long directory = bed.driver.pasidDirectory(NIC);
        bed.memory.writeEntry(directory + 8 * 5, VtdOfflineTestBed.BEYOND_IMAGE | 1); // PASIDs 0x140-0x17f
        final Path image = dir.resolve("m.xz");
        final List<String> extra = bed.write(OfflineTestBed.Kind.RAW_XZ, image);
        final String[] tables = OfflineTestBed.run(args("tables", image, extra, bed));
        OfflineTestBed.assertDumpWithHoles(tables); // the bed holds hostile structures outside the image
        assertTrue(tables[0].contains("bus 01 root entry"), tables[0]);
        assertTrue(tables[0].contains("! PASID table 0x4000000000 lies outside the image: reads as zero (not present)"), tables[0]);

        final RequestMatrix matrix = new RequestMatrix(bed.iommu, bed.memory, VtdOfflineTestBed.IMAGE_BASE, VtdOfflineTestBed.IMAGE_END,
            new int[] {NIC, 0x0100, 0x0180}, new int[] {-1, 0x145},
            List.of(0x1000L, 0x20_0000L));
        final List<String> args = args("translate", image, extra, bed);
        args.addAll(List.of("--requests", matrix.write(dir.resolve("r.csv")).toString()));
        final String[] result = OfflineTestBed.run(args);
        assertEquals("1", result[2], result[1]);
        matrix.assertMatches(result[0]);
        assertTrue(result[0].contains("0x0010,0x145,0x1000,r,error,,,,outside the image at 0x4000000"), "a PASID table beyond " +
            "the image answers no made-up SM_PASID_ENTRY_NOT_PRESENT: " + result[0]);
    }

    /**
     * The unit's switches reach the offline commands as they reach scenarios: {@code --switch} takes platform.vtd's keys
     * (here QEMU's legacy codes for scalable-mode second-stage faults), and a bad key or value is a usage error naming
     * the option and the key, before the image is opened.
     */
    @Test
    void modelSwitchesApplyOfflineAsInScenarios() throws IOException
    {
        final VtdOfflineTestBed bed = new VtdOfflineTestBed(true);
        final Path image = dir.resolve("memory.img");
        final List<String> extra = bed.write(OfflineTestBed.Kind.RAW, image);
        final Path reqs = OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access", "0x0010,,0x40000,w"));
        final List<String> args = args("translate", image, extra, bed);
        args.addAll(List.of("--requests", reqs.toString()));
        assertTrue(OfflineTestBed.run(args)[0].contains("0x0010,,0x40000,w,fault,,,,SS_PERMISSION"), "the default: scalable codes");
        final List<String> legacy = with(args, "--switch", "second-stage-fault-codes=legacy");
        final String[] result = OfflineTestBed.run(legacy);
        assertEquals("0", result[2], result[1]);
        assertTrue(result[0].contains("0x0010,,0x40000,w,fault,,,,WRITE"), result[0]);

        final List<String> unknown = with(args, "--switch", "ats-fault-events=silent");
        assertError(OfflineTestBed.run(unknown), "--switch: ats-fault-events: unknown key; expected one of [second-stage-fault-codes");
        final List<String> badValue = with(args, "--switch", "compress-faults=maybe");
        assertError(OfflineTestBed.run(badValue), "--switch: compress-faults: expected true or false, not 'maybe'");
        final List<String> noEquals = with(args, "--switch", "compress-faults");
        assertError(OfflineTestBed.run(noEquals), "--switch: \"compress-faults\" is not KEY=VALUE");
        final List<String> haw = with(args, "--switch", "host-address-width=60");
        assertError(OfflineTestBed.run(haw), "--switch: host-address-width: HAW is 39-52 bits, not 60");
    }

    @Test
    void badRegisterValuesAreClearErrors() throws IOException
    {
        final VtdOfflineTestBed bed = new VtdOfflineTestBed(false);
        final Path image = dir.resolve("m");
        final List<String> extra = bed.write(OfflineTestBed.Kind.RAW, image);
        final Path reqs = OfflineTestBed.writeLines(dir.resolve("r.csv"), List.of("requester_id,pasid,iova,access", "00:02.0,,0x1000,r"));
        final List<String> noRoot = new ArrayList<>(List.of("translate", "--iommu", "vtd", "--memory", image.toString(), "--requests",
            reqs.toString(), "--reg", "0x1c=0x80000000"));
        noRoot.addAll(extra);
        assertError(OfflineTestBed.run(noRoot), "VT-d needs the root table address register: --reg 0x20=VALUE");
        final List<String> unaligned = with(noRoot, "--reg", "0x20=0x1000", "--reg", "0x22=1");
        assertError(OfflineTestBed.run(unaligned),
            "--reg 0x22=1: offset 0x22 is not a 4-byte aligned offset inside the VT-d register block");
        final List<String> beyond = with(noRoot, "--reg", "0x20=0x1000", "--reg", "0x10000=1");
        assertError(OfflineTestBed.run(beyond), "--reg 0x10000=1: offset 0x10000 is not a 4-byte aligned offset");
        final List<String> wide = with(noRoot, "--reg", "0x20=0x1000", "--reg", "0x3c=0x100000000");
        assertError(OfflineTestBed.run(wide), "--reg 0x3c=0x100000000: FEDATA is a 32-bit register");
        final List<String> badCap = with(noRoot, "--reg", "0x20=0x1000", "--reg", "0x8=0x0");
        assertError(OfflineTestBed.run(badCap),
            "--reg 0x8=0x0, default ECAP: CAP.FRO and ECAP.IRO must place their registers after IQERCD");

        // Defaults and notes: no CAP/ECAP/GSTS, TES on; the captured state registers are not written.
        final List<String> minimal = new ArrayList<>(List.of("translate", "--iommu", "vtd", "--memory", image.toString(), "--requests",
            reqs.toString(), "--reg", String.format("0x20=0x%x", bed.iommu.rootTableAddress()), "--reg", "0x34=0x2", "--reg", "0x100=5"));
        minimal.addAll(extra);
        final String[] result = OfflineTestBed.run(minimal);
        assertEquals("0", result[2], result[1]);
        assertTrue(result[0].contains("0x0010,,0x1000,r,ok,0x102000,4K,rw,"), result[0]);
        assertTrue(result[1].contains("no CAP (0x08) value: assuming the model's default"), result[1]);
        assertTrue(result[1].contains("no GSTS (0x1C) value: enabling translation (TE)"), result[1]);
        assertTrue(result[1].contains("--reg 0x34=0x2: FSTS is state or a command the hardware owns; not written"), result[1]);
        assertTrue(result[1].contains("--reg 0x100=5: offset 0x100 is not modelled, ignored"), result[1]);

        // TES clear in the captured status: untranslated.
        minimal.addAll(List.of("--reg", "0x1c=0x40000000"));
        final String[] off = OfflineTestBed.run(minimal);
        assertTrue(off[0].contains("0x0010,,0x1000,r,ok,0x1000,4K,"), off[0]);
        assertTrue(off[1].contains("translation is off"), off[1]);
    }

    /** {@code args} and then {@code more}, in a new list. */
    private static List<String> with(final List<String> args, final String... more)
    {
        final List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all;
    }

    static void assertError(final String[] result, final String message)
    {
        assertEquals("2", result[2], result[0] + result[1]);
        assertTrue(result[1].contains(message), result[1]);
    }
}
