package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TablesCommandTest
{
    @TempDir
    Path dir;

    private final OfflineTestBed bed = new OfflineTestBed();

    private String[] tables(final OfflineTestBed.Kind kind, final String... more) throws IOException
    {
        final Path image = dir.resolve("memory");
        final List<String> args = new ArrayList<>(List.of("tables", "--iommu", "amdvi", "--memory", image.toString()));
        args.addAll(bed.write(kind, image));
        args.addAll(bed.registerOptions());
        args.addAll(List.of(more));
        return OfflineTestBed.run(args);
    }

    @Test
    void dumpsValidEntriesAndCoalescedRuns() throws IOException
    {
        final String[] result = tables(OfflineTestBed.Kind.ELF_XZ);
        OfflineTestBed.assertDumpWithHoles(result); // the bed holds hostile structures outside the image
        final String text = result[0];
        assertTrue(text.contains("AMD-Vi device table at 0x200000, 65536 entries (2048 KiB)"), text);
        assertTrue(text.contains("device 0x0010 (00:02.0) DTE @0x200200:"), text);
        assertTrue(text.contains("  domain 5, mode 3, root "), text);
        assertTrue(text.contains("device 0x0011 (00:02.1)"), text);
        assertTrue(text.contains("  same page table as device 0x0010, shown above"), text);
        assertTrue(text.contains("device 0x0018 (00:03.0)"), text);
        assertTrue(text.contains("  domain 6, mode 4, root "), text);
        assertTrue(text.contains("4 devices with a valid DTE"), text);
        assertFalse(text.contains("0x0030"), "no DTE, not shown");
        // Runs: three contiguous 4K leaves on one line; replicated NextLevel=7 leaves as one page each.
        assertTrue(text.contains("  0000001000-0000003fff -> 0000000102000-0000000104fff    4K x3      rw L0"), text);
        assertTrue(text.contains("  0000012000-0000013fff -> 0000000552000-0000000553fff    8K x1      rw L0"), text);
        assertTrue(text.contains("  0000028000-000002ffff -> 0000000668000-000000066ffff   32K x1      rw L0"), text);
        assertTrue(text.contains("  0000040000-0000040fff -> 0000000777000-0000000777fff    4K x1      r- L0"), text);
        assertTrue(text.contains("  0040000000-00403fffff -> 0000180000000-00001803fffff    4M x1      rw L1"), text);
        assertTrue(text.contains("  0040400000-00405fffff -> 0000180400000-00001805fffff    2M x1      rw L1"), text);
        assertTrue(text.contains("  7ffffff000-7fffffffff -> 0000000003000-0000000003fff    4K x1      -w L0"), text);
        assertTrue(text.contains("  6204 KiB mapped in 7 runs (4K x5, 8K x1, 32K x1, 2M x1, 4M x1); 6 table pages"), text);
        // Mode 4, read-only DTE: permissions are ANDed with the DTE's.
        assertTrue(text.contains("  7fffffe00000-7fffffffffff -> 0000200000000-00002001fffff    2M x1      r- L1"), text);
    }

    @Test
    void hostileTablesGiveMarkedLinesNotHangs() throws IOException
    {
        final String[] result = tables(OfflineTestBed.Kind.RAW, "--device", "00:04.0");
        OfflineTestBed.assertDumpWithHoles(result); // the bed holds hostile structures outside the image
        final String text = result[0];
        assertTrue(text.contains("  ! L1 table 0x7f0000 for IOVA 0000000000 was already shown (a loop or a shared table): not followed"),
            text);
        assertTrue(text.contains("  ! L1 table 0x4000000000 for IOVA 0040000000 lies outside the image: reads as zero (nothing mapped)"),
            text);
        assertTrue(text.contains("  ! 0080000000-00801fffff L1 entry @0x7f1000 = 6000000000005a01: BAD_LEVEL_ENCODING"), text);
        assertTrue(text.contains("  0 KiB mapped in 0 runs; 2 table pages"), text);
        assertFalse(text.contains("device 0x0010"), "only the device asked for");
    }

    @Test
    void oneDeviceWithoutAnEntryAndInconsistentReplicas() throws IOException
    {
        String[] result = tables(OfflineTestBed.Kind.RAW_GZIP, "--device", "0x0030");
        assertEquals("0", result[2], result[1]);
        assertTrue(result[0].contains("device 0x0030 (00:06.0): DTE @0x200600 has V=0: DMA passes untranslated"), result[0]);
        // Corrupt the second replica of the 8K leaf: the hardware reads each slot on its own, so the dump splits the
        // page and marks the replica.
        final WalkResult walk = new WalkResult();
        bed.nicDomain.translate(0x13000, Permissions.READ, walk);
        final long slot = walk.entryAddress(walk.entryCount() - 1);
        bed.memory.writeEntry(slot, walk.entryValue(walk.entryCount() - 1) + 0x4000);
        result = tables(OfflineTestBed.Kind.ELF, "--device", "00:02.0");
        assertTrue(result[0].contains(String.format("  ! 0000013000 L0 entry @0x%x = %016x differs from its first replica %016x", slot,
            walk.entryValue(walk.entryCount() - 1) + 0x4000, walk.entryValue(walk.entryCount() - 1))), result[0]);
        assertTrue(result[0].contains("  0000012000-0000012fff -> 0000000552000-0000000552fff    8K x1      rw L0 (part of a page)"),
            result[0]);
    }
}
