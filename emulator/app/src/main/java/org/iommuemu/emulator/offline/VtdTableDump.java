package org.iommuemu.emulator.offline;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

import org.agrona.collections.LongHashSet;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.emulator.vtd.ContextEntry;
import org.iommuemu.emulator.vtd.PasidDirectoryEntry;
import org.iommuemu.emulator.vtd.PasidEntry;
import org.iommuemu.emulator.vtd.RootEntry;
import org.iommuemu.emulator.vtd.ScalableContextEntry;
import org.iommuemu.emulator.vtd.ScalableRootEntry;
import org.iommuemu.emulator.vtd.VtdFaultReason;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A debugfs-like view of a VT-d unit's translation structures (like Linux's {@code dmar_translation_struct}):
 * <ul>
 * <li>legacy mode (TTM 00): each present root entry (bus), its present context entries (bus:dev.fn, DID, AW,
 *     TT, SLPTPTR) and each device's second-stage tree;</li>
 * <li>scalable mode (TTM 01): each present root entry half, its present context entries with their PASID
 *     directory, the present PASID entries (PASID, PGTT, DID, FLPTPTR/SLPTPTR) and each PASID's first- and/or
 *     second-stage tree. A nested PASID's first-stage tree has its tables and outputs at GPAs: each table is
 *     translated by the second stage, as the hardware fetches it, and the second-stage tree follows.</li>
 * </ul>
 * Trees are printed by {@link PageTableTreeDump} with the formats the unit walks ({@link VtdIommu#secondStageFormat},
 * {@link VtdIommu#firstStageFormat}), so the dump and {@code translate} agree. It reads only what some request's
 * walk would read: root entries, the context entries behind present roots, with PASIDs enabled the PASID
 * directory up to its size and the PASID tables behind present directory entries (only the RID_PASID entry
 * without), and the page tables behind present, valid entries. An entry a walk would fault on is a {@code !}
 * line naming the {@link VtdFaultReason} {@code translate} reports; structures outside the image are {@code !}
 * lines; every structure page is read once.
 */
public final class VtdTableDump
{
    private static final int BUSES = 256;
    private static final int SCALABLE_HALF = 128;

    private final VtdIommu iommu;
    private final PhysicalMemory memory;
    private final PrintWriter out;
    private final PageTableTreeDump trees;
    private final int haw;
    private final long cap;
    private final long ecap;
    private final LongHashSet structurePages = new LongHashSet();
    /** Trees already printed (stage, root, format) to the device (and PASID) that showed them. */
    private final Map<String, String> shownTrees = new HashMap<>();
    private int present;

    VtdTableDump(final VtdIommu iommu, final PhysicalMemory memory, final PrintWriter out)
    {
        this.iommu = iommu;
        this.memory = memory;
        this.out = out;
        this.trees = new PageTableTreeDump(memory, out);
        this.haw = iommu.config().hostAddressWidth;
        this.cap = iommu.cap();
        this.ecap = iommu.ecap();
    }

    void dump(final int onlyDevice)
    {
        final long rtaddr = iommu.readRegister(VtdRegisters.RTADDR, 8);
        final long root = rtaddr & VtdRegisters.RTADDR_ADDRESS;
        final int ttm = (int)((rtaddr & VtdRegisters.RTADDR_TTM) >>> VtdRegisters.RTADDR_TTM_SHIFT);
        final long gsts = iommu.readRegister(VtdRegisters.GSTS, 4);
        out.printf("VT-d root table at %s, %s; GSTS %s (%s%s%s); CAP %016x ECAP %016x%n", Numbers.hex(root),
            ttm == VtdRegisters.TTM_LEGACY ? "legacy mode (TTM 00)" : ttm == VtdRegisters.TTM_SCALABLE ? "scalable mode (TTM 01)" :
                "TTM " + Integer.toBinaryString(ttm) + " (reserved)",
            Numbers.hex(gsts), (gsts & VtdRegisters.TES) != 0 ? "TES" : "TES clear: all DMA passes untranslated",
            (gsts & VtdRegisters.RTPS) != 0 ? " RTPS" : "", (gsts & VtdRegisters.QIES) != 0 ? " QIES" : "", cap, ecap);
        if (!VtdRegisters.translationTableModeSupported(ttm, ecap))
        {
            out.println("! " + (ttm == VtdRegisters.TTM_SCALABLE ? "scalable mode without ECAP.SMTS" : "reserved TTM") + ": " +
                VtdFaultReason.SM_ROOT_TABLE_ADDRESS);
            return;
        }
        if (!readable(root, PhysicalMemory.FRAME_SIZE))
        {
            out.printf("! the root table %s is not wholly inside the image: missing entries read as zero (not present)%n",
                Numbers.hex(root));
        }
        final boolean scalable = ttm == VtdRegisters.TTM_SCALABLE;
        final int firstBus = onlyDevice < 0 ? 0 : onlyDevice >>> 8;
        final int lastBus = onlyDevice < 0 ? BUSES - 1 : onlyDevice >>> 8;
        for (int bus = firstBus; bus <= lastBus; bus++)
        {
            if (scalable)
            {
                scalableBus(root, bus, onlyDevice);
            }
            else
            {
                legacyBus(root, bus, onlyDevice);
            }
        }
        if (onlyDevice < 0)
        {
            out.printf("%d device%s with a present context entry%n", present, present == 1 ? "" : "s");
        }
    }

    // -------------------------------------------------------------------------------------------------------
    // Legacy mode.

    private void legacyBus(final long root, final int bus, final int onlyDevice)
    {
        final long address = RootEntry.address(root, bus);
        final long lo = memory.readEntry(address);
        final long hi = memory.readEntry(address + 8);
        if (!RootEntry.present(lo))
        {
            if (onlyDevice >= 0)
            {
                out.printf("device %s (%s): bus %02x root entry @%s is not present: %s%n", Numbers.requesterId(onlyDevice),
                    Numbers.bdf(onlyDevice), bus, Numbers.hex(address), VtdFaultReason.ROOT_ENTRY_NOT_PRESENT);
            }
            return;
        }
        final long table = RootEntry.contextTable(lo);
        out.printf("bus %02x root entry @%s: %016x %016x, context table %s%n", bus, Numbers.hex(address), lo, hi, Numbers.hex(table));
        if (RootEntry.reserved(lo, hi, haw))
        {
            out.println("  ! reserved bits set: " + VtdFaultReason.ROOT_ENTRY_RESERVED);
            return;
        }
        if (!structurePage("  ", "context table", table))
        {
            return;
        }
        for (int devfn = 0; devfn < 256; devfn++)
        {
            final int device = bus << 8 | devfn;
            if (onlyDevice >= 0 && device != onlyDevice)
            {
                continue;
            }
            final long entryAddress = ContextEntry.address(table, devfn);
            final long c0 = memory.readEntry(entryAddress);
            final long c1 = memory.readEntry(entryAddress + 8);
            if (!ContextEntry.present(c0))
            {
                if (onlyDevice >= 0)
                {
                    out.printf("  device %s (%s): context entry @%s is not present: %s%n", Numbers.requesterId(device),
                        Numbers.bdf(device), Numbers.hex(entryAddress), VtdFaultReason.CONTEXT_ENTRY_NOT_PRESENT);
                }
                continue;
            }
            present++;
            legacyContext(device, entryAddress, c0, c1);
        }
    }

    private void legacyContext(final int device, final long entryAddress, final long c0, final long c1)
    {
        final int tt = ContextEntry.translationType(c0);
        final int aw = ContextEntry.addressWidth(c1);
        out.printf("  device %s (%s) context entry @%s: %016x %016x%n", Numbers.requesterId(device), Numbers.bdf(device),
            Numbers.hex(entryAddress), c0, c1);
        out.printf("    DID %d, AW %d (%s), TT %s, SLPTPTR %s%s%n", ContextEntry.domainId(c1), aw, awText(aw), ttText(tt),
            Numbers.hex(ContextEntry.secondStageRoot(c0)), ContextEntry.faultProcessingDisabled(c0) ? ", FPD" : "");
        if (ContextEntry.reserved(c0, c1, haw))
        {
            out.println("    ! reserved bits set: " + VtdFaultReason.CONTEXT_ENTRY_RESERVED);
            return;
        }
        if (!ContextEntry.supported(tt, aw, cap, ecap))
        {
            out.println("    ! TT or AW not supported by CAP/ECAP: " + VtdFaultReason.CONTEXT_ENTRY_INVALID);
            return;
        }
        if (tt == ContextEntry.TT_PASS_THROUGH)
        {
            out.println("    pass-through: DMA addresses are host physical");
            return;
        }
        secondStage("    ", ContextEntry.secondStageRoot(c0), aw, false, Numbers.requesterId(device));
    }

    // -------------------------------------------------------------------------------------------------------
    // Scalable mode.

    private void scalableBus(final long root, final int bus, final int onlyDevice)
    {
        final long address = RootEntry.address(root, bus);
        final long lower = memory.readEntry(address);
        final long upper = memory.readEntry(address + 8);
        if (!ScalableRootEntry.present(lower) && !ScalableRootEntry.present(upper))
        {
            if (onlyDevice >= 0)
            {
                out.printf("device %s (%s): bus %02x root entry @%s is not present: %s%n", Numbers.requesterId(onlyDevice),
                    Numbers.bdf(onlyDevice), bus, Numbers.hex(address), VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT);
            }
            return;
        }
        out.printf("bus %02x root entry @%s: %016x %016x, lower context table %s, upper context table %s%n", bus,
            Numbers.hex(address), lower, upper, halfText(lower), halfText(upper));
        for (int half = 0; half < 2; half++)
        {
            final long entry = half == 0 ? lower : upper;
            final int firstDevfn = half * SCALABLE_HALF;
            if (onlyDevice >= 0 && ((onlyDevice & 0xFF) < firstDevfn || (onlyDevice & 0xFF) >= firstDevfn + SCALABLE_HALF))
            {
                continue;
            }
            if (!ScalableRootEntry.present(entry))
            {
                if (onlyDevice >= 0)
                {
                    out.printf("  device %s (%s): the %s half of the root entry is not present: %s%n", Numbers.requesterId(onlyDevice),
                        Numbers.bdf(onlyDevice), half == 0 ? "lower" : "upper", VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT);
                }
                continue;
            }
            if (ScalableRootEntry.reserved(entry, haw))
            {
                out.printf("  ! %s half: reserved bits set: %s%n", half == 0 ? "lower" : "upper", VtdFaultReason.SM_ROOT_ENTRY_RESERVED);
                continue;
            }
            final long table = ScalableRootEntry.contextTable(entry);
            if (!structurePage("  ", "context table", table))
            {
                continue;
            }
            for (int devfn = firstDevfn; devfn < firstDevfn + SCALABLE_HALF; devfn++)
            {
                final int device = bus << 8 | devfn;
                if (onlyDevice >= 0 && device != onlyDevice)
                {
                    continue;
                }
                final long entryAddress = ScalableContextEntry.address(table, devfn & 0x7F);
                final long q0 = memory.readEntry(entryAddress);
                if (!ScalableContextEntry.present(q0))
                {
                    if (onlyDevice >= 0)
                    {
                        out.printf("  device %s (%s): context entry @%s is not present: %s%n", Numbers.requesterId(device),
                            Numbers.bdf(device), Numbers.hex(entryAddress), VtdFaultReason.SM_CONTEXT_ENTRY_NOT_PRESENT);
                    }
                    continue;
                }
                present++;
                scalableContext(device, entryAddress, q0, memory.readEntry(entryAddress + 8), memory.readEntry(entryAddress + 16),
                    memory.readEntry(entryAddress + 24));
            }
        }
    }

    private void scalableContext(final int device, final long entryAddress, final long q0, final long q1, final long q2,
        final long q3)
    {
        final int directoryEntries = ScalableContextEntry.directoryEntries(q0);
        final long directory = ScalableContextEntry.pasidDirectory(q0);
        final int ridPasid = ScalableContextEntry.ridPasid(q1);
        out.printf("  device %s (%s) context entry @%s: %016x %016x %016x %016x%n", Numbers.requesterId(device), Numbers.bdf(device),
            Numbers.hex(entryAddress), q0, q1, q2, q3);
        out.printf("    PASID directory %s, %d entries, RID_PASID 0x%x%s%s%s%n", Numbers.hex(directory), directoryEntries, ridPasid,
            ScalableContextEntry.pasidEnabled(q0) ? ", PASIDE" : ", PASIDE clear (requests with a PASID fault)",
            ScalableContextEntry.deviceTlbEnabled(q0) ? ", DTE (ATS)" : "", ScalableContextEntry.faultProcessingDisabled(q0) ? ", FPD" :
                "");
        if (ScalableContextEntry.reserved(q0, q1, q2, q3, haw))
        {
            out.println("    ! reserved bits set: " + VtdFaultReason.SM_CONTEXT_ENTRY_RESERVED);
            return;
        }
        final String who = Numbers.requesterId(device);
        if (!ScalableContextEntry.pasidEnabled(q0))
        {
            // Only the RID_PASID entry is reachable.
            if ((ridPasid >>> PasidDirectoryEntry.INDEX_SHIFT) >= directoryEntries)
            {
                out.println("    ! RID_PASID beyond the PASID directory: " + VtdFaultReason.SM_RID_PASID_ERROR);
                return;
            }
            final long directoryAddress = PasidDirectoryEntry.address(directory, ridPasid);
            final long entry = memory.readEntry(directoryAddress);
            if (directoryEntry(directoryAddress, entry, ridPasid >>> PasidDirectoryEntry.INDEX_SHIFT, true))
            {
                final long table = PasidDirectoryEntry.pasidTable(entry);
                if (readable(table, PhysicalMemory.FRAME_SIZE))
                {
                    pasidEntry(who, table, ridPasid, ridPasid, true);
                }
                else
                {
                    out.printf("    ! PASID table %s lies outside the image: reads as zero (not present)%n", Numbers.hex(table));
                }
            }
            return;
        }
        final int reachable = Math.min(directoryEntries, 1 << Math.max(0, VtdRegisters.pasidBits(ecap) - PasidDirectoryEntry.INDEX_SHIFT));
        if (!readable(directory, (long)reachable * PasidDirectoryEntry.SIZE))
        {
            out.printf("    ! the PASID directory %s is not wholly inside the image: missing entries read as zero (not present)%n",
                Numbers.hex(directory));
        }
        for (int index = 0; index < reachable; index++)
        {
            final long directoryAddress = directory + (long)index * PasidDirectoryEntry.SIZE;
            final long entry = memory.readEntry(directoryAddress);
            if (!directoryEntry(directoryAddress, entry, index, false))
            {
                continue;
            }
            final long table = PasidDirectoryEntry.pasidTable(entry);
            if (!structurePage("    ", "PASID table", table))
            {
                continue;
            }
            for (int slot = 0; slot < 1 << PasidDirectoryEntry.INDEX_SHIFT; slot++)
            {
                final int pasid = index << PasidDirectoryEntry.INDEX_SHIFT | slot;
                pasidEntry(who, table, pasid, ridPasid, false);
            }
        }
    }

    /** Print a PASID directory entry; true when its PASID table may be followed. */
    private boolean directoryEntry(final long address, final long entry, final int index, final boolean always)
    {
        if (!PasidDirectoryEntry.present(entry))
        {
            if (always)
            {
                out.printf("    PASID directory entry %d @%s is not present: %s%n", index, Numbers.hex(address),
                    VtdFaultReason.SM_PASID_DIR_NOT_PRESENT);
            }
            return false;
        }
        out.printf("    PASID directory entry %d @%s: %016x, PASID table %s (PASIDs 0x%x-0x%x)%s%n", index, Numbers.hex(address),
            entry, Numbers.hex(PasidDirectoryEntry.pasidTable(entry)), index << PasidDirectoryEntry.INDEX_SHIFT,
            (index << PasidDirectoryEntry.INDEX_SHIFT) + (1 << PasidDirectoryEntry.INDEX_SHIFT) - 1,
            PasidDirectoryEntry.faultProcessingDisabled(entry) ? ", FPD" : "");
        if (PasidDirectoryEntry.reserved(entry, haw))
        {
            out.println("    ! reserved bits set: " + VtdFaultReason.SM_PASID_DIR_RESERVED);
            return false;
        }
        return true;
    }

    private void pasidEntry(final String who, final long table, final int pasid, final int ridPasid, final boolean always)
    {
        final long address = PasidEntry.address(table, pasid);
        final long p0 = memory.readEntry(address);
        if (!PasidEntry.present(p0))
        {
            if (always)
            {
                out.printf("    PASID 0x%x entry @%s is not present: %s%n", pasid, Numbers.hex(address),
                    VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT);
            }
            return;
        }
        final long p1 = memory.readEntry(address + 8);
        final long p2 = memory.readEntry(address + 16);
        long upper = 0;
        for (int i = 3; i < PasidEntry.QUADWORDS; i++)
        {
            upper |= memory.readEntry(address + i * 8L);
        }
        final int pgtt = PasidEntry.pgtt(p0);
        final int aw = PasidEntry.addressWidth(p0);
        final int firstLevels = PasidEntry.firstStageLevels(p2);
        out.printf("    PASID 0x%x%s entry @%s: %016x %016x %016x%n", pasid, pasid == ridPasid ? " (RID_PASID)" : "",
            Numbers.hex(address), p0, p1, p2);
        final StringBuilder fields = new StringBuilder().append("      PGTT ").append(pgtt).append(" (").append(pgttText(pgtt))
            .append("), DID ").append(PasidEntry.domainId(p1));
        if (pgtt == PasidEntry.PGTT_FIRST_STAGE || pgtt == PasidEntry.PGTT_NESTED)
        {
            fields.append(", FLPTPTR ").append(Numbers.hex(PasidEntry.firstStageRoot(p2))).append(" (").append(firstLevels)
                .append("-level)").append(PasidEntry.supervisorRequests(p2) ? ", SRE" : "")
                .append(PasidEntry.executeRequests(p2) ? ", ERE" : "").append(PasidEntry.writeProtect(p2) ? ", WPE" : "");
        }
        if (pgtt == PasidEntry.PGTT_SECOND_STAGE || pgtt == PasidEntry.PGTT_NESTED)
        {
            fields.append(", SLPTPTR ").append(Numbers.hex(PasidEntry.secondStageRoot(p0))).append(", AW ").append(aw).append(" (")
                .append(awText(aw)).append(')').append(PasidEntry.secondStageExecute(p0) ? ", SLEE" : "")
                .append(PasidEntry.secondStageAccessedDirty(p0) ? ", SSADE" : "");
        }
        out.println(fields.append(PasidEntry.faultProcessingDisabled(p0) ? ", FPD" : ""));
        if (upper != 0 || PasidEntry.reserved(p0, p1, p2, haw, ecap))
        {
            out.println("      ! reserved bits set: " + VtdFaultReason.SM_PASID_ENTRY_RESERVED);
            return;
        }
        final String invalid = invalidPasidEntry(pgtt, aw, firstLevels);
        if (invalid != null)
        {
            out.println("      ! " + invalid + ": " + VtdFaultReason.SM_PASID_ENTRY_INVALID);
            return;
        }
        final String owner = who + " PASID 0x" + Integer.toHexString(pasid);
        switch (pgtt)
        {
            case PasidEntry.PGTT_PASS_THROUGH:
                out.println("      pass-through: DMA addresses are host physical");
                break;
            case PasidEntry.PGTT_SECOND_STAGE:
                secondStage("      ", PasidEntry.secondStageRoot(p0), aw, PasidEntry.secondStageExecute(p0), owner);
                break;
            case PasidEntry.PGTT_FIRST_STAGE:
                firstStage(PasidEntry.firstStageRoot(p2), firstLevels, null, 0, owner);
                break;
            default:
                final PageTableFormat ss = iommu.secondStageFormat(aw + 2, PasidEntry.secondStageExecute(p0));
                firstStage(PasidEntry.firstStageRoot(p2), firstLevels, ss, PasidEntry.secondStageRoot(p0), owner);
                secondStage("      ", PasidEntry.secondStageRoot(p0), aw, PasidEntry.secondStageExecute(p0), owner);
                break;
        }
    }

    /** Why the model would refuse this PASID entry as invalid (0x5B), or null: the model's own rule, {@link PasidEntry#check}. */
    private String invalidPasidEntry(final int pgtt, final int aw, final int firstLevels)
    {
        switch (PasidEntry.check(pgtt, aw, firstLevels, cap, ecap))
        {
            case RESERVED_PGTT:
                return "PGTT " + pgtt + " is reserved";
            case PGTT_NOT_SUPPORTED:
                return "PGTT " + pgtt + " (" + pgttText(pgtt) + ") is not supported by ECAP";
            case AW_NOT_IN_SAGAW:
                return "AW " + aw + " is not in CAP.SAGAW";
            case FIRST_STAGE_LEVELS_NOT_SUPPORTED:
                return firstLevels + "-level first stage is not supported (CAP.FS5LP)";
            default:
                return null;
        }
    }

    // -------------------------------------------------------------------------------------------------------
    // Trees.

    private void secondStage(final String indent, final long root, final int aw, final boolean slee, final String owner)
    {
        final PageTableFormat format = iommu.secondStageFormat(aw + 2, slee);
        out.printf("%ssecond stage (%d-level, input limit 2^%d):%n", indent, aw + 2, Math.min(30 + 9 * aw, VtdRegisters.mgaw(cap)));
        if (shown(indent + "  ", "second stage " + root + "/" + aw + "/" + slee, owner))
        {
            return;
        }
        trees.tablesThrough(null, 0, 0, null);
        trees.dump(indent + "  ", format, root, Permissions.ALL, slee ? 3 : 2);
    }

    private void firstStage(final long root, final int levels, final PageTableFormat secondStage, final long secondStageRoot,
        final String owner)
    {
        out.printf("      first stage (%d-level%s):%n", levels,
            secondStage == null ? "" : "; its tables and outputs are GPAs, each translated by the second stage below");
        if (shown("        ", "first stage " + root + "/" + levels + (secondStage == null ? "" : " through " + secondStageRoot + "/" +
            secondStage), owner))
        {
            return;
        }
        trees.tablesThrough(secondStage, secondStageRoot, Permissions.ALL, "the second stage");
        trees.dump("        ", iommu.firstStageFormat(levels), root, Permissions.ALL, 4);
        trees.tablesThrough(null, 0, 0, null);
    }

    /** True (with a line saying so) when this tree was printed before. */
    private boolean shown(final String indent, final String key, final String owner)
    {
        final String before = shownTrees.putIfAbsent(key, owner);
        if (before != null)
        {
            out.printf("%ssame table as %s, shown above%n", indent, before);
            return true;
        }
        return false;
    }

    // -------------------------------------------------------------------------------------------------------
    // Helpers.

    /** Check a context or PASID table page before reading it: inside the image and not read before. */
    private boolean structurePage(final String indent, final String what, final long page)
    {
        if (!readable(page, PhysicalMemory.FRAME_SIZE))
        {
            out.printf("%s! %s %s lies outside the image: reads as zero (not present)%n", indent, what, Numbers.hex(page));
            return false;
        }
        if (!structurePages.add(page))
        {
            out.printf("%s! %s %s was already shown (a shared or aliased table): not followed%n", indent, what, Numbers.hex(page));
            return false;
        }
        return true;
    }

    private boolean readable(final long address, final long length)
    {
        return !(memory instanceof ImageMemory image) || image.holds(address, length);
    }


    private static String halfText(final long half)
    {
        return ScalableRootEntry.present(half) ? Numbers.hex(ScalableRootEntry.contextTable(half)) : "(not present)";
    }

    private static String awText(final int aw)
    {
        return aw <= 3 ? (aw + 2) + "-level, " + (30 + 9 * aw) + "-bit" : "reserved";
    }

    private static String ttText(final int tt)
    {
        return switch (tt)
        {
            case ContextEntry.TT_MULTI_LEVEL -> "00 (untranslated requests)";
            case ContextEntry.TT_DEVICE_TLB -> "01 (untranslated and ATS)";
            case ContextEntry.TT_PASS_THROUGH -> "10 (pass-through)";
            default -> "11 (reserved)";
        };
    }

    private static String pgttText(final int pgtt)
    {
        return switch (pgtt)
        {
            case PasidEntry.PGTT_FIRST_STAGE -> "first stage";
            case PasidEntry.PGTT_SECOND_STAGE -> "second stage";
            case PasidEntry.PGTT_NESTED -> "nested";
            case PasidEntry.PGTT_PASS_THROUGH -> "pass-through";
            default -> "reserved";
        };
    }
}
