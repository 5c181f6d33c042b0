package org.iommuemu.emulator.cli.offline;

import java.io.PrintWriter;
import java.util.TreeMap;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongHashSet;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.amdvi.DeviceTableEntry;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A debugfs-like view of an AMD-Vi IOMMU's device table and host (v1) page tables: one block per valid DTE with
 * its fields, then its page-table tree as runs of contiguous leaves (same page size and permissions, IOVA and
 * output both contiguous) on one line each. Entries are decoded by the same {@link AmdV1Format} the model's
 * walker uses, so the dump and {@code translate} agree; each slot of a NextLevel=7 replicated leaf is what the
 * hardware reads for its part of the IOVA range, so replicas coalesce into their page and a replica that differs
 * is marked.
 * <p>
 * Hostile tables cannot hang it: a table frame is shown once (a second reference, whether a loop or a shared
 * table, is a marked line), and tables outside the image are marked instead of read.
 */
final class AmdViTableDump
{
    private final AmdViIommu iommu;
    private final PhysicalMemory memory;
    private final PrintWriter out;
    private final AmdV1Format[] formats = new AmdV1Format[7];
    private final long[][] slots = new long[6][512];
    private final LongHashSet visited = new LongHashSet();
    private final TreeMap<Integer, Long> pagesBySize = new TreeMap<>();
    private AmdV1Format format;
    private int iovaDigits;
    // The run being coalesced.
    private long runIova;
    private long runBytes;
    private long runOutput;
    private int runSizeLg2;
    private int runPermissions;
    private int runLevel;
    private long runs;
    private long tablePages;
    private long mappedBytes;

    AmdViTableDump(final AmdViIommu iommu, final PhysicalMemory memory, final PrintWriter out)
    {
        this.iommu = iommu;
        this.memory = memory;
        this.out = out;
        for (int mode = 1; mode <= 6; mode++)
        {
            formats[mode] = new AmdV1Format(mode);
        }
    }

    void dump(final int onlyDevice)
    {
        final long baseRegister = iommu.readRegister(AmdViRegisters.DEVICE_TABLE_BASE, 8);
        final long tableBase = baseRegister & AmdViRegisters.BASE_ADDRESS;
        final int entries = (int)((baseRegister & AmdViRegisters.DEVICE_TABLE_SIZE) + 1) * (PhysicalMemory.FRAME_SIZE / DeviceTableEntry.SIZE);
        final long control = iommu.readRegister(AmdViRegisters.CONTROL, 8);
        out.printf("AMD-Vi device table at %s, %d entries (%d KiB); control %s%s%n", HexField.hex(tableBase), entries,
            entries * DeviceTableEntry.SIZE / 1024, HexField.hex(control),
            (control & AmdViRegisters.CONTROL_IOMMU_EN) == 0 ? " (IommuEn clear: all DMA passes untranslated)" : "");
        if (memory instanceof ImageMemory image && !image.covers(tableBase, (long)entries * DeviceTableEntry.SIZE))
        {
            out.printf("! the device table %s-%s is not wholly inside the image: missing entries read as zero (V=0)%n",
                HexField.hex(tableBase), HexField.hex(tableBase + (long)entries * DeviceTableEntry.SIZE - 1));
        }
        final Long2LongHashMap shownRoots = new Long2LongHashMap(-1);
        int present = 0;
        if (onlyDevice >= 0 && onlyDevice >= entries)
        {
            out.printf("device %s (%s): beyond the device table's %d entries: ILLEGAL_DEV_TABLE_ENTRY%n",
                HexField.requesterId(onlyDevice), HexField.bdf(onlyDevice), entries);
            return;
        }
        for (int device = onlyDevice < 0 ? 0 : onlyDevice; device < (onlyDevice < 0 ? entries : onlyDevice + 1); device++)
        {
            final long address = DeviceTableEntry.address(tableBase, device);
            final long q0 = memory.readEntry(address);
            if (!DeviceTableEntry.valid(q0))
            {
                if (onlyDevice >= 0)
                {
                    out.printf("device %s (%s): DTE @%s has V=0: DMA passes untranslated%n", HexField.requesterId(device),
                        HexField.bdf(device), HexField.hex(address));
                }
                continue;
            }
            present++;
            final long q1 = memory.readEntry(address + 8);
            final long q2 = memory.readEntry(address + 16);
            final long q3 = memory.readEntry(address + 24);
            dumpDevice(device, address, q0, q1, q2, q3, shownRoots);
        }
        if (onlyDevice < 0)
        {
            out.printf("%d device%s with a valid DTE%n", present, present == 1 ? "" : "s");
        }
    }

    private void dumpDevice(final int device, final long address, final long q0, final long q1, final long q2, final long q3,
        final Long2LongHashMap shownRoots)
    {
        final int mode = DeviceTableEntry.mode(q0);
        final long root = DeviceTableEntry.root(q0);
        out.printf("device %s (%s) DTE @%s: %016x %016x %016x %016x%n", HexField.requesterId(device), HexField.bdf(device),
            HexField.hex(address), q0, q1, q2, q3);
        out.printf("  domain %d, mode %d, root %s, %s%s%s%s%s%s%n", DeviceTableEntry.domainId(q1), mode, HexField.hex(root),
            DeviceTableEntry.translationValid(q0) ? "TV" : "TV=0", DeviceTableEntry.readPermitted(q0) ? " IR" : "",
            DeviceTableEntry.writePermitted(q0) ? " IW" : "", (q1 & DeviceTableEntry.I) != 0 ? " I (ATS)" : "",
            (q1 & (DeviceTableEntry.SE | DeviceTableEntry.SA)) != 0 ? " faults suppressed (SE/SA)" : "",
            (q0 & DeviceTableEntry.GV) != 0 ? " GV (guest tables not shown)" : "");
        if (!DeviceTableEntry.translationValid(q0))
        {
            out.println("  no host translation (TV=0): every DMA is an IO_PAGE_FAULT");
            return;
        }
        if (mode == 0)
        {
            out.println("  mode 0: DMA passes untranslated");
            return;
        }
        if (mode == 7)
        {
            out.println("  ! mode 7 is reserved: ILLEGAL_DEV_TABLE_ENTRY");
            return;
        }
        final long key = root | mode;
        final long shownFor = shownRoots.get(key);
        if (shownFor >= 0)
        {
            out.printf("  same page table as device %s, shown above%n", HexField.requesterId((int)shownFor));
            return;
        }
        shownRoots.put(key, device);
        format = formats[mode];
        iovaDigits = (Math.min(64, format.inputAddressLg2()) + 3) / 4;
        visited.clear();
        pagesBySize.clear();
        runBytes = 0;
        runs = 0;
        tablePages = 0;
        mappedBytes = 0;
        table(root, format.topLevel(), 0, DeviceTableEntry.permissions(q0));
        flush();
        final StringBuilder sizes = new StringBuilder();
        pagesBySize.forEach((lg2, count) -> sizes.append(sizes.length() == 0 ? "" : ", ").append(HexField.size(lg2)).append(" x").append(count));
        out.printf("  %s mapped in %d run%s%s; %d table page%s%n", bytes(mappedBytes), runs, runs == 1 ? "" : "s",
            sizes.length() == 0 ? "" : " (" + sizes + ")", tablePages, tablePages == 1 ? "" : "s");
    }

    private void table(final long table, final int level, final long iovaBase, final int permissions)
    {
        if (memory instanceof ImageMemory image && !image.covers(table, PhysicalMemory.FRAME_SIZE))
        {
            flush();
            out.printf("  ! L%d table %s for IOVA %s lies outside the image: reads as zero (nothing mapped)%n", level,
                HexField.hex(table), iova(iovaBase));
            return;
        }
        if (!visited.add(table))
        {
            flush();
            out.printf("  ! L%d table %s for IOVA %s was already shown (a loop or a shared table): not followed%n", level,
                HexField.hex(table), iova(iovaBase));
            return;
        }
        tablePages++;
        final int items = 1 << format.itemsPerTableLg2(level);
        final int itemLg2 = format.itemSizeLg2(level);
        final long[] entries = slots[level];
        for (int i = 0; i < items; i++)
        {
            final long entryAddress = table + ((long)i << PageTableFormat.ENTRY_SIZE_LG2);
            final long entry = memory.readEntry(entryAddress);
            entries[i] = entry;
            final long iova = iovaBase + ((long)i << itemLg2);
            final int kind = format.kind(entry, level);
            if (kind == PageTableFormat.KIND_EMPTY)
            {
                continue;
            }
            final WalkFault fault = format.validate(entry, level, kind);
            if (fault != WalkFault.NONE)
            {
                flush();
                out.printf("  ! %s-%s L%d entry @%s = %016x: %s%n", iova(iova), iova(iova + (1L << itemLg2) - 1), level,
                    HexField.hex(entryAddress), entry, fault);
                continue;
            }
            final int effective = permissions & format.permissions(entry, level);
            if (kind == PageTableFormat.KIND_TABLE)
            {
                table(format.tableAddress(entry, level), level - 1, iova, effective);
                continue;
            }
            final int sizeLg2 = format.leafSizeLg2(entry, level);
            if (sizeLg2 > itemLg2)
            {
                final int first = i & -(1 << (sizeLg2 - itemLg2));
                if (first != i && entries[first] != entry)
                {
                    flush();
                    out.printf("  ! %s L%d entry @%s = %016x differs from its first replica %016x%n", iova(iova), level,
                        HexField.hex(entryAddress), entry, entries[first]);
                }
            }
            final long output = format.leafAddress(entry, level, sizeLg2) | (iova & ((1L << sizeLg2) - 1));
            leaf(iova, 1L << itemLg2, output, sizeLg2, effective, level);
        }
    }

    private void leaf(final long iova, final long bytes, final long output, final int sizeLg2, final int permissions, final int level)
    {
        if (runBytes != 0 && iova == runIova + runBytes && output == runOutput + runBytes && sizeLg2 == runSizeLg2 &&
            permissions == runPermissions && level == runLevel)
        {
            runBytes += bytes;
            return;
        }
        flush();
        runIova = iova;
        runOutput = output;
        runBytes = bytes;
        runSizeLg2 = sizeLg2;
        runPermissions = permissions;
        runLevel = level;
    }

    private void flush()
    {
        if (runBytes == 0)
        {
            return;
        }
        final long pages = runBytes >>> runSizeLg2;
        final boolean whole = (runBytes & ((1L << runSizeLg2) - 1)) == 0 && ((runIova | runOutput) & ((1L << runSizeLg2) - 1)) == 0;
        out.printf("  %s-%s -> %013x-%013x %5s x%-6d %s L%d%s%n", iova(runIova), iova(runIova + runBytes - 1), runOutput,
            runOutput + runBytes - 1, HexField.size(runSizeLg2), Math.max(1, pages),
            Permissions.toString(runPermissions).substring(0, 2), runLevel, whole ? "" : " (part of a page)");
        runs++;
        mappedBytes += runBytes;
        pagesBySize.merge(runSizeLg2, Math.max(1, pages), Long::sum);
        runBytes = 0;
    }

    private String iova(final long value)
    {
        return String.format("%0" + iovaDigits + "x", value);
    }

    private static String bytes(final long value)
    {
        if (value >= 1L << 30 && (value & ((1L << 30) - 1)) == 0)
        {
            return (value >>> 30) + " GiB";
        }
        if (value >= 1L << 20 && (value & ((1L << 20) - 1)) == 0)
        {
            return (value >>> 20) + " MiB";
        }
        return (value >>> 10) + " KiB";
    }
}
