package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.amdvi.DeviceTableEntry;
import org.iommuemu.emulator.cli.Main;
import org.iommuemu.emulator.image.ImageCompression;
import org.iommuemu.emulator.image.ImageWriter;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A machine to take images of: the AMD-Vi model brought up by {@link AmdViDriver} in low memory (so a raw
 * image stays small), with devices attached to mode 3 and mode 4 domains holding 4 KiB, 8 KiB and 32 KiB
 * (NextLevel=7 replicated), 2 MiB and read-only mappings, and one hostile device whose table points at itself and
 * beyond the image.
 */
final class OfflineTestBed
{
    static final long IMAGE_BASE = 0x20_0000L;
    static final long DEVICE_TABLE = 0x20_0000L;
    static final long COMMAND_BUFFER = 0x40_0000L;
    static final long EVENT_LOG = 0x41_0000L;
    static final long SEMAPHORE = 0x42_0000L;
    static final long TABLE_POOL = 0x80_0000L;
    static final long TABLE_POOL_SIZE = 8L << 20;
    static final long IMAGE_END = TABLE_POOL + TABLE_POOL_SIZE;
    /** A table for the hostile device, outside the driver's pool. */
    static final long HOSTILE_ROOT = 0x7F_0000L;
    static final long BEYOND_IMAGE = 0x40_0000_0000L;

    static final int NIC = 0x0010;       // 00:02.0, mode 3 domain
    static final int NVME = 0x0018;      // 00:03.0, mode 4 domain, DTE read-only
    static final int SHARED = 0x0011;    // 00:02.1, same domain as NIC
    static final int HOSTILE = 0x0020;   // 00:04.0
    static final int ABSENT = 0x0030;    // no DTE

    final SparseMemory memory = new SparseMemory();
    final AmdViIommu iommu = new AmdViIommu(memory, 0, null, AmdViIommu.defaultIotlb());
    final AmdViDriver driver = new AmdViDriver(iommu, memory,
        new AmdViDriver.Layout(DEVICE_TABLE, COMMAND_BUFFER, EVENT_LOG, SEMAPHORE, TABLE_POOL, TABLE_POOL_SIZE, 9, 9)).bringUp();
    final PageTable nicDomain = driver.newDomain(3);
    final PageTable nvmeDomain = driver.newDomain(4);

    OfflineTestBed()
    {
        map(nicDomain, 0x1000, 0x10_2000, 0x3000, Permissions.READ_WRITE);       // three 4K pages (PA not 8K-aligned)
        map(nicDomain, 0x12000, 0x55_2000, 0x2000, Permissions.READ_WRITE);      // one 8K page (NL=7, 2 replicas)
        map(nicDomain, 0x28000, 0x66_8000, 0x8000, Permissions.READ_WRITE);      // one 32K page (NL=7, 8 replicas)
        map(nicDomain, 0x40000, 0x77_7000, 0x1000, Permissions.READ);            // read-only 4K
        map(nicDomain, 0x4000_0000L, 0x1_8000_0000L, 0x60_0000, Permissions.READ_WRITE); // 4M (NL=7, 2 replicas) + 2M
        map(nicDomain, 0x7F_FFFF_F000L, 0x3000, 0x1000, Permissions.WRITE);      // write-only, top of a 39-bit space
        map(nvmeDomain, 0x8000_0000_0000L - 0x20_0000, 0x2_0000_0000L, 0x20_0000, Permissions.READ_WRITE);
        map(nvmeDomain, 0x1234_5000L, 0x9000, 0x1000, Permissions.READ_WRITE);
        driver.attach(NIC, nicDomain, 5, true, true);
        driver.attach(SHARED, nicDomain, 5, true, true);
        driver.attach(NVME, nvmeDomain, 6, true, false);
        // Hostile: mode 3 root whose slot 0 points at the root itself (a loop), slot 1 beyond the image, slot 2 a
        // valid table entry whose level-1 table holds a reserved NextLevel in a leaf slot.
        final AmdV1Format format = new AmdV1Format(3);
        memory.writeEntry(HOSTILE_ROOT, format.makeTable(HOSTILE_ROOT, 2));
        memory.writeEntry(HOSTILE_ROOT + 8, format.makeTable(BEYOND_IMAGE, 2));
        memory.writeEntry(HOSTILE_ROOT + 16, format.makeTable(HOSTILE_ROOT + 0x1000, 2));
        memory.writeEntry(HOSTILE_ROOT + 0x1000, AmdV1Format.PR | AmdV1Format.IR | AmdV1Format.IW | (5L << AmdV1Format.NEXT_LEVEL_SHIFT) |
            0x5000);
        driver.writeDeviceTableEntry(HOSTILE, DeviceTableEntry.hostQuadword0(HOSTILE_ROOT, 3, true, true), 7, 0, 0);
    }

    private static void map(final PageTable domain, final long iova, final long pa, final long length, final int permissions)
    {
        assertEquals(MapStatus.OK, domain.map(iova, pa, length, permissions, PageSizePolicy.LARGEST));
    }

    /** The register values a capture of this IOMMU gives, as --reg options. */
    List<String> registerOptions()
    {
        final List<String> options = new ArrayList<>();
        for (final int offset : new int[] {AmdViRegisters.DEVICE_TABLE_BASE, AmdViRegisters.COMMAND_BUFFER_BASE,
            AmdViRegisters.EVENT_LOG_BASE, AmdViRegisters.CONTROL, AmdViRegisters.EXTENDED_FEATURE, AmdViRegisters.COMMAND_HEAD,
            AmdViRegisters.COMMAND_TAIL, AmdViRegisters.EVENT_HEAD, AmdViRegisters.EVENT_TAIL})
        {
            options.add("--reg");
            options.add(String.format("0x%04x=0x%x", offset, iommu.readRegister(offset, 8)));
        }
        return options;
    }

    /** How the image is written. */
    enum Kind
    {
        RAW(false, ImageCompression.NONE), RAW_GZIP(false, ImageCompression.GZIP), RAW_XZ(false, ImageCompression.XZ),
        ELF(true, ImageCompression.NONE), ELF_GZIP(true, ImageCompression.GZIP), ELF_XZ(true, ImageCompression.XZ);

        final boolean elf;
        final ImageCompression compression;

        Kind(final boolean elf, final ImageCompression compression)
        {
            this.elf = elf;
            this.compression = compression;
        }
    }

    /** Write the image; the name never says the format (detection is by magic bytes). Returns extra options. */
    List<String> write(final Kind kind, final Path file) throws IOException
    {
        if (kind.elf)
        {
            // Three PT_LOAD segments, as a dump of three RAM blocks.
            ImageWriter.writeElfCore(memory, file, kind.compression, List.of(new long[] {IMAGE_BASE, COMMAND_BUFFER - IMAGE_BASE},
                new long[] {COMMAND_BUFFER, TABLE_POOL - COMMAND_BUFFER}, new long[] {TABLE_POOL, IMAGE_END - TABLE_POOL}));
            return List.of();
        }
        ImageWriter.writeRaw(memory, IMAGE_BASE, IMAGE_END - IMAGE_BASE, file, kind.compression);
        return List.of("--memory-base", String.format("0x%x", IMAGE_BASE));
    }

    /** Run the command line; {output, error, exit code}. */
    static String[] run(final List<String> args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(new String[0]));
        return new String[] {out.toString(), err.toString(), Integer.toString(code)};
    }

    /** A {@code tables} run whose dump reached structures outside the image: printed, marked, and exit code 1. */
    static void assertDumpWithHoles(final String[] result)
    {
        assertEquals("1", result[2], result[1]);
        assertTrue(result[1].contains("the tables reach memory the image does not hold") && result[1].contains("marked ! in the dump"),
            result[1]);
    }

    static Path writeLines(final Path file, final List<String> lines) throws IOException
    {
        Files.write(file, lines);
        return file;
    }
}
