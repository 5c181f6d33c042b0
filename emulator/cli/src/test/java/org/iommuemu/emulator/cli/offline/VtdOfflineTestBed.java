package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.image.ImageWriter;
import org.iommuemu.emulator.offline.VtdOfflineModel;
import org.iommuemu.emulator.vtd.ContextEntry;
import org.iommuemu.emulator.vtd.PasidEntry;
import org.iommuemu.emulator.vtd.VtdConfig;
import org.iommuemu.emulator.vtd.VtdDriver;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.fixtures.OffsetMemory;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A VT-d machine to take images of, set up only by {@link VtdDriver} and the project's mapper in low memory (so a
 * raw image stays small), in legacy or scalable mode.
 * <p>
 * Legacy: NIC and SHARED on one 4-level second-stage domain (4 KiB, 2 MiB, 1 GiB, read-only and write-only
 * pages), STORAGE on a 3-level domain with TT 01, PASS with TT 10, HOSTILE whose second-stage table loops, points
 * beyond the image and holds a reserved bit, BAD_CONTEXT with a reserved bit in its context entry.
 * <p>
 * Scalable: NIC with PASIDs enabled: PASID 0 (RID_PASID) second stage, 1 first stage, 2 nested (first-stage
 * tables at GPAs only the second stage maps), 3 pass-through; SHARED with PASIDs disabled on NIC's second stage;
 * UPPER (devfn 0x90, the upper half of the root entry) on STORAGE's 3-level domain; HOSTILE with the looping
 * second stage (PASID 0), a reserved bit (PASID 1), a reserved PGTT (PASID 2) and a nested first-stage root the
 * second stage does not map (PASID 3).
 * <p>
 * Both: ABSENT has no context entry, OTHER_BUS no root entry.
 */
final class VtdOfflineTestBed
{
    static final long IMAGE_BASE = 0x20_0000L;
    static final long STRUCTURES = 0x20_0000L;
    static final long DOMAINS = 0x40_0000L;
    static final long GUEST_TABLES = 0x80_0000L;
    static final long HOSTILE_ROOT = 0x90_0000L;
    static final long IMAGE_END = 0xA0_0000L;
    /** GPA of the nested first-stage tables (backed by {@link #GUEST_TABLES}). */
    static final long GUEST_TABLES_GPA = 0x1000_0000L;
    static final long BEYOND_IMAGE = 0x40_0000_0000L;

    static final int NIC = 0x0010;          // 00:02.0
    static final int SHARED = 0x0011;       // 00:02.1
    static final int STORAGE = 0x0018;      // 00:03.0 (legacy)
    static final int PASS = 0x0019;         // 00:03.1 (legacy)
    static final int UPPER = 0x0090;        // 00:12.0 (scalable)
    static final int HOSTILE = 0x0020;      // 00:04.0
    static final int BAD_CONTEXT = 0x0021;  // 00:04.1 (legacy)
    static final int ABSENT = 0x0030;       // 00:06.0
    static final int OTHER_BUS = 0x0500;    // 05:00.0

    final boolean scalable;
    final SparseMemory memory = new SparseMemory();
    final VtdIommu iommu;
    final VtdDriver driver;
    final FrameAllocator domains = new FrameAllocator(memory, DOMAINS, GUEST_TABLES - DOMAINS);
    final PageTable nic;
    final PageTable storage;

    VtdOfflineTestBed(final boolean scalable)
    {
        this.scalable = scalable;
        final VtdConfig config = new VtdConfig();
        config.hostAddressWidth = VtdOfflineModel.HOST_ADDRESS_WIDTH;
        iommu = new VtdIommu(memory, VtdRegisters.defaultCap(8), VtdRegisters.defaultEcap(), config, VtdIommu.defaultContextCache(),
            VtdIommu.defaultPasidCache(), VtdIommu.defaultIotlb(), VtdIommu.defaultNestedCache(), null);
        driver = new VtdDriver(iommu, memory, new FrameAllocator(memory, STRUCTURES, DOMAINS - STRUCTURES));
        driver.bringUp(scalable, 0x4021, 0xFEE0_0000L);

        nic = new PageTable(iommu.secondStageFormat(4, false), domains);
        map(nic, 0x1000, 0x10_2000, 0x3000, Permissions.READ_WRITE);               // 4K x3
        map(nic, 0x20_0000, 0x4020_0000L, 0x40_0000, Permissions.READ_WRITE);      // 2M x2
        map(nic, 0x4000_0000L, 0x1_4000_0000L, 0x4000_0000L, Permissions.READ_WRITE); // 1G
        map(nic, 0x40000, 0x77_7000, 0x1000, Permissions.READ);                    // read-only
        map(nic, 0x50000, 0x3000, 0x1000, Permissions.WRITE);                      // write-only
        storage = new PageTable(iommu.secondStageFormat(3, false), domains);
        map(storage, 0x7F_FFE0_0000L, 0x2_0000_0000L, 0x20_0000, Permissions.READ_WRITE);
        map(storage, 0x1234_5000L, 0x9000, 0x1000, Permissions.READ_WRITE);
        if (scalable)
        {
            scalable();
        }
        else
        {
            legacy();
        }
    }

    private void legacy()
    {
        driver.attachLegacy(NIC, nic, 5, ContextEntry.TT_MULTI_LEVEL, false);
        driver.attachLegacy(SHARED, nic, 5, ContextEntry.TT_MULTI_LEVEL, false);
        driver.attachLegacy(STORAGE, storage, 6, ContextEntry.TT_DEVICE_TLB, false);
        driver.attachLegacyPassThrough(PASS, 7);
        hostileSecondStage();
        driver.writeLegacyContext(HOSTILE, ContextEntry.low(HOSTILE_ROOT, ContextEntry.TT_MULTI_LEVEL, false), ContextEntry.high(2, 9));
        driver.writeLegacyContext(BAD_CONTEXT, ContextEntry.low(nic.root(), ContextEntry.TT_MULTI_LEVEL, false) | 0x10,
            ContextEntry.high(2, 10));
        driver.invalidateAll();
    }

    private void scalable()
    {
        driver.setScalableContext(NIC, 0, true, false, false, 0);
        driver.attachSecondStage(NIC, 0, nic, 5);
        final PageTable first = new PageTable(iommu.firstStageFormat(4), domains);
        map(first, 0x1000, 0x20_3000, 0x3000, Permissions.READ_WRITE | Permissions.USER);
        map(first, 0x40_0000, 0x6000_0000L, 0x20_0000, Permissions.READ_WRITE | Permissions.USER);
        map(first, 0x9000, 0x9000, 0x1000, Permissions.READ | Permissions.USER);      // read-only
        map(first, 0xA000, 0xA000, 0x1000, Permissions.READ_WRITE);                   // supervisor only
        map(first, 0xFFFF_8000_0000_0000L, 0x5_0000_0000L, 0x20_0000, Permissions.READ | Permissions.USER); // upper half
        driver.attachFirstStage(NIC, 1, first.root(), 4, 6, false, false);

        // Nested: the second stage maps the first stage's tables (GPA 0x1000_0000 -> 0x80_0000) and the data.
        final PageTable nestedSecond = new PageTable(iommu.secondStageFormat(4, false), domains);
        map(nestedSecond, GUEST_TABLES_GPA, GUEST_TABLES, HOSTILE_ROOT - GUEST_TABLES, Permissions.READ_WRITE);
        map(nestedSecond, 0x1_0000_0000L, 0x3_0000_0000L, 0x20_0000, Permissions.READ_WRITE);
        map(nestedSecond, 0x1_0040_0000L, 0x3_0040_0000L, 0x1000, Permissions.READ);
        final PageTable nestedFirst = new PageTable(iommu.firstStageFormat(4),
            new FrameAllocator(new OffsetMemory(memory, GUEST_TABLES - GUEST_TABLES_GPA), GUEST_TABLES_GPA, HOSTILE_ROOT - GUEST_TABLES));
        map(nestedFirst, 0x1000, 0x1_0000_1000L, 0x2000, Permissions.READ_WRITE | Permissions.USER);
        map(nestedFirst, 0x20_0000, 0x1_0000_0000L, 0x20_0000, Permissions.READ_WRITE | Permissions.USER); // 2M over 4K pages
        map(nestedFirst, 0x5000, 0x1_0040_0000L, 0x1000, Permissions.READ_WRITE | Permissions.USER);     // second stage read-only
        map(nestedFirst, 0x6000, 0x2_0000_0000L, 0x1000, Permissions.READ_WRITE | Permissions.USER);     // GPA not mapped
        driver.attachNested(NIC, 2, nestedFirst.root(), 4, nestedSecond, 8, false, false);
        driver.attachPassThrough(NIC, 3, 9);

        driver.setScalableContext(SHARED, 0, false, false, false, 0);
        driver.attachSecondStage(SHARED, 0, nic, 5);
        driver.setScalableContext(UPPER, 0, true, true, false, 0);
        driver.attachSecondStage(UPPER, 0, storage, 6);

        hostileSecondStage();
        driver.setScalableContext(HOSTILE, 0, true, false, false, 0);
        driver.writePasidEntry(HOSTILE, 0, PasidEntry.q0(PasidEntry.PGTT_SECOND_STAGE, HOSTILE_ROOT, 2, false, false), PasidEntry.q1(11),
            0);
        driver.writePasidEntry(HOSTILE, 1, PasidEntry.q0(PasidEntry.PGTT_SECOND_STAGE, nic.root(), 2, false, false) | (1L << 10),
            PasidEntry.q1(11), 0);
        driver.writePasidEntry(HOSTILE, 2, PasidEntry.q0(5, nic.root(), 2, false, false), PasidEntry.q1(11), 0);
        driver.attachNested(HOSTILE, 3, 0x7000_0000L, 4, nestedSecond, 12, false, false);
        driver.invalidateAll();
    }

    /** A 4-level second-stage table whose slot 0 points at itself, slot 1 beyond the image, slot 2 at a reserved leaf. */
    private void hostileSecondStage()
    {
        final PageTableFormat format = iommu.secondStageFormat(4, false);
        memory.writeEntry(HOSTILE_ROOT, format.makeTable(HOSTILE_ROOT, 3));
        memory.writeEntry(HOSTILE_ROOT + 8, format.makeTable(BEYOND_IMAGE, 3));
        memory.writeEntry(HOSTILE_ROOT + 16, format.makeTable(HOSTILE_ROOT + 0x1000, 3));
        final long reserved = Long.lowestOneBit(format.reservedMask(2, PageTableFormat.KIND_TABLE, 0));
        memory.writeEntry(HOSTILE_ROOT + 0x1000, format.makeTable(HOSTILE_ROOT + 0x2000, 2) | reserved);
        memory.writeEntry(HOSTILE_ROOT + 0x1008, format.makeTable(HOSTILE_ROOT + 0x2000, 2));
        memory.writeEntry(HOSTILE_ROOT + 0x2000, format.makeTable(HOSTILE_ROOT + 0x3000, 1));
        memory.writeEntry(HOSTILE_ROOT + 0x3000, format.makeLeaf(0xAB_C000L, 12, 0, format.attributesFor(Permissions.READ_WRITE)));
        if (!(format instanceof VtdSecondStageFormat))
        {
            throw new IllegalStateException(format.toString());
        }
    }

    static void map(final PageTable table, final long iova, final long pa, final long length, final int permissions)
    {
        assertEquals(MapStatus.OK, table.map(iova, pa, length, permissions, PageSizePolicy.LARGEST), () -> "map 0x" +
            Long.toHexString(iova));
    }

    /** The register values a capture of this unit gives, as --reg options. */
    List<String> registerOptions()
    {
        final List<String> options = new ArrayList<>();
        for (final int offset : new int[] {VtdRegisters.CAP, VtdRegisters.ECAP, VtdRegisters.RTADDR, VtdRegisters.IQA,
            VtdRegisters.IQH, VtdRegisters.IQT})
        {
            options.add("--reg");
            options.add(String.format("0x%02x=0x%x", offset, iommu.readRegister(offset, 8)));
        }
        for (final int offset : new int[] {VtdRegisters.GSTS, VtdRegisters.FECTL, VtdRegisters.FEDATA, VtdRegisters.FEADDR,
            VtdRegisters.FEUADDR, VtdRegisters.FSTS})
        {
            options.add("--reg");
            options.add(String.format("0x%02x=0x%x", offset, iommu.readRegister(offset, 4)));
        }
        return options;
    }

    /** Write the image (raw at {@link #IMAGE_BASE}, or an ELF core of three segments); returns extra options. */
    List<String> write(final OfflineTestBed.Kind kind, final Path file) throws IOException
    {
        if (kind.elf)
        {
            ImageWriter.writeElfCore(memory, file, kind.compression, List.of(new long[] {IMAGE_BASE, DOMAINS - IMAGE_BASE},
                new long[] {DOMAINS, GUEST_TABLES - DOMAINS}, new long[] {GUEST_TABLES, IMAGE_END - GUEST_TABLES}));
            return List.of();
        }
        ImageWriter.writeRaw(memory, IMAGE_BASE, IMAGE_END - IMAGE_BASE, file, kind.compression);
        return List.of("--memory-base", String.format("0x%x", IMAGE_BASE));
    }
}
