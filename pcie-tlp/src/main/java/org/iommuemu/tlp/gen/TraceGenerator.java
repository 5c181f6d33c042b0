package org.iommuemu.tlp.gen;

import java.io.IOException;
import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.IdePrefix;
import org.iommuemu.tlp.PageRequest;
import org.iommuemu.tlp.RequestHeader;
import org.iommuemu.tlp.TlpEncoder;
import org.iommuemu.tlp.TlpError;
import org.iommuemu.tlp.TlpHeader;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.GuestAccess;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceWriter;

/**
 * Generates synthetic, deterministic TLP traces: for a given {@link Config} (seed included) the output is the
 * same byte for byte. Devices take turns, one operation each ({@link Workload}); each operation is a few DMA
 * transfers, each transfer is split into MWr TLPs of at most {@code maxPayload} bytes or MRd TLPs of at most
 * {@code maxReadRequest} bytes, never crossing a 4 KiB boundary.
 * <p>
 * Memory layout: the footprint is split evenly between devices; each device's region starts with 64 KiB of
 * queues (descriptor rings, NVMe SQ/CQ, PRP lists) and the rest holds data buffers. A buffer is placed on a
 * 2 MiB page with probability {@code hugePageFraction}, else on a 4 KiB page, so the address stream shows the
 * locality of that page-size mix. Devices are bus 0x10 + i, device 0, function 0. A device is a TEE device
 * (its TLPs carry an IDE prefix with T = 1 and stream ID i) with probability {@code teeFraction}, drawn once
 * per device; each operation carries a PASID prefix (PASID 1 + device index, or one drawn from {@code pasids}) with
 * probability {@code pasidFraction}; with {@code pageRequests} a device sends a PRI Page Request before its first
 * PASID-tagged request to each 4 KiB page. Timestamps advance by the TLP's bytes at 16 bytes/ns plus 20 ns between
 * operations; with a {@code lineRateGbps}, operations are paced at that line rate per device instead (a NIC receiving
 * or sending packets of {@code transferSize} bytes plus 24 bytes of Ethernet preamble, FCS and inter-frame gap back to
 * back; other workloads one operation per its data bytes), and every TLP of an operation carries the operation's
 * start: the earliest time its device may issue it.
 * <pre>{@code
 * TraceGenerator gen = new TraceGenerator(new TraceGenerator.Config()
 *     .workload(Workload.NVME_READ).devices(4).footprint(1L << 30).seed(42).pasidFraction(0.5));
 * try (TraceWriter out = new PcapngTraceWriter(path, TraceRecord.NANOSECONDS))
 * {
 *     gen.generate(out, 1_000_000);
 * }
 * }</pre>
 */
public final class TraceGenerator
{
    /** Bytes of queues at the start of each device's region. */
    public static final long QUEUE_AREA = 64 * 1024;
    /** MSI-X message address base; device i writes {@code MSI_BASE + i * 0x1000}. */
    public static final long MSI_BASE = 0xFEE0_0000L;
    /**
     * The most TLPs one generated trace may have (10^9): about 100 GB of pcapng or 150 GB of text and several
     * minutes of generation. A larger count is almost always a typo, and the generator's output would fill the disk
     * before anyone noticed; split bigger runs into several traces (the seed makes each one reproducible).
     */
    public static final long MAX_COUNT = 1_000_000_000L;
    private static final long SMALL_PAGE = 4096;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int MAX_TRANSFERS = 1024;
    private static final long MAX_BUFFER = 65536;
    private static final int RING_ENTRIES = 256;
    private static final int DESCRIPTOR = 16;
    private static final int SQ_ENTRY = 64;
    private static final int CQ_ENTRY = 16;
    private static final int MSI_BYTES = 4;
    private static final int PRP_ENTRY = 8;
    private static final int OPERATION_GAP_NS = 20;
    private static final int BYTES_PER_NS = 16;
    /** A Page Request message: a 4-DW header, no data. */
    private static final int PAGE_REQUEST_BYTES = 16;
    /** Ethernet bytes on the wire besides a frame's: preamble and start delimiter 8, FCS 4, inter-frame gap 12. */
    public static final int ETHERNET_WIRE_OVERHEAD = 24;

    /** Knobs of a synthetic workload; setters return this. */
    public static final class Config
    {
        private Workload workload = Workload.NIC_RX;
        private int devices = 1;
        private long footprint = 256L << 20;
        private long baseAddress = 0x1_0000_0000L;
        private double hugePageFraction;
        private double teeFraction;
        private double pasidFraction;
        private long seed = 1;
        private int maxPayload = 256;
        private int maxReadRequest = 512;
        private int transferSize = 1500;
        private int nvmeBlocks = 8;
        private long stride = 4096;
        private int timestampExponent = TraceRecord.NANOSECONDS;
        private double lineRateGbps;
        private int[] pasids = new int[0];
        private boolean flit;
        private double guestCpuFraction;
        private boolean guestCBit = true;
        private boolean pageRequests;

        /**
         * @param value fraction (0-1) of operations that are a guest CPU access by vCPU i (device i's index) to a
         *              64-byte line of region i instead of a DMA operation ({@link Workload#GUEST_CPU} is 1).
         * @return this.
         */
        public Config guestCpuFraction(final double value)
        {
            guestCpuFraction = fraction(value);
            return this;
        }

        /**
         * @param value the C-bit of generated guest CPU accesses (true: private, encrypted accesses).
         * @return this.
         */
        public Config guestCBit(final boolean value)
        {
            guestCBit = value;
            return this;
        }

        /**
         * @param value whether devices use PRI: before its first PASID-tagged request to a 4 KiB page, a device sends a
         *              PRI Page Request for that page (read, write if the request writes, last of its group), as an SVA
         *              device whose access faulted asks the OS to map the page before it retries.
         * @return this.
         */
        public Config pageRequests(final boolean value)
        {
            pageRequests = value;
            return this;
        }

        /**
         * @param value workload.
         * @return this.
         */
        public Config workload(final Workload value)
        {
            workload = value;
            return this;
        }

        /**
         * @param value number of devices, 1 to 240.
         * @return this.
         */
        public Config devices(final int value)
        {
            if (value < 1 || value > 240)
            {
                throw new IllegalArgumentException("devices must be 1-240: " + value);
            }
            devices = value;
            return this;
        }

        /**
         * @param value bytes of host memory the devices use in total; at least 4 MiB per device.
         * @return this.
         */
        public Config footprint(final long value)
        {
            footprint = value;
            return this;
        }

        /**
         * @param value first address of the footprint, 2 MiB aligned.
         * @return this.
         */
        public Config baseAddress(final long value)
        {
            baseAddress = value;
            return this;
        }

        /**
         * @param value fraction (0-1) of buffers placed on 2 MiB pages.
         * @return this.
         */
        public Config hugePageFraction(final double value)
        {
            hugePageFraction = fraction(value);
            return this;
        }

        /**
         * @param value fraction (0-1) of devices whose TLPs carry the T bit.
         * @return this.
         */
        public Config teeFraction(final double value)
        {
            teeFraction = fraction(value);
            return this;
        }

        /**
         * @param value fraction (0-1) of operations that carry a PASID.
         * @return this.
         */
        public Config pasidFraction(final double value)
        {
            pasidFraction = fraction(value);
            return this;
        }

        /**
         * @param value whether the TLPs are flit mode (PCIe 6.0+): the PASID in OHC-A1, the T bit in OHC-C, instead of
         *              the non-flit prefixes ({@link TlpEncoder#flitMemoryRequest}).
         * @return this.
         */
        public Config flit(final boolean value)
        {
            flit = value;
            return this;
        }

        /**
         * @param values the PASIDs an operation with a PASID carries, one drawn per operation (uniformly, from the
         *               seeded generator); empty (the default): PASID 1 + the device index. Each 1 to 0xFFFFF.
         * @return this.
         */
        public Config pasids(final int... values)
        {
            for (final int value : values)
            {
                if (value < 1 || value > 0xF_FFFF)
                {
                    throw new IllegalArgumentException("a PASID must be 1-0xfffff: " + value);
                }
            }
            pasids = values.clone();
            return this;
        }

        /**
         * @param value seed; the same seed and knobs give the same trace.
         * @return this.
         */
        public Config seed(final long value)
        {
            seed = value;
            return this;
        }

        /**
         * @param value Max_Payload_Size in bytes (128-4096, power of two).
         * @return this.
         */
        public Config maxPayload(final int value)
        {
            maxPayload = powerOfTwo(value);
            return this;
        }

        /**
         * @param value Max_Read_Request_Size in bytes (128-4096, power of two).
         * @return this.
         */
        public Config maxReadRequest(final int value)
        {
            maxReadRequest = powerOfTwo(value);
            return this;
        }

        /**
         * @param value packet size for NIC workloads and transfer size for STRIDED, 1 to 65536 bytes.
         * @return this.
         */
        public Config transferSize(final int value)
        {
            if (value < 1 || value > 65536)
            {
                throw new IllegalArgumentException("transfer size must be 1-65536: " + value);
            }
            transferSize = value;
            return this;
        }

        /**
         * @param value 4 KiB blocks per NVMe command, 1 to 256.
         * @return this.
         */
        public Config nvmeBlocks(final int value)
        {
            if (value < 1 || value > 256)
            {
                throw new IllegalArgumentException("NVMe blocks must be 1-256: " + value);
            }
            nvmeBlocks = value;
            return this;
        }

        /**
         * @param value stride of STRIDED in bytes.
         * @return this.
         */
        public Config stride(final long value)
        {
            stride = value;
            return this;
        }

        /**
         * @param value {@link TraceRecord#NANOSECONDS} or {@link TraceRecord#PICOSECONDS}.
         * @return this.
         */
        public Config timestampExponent(final int value)
        {
            timestampExponent = value;
            return this;
        }

        /**
         * @param value line rate per device in Gb/s (operations paced at it), or 0 for the default timestamps.
         * @return this.
         */
        public Config lineRateGbps(final double value)
        {
            if (!(value >= 0) || Double.isInfinite(value))
            {
                throw new IllegalArgumentException("line rate must be 0 or a positive number of Gb/s: " + value);
            }
            lineRateGbps = value;
            return this;
        }

        private static double fraction(final double value)
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new IllegalArgumentException("fraction must be within 0-1: " + value);
            }
            return value;
        }

        private static int powerOfTwo(final int value)
        {
            if (value < 128 || value > 4096 || Integer.bitCount(value) != 1)
            {
                throw new IllegalArgumentException("size must be a power of two within 128-4096: " + value);
            }
            return value;
        }
    }

    private final Config config;
    private final SplittableRandom random;
    private final TlpEncoder encoder = new TlpEncoder();
    private final UnsafeBuffer tlp = new UnsafeBuffer(new byte[8192]);
    private final long regionSize;
    private final boolean[] tee;
    private final int[] tags;
    /** With page requests: per device, a bit per 4 KiB page of its region already requested (null without). */
    private final long[] requested;
    private final long wordsPerDevice;
    private final int[] ringIndex;
    private final long[] strideCursor;
    /** Transfer kinds of {@link Workload#ATS_PRI}: a plain request, a Translation Request, a Page Request, a translated request. */
    private static final int PLAIN = 0;
    private static final int TRANSLATION_REQUEST = 1;
    private static final int PAGE_REQUEST = 2;
    private static final int TRANSLATED = 3;
    private final int[] transferKind = new int[MAX_TRANSFERS];
    private final PageRequest pageRequest = new PageRequest();
    private final RequestHeader requestHeader = new RequestHeader();
    /** {@link Workload#ATS_PRI}: the pages each device has faulted in, one bit per 4 KiB page of the footprint. */
    private final long[] faultedIn;
    private final int[] prgIndex;
    private final boolean[] transferWrite = new boolean[MAX_TRANSFERS];
    private final long[] transferAddress = new long[MAX_TRANSFERS];
    private final int[] transferBytes = new int[MAX_TRANSFERS];
    private int transferCount;
    private int transferCursor;
    private long cursorAddress;
    private int cursorRemaining;
    private int device = -1;
    private boolean operationPasid;
    private boolean operationCpu;
    private int operationPasidValue;
    private long operations;
    private long timestampNs;
    /** Line-rate pacing: the start of the current operation, in nanoseconds. */
    private double operationStartNs;
    /** Line-rate pacing: the time the previous operation takes at the line rate (its share among the devices). */
    private double operationNs;

    /**
     * @param config knobs; not copied, do not change it afterwards.
     */
    public TraceGenerator(final Config config)
    {
        this.config = config;
        this.random = new SplittableRandom(config.seed);
        this.regionSize = (config.footprint / config.devices) & ~(HUGE_PAGE - 1);
        if (regionSize < 2 * HUGE_PAGE)
        {
            throw new IllegalArgumentException("footprint " + config.footprint + " gives each of " + config.devices +
                " devices less than 4 MiB");
        }
        if ((config.baseAddress & (HUGE_PAGE - 1)) != 0)
        {
            throw new IllegalArgumentException("base address must be 2 MiB aligned");
        }
        if (config.workload == Workload.ATS_PRI && config.flit)
        {
            throw new IllegalArgumentException("the ats-pri workload has no flit-mode encoding in this generator");
        }
        final long pages = config.workload == Workload.ATS_PRI ? regionSize * config.devices / SMALL_PAGE : 0;
        if (pages > (1L << 28))
        {
            throw new IllegalArgumentException("the ats-pri workload tracks at most 2^28 pages (1 TiB of footprint)");
        }
        faultedIn = new long[(int)((pages + 63) / 64)];
        prgIndex = new int[config.devices];
        tee = new boolean[config.devices];
        tags = new int[config.devices];
        ringIndex = new int[config.devices];
        strideCursor = new long[config.devices];
        wordsPerDevice = (regionSize / SMALL_PAGE + 63) / 64;
        if (config.pageRequests && (config.flit || config.workload == Workload.ATS_PRI))
        {
            throw new IllegalArgumentException("page requests before first touches go with plain (non-flit) workloads; ats-pri " +
                "sends its own");
        }
        requested = config.pageRequests ? new long[Math.toIntExact(wordsPerDevice * config.devices)] : null;
        for (int i = 0; i < config.devices; i++)
        {
            tee[i] = random.nextDouble() < config.teeFraction;
        }
    }

    /**
     * @param deviceIndex 0-based.
     * @return its Requester ID.
     */
    public static int requesterId(final int deviceIndex)
    {
        return (0x10 + deviceIndex) << 8;
    }

    /**
     * @param deviceIndex 0-based.
     * @return true when that device's TLPs carry T = 1.
     */
    public boolean isTeeDevice(final int deviceIndex)
    {
        return tee[deviceIndex];
    }

    /** @return the base address of device 0's region; device i's is this plus i x {@link #regionSize()}. */
    public long baseAddress()
    {
        return config.baseAddress;
    }

    /** @return bytes of memory per device. */
    public long regionSize()
    {
        return regionSize;
    }

    /**
     * Generates the next TLP into {@code record} (which then points at this generator's buffer).
     *
     * @param record to fill.
     * @return record.
     */
    public TraceRecord next(final TraceRecord record)
    {
        while (0 == cursorRemaining)
        {
            if (transferCursor == transferCount)
            {
                planOperation();
                if (operationCpu)
                {
                    return guestAccess(record);
                }
            }
            cursorAddress = transferAddress[transferCursor];
            cursorRemaining = transferBytes[transferCursor];
        }
        final boolean write = transferWrite[transferCursor];
        final int limit = write ? config.maxPayload : config.maxReadRequest;
        final long toPageEnd = SMALL_PAGE - (cursorAddress & (SMALL_PAGE - 1));
        final int kind = transferKind[transferCursor];
        final int bytes = kind == TRANSLATION_REQUEST || kind == PAGE_REQUEST ? cursorRemaining :
            (int)Math.min(Math.min(limit, toPageEnd), cursorRemaining);

        if (requested != null && kind == PLAIN && operationPasid && cursorAddress != msiAddress(device) && firstTouch(cursorAddress))
        {
            return pageRequest(record, write);
        }
        int length = 0;
        final boolean pasid = operationPasid && cursorAddress != msiAddress(device);
        final int tag = tags[device];
        tags[device] = (tag + 1) & 0xFF;
        if (kind != PLAIN)
        {
            if (tee[device])
            {
                length += encoder.idePrefix(tlp, length, true, IdePrefix.SUB_STREAM_NON_POSTED, device & 0xFF);
            }
            if (pasid)
            {
                length += encoder.pasidPrefix(tlp, length, operationPasidValue, false, false);
            }
            if (kind == TRANSLATION_REQUEST)
            {
                length += encoder.translationRequest(tlp, length, requesterId(device), tag, cursorAddress, 1, false);
            }
            else if (kind == PAGE_REQUEST)
            {
                tlp.setMemory(length, TlpHeader.HEADER_4DW_LENGTH, (byte)0);
                pageRequest.wrap(tlp, length).initialise().requesterId(requesterId(device));
                pageRequest.pageAddress(cursorAddress).prgIndex(prgIndex[device]).last(true).write(true).read(true);
                prgIndex[device] = (prgIndex[device] + 1) & 0x1FF;
                length += TlpHeader.HEADER_4DW_LENGTH;
            }
            else
            {
                final int at = length;
                length += encoder.memoryRequest(tlp, length, write, requesterId(device), tag, cursorAddress, bytes);
                requestHeader.wrap(tlp, at).at(2);
            }
        }
        else if (config.flit)
        {
            length = encoder.flitMemoryRequest(tlp, 0, write, requesterId(device), cursorAddress, bytes,
                pasid ? operationPasidValue : -1, tee[device], true, device & 0xFF);
        }
        else
        {
            if (tee[device])
            {
                length += encoder.idePrefix(tlp, length, true,
                    write ? IdePrefix.SUB_STREAM_POSTED : IdePrefix.SUB_STREAM_NON_POSTED, device & 0xFF);
            }
            if (pasid)
            {
                length += encoder.pasidPrefix(tlp, length, operationPasidValue, false, false);
            }
            length += encoder.memoryRequest(tlp, length, write, requesterId(device), tag, cursorAddress, bytes);
        }

        cursorAddress += bytes;
        cursorRemaining -= bytes;
        if (0 == cursorRemaining)
        {
            transferCursor++;
        }
        if (config.lineRateGbps > 0)
        {
            timestampNs = (long)operationStartNs;
        }
        else
        {
            timestampNs += 1 + length / BYTES_PER_NS;
        }
        record.set(TraceRecord.rescale(timestampNs, TraceRecord.NANOSECONDS, config.timestampExponent),
            config.timestampExponent, Direction.UPSTREAM, 0).ide(false, false, 0)
            .tlpBytes(config.flit, tlp, 0, length, length);
        if (TlpError.NONE != record.decode())
        {
            throw new IllegalStateException("generator built an invalid TLP: " + record.tlp().error());
        }
        return record;
    }

    /**
     * Writes {@code count} TLPs.
     *
     * @param out   destination.
     * @param count TLPs to write.
     * @return count.
     * @throws IOException when writing fails.
     */
    public long generate(final TraceWriter out, final long count) throws IOException
    {
        final TraceRecord record = new TraceRecord();
        for (long i = 0; i < count; i++)
        {
            out.write(next(record));
        }
        return count;
    }

    /** One guest CPU access by vCPU {@code device}: a 64-byte line anywhere in its region, read or write, the configured C-bit. */
    private TraceRecord guestAccess(final TraceRecord record)
    {
        final boolean write = random.nextBoolean();
        final long address = regionBase(device) + random.nextLong(regionSize / 64) * 64;
        timestampNs += 2;
        record.set(TraceRecord.rescale(timestampNs, TraceRecord.NANOSECONDS, config.timestampExponent), config.timestampExponent,
            Direction.UPSTREAM, 0).guestAccess(device, 0, address, 64, write ? GuestAccess.WRITE : GuestAccess.READ, config.guestCBit);
        return record;
    }

    /** Whether the device has not asked for the page of {@code address} yet (in its region; marks it asked). */
    private boolean firstTouch(final long address)
    {
        final long offset = address - regionBase(device);
        if (offset < 0 || offset >= regionSize)
        {
            return false;
        }
        final long page = offset / SMALL_PAGE;
        final int word = (int)(device * wordsPerDevice + (page >>> 6));
        final long bit = 1L << (page & 63);
        if ((requested[word] & bit) != 0)
        {
            return false;
        }
        requested[word] |= bit;
        return true;
    }

    /** A PRI Page Request (with the operation's PASID) for the page of the cursor; the access itself comes next. */
    private TraceRecord pageRequest(final TraceRecord record, final boolean write)
    {
        int length = encoder.pasidPrefix(tlp, 0, operationPasidValue, false, false);
        tlp.setMemory(length, PAGE_REQUEST_BYTES, (byte)0); // no stale header bits of the previous TLP (Length, Tag)
        pageRequest.wrap(tlp, length);
        pageRequest.initialise();
        pageRequest.requesterId(requesterId(device));
        final int index = prgIndex[device];
        prgIndex[device] = (index + 1) & 0x1FF;
        pageRequest.pageAddress(cursorAddress).prgIndex(index).last(true).write(write).read(true);
        length += PAGE_REQUEST_BYTES;
        timestampNs += 1 + length / BYTES_PER_NS;
        record.set(TraceRecord.rescale(timestampNs, TraceRecord.NANOSECONDS, config.timestampExponent),
            config.timestampExponent, Direction.UPSTREAM, 0).ide(false, false, 0)
            .tlpBytes(false, tlp, 0, length, length);
        if (TlpError.NONE != record.decode())
        {
            throw new IllegalStateException("generator built an invalid Page Request: " + record.tlp().error());
        }
        return record;
    }

    private long regionBase(final int deviceIndex)
    {
        return config.baseAddress + deviceIndex * regionSize;
    }

    private long msiAddress(final int deviceIndex)
    {
        return MSI_BASE + ((long)deviceIndex << 12);
    }

    /** A buffer of {@code bytes} (at most 64 KiB) in the device's buffer area, on a 4 KiB or 2 MiB page. */
    private long buffer(final int bytes)
    {
        final long area = regionBase(device) + HUGE_PAGE;
        final long areaSize = regionSize - HUGE_PAGE;
        final long page = random.nextDouble() < config.hugePageFraction ? HUGE_PAGE : SMALL_PAGE;
        final long pageBase = area + random.nextLong(Math.max(1, (areaSize - MAX_BUFFER) / page)) * page;
        final long room = Math.max(1, (page - bytes) / 64);
        return page >= bytes ? pageBase + random.nextLong(room) * 64 : pageBase;
    }

    private void add(final boolean write, final long address, final int bytes)
    {
        add(PLAIN, write, address, bytes);
    }

    private void add(final int kind, final boolean write, final long address, final int bytes)
    {
        transferKind[transferCount] = kind;
        transferWrite[transferCount] = write;
        transferAddress[transferCount] = address;
        transferBytes[transferCount] = bytes;
        transferCount++;
    }

    private void planOperation()
    {
        transferCount = 0;
        transferCursor = 0;
        device = (int)(operations++ % config.devices);
        // Drawn only when guest CPU accesses are asked for, so DMA-only traces stay as they were for a seed.
        operationCpu = config.workload == Workload.GUEST_CPU ||
            (config.guestCpuFraction > 0 && random.nextDouble() < config.guestCpuFraction);
        if (operationCpu)
        {
            return;
        }
        operationPasid = random.nextDouble() < config.pasidFraction;
        // Only with a PASID list is a PASID drawn: without one the stream of draws (so the trace) is as it always was.
        operationPasidValue = !operationPasid ? 0 : config.pasids.length == 0 ? 1 + device :
            config.pasids[random.nextInt(config.pasids.length)];
        if (config.lineRateGbps <= 0)
        {
            timestampNs += OPERATION_GAP_NS;
        }
        else
        {
            operationStartNs += operationNs;
        }
        final long queues = regionBase(device);
        final int index = ringIndex[device];
        ringIndex[device] = (index + 1) % RING_ENTRIES;
        switch (config.workload)
        {
            case NIC_RX:
            case NIC_TX:
            {
                final boolean rx = Workload.NIC_RX == config.workload;
                final long ring = queues + (rx ? 0 : RING_ENTRIES * DESCRIPTOR);
                add(false, ring + (long)index * DESCRIPTOR, DESCRIPTOR);
                add(rx, buffer(config.transferSize), config.transferSize);
                add(true, ring + (long)index * DESCRIPTOR, DESCRIPTOR);
                add(true, msiAddress(device), MSI_BYTES);
                break;
            }
            case NVME_READ:
            case NVME_WRITE:
            {
                final boolean read = Workload.NVME_READ == config.workload;
                final long sq = queues + 2 * RING_ENTRIES * DESCRIPTOR;
                final long cq = sq + (long)RING_ENTRIES * SQ_ENTRY;
                final long prpLists = cq + (long)RING_ENTRIES * CQ_ENTRY;
                add(false, sq + (long)index * SQ_ENTRY, SQ_ENTRY);
                final int pages = config.nvmeBlocks;
                if (pages > 2)
                {
                    final long prpList = prpLists + (index % 8) * SMALL_PAGE / 2;
                    add(false, prpList, (pages - 1) * PRP_ENTRY);
                }
                for (int p = 0; p < pages; p++)
                {
                    add(read, buffer((int)SMALL_PAGE) & ~(SMALL_PAGE - 1), (int)SMALL_PAGE);
                }
                add(true, cq + (long)index * CQ_ENTRY, CQ_ENTRY);
                add(true, msiAddress(device), MSI_BYTES);
                break;
            }
            case RANDOM:
            {
                final int bytes = 64 << random.nextInt(7);
                add(random.nextBoolean(), buffer(bytes), bytes);
                break;
            }
            case ATS_PRI:
            {
                final long page = buffer((int)SMALL_PAGE) & ~(SMALL_PAGE - 1);
                final long bit = (page - config.baseAddress) / SMALL_PAGE;
                if ((faultedIn[(int)(bit >>> 6)] & (1L << bit)) == 0)
                {
                    faultedIn[(int)(bit >>> 6)] |= 1L << bit;
                    add(TRANSLATION_REQUEST, false, page, 8);
                    add(PAGE_REQUEST, false, page, 16);
                    add(TRANSLATION_REQUEST, false, page, 8);
                }
                add(TRANSLATED, true, page, Math.min(config.transferSize, (int)SMALL_PAGE));
                break;
            }
            case STRIDED:
            default:
            {
                final long area = regionBase(device) + HUGE_PAGE;
                final long span = regionSize - HUGE_PAGE - config.transferSize;
                final long offset = strideCursor[device];
                strideCursor[device] = (offset + config.stride) % Math.max(1, span);
                add((operations & 1) == 0, area + offset, config.transferSize);
                break;
            }
        }
        if (config.lineRateGbps > 0)
        {
            operationNs = operationBytes() * 8.0 / config.lineRateGbps / config.devices;
        }
    }

    /** The bytes an operation carries on the device's other side (the wire for a NIC): what line-rate pacing spaces. */
    private long operationBytes()
    {
        switch (config.workload)
        {
            case NIC_RX:
            case NIC_TX:
                return config.transferSize + ETHERNET_WIRE_OVERHEAD;
            case NVME_READ:
            case NVME_WRITE:
                return (long)config.nvmeBlocks * SMALL_PAGE;
            default:
                long bytes = 0;
                for (int i = 0; i < transferCount; i++)
                {
                    bytes += transferBytes[i];
                }
                return bytes;
        }
    }
}
