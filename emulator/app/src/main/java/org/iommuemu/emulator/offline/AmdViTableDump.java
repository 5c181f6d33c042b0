package org.iommuemu.emulator.offline;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongHashSet;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.amdvi.DeviceTableEntry;
import org.iommuemu.emulator.amdvi.GuestCr3TableEntry;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A debugfs-like view of an AMD-Vi IOMMU's device table and page tables: one block per valid DTE with its
 * fields, then its host (v1) page-table tree and, for a GV device, its GCR3 table's valid PASIDs each with its
 * guest (x86-64) page-table tree, as runs of contiguous leaves (same page size and permissions, IOVA and
 * output both contiguous) on one line each. Entries are decoded by the same {@link AmdV1Format} the model's
 * walker uses, so the dump and {@code translate} agree; each slot of a NextLevel=7 replicated leaf is what the
 * hardware reads for its part of the IOVA range, so replicas coalesce into their page and a replica that differs
 * is marked.
 * <p>
 * The trees are printed by {@link PageTableTreeDump}. Hostile tables cannot hang it: a table frame is shown once (a second reference,
 * whether a loop or a shared
 * table, is a marked line), and tables outside the image are marked instead of read.
 */
public final class AmdViTableDump
{
    /**
     * The entry being dumped, as the model sees it: its legality predicates are the model's own. The offline model has
     * no RMP, so Mode 0 is legal here as it is in that model.
     */
    private final DeviceTableEntry entry = new DeviceTableEntry();
    private final AmdViIommu iommu;
    private final PhysicalMemory memory;
    private final PrintWriter out;
    private final AmdV1Format[] formats = new AmdV1Format[7];
    /** [levels == 5][PASID 0]: the guest formats the model walks (canonical, or zero-extended for PASID 0). */
    private final X86Format[] guestFormats = {
        new X86Format(4), new X86Format(4, false, 52, true), new X86Format(5), new X86Format(5, false, 52, true)};
    private final PageTableTreeDump trees;
    private final LongHashSet gcr3Visited = new LongHashSet();
    /**
     * The GCR3 tables and guest page-table trees shown so far in this dump, by what decides their lines, with whose
     * they were: a second device (or PASID) with the same ones says so instead of repeating them, as for host tables.
     */
    private final Map<String, String> shownGuest = new HashMap<>();
    private final WalkResult hostWalk = new WalkResult();

    AmdViTableDump(final AmdViIommu iommu, final PhysicalMemory memory, final PrintWriter out)
    {
        this.iommu = iommu;
        this.memory = memory;
        this.out = out;
        this.trees = new PageTableTreeDump(memory, out);
        for (int mode = 1; mode <= 6; mode++)
        {
            formats[mode] = new AmdV1Format(mode);
        }
    }

    void dump(final int onlyDevice)
    {
        final long baseRegister = iommu.readRegister(AmdViRegisters.DEVICE_TABLE_BASE, 8);
        final long tableBase = baseRegister & AmdViRegisters.BASE_ADDRESS;
        final int entries = (int)((baseRegister & AmdViRegisters.DEVICE_TABLE_SIZE) +
            1) * (PhysicalMemory.FRAME_SIZE / DeviceTableEntry.SIZE);
        final long control = iommu.readRegister(AmdViRegisters.CONTROL, 8);
        out.printf("AMD-Vi device table at %s, %d entries (%d KiB); control %s%s%n", Numbers.hex(tableBase), entries,
            entries * DeviceTableEntry.SIZE / 1024, Numbers.hex(control),
            (control & AmdViRegisters.CONTROL_IOMMU_EN) == 0 ? " (IommuEn clear: all DMA passes untranslated)" : "");
        if (memory instanceof ImageMemory image && !image.holds(tableBase, (long)entries * DeviceTableEntry.SIZE))
        {
            out.printf("! the device table %s-%s is not wholly inside the image: missing entries read as zero (V=0)%n",
                Numbers.hex(tableBase), Numbers.hex(tableBase + (long)entries * DeviceTableEntry.SIZE - 1));
        }
        final Long2LongHashMap shownRoots = new Long2LongHashMap(-1);
        shownGuest.clear();
        int present = 0;
        if (onlyDevice >= 0 && onlyDevice >= entries)
        {
            out.printf("device %s (%s): beyond the device table's %d entries: ILLEGAL_DEV_TABLE_ENTRY%n",
                Numbers.requesterId(onlyDevice), Numbers.bdf(onlyDevice), entries);
            return;
        }
        final BlockedRun run = new BlockedRun();
        for (int device = onlyDevice < 0 ? 0 : onlyDevice; device < (onlyDevice < 0 ? entries : onlyDevice + 1); device++)
        {
            final long address = DeviceTableEntry.address(tableBase, device);
            final long q0 = memory.readEntry(address);
            if (!DeviceTableEntry.valid(q0))
            {
                run.end();
                if (onlyDevice >= 0)
                {
                    out.printf("device %s (%s): DTE @%s has V=0: DMA passes untranslated%n", Numbers.requesterId(device),
                        Numbers.bdf(device), Numbers.hex(address));
                }
                continue;
            }
            present++;
            final long q1 = memory.readEntry(address + 8);
            final long q2 = memory.readEntry(address + 16);
            final long q3 = memory.readEntry(address + 24);
            if (onlyDevice < 0 && run.absorbs(device, q0, q1, q2, q3))
            {
                continue;
            }
            run.end();
            dumpDevice(device, address, q0, q1, q2, q3, shownRoots);
            run.start(device, q0, q1, q2, q3);
        }
        run.end();
        if (onlyDevice < 0)
        {
            out.printf("%d device%s with a valid DTE%n", present, present == 1 ? "" : "s");
        }
    }

    /**
     * A run of consecutive devices whose DTEs are the same four quadwords as the last one printed and have no table to
     * show (mode 0, GV clear): Linux writes V=1, TV=1 with IR=IW=0 into every entry it does not use, so a real
     * machine's 64K-entry table would otherwise print three lines per absent device. Shown as one line after the run.
     */
    private final class BlockedRun
    {
        private int first = -1;
        private int last;
        private final long[] words = new long[4];

        void start(final int device, final long q0, final long q1, final long q2, final long q3)
        {
            if (DeviceTableEntry.mode(q0) != 0 || (q0 & DeviceTableEntry.GV) != 0)
            {
                first = -1;
                return;
            }
            first = device;
            last = device;
            words[0] = q0;
            words[1] = q1;
            words[2] = q2;
            words[3] = q3;
        }

        boolean absorbs(final int device, final long q0, final long q1, final long q2, final long q3)
        {
            if (first < 0 || device != last + 1 || q0 != words[0] || q1 != words[1] || q2 != words[2] || q3 != words[3])
            {
                return false;
            }
            last = device;
            return true;
        }

        void end()
        {
            if (first >= 0 && last > first)
            {
                out.printf("devices %s-%s (%s-%s): the same DTE as device %s, shown above%n", Numbers.requesterId(first + 1),
                    Numbers.requesterId(last), Numbers.bdf(first + 1), Numbers.bdf(last), Numbers.requesterId(first));
            }
            first = -1;
        }
    }

    private void dumpDevice(final int device, final long address, final long q0, final long q1, final long q2, final long q3,
        final Long2LongHashMap shownRoots)
    {
        entry.set(q0, q1, q2);
        final int mode = entry.mode();
        final long root = entry.root();
        final long control = iommu.readRegister(AmdViRegisters.CONTROL, 8);
        out.printf("device %s (%s) DTE @%s: %016x %016x %016x %016x%n", Numbers.requesterId(device), Numbers.bdf(device),
            Numbers.hex(address), q0, q1, q2, q3);
        out.printf("  domain %d, mode %d, root %s, %s%s%s%s%s%s%n", DeviceTableEntry.domainId(q1), mode, Numbers.hex(root),
            DeviceTableEntry.translationValid(q0) ? "TV" : "TV=0", DeviceTableEntry.readPermitted(q0) ? " IR" : "",
            DeviceTableEntry.writePermitted(q0) ? " IW" : "", (q1 & DeviceTableEntry.I) != 0 ? " I (ATS)" : "",
            (q1 & (DeviceTableEntry.SE | DeviceTableEntry.SA)) != 0 ? " faults suppressed (SE/SA)" : "",
            (q0 & DeviceTableEntry.GV) != 0 ? " GV (guest tables below)" : "");
        hostTable(device, mode, root, q0, shownRoots);
        if (DeviceTableEntry.guestTranslationValid(q0) && DeviceTableEntry.translationValid(q0) && mode != 7)
        {
            dumpGuest(device, q0, q1, q2, control);
        }
    }

    private void hostTable(final int device, final int mode, final long root, final long q0, final Long2LongHashMap shownRoots)
    {
        if (!DeviceTableEntry.translationValid(q0))
        {
            out.println("  no host translation (TV=0): every DMA is an IO_PAGE_FAULT");
            return;
        }
        if (mode == 0)
        {
            final boolean read = DeviceTableEntry.readPermitted(q0);
            final boolean write = DeviceTableEntry.writePermitted(q0);
            out.println(DeviceTableEntry.guestTranslationValid(q0) ? "  mode 0: no host table (guest addresses are system physical)" :
                !read && !write ? "  mode 0 with IR and IW clear: every DMA is an IO_PAGE_FAULT" :
                "  mode 0: DMA passes untranslated, within IR/IW" + (read && write ? "" : " (the rest is an IO_PAGE_FAULT)"));
            return;
        }
        if (entry.illegalMode(false))
        {
            out.println("  ! mode 7 is reserved: ILLEGAL_DEV_TABLE_ENTRY");
            return;
        }
        final long key = root | mode;
        final long shownFor = shownRoots.get(key);
        if (shownFor >= 0)
        {
            out.printf("  same page table as device %s, shown above%n", Numbers.requesterId((int)shownFor));
            return;
        }
        shownRoots.put(key, device);
        trees.tablesThrough(null, 0, 0, null);
        trees.dump("  ", formats[mode], root, DeviceTableEntry.permissions(q0), 2);
    }

    /**
     * The guest (v2) side of a GV device: the GCR3 table's valid entries (PASID, guest CR3) and each PASID's
     * guest page-table tree. With a host table (Mode 1-6) the guest tables sit at GPAs that the host table
     * translates, and the guest leaves' outputs are GPAs; with GCR3TRPMode the GCR3 table pages are GPAs too.
     */
    private void dumpGuest(final int device, final long q0, final long q1, final long q2, final long control)
    {
        final int glx = DeviceTableEntry.glx(q0);
        final int gpm = DeviceTableEntry.guestPagingMode(q2);
        final long gcr3Root = DeviceTableEntry.gcr3Root(q0, q1);
        final int mode = DeviceTableEntry.mode(q0);
        final boolean nested = mode >= 1 && mode <= 6 && DeviceTableEntry.translationValid(q0);
        out.printf("  guest (v2): GCR3 table %s, %d level%s, %d-level guest tables%s%s%n", Numbers.hex(gcr3Root), glx + 1,
            glx == 0 ? "" : "s", gpm == DeviceTableEntry.GPM_5_LEVEL ? 5 : 4,
            DeviceTableEntry.guestIoProtectionValid(q0) ? ", GIOV (requests without a PASID use PASID 0)" : "",
            nested ? ", nested: guest addresses are GPAs translated by the host table above" : "");
        if ((control & AmdViRegisters.CONTROL_GT_EN) == 0)
        {
            out.println("  Control.GTEn is clear: GV is ignored, every request uses the host table");
            return;
        }
        if (entry.illegalGuestFields())
        {
            out.printf("  ! GLX %d / GPM %d is reserved: ILLEGAL_DEV_TABLE_ENTRY%n", glx, gpm);
            return;
        }
        final boolean gcr3IsGpa = nested && (control & AmdViRegisters.CONTROL_GCR3_TRP_MODE) != 0;
        final String before = shownGuest.putIfAbsent("GCR3 " + gcr3Root + "/" + glx + "/" + gpm + "/" + gcr3IsGpa + "/" +
            guestContext(q0, nested), "device " + Numbers.requesterId(device));
        if (before != null)
        {
            out.printf("  same GCR3 table as %s, shown above%n", before);
            return;
        }
        trees.tablesThrough(null, 0, 0, null);
        gcr3Visited.clear();
        gcr3Table(device, gcr3Root, glx, 0, q0, q2, nested, gcr3IsGpa);
        trees.tablesThrough(null, 0, 0, null);
    }

    /** What a guest tree's lines depend on besides its root: the host table it goes through, or the DTE's IR/IW. */
    private static String guestContext(final long q0, final boolean nested)
    {
        return nested ? DeviceTableEntry.mode(q0) + "/" + DeviceTableEntry.root(q0) + "/" + DeviceTableEntry.permissions(q0) :
            "-/" + DeviceTableEntry.permissions(q0);
    }

    private void gcr3Table(final int device, final long table, final int level, final int pasidBase, final long q0, final long q2,
        final boolean nested, final boolean gcr3IsGpa)
    {
        final long hostTable = gcr3IsGpa ? hostTranslated(table, q0) : table;
        if (hostTable < 0)
        {
            out.printf("  ! GCR3 level-%d table GPA %s: the host table does not map it (%s): not followed%n", level,
                Numbers.hex(table), hostWalk.fault());
            return;
        }
        if (memory instanceof ImageMemory image && !image.holds(hostTable, PhysicalMemory.FRAME_SIZE))
        {
            out.printf("  ! GCR3 level-%d table %s lies outside the image: reads as zero (no PASID)%n", level, Numbers.hex(hostTable));
            return;
        }
        if (!gcr3Visited.add(hostTable))
        {
            out.printf("  ! GCR3 level-%d table %s was already shown (a loop or a shared table): not followed%n", level,
                Numbers.hex(hostTable));
            return;
        }
        for (int i = 0; i <= GuestCr3TableEntry.INDEX_MASK; i++)
        {
            final long entryAddress = hostTable + ((long)i << 3);
            final long entry = memory.readEntry(entryAddress);
            if (!GuestCr3TableEntry.valid(entry))
            {
                continue;
            }
            final int pasid = pasidBase | (i << (GuestCr3TableEntry.INDEX_BITS * level));
            if (level > 0)
            {
                gcr3Table(device, GuestCr3TableEntry.address(entry), level - 1, pasid, q0, q2, nested, gcr3IsGpa);
                continue;
            }
            final long cr3 = GuestCr3TableEntry.address(entry);
            final boolean five = DeviceTableEntry.guestPagingMode(q2) == DeviceTableEntry.GPM_5_LEVEL;
            out.printf("  PASID 0x%x GCR3 entry @%s = %016x: guest CR3 %s%s%n", pasid, Numbers.hex(entryAddress), entry,
                nested ? "GPA " : "", Numbers.hex(cr3));
            // PASID 0 decodes the full width, zero-extended; other PASIDs are canonical (as the model walks them).
            final int formatIndex = (five ? 2 : 0) + (pasid == 0 ? 1 : 0);
            final X86Format format = guestFormats[formatIndex];
            final String shownFor = shownGuest.putIfAbsent("guest " + cr3 + "/" + formatIndex + "/" + guestContext(q0, nested),
                String.format("PASID 0x%x of device %s", pasid, Numbers.requesterId(device)));
            if (shownFor != null)
            {
                out.printf("    same guest page table as %s, shown above%n", shownFor);
                continue;
            }
            if (nested)
            {
                trees.tablesThrough(formats[DeviceTableEntry.mode(q0)], DeviceTableEntry.root(q0), DeviceTableEntry.permissions(q0),
                    "the host table");
            }
            trees.dump("    ", format, cr3, nested ? Permissions.ALL : DeviceTableEntry.permissions(q0), 4);
            trees.tablesThrough(null, 0, 0, null);
        }
    }

    /** The SPA of GPA {@code gpa} through the DTE's host table, or -1 (the fault is in {@link #hostWalk}). */
    private long hostTranslated(final long gpa, final long q0)
    {
        if (!Walker.walk(formats[DeviceTableEntry.mode(q0)], memory, DeviceTableEntry.root(q0), gpa, Permissions.READ,
            DeviceTableEntry.permissions(q0), hostWalk))
        {
            return -1;
        }
        return hostWalk.outputAddress() & -(long)PhysicalMemory.FRAME_SIZE;
    }
}
