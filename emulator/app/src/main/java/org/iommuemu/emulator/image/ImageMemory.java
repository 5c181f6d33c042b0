package org.iommuemu.emulator.image;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.FrameCache;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;

/**
 * Physical memory backed by a memory image file (a raw {@code pmemsave} dump or an ELF core), mapped read-only
 * and lazily, so a 4 GiB image costs address space, not heap: each region is mapped in chunks of at most 1 GiB
 * on the first access that needs them.
 * <p>
 * Reads of physical addresses no region covers return zeros and are counted ({@link #outsideReads()}, with the
 * first and latest address), so a command can tell that an answer depended on memory the image does not hold (a
 * partial dump, a wrong base, a hostile pointer): {@code translate} then answers that request with an error
 * instead of a translation or fault made up from the zeros. Bytes of a region past its file bytes (an ELF segment's p_memsz beyond
 * p_filesz) are covered and read as zero without being counted.
 * <p>
 * Writes (the model's event log entries, completion-wait stores) never reach the file: they go to a
 * copy-on-write overlay (a {@link SparseMemory}); the first write to a frame copies the frame's image bytes into
 * the overlay, and reads see the overlay first.
 * <p>
 * Entry reads go through a direct-mapped cache of frame to native address, the same {@link FrameCache} as
 * {@link SparseMemory}'s: a hit costs two dependent loads and allocates nothing. Not thread-safe.
 */
public final class ImageMemory implements PhysicalMemory, AutoCloseable
{
    /**
     * The default cap on the size a compressed image may decompress to: 64 GiB. The image is decompressed into a
     * temporary file, and xz shrinks a run of zeros some thousand times, so a few megabytes of hostile input could
     * otherwise fill the disk; 64 GiB holds the memory of any guest the offline commands are meant for. The commands
     * raise it with {@code --max-image-size}.
     */
    public static final long DEFAULT_MAX_DECOMPRESSED = 64L << 30;

    /** Mapping chunks: at most 1 GiB each (a MappedByteBuffer holds at most 2 GiB). */
    public static final int DEFAULT_CHUNK_LG2 = 30;

    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final int OFFSET_IN_FRAME_MASK = FRAME_SIZE - 1;
    private static final int CACHE_SIZE = 1024;
    private static final int CACHE_MASK = CACHE_SIZE - 1;
    // Frame classes; native addresses of mapped frames are positive, so these never collide with one.
    private static final long OUTSIDE = -1;
    private static final long ZERO_FILL = -2;
    private static final long OVERLAY = -3;
    /** A frame that straddles a region edge or a chunk edge: read byte by byte, never cached. */
    private static final long MIXED = -4;

    private final Path file;
    private final String description;
    private final FileChannel channel;
    private final Path temporaryFile;
    private final int chunkLg2;
    private final long[] regionStart;
    private final long[] regionFileEnd;
    private final long[] regionEnd;
    private final long[] regionFileOffset;
    private final MappedByteBuffer[][] chunks;
    private final long[][] chunkAddress;
    /** Frame number to its class or native address ({@link #classify}); see {@link FrameCache}. */
    private final FrameCache cache = new FrameCache(CACHE_SIZE);
    private final long frameCache = cache.address();
    private final SparseMemory overlay = new SparseMemory();
    private final UnsafeBuffer frameScratch = new UnsafeBuffer(new byte[FRAME_SIZE]);
    private MemoryAccessListener listener = MemoryAccessListener.NONE;
    private long outsideReads;
    private long structuresOutside;
    private long firstOutsideAddress = -1;
    private long lastOutsideAddress = -1;
    private boolean closed;

    ImageMemory(final Path file, final String description, final FileChannel channel, final Path temporaryFile,
        final List<ImageRegion> regions, final int chunkLg2)
    {
        this.file = file;
        this.description = description;
        this.channel = channel;
        this.temporaryFile = temporaryFile;
        this.chunkLg2 = chunkLg2;
        final List<ImageRegion> sorted = new ArrayList<>(regions);
        sorted.sort(Comparator.comparingLong(ImageRegion::physicalStart));
        final int count = sorted.size();
        regionStart = new long[count];
        regionFileEnd = new long[count];
        regionEnd = new long[count];
        regionFileOffset = new long[count];
        chunks = new MappedByteBuffer[count][];
        chunkAddress = new long[count][];
        for (int i = 0; i < count; i++)
        {
            final ImageRegion region = sorted.get(i);
            if (i > 0 && region.physicalStart() < regionEnd[i - 1])
            {
                throw new ImageFormatException(file + ": segments overlap at physical 0x" + Long.toHexString(region.physicalStart()) +
                    " (one ends at 0x" + Long.toHexString(regionEnd[i - 1]) + ")");
            }
            regionStart[i] = region.physicalStart();
            regionFileEnd[i] = region.fileBackedEnd();
            regionEnd[i] = region.physicalEnd();
            regionFileOffset[i] = region.fileOffset();
            final int chunkCount = (int)((region.fileLength() + (1L << chunkLg2) - 1) >>> chunkLg2);
            chunks[i] = new MappedByteBuffer[chunkCount];
            chunkAddress[i] = new long[chunkCount];
        }
    }

    /**
     * Open an image: the format is recognised by magic bytes (gzip or xz compression around a raw image or an ELF
     * core). A compressed image is decompressed into a temporary file first (deleted on {@link #close()} and, as
     * a fallback, when the JVM exits), then mapped like an uncompressed one.
     *
     * @param rawBase physical address of the first byte of a raw image; must be 0 for an ELF core.
     */
    public static ImageMemory open(final Path file, final long rawBase, final DecompressionProgress progress) throws IOException
    {
        return open(file, rawBase, progress, DEFAULT_CHUNK_LG2, DEFAULT_MAX_DECOMPRESSED);
    }

    /**
     * {@link #open(Path, long, DecompressionProgress)} with a cap on the decompressed size of a compressed image.
     *
     * @param maxDecompressed the most bytes a compressed image may decompress to; more is an
     *                        {@link ImageFormatException} and the temporary file is deleted.
     */
    public static ImageMemory open(final Path file, final long rawBase, final DecompressionProgress progress,
        final long maxDecompressed) throws IOException
    {
        return open(file, rawBase, progress, DEFAULT_CHUNK_LG2, maxDecompressed);
    }

    static ImageMemory open(final Path file, final long rawBase, final DecompressionProgress progress, final int chunkLg2)
        throws IOException
    {
        return open(file, rawBase, progress, chunkLg2, DEFAULT_MAX_DECOMPRESSED);
    }

    static ImageMemory open(final Path file, final long rawBase, final DecompressionProgress progress, final int chunkLg2,
        final long maxDecompressed) throws IOException
    {
        if (!Files.isRegularFile(file))
        {
            throw new ImageFormatException(file + ": no such file (or not a regular file)");
        }
        final byte[] head = new byte[ImageCompression.MAGIC_LENGTH];
        int length = readHead(file, head);
        final ImageCompression compression = ImageCompression.detect(head, length, file.toString());
        Path mapped = file;
        Path temporary = null;
        if (compression != ImageCompression.NONE)
        {
            temporary = decompress(file, compression, progress, maxDecompressed);
            mapped = temporary;
            length = readHead(mapped, head);
        }
        FileChannel channel = null;
        try
        {
            channel = FileChannel.open(mapped, StandardOpenOption.READ);
            final String compressed = compression == ImageCompression.NONE ? "" : ", " + compression.name().toLowerCase(Locale.ROOT) +
                "-compressed";
            final List<ImageRegion> regions;
            final String description;
            if (ElfCore.isElf(head, length))
            {
                if (rawBase != 0)
                {
                    throw new ImageFormatException(file +
                        ": an ELF core says where its segments belong; --memory-base applies to raw images only");
                }
                regions = ElfCore.readLoadSegments(channel, file.toString());
                if (regions.isEmpty())
                {
                    throw new ImageFormatException(file + ": the ELF core has no PT_LOAD segment");
                }
                description = "ELF core, " + regions.size() + " PT_LOAD segment" + (regions.size() == 1 ? "" : "s") + compressed;
            }
            else
            {
                if (ImageCompression.startsWith(head, length, "KDUMP   ".getBytes(StandardCharsets.US_ASCII)) ||
                    ImageCompression.startsWith(head, length, "makedump".getBytes(StandardCharsets.US_ASCII)))
                {
                    throw new ImageFormatException(file + ": kdump-compressed (makedumpfile) images are not supported; " +
                        "use dump-guest-memory without -z/-l/-s (ELF) or pmemsave (raw)");
                }
                final long size = channel.size();
                if (size == 0)
                {
                    throw new ImageFormatException(file + ": the image is empty");
                }
                if (rawBase < 0 || rawBase > ADDRESS_LIMIT || size > ADDRESS_LIMIT - rawBase)
                {
                    throw new ImageFormatException(file + ": a " + size + "-byte raw image at base 0x" + Long.toHexString(rawBase) +
                        " reaches beyond 2^52");
                }
                regions = List.of(new ImageRegion(rawBase, size, 0, size));
                description = "raw image at 0x" + Long.toHexString(rawBase) + compressed;
            }
            return new ImageMemory(file, description, channel, temporary, regions, chunkLg2);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (channel != null)
            {
                channel.close();
            }
            if (temporary != null)
            {
                Files.deleteIfExists(temporary);
            }
            throw ex;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // PhysicalMemory

    public long readEntry(final long address)
    {
        final long frame = address >>> FRAME_SIZE_LG2;
        final int line = FrameCache.keyIndex(frame, CACHE_MASK);
        final long value;
        if (FrameCache.get(frameCache, line) == frame && (address & (ENTRY_SIZE - 1)) == 0 && FrameCache.get(frameCache, line + 1) > 0)
        {
            final long raw = UnsafeApi.getLong(null, FrameCache.get(frameCache, line + 1) + (address & OFFSET_IN_FRAME_MASK));
            value = NATIVE_LITTLE_ENDIAN ? raw : Long.reverseBytes(raw);
        }
        else
        {
            value = readEntrySlow(address);
        }
        listener.onEntryRead(address, value);
        return value;
    }

    private long readEntrySlow(final long address)
    {
        PhysicalMemory.checkEntryAddress(address);
        final long frame = address >>> FRAME_SIZE_LG2;
        final long base = classify(frame);
        if (base > 0)
        {
            final long raw = UnsafeApi.getLong(null, base + (address & OFFSET_IN_FRAME_MASK));
            return NATIVE_LITTLE_ENDIAN ? raw : Long.reverseBytes(raw);
        }
        if (base == OVERLAY)
        {
            return overlay.readEntry(address);
        }
        if (base == ZERO_FILL)
        {
            return 0;
        }
        if (base == OUTSIDE)
        {
            countOutside(address);
            return 0;
        }
        long value = 0;
        boolean outside = false;
        for (int i = 0; i < ENTRY_SIZE; i++)
        {
            final int b = byteAt(address + i);
            outside |= b < 0;
            value |= (long)Math.max(0, b) << (i << 3);
        }
        if (outside)
        {
            countOutside(address);
        }
        return value;
    }

    public void writeEntry(final long address, final long value)
    {
        PhysicalMemory.checkEntryAddress(address);
        listener.onEntryWrite(address, value);
        copyOnWrite(address >>> FRAME_SIZE_LG2);
        overlay.writeEntry(address, value);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        PhysicalMemory.checkEntryRun(address, count, stride);
        if (count == 0)
        {
            return;
        }
        if (listener != MemoryAccessListener.NONE)
        {
            long value = firstValue;
            for (int i = 0; i < count; i++)
            {
                listener.onEntryWrite(address + (long)i * stride, value);
                value += increment;
            }
        }
        copyOnWrite(address >>> FRAME_SIZE_LG2);
        overlay.writeEntries(address, count, firstValue, increment, stride);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        listener.onDataRead(address, length);
        long pa = address;
        int done = 0;
        boolean outside = false;
        while (done < length)
        {
            final int chunk = (int)Math.min(length - done, FRAME_SIZE - (pa & OFFSET_IN_FRAME_MASK));
            final long base = classify(pa >>> FRAME_SIZE_LG2);
            if (base > 0)
            {
                dst.boundsCheck(dstOffset + done, chunk);
                UnsafeApi.copyMemory(null, base + (pa & OFFSET_IN_FRAME_MASK), dst.byteArray(), dst.addressOffset() + dstOffset + done,
                    chunk);
            }
            else if (base == OVERLAY)
            {
                overlay.read(pa, dst, dstOffset + done, chunk);
            }
            else if (base == MIXED)
            {
                for (int i = 0; i < chunk; i++)
                {
                    final int b = byteAt(pa + i);
                    outside |= b < 0;
                    dst.putByte(dstOffset + done + i, (byte)Math.max(0, b));
                }
            }
            else
            {
                outside |= base == OUTSIDE;
                dst.setMemory(dstOffset + done, chunk, (byte)0);
            }
            pa += chunk;
            done += chunk;
        }
        if (outside)
        {
            countOutside(address);
        }
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        listener.onDataWrite(address, length);
        long pa = address;
        int done = 0;
        while (done < length)
        {
            final int chunk = (int)Math.min(length - done, FRAME_SIZE - (pa & OFFSET_IN_FRAME_MASK));
            copyOnWrite(pa >>> FRAME_SIZE_LG2);
            overlay.write(pa, src, srcOffset + done, chunk);
            pa += chunk;
            done += chunk;
        }
    }

    public void zero(final long address, final long length)
    {
        PhysicalMemory.checkRange(address, length);
        long pa = address;
        final long end = address + length;
        while (pa < end)
        {
            final int chunk = (int)Math.min(end - pa, FRAME_SIZE - (pa & OFFSET_IN_FRAME_MASK));
            final long frame = pa >>> FRAME_SIZE_LG2;
            final long base = classifyQuietly(frame);
            // Frames that already read as zero need no overlay copy.
            if (base != OUTSIDE && base != ZERO_FILL)
            {
                copyOnWrite(frame);
                overlay.zero(pa, chunk);
            }
            pa += chunk;
        }
    }

    public MemoryAccessListener listener()
    {
        return listener;
    }

    public void listener(final MemoryAccessListener listener)
    {
        this.listener = listener == null ? MemoryAccessListener.NONE : listener;
    }

    /** Frames held by the copy-on-write overlay (the image itself holds none: it is mapped, not copied). */
    public long residentFrames()
    {
        return overlay.residentFrames();
    }

    // ---------------------------------------------------------------------------------------------------------
    // The image

    /** The file given to {@link #open}. */
    public Path file()
    {
        return file;
    }

    /** "raw image at 0x0", "ELF core, 3 PT_LOAD segments, xz-compressed"... */
    public String description()
    {
        return description;
    }

    /** The regions the image covers, by physical address. */
    public List<ImageRegion> regions()
    {
        final List<ImageRegion> list = new ArrayList<>(regionStart.length);
        for (int i = 0; i < regionStart.length; i++)
        {
            list.add(new ImageRegion(regionStart[i], regionEnd[i] - regionStart[i], regionFileOffset[i],
                regionFileEnd[i] - regionStart[i]));
        }
        return list;
    }

    /** Whether every byte of {@code [address, address + length)} lies in a region of the image. */
    public boolean covers(final long address, final long length)
    {
        if (length <= 0)
        {
            return true;
        }
        long pa = address;
        final long end = address + length;
        while (pa < end)
        {
            final int region = regionAt(pa);
            if (region < 0 || pa >= regionEnd[region])
            {
                return false;
            }
            pa = regionEnd[region];
        }
        return true;
    }

    /**
     * {@link #covers} for a structure a dump is about to show: a structure the image does not hold is counted
     * ({@link #structuresOutside()}), so that a dump with holes is known as one even though it never read them.
     */
    public boolean holds(final long address, final long length)
    {
        final boolean held = covers(address, length);
        if (!held)
        {
            structuresOutside++;
        }
        return held;
    }

    /** Structures {@link #holds} found outside the image. */
    public long structuresOutside()
    {
        return structuresOutside;
    }

    /** Reads (entry or bulk) that touched physical memory no region covers; they returned zeros. */
    public long outsideReads()
    {
        return outsideReads;
    }

    /** The address of the first such read, or -1. */
    public long firstOutsideAddress()
    {
        return firstOutsideAddress;
    }

    /** The address of the latest such read, or -1. */
    public long lastOutsideAddress()
    {
        return lastOutsideAddress;
    }

    /** The temporary file a compressed image was decompressed into, or null. */
    public Path temporaryFile()
    {
        return temporaryFile;
    }

    /** Unmap the image, close the file and delete the temporary file of a compressed image. */
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        closed = true;
        cache.clear();
        for (final MappedByteBuffer[] regionChunks : chunks)
        {
            for (int i = 0; i < regionChunks.length; i++)
            {
                if (regionChunks[i] != null)
                {
                    IoUtil.unmap(regionChunks[i]);
                    regionChunks[i] = null;
                }
            }
        }
        channel.close();
        if (temporaryFile != null)
        {
            Files.deleteIfExists(temporaryFile);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private void countOutside(final long address)
    {
        if (outsideReads++ == 0)
        {
            firstOutsideAddress = address;
        }
        lastOutsideAddress = address;
    }

    /** The frame's class or native address, cached; frames the overlay holds are OVERLAY. */
    private long classify(final long frame)
    {
        final int line = FrameCache.keyIndex(frame, CACHE_MASK);
        if (FrameCache.get(frameCache, line) == frame)
        {
            return FrameCache.get(frameCache, line + 1);
        }
        final long base = classifyQuietly(frame);
        if (base != MIXED)
        {
            FrameCache.put(frameCache, line, frame);
            FrameCache.put(frameCache, line + 1, base);
        }
        return base;
    }

    private long classifyQuietly(final long frame)
    {
        if (closed)
        {
            throw new IllegalStateException(file + ": the image is closed");
        }
        final long start = frame << FRAME_SIZE_LG2;
        if (overlay.isResident(start))
        {
            return OVERLAY;
        }
        return imageFrame(start);
    }

    /** How the image (not the overlay) holds the frame at {@code start}. */
    private long imageFrame(final long start)
    {
        final long last = start + FRAME_SIZE - 1;
        final int region = regionAt(last);
        if (region < 0 || last >= regionEnd[region])
        {
            // No region holds the frame's last byte: OUTSIDE unless a region begins or ends inside the frame.
            // (Regions are sorted and disjoint, so only that last region can reach into the frame.)
            return region >= 0 && regionEnd[region] > start ? MIXED : OUTSIDE;
        }
        if (regionStart[region] > start)
        {
            return MIXED;
        }
        if (start >= regionFileEnd[region])
        {
            return ZERO_FILL;
        }
        final long relative = start - regionStart[region];
        if (last >= regionFileEnd[region] || (relative >>> chunkLg2) != ((relative + FRAME_SIZE - 1) >>> chunkLg2))
        {
            return MIXED;
        }
        return chunkBase(region, (int)(relative >>> chunkLg2)) + (relative & ((1L << chunkLg2) - 1));
    }

    /** One byte of the image or overlay (0..255), or -1 when no region covers {@code pa}. */
    private int byteAt(final long pa)
    {
        if (overlay.isResident(pa))
        {
            overlay.read(pa, frameScratch, 0, 1);
            return frameScratch.getByte(0) & 0xFF;
        }
        final int region = regionAt(pa);
        if (region < 0 || pa >= regionEnd[region])
        {
            return -1;
        }
        if (pa >= regionFileEnd[region])
        {
            return 0;
        }
        final long relative = pa - regionStart[region];
        final long base = chunkBase(region, (int)(relative >>> chunkLg2));
        return UnsafeApi.getByte(null, base + (relative & ((1L << chunkLg2) - 1))) & 0xFF;
    }

    /** Index of the last region starting at or below {@code pa}, or -1. */
    private int regionAt(final long pa)
    {
        int low = 0;
        int high = regionStart.length - 1;
        int found = -1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (regionStart[mid] <= pa)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }

    /** Native address of the first byte of a region's chunk, mapping it on first use. */
    private long chunkBase(final int region, final int chunk)
    {
        final long address = chunkAddress[region][chunk];
        if (address != 0)
        {
            return address;
        }
        final long fileLength = regionFileEnd[region] - regionStart[region];
        final long offset = (long)chunk << chunkLg2;
        final long size = Math.min(1L << chunkLg2, fileLength - offset);
        try
        {
            final MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY, regionFileOffset[region] + offset, size);
            chunks[region][chunk] = buffer;
            chunkAddress[region][chunk] = BufferUtil.address(buffer);
            return chunkAddress[region][chunk];
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(file + ": cannot map " + size + " bytes at offset 0x" +
                Long.toHexString(regionFileOffset[region] + offset), ex);
        }
    }

    /** Before the first write to a frame: copy its image bytes into the overlay and re-point the cache. */
    private void copyOnWrite(final long frame)
    {
        final long start = frame << FRAME_SIZE_LG2;
        if (overlay.isResident(start))
        {
            return;
        }
        final long base = imageFrame(start);
        if (base > 0)
        {
            UnsafeApi.copyMemory(null, base, frameScratch.byteArray(), frameScratch.addressOffset(), FRAME_SIZE);
        }
        else if (base == MIXED)
        {
            for (int i = 0; i < FRAME_SIZE; i++)
            {
                frameScratch.putByte(i, (byte)Math.max(0, byteAt(start + i)));
            }
        }
        else
        {
            frameScratch.setMemory(0, FRAME_SIZE, (byte)0);
        }
        overlay.write(start, frameScratch, 0, FRAME_SIZE);
        final int line = FrameCache.keyIndex(frame, CACHE_MASK);
        FrameCache.put(frameCache, line, frame);
        FrameCache.put(frameCache, line + 1, OVERLAY);
    }

    private static int readHead(final Path file, final byte[] head) throws IOException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            return in.readNBytes(head, 0, head.length);
        }
    }

    /** Stream-decompress into a temporary file next to the JVM's other temporary files, at most {@code cap} bytes. */
    private static Path decompress(final Path file, final ImageCompression compression, final DecompressionProgress progress,
        final long cap) throws IOException
    {
        final Path temporary = Files.createTempFile("iommu-emu-image-", ".raw");
        temporary.toFile().deleteOnExit();
        final long total = Files.size(file);
        long written = 0;
        final String name = compression.name().toLowerCase(Locale.ROOT);
        try (CountingInputStream counted = new CountingInputStream(Files.newInputStream(file));
             InputStream in = compression.decompress(counted);
             OutputStream out = Files.newOutputStream(temporary))
        {
            final byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                if (n > cap - written)
                {
                    throw new ImageFormatException(file + ": the " + name + "-compressed image decompresses to more than " +
                        cap + " bytes, the cap (--max-image-size); stopped there");
                }
                out.write(buffer, 0, n);
                written += n;
                progress.progress(counted.count, total, written);
            }
        }
        catch (final ImageFormatException ex)
        {
            Files.deleteIfExists(temporary);
            progress.done(written);
            throw ex;
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(temporary);
            progress.done(written);
            throw new ImageFormatException(file + ": " + name + " decompression failed after " + written +
                " bytes: " + reason(ex));
        }
        progress.done(written);
        return temporary;
    }

    /** Why decompression failed, in words. */
    private static String reason(final Exception ex)
    {
        if (ex instanceof EOFException)
        {
            return "the compressed data ends early (a truncated file?)";
        }
        if (ex instanceof FileSystemException fs)
        {
            return (fs.getFile() == null ? "" : fs.getFile() + ": ") + (fs.getReason() == null ? "cannot write" : fs.getReason());
        }
        final String message = ex.getMessage();
        if (message == null || message.isBlank())
        {
            return "the compressed data is corrupt";
        }
        return message.endsWith(".") ? message.substring(0, message.length() - 1) : message;
    }

    /** Counts the compressed bytes consumed, for progress. */
    private static final class CountingInputStream extends FilterInputStream
    {
        long count;

        CountingInputStream(final InputStream in)
        {
            super(in);
        }

        public int read() throws IOException
        {
            final int b = super.read();
            if (b >= 0)
            {
                count++;
            }
            return b;
        }

        public int read(final byte[] b, final int off, final int len) throws IOException
        {
            final int n = super.read(b, off, len);
            if (n > 0)
            {
                count += n;
            }
            return n;
        }

        public long skip(final long n) throws IOException
        {
            final long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
