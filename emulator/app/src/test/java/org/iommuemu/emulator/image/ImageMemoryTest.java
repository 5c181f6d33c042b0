package org.iommuemu.emulator.image;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageMemoryTest
{
    @TempDir
    Path dir;

    /** Random words in a few frames around {@code base}, some of it across 64 KiB boundaries. */
    private static SparseMemory pattern(final long base, final long length)
    {
        final SparseMemory memory = new SparseMemory();
        final Random random = new Random(7);
        for (long at = base & -8L; at < base + length; at += 8)
        {
            if (random.nextInt(3) != 0)
            {
                memory.writeEntry(at, random.nextLong());
            }
        }
        return memory;
    }

    @ParameterizedTest
    @EnumSource(ImageCompression.class)
    void rawImageWithAnUnalignedBaseAndSmallChunksReadsLikeTheSource(final ImageCompression compression) throws IOException
    {
        // A base that is not frame aligned puts every frame across a region or chunk edge on the byte-wise path.
        final long base = 0x1234_5800L;
        final long length = 0x3_0000L;
        final SparseMemory source = pattern(base, length);
        final Path file = dir.resolve("image");
        ImageWriter.writeRaw(source, base, length, file, compression);
        try (ImageMemory image = ImageMemory.open(file, base, DecompressionProgress.NONE, 16))
        {
            for (long a = base - 0x2000; a < base + length + 0x2000; a += 8)
            {
                final long at = a;
                final boolean inside = at >= base && at + 8 <= base + length;
                assertEquals(inside ? source.readEntry(at) : 0, image.readEntry(at), () -> "entry at 0x" + Long.toHexString(at));
            }
            assertEquals(0x400 + 0x400, image.outsideReads(), "one per entry read outside the image");
            assertEquals(base - 0x2000, image.firstOutsideAddress());
            final UnsafeBuffer bytes = new UnsafeBuffer(new byte[0x5000]);
            final UnsafeBuffer expected = new UnsafeBuffer(new byte[0x5000]);
            image.read(base + 0xF123, bytes, 0, 0x5000);
            source.read(base + 0xF123, expected, 0, 0x5000);
            assertArrayEquals(expected.byteArray(), bytes.byteArray());
            assertTrue(image.covers(base, length));
            assertFalse(image.covers(base - 1, 2));
            assertEquals(compression != ImageCompression.NONE, image.temporaryFile() != null);
            if (image.temporaryFile() != null)
            {
                assertTrue(Files.exists(image.temporaryFile()));
            }
        }
    }

    @Test
    void compressedImagesDecompressToATemporaryFileThatCloseDeletes() throws IOException
    {
        final SparseMemory source = pattern(0, 0x10000);
        final Path file = dir.resolve("image.raw");     // the name says raw; the bytes say xz
        ImageWriter.writeRaw(source, 0, 0x10000, file, ImageCompression.XZ);
        final long[] reported = new long[2];
        final ImageMemory image = ImageMemory.open(file, 0, new DecompressionProgress()
        {
            public void progress(final long compressedRead, final long compressedTotal, final long written)
            {
                reported[0] = written;
            }

            public void done(final long written)
            {
                reported[1] = written;
            }
        });
        final Path temporary = image.temporaryFile();
        assertEquals(source.readEntry(0x8008), image.readEntry(0x8008));
        assertTrue(image.description().contains("xz-compressed"), image.description());
        image.close();
        assertFalse(Files.exists(temporary));
        assertEquals(0x10000, reported[0]);
        assertEquals(0x10000, reported[1]);
        assertThrows(IllegalStateException.class, () -> image.readEntry(0x100_0000));
    }

    @Test
    void writesGoToACopyOnWriteOverlayAndNeverToTheFile() throws IOException
    {
        final SparseMemory source = pattern(0x10_0000, 0x4000);
        final Path file = dir.resolve("image");
        ImageWriter.writeRaw(source, 0x10_0000, 0x4000, file, ImageCompression.NONE);
        final byte[] before = Files.readAllBytes(file);
        try (ImageMemory image = ImageMemory.open(file, 0x10_0000, DecompressionProgress.NONE))
        {
            final long[] seen = new long[2];
            image.listener(new MemoryAccessListener()
            {
                public void onEntryRead(final long address, final long value)
                {
                    seen[0]++;
                }

                public void onEntryWrite(final long address, final long value)
                {
                    seen[1]++;
                }
            });
            assertEquals(source.readEntry(0x10_1010), image.readEntry(0x10_1010));
            image.writeEntry(0x10_1008, 0x1122_3344_5566_7788L);
            assertEquals(0x1122_3344_5566_7788L, image.readEntry(0x10_1008));
            assertEquals(source.readEntry(0x10_1010), image.readEntry(0x10_1010), "the rest of the frame was copied");
            image.writeEntry(0x4000_0000L, 5);           // outside the image: the overlay holds it
            assertEquals(5, image.readEntry(0x4000_0000L));
            image.zero(0x10_2000, 0x1000);
            assertEquals(0, image.readEntry(0x10_2ff8));
            assertEquals(3, image.residentFrames());
            assertEquals(5, seen[0]);
            assertEquals(2, seen[1]);
        }
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void elfCoreSegmentsByPhysicalAddressWithZeroFill() throws IOException
    {
        final SparseMemory source = new SparseMemory();
        source.writeEntry(0x1000, 0x11);
        source.writeEntry(0x1_0000_0ff8L, 0x22);
        source.writeEntry(0x1_0000_1000L, 0x33);
        final Path file = dir.resolve("core");
        final List<ImageRegion> written = ImageWriter.writeElfCore(source, file, ImageCompression.GZIP, 0, 0x10000, 0x1_0000_0000L,
            0x1_0001_0000L);
        assertEquals(2, written.size());
        try (ImageMemory image = ImageMemory.open(file, 0, DecompressionProgress.NONE))
        {
            assertEquals(0x11, image.readEntry(0x1000));
            assertEquals(0x22, image.readEntry(0x1_0000_0ff8L));
            assertEquals(0x33, image.readEntry(0x1_0000_1000L));
            assertEquals(0, image.readEntry(0x2000));
            assertEquals(1, image.outsideReads());
            assertEquals("ELF core, 2 PT_LOAD segments, gzip-compressed", image.description());
        }
        // p_memsz beyond p_filesz reads as zero without counting as outside.
        final ByteBuffer elf = ByteBuffer.allocate(0x2000).order(ElfCore.BYTE_ORDER);
        ElfCore.putHeader(elf, 1);
        ElfCore.putLoadSegment(elf, 0, 0x1000, 0x8000, 0x1000);
        elf.putLong(ElfCore.HEADER_LENGTH + ElfCore.P_MEMSZ_OFFSET, 0x3000);
        elf.putLong(0x1008, 0x77);
        Files.write(file, elf.array());
        try (ImageMemory image = ImageMemory.open(file, 0, DecompressionProgress.NONE))
        {
            assertEquals(0x77, image.readEntry(0x8008));
            assertEquals(0, image.readEntry(0xA000));
            assertEquals(0, image.outsideReads());
            assertEquals(1, image.outsideReads() + (image.readEntry(0xB000) == 0 ? 1 : 0));
            assertEquals(1, image.outsideReads());
        }
    }

    @Test
    void brokenImagesAreClearErrors() throws IOException
    {
        final Path file = dir.resolve("bad");
        final ByteBuffer elf = ByteBuffer.allocate(0x1000).order(ElfCore.BYTE_ORDER);
        ElfCore.putHeader(elf, 2);
        ElfCore.putLoadSegment(elf, 0, 0x100, 0x8000, 0x100);
        ElfCore.putLoadSegment(elf, 1, 0x800, 0x9000, 0x10_0000);
        Files.write(file, elf.array());
        assertMessage(file, 0, "program header 1 (PT_LOAD p_paddr 0x9000): bytes 0x800+0x100000 run past the end of the 4096-byte file");
        ElfCore.putLoadSegment(elf, 1, 0x800, 0x8080, 0x100);
        Files.write(file, elf.array());
        assertMessage(file, 0, "segments overlap at physical 0x8080");
        ElfCore.putLoadSegment(elf, 1, 0x800, 0x9000, 0x100);
        Files.write(file, elf.array());
        assertMessage(file, 0x1000, "--memory-base applies to raw images only");
        elf.putShort(ElfCore.E_TYPE_OFFSET, (short)2);
        Files.write(file, elf.array());
        assertMessage(file, 0, "ELF e_type 2 is not ET_CORE (4)");
        Files.write(file, new byte[] {0x7F, 'E', 'L', 'F', 2, 1});
        assertMessage(file, 0, "the file ends inside the ELF header");
        Files.write(file, new byte[0]);
        assertMessage(file, 0, "the image is empty");
        Files.write(file, new byte[] {'B', 'Z', 'h', '9'});
        assertMessage(file, 0, "bzip2-compressed images are not supported");
        Files.write(file, new byte[] {0x1F, (byte)0x8B, 8, 0, 0, 0});
        assertMessage(file, 0, "gzip decompression failed");
        Files.write(file, "KDUMP   ".getBytes(StandardCharsets.US_ASCII));
        assertMessage(file, 0, "kdump-compressed (makedumpfile) images are not supported");
        Files.write(file, new byte[16]);
        assertMessage(file, (1L << 52) - 8, "reaches beyond 2^52");
    }

    private static void assertMessage(final Path file, final long base, final String message)
    {
        final ImageFormatException ex = assertThrows(ImageFormatException.class, () -> ImageMemory.open(file, base,
            DecompressionProgress.NONE).close());
        assertTrue(ex.getMessage().contains(message), ex.getMessage());
        assertTrue(ex.getMessage().startsWith(file.toString()), ex.getMessage());
    }

    @Test
    void gigabyteImagesAreMappedNotRead() throws IOException
    {
        // A sparse 3 GiB raw file: opening and reading entries at its ends costs address space, not heap.
        final Path file = dir.resolve("big");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(3L << 30);
            raf.seek((3L << 30) - 8);
            raf.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        }
        final Runtime runtime = Runtime.getRuntime();
        final long heapBefore = runtime.totalMemory() - runtime.freeMemory();
        try (ImageMemory image = ImageMemory.open(file, 0x1_0000_0000L, DecompressionProgress.NONE))
        {
            assertEquals(0x0807_0605_0403_0201L, image.readEntry(0x1_0000_0000L + (3L << 30) - 8));
            assertEquals(0, image.readEntry(0x1_0000_0000L));
            assertEquals(0, image.readEntry(0x1_4000_0000L));
            assertNull(image.temporaryFile());
            assertTrue(runtime.totalMemory() - runtime.freeMemory() - heapBefore < 64L << 20);
        }
    }

    @Test
    void elf32CoresAndExtendedProgramHeaderNumbering() throws IOException
    {
        final Path file = dir.resolve("core32");
        final ByteBuffer elf = ByteBuffer.allocate(0x2000).order(ElfCore.BYTE_ORDER);
        elf.put(new byte[] {0x7F, 'E', 'L', 'F', ElfCore.ELFCLASS32, ElfCore.ELFDATA2LSB, 1});
        elf.putShort(ElfCore.E_TYPE_OFFSET, (short)ElfCore.ET_CORE);
        elf.putInt(28, 52);                  // e_phoff
        elf.putShort(42, (short)32);         // e_phentsize
        elf.putShort(44, (short)1);          // e_phnum
        elf.putInt(52, ElfCore.PT_LOAD);     // p_type
        elf.putInt(52 + 4, 0x1000);          // p_offset
        elf.putInt(52 + 12, 0x7000_0000);    // p_paddr
        elf.putInt(52 + 16, 0x1000);         // p_filesz
        elf.putInt(52 + 20, 0x1000);         // p_memsz
        elf.putLong(0x1ff8, 0x99);
        Files.write(file, elf.array());
        try (ImageMemory image = ImageMemory.open(file, 0, DecompressionProgress.NONE))
        {
            assertEquals(0x99, image.readEntry(0x7000_0ff8L));
        }
        // ELF64 with e_phnum = PN_XNUM: the count is sh_info of section header 0.
        final ByteBuffer elf64 = ByteBuffer.allocate(0x3000).order(ElfCore.BYTE_ORDER);
        ElfCore.putHeader(elf64, 0);
        elf64.putLong(ElfCore.E_PHOFF_OFFSET, ElfCore.HEADER_LENGTH);
        elf64.putShort(ElfCore.E_PHNUM_OFFSET, (short)ElfCore.PN_XNUM);
        elf64.putLong(ElfCore.E_SHOFF_OFFSET, 0x800);
        elf64.putInt(0x800 + ElfCore.SH_INFO_OFFSET, 2);
        ElfCore.putLoadSegment(elf64, 0, 0x1000, 0x10_0000, 0x1000);
        ElfCore.putLoadSegment(elf64, 1, 0x2000, 0x30_0000, 0x1000);
        elf64.putLong(0x2008, 0x55);
        Files.write(file, elf64.array());
        try (ImageMemory image = ImageMemory.open(file, 0, DecompressionProgress.NONE))
        {
            assertEquals(2, image.regions().size());
            assertEquals(0x55, image.readEntry(0x30_0008));
        }
    }
}
