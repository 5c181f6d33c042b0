package org.iommuemu.emulator.image;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;

/**
 * Writes emulated physical memory out as the images {@link ImageMemory} reads: a raw image (file offset =
 * physical address - base, as QEMU's {@code pmemsave} writes from its start address) or an ELF64 core with one
 * PT_LOAD segment per run of resident frames (as {@code dump-guest-memory} writes one per RAM block), either
 * optionally gzip- or xz-compressed. Tests build images of driver-programmed tables this way.
 */
public final class ImageWriter
{
    private static final int FRAME = PhysicalMemory.FRAME_SIZE;

    private ImageWriter()
    {
    }

    /**
     * Write {@code [base, base + length)} of {@code memory} as a raw image. Uncompressed images of a
     * {@link SparseMemory} are written sparse: frames never written stay holes in the file.
     */
    public static void writeRaw(final PhysicalMemory memory, final long base, final long length, final Path file,
        final ImageCompression compression) throws IOException
    {
        PhysicalMemory.checkRange(base, length);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME]);
        if (compression == ImageCompression.NONE && memory instanceof SparseMemory sparse)
        {
            try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw"))
            {
                out.setLength(0);
                out.setLength(length);
                for (long at = 0; at < length; at += FRAME)
                {
                    final int chunk = (int)Math.min(FRAME, length - at);
                    if (sparse.isResident(base + at) || ((base + at) & (FRAME - 1)) != 0)
                    {
                        memory.read(base + at, frame, 0, chunk);
                        out.seek(at);
                        out.write(frame.byteArray(), 0, chunk);
                    }
                }
            }
            return;
        }
        try (OutputStream out = compression.compress(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)))
        {
            for (long at = 0; at < length; at += FRAME)
            {
                final int chunk = (int)Math.min(FRAME, length - at);
                memory.read(base + at, frame, 0, chunk);
                out.write(frame.byteArray(), 0, chunk);
            }
        }
    }

    /**
     * Write the resident frames of {@code memory} inside the given ranges ({@code start, end} pairs) as an ELF64
     * core: contiguous resident frames form one PT_LOAD segment, file offsets 4 KiB aligned.
     *
     * @return the segments written, as regions.
     */
    public static List<ImageRegion> writeElfCore(final SparseMemory memory, final Path file, final ImageCompression compression,
        final long... ranges) throws IOException
    {
        if ((ranges.length & 1) != 0)
        {
            throw new IllegalArgumentException("ranges come in start, end pairs");
        }
        final List<long[]> runs = new ArrayList<>();
        for (int r = 0; r < ranges.length; r += 2)
        {
            long runStart = -1;
            for (long frame = ranges[r] & -FRAME; frame < ranges[r + 1]; frame += FRAME)
            {
                final boolean resident = memory.isResident(frame);
                if (resident && runStart < 0)
                {
                    runStart = frame;
                }
                else if (!resident && runStart >= 0)
                {
                    runs.add(new long[] {runStart, frame - runStart});
                    runStart = -1;
                }
            }
            if (runStart >= 0)
            {
                runs.add(new long[] {runStart, (ranges[r + 1] + FRAME - 1 & -FRAME) - runStart});
            }
        }
        return writeElfCore(memory, file, compression, runs);
    }

    /** Write the given runs ({@code physical start, length} pairs, 4 KiB multiples) of {@code memory} as an ELF64 core. */
    public static List<ImageRegion> writeElfCore(final PhysicalMemory memory, final Path file, final ImageCompression compression,
        final List<long[]> runs) throws IOException
    {
        final int headerBytes = ElfCore.HEADER_LENGTH + runs.size() * ElfCore.PROGRAM_HEADER_LENGTH;
        final long dataStart = (headerBytes + FRAME - 1) & -FRAME;
        final ByteBuffer header = ByteBuffer.allocate((int)dataStart).order(ElfCore.BYTE_ORDER);
        ElfCore.putHeader(header, runs.size());
        final List<ImageRegion> regions = new ArrayList<>();
        long offset = dataStart;
        for (int i = 0; i < runs.size(); i++)
        {
            final long[] run = runs.get(i);
            ElfCore.putLoadSegment(header, i, offset, run[0], run[1]);
            regions.add(new ImageRegion(run[0], run[1], offset, run[1]));
            offset += run[1];
        }
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME]);
        try (OutputStream out = compression.compress(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)))
        {
            out.write(header.array());
            for (final long[] run : runs)
            {
                for (long at = 0; at < run[1]; at += FRAME)
                {
                    final int chunk = (int)Math.min(FRAME, run[1] - at);
                    memory.read(run[0] + at, frame, 0, chunk);
                    out.write(frame.byteArray(), 0, chunk);
                }
            }
        }
        return regions;
    }
}
