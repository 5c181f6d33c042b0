package org.iommuemu.emulator.cli.offline;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.iommuemu.emulator.offline.PageTableTreeDump;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs, summaries, loops and nested table fetches of {@link PageTableTreeDump}, over plain memory. */
class PageTableTreeDumpTest
{
    private final SparseMemory memory = new SparseMemory();
    private final FrameAllocator frames = new FrameAllocator(memory, 0x10_0000, 1 << 20);
    private final StringWriter text = new StringWriter();
    private final PageTableTreeDump dump = new PageTableTreeDump(memory, new PrintWriter(text, true));

    private static void map(final PageTable table, final long iova, final long pa, final long length, final int permissions)
    {
        assertEquals(MapStatus.OK, table.map(iova, pa, length, permissions, PageSizePolicy.FORCED_4K));
    }

    @Test
    void contiguousLeavesCoalesceAcrossTablesAndSplitOnPermissions()
    {
        final PageTable table = new PageTable(new X86Format(4), frames);
        final int user = Permissions.USER | Permissions.READ_WRITE;
        map(table, 0x1F_E000, 0x5F_E000, 0x4000, user);                      // crosses a 2 MiB (L0 table) boundary
        map(table, 0x20_2000, 0x60_2000, 0x1000, Permissions.READ | Permissions.USER); // contiguous, other permissions
        map(table, 0xFFFF_FFFF_FFFF_F000L, 0x1000, 0x1000, user);            // top of the canonical upper half
        dump.dump("  ", table.format(), table.root(), Permissions.ALL, 4);
        assertEquals(String.join("\n",
            "  00000000001fe000-0000000000201fff -> 00000005fe000-0000000601fff    4K x4      rw-u L0",
            "  0000000000202000-0000000000202fff -> 0000000602000-0000000602fff    4K x1      r--u L0",
            "  fffffffffffff000-ffffffffffffffff -> 0000000001000-0000000001fff    4K x1      rw-u L0",
            "  24 KiB mapped in 3 runs (4K x6); 8 table pages", ""), text.toString());
    }

    @Test
    void aLoopIsShownOnceAndANestedTableTheSecondStageLacksIsMarked()
    {
        final X86Format format = new X86Format(4);
        final long root = frames.allocate();
        memory.writeEntry(root, format.makeTable(root, 3));
        dump.dump("", format, root, Permissions.ALL, 4);
        assertEquals(String.join("\n",
            "! L2 table 0x" + Long.toHexString(root) +
                " for IOVA 0000000000000000 was already shown (a loop or a shared table): not followed",
            "0 KiB mapped in 0 runs; 1 table page", ""), text.toString());

        text.getBuffer().setLength(0);
        final PageTable stage = new PageTable(new VtdSecondStageFormat(4), frames);
        dump.tablesThrough(stage.format(), stage.root(), Permissions.ALL, "the second stage");
        dump.dump("", format, 0x4000_0000L, Permissions.ALL, 4);
        assertEquals(String.join("\n",
            "! L3 table GPA 0x40000000 for IOVA 0000000000000000: the second stage fails with NOT_PRESENT: not followed",
            "0 KiB mapped in 0 runs; 0 table pages", ""), text.toString());
    }
}
