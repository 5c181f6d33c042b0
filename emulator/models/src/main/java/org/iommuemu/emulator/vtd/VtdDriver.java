package org.iommuemu.emulator.vtd;

import org.agrona.collections.Long2LongHashMap;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * What Linux's intel-iommu driver does to a VT-d unit, through its registers and memory only, for tests,
 * scenario files and the offline translator:
 * <ul>
 * <li>{@link #bringUp}: root table, invalidation queue (256-bit descriptors in scalable mode), SRTP, global
 * context and IOTLB flushes, fault event registers, then TE, in intel-iommu's order (init_dmars);</li>
 * <li>legacy attach ({@link #attachLegacy}, {@link #attachLegacyPassThrough}): context tables on demand;</li>
 * <li>scalable attach: {@link #setScalableContext} (PASID directory on demand), then a PASID entry per PASID:
 * {@link #attachSecondStage}, {@link #attachFirstStage}, {@link #attachNested}, {@link #attachPassThrough}, or
 * {@link #writePasidEntry} for anything else;</li>
 * <li>invalidation: {@link #submit} a descriptor (composed with {@link InvalidationDescriptor}) and
 * {@link #waitForCompletion} (an invalidation wait with a status write, polled in memory), or the typed
 * shorthands; register-based {@link #invalidateContextByRegister} and {@link #invalidateIotlbByRegister};</li>
 * <li>faults: {@link #serviceFaults} reads and clears the fault records from FRI, as dmar_fault does.</li>
 * </ul>
 * Structures are allocated from the {@link FrameAllocator} given (the driver's table pool). The driver keeps
 * only what a real driver keeps (its table pointers and queue tail); everything else is read back from memory
 * and registers. Not for the request path: it allocates.
 */
public final class VtdDriver
{
    /** Receives one fault record: its index, and the low and high quadwords ({@link FaultRecord} decodes them). */
    @FunctionalInterface
    public interface FaultConsumer
    {
        void fault(int index, long low, long high);
    }

    private static final int WAIT_STATUS_DONE_BASE = 0x5A5A_0000;

    private final IommuPort unit;
    private final PhysicalMemory memory;
    private final FrameAllocator allocator;
    private final long cap;
    private final long ecap;
    private final long[] contextTables = new long[512];
    private final Long2LongHashMap pasidDirectories = new Long2LongHashMap(-1);
    private final long[] descriptor = new long[4];
    private boolean scalable;
    private long rootTable;
    private long queueBase;
    private int queueEntries;
    private int descriptorSize;
    private int queueTail;
    private long statusPage;
    private int waitToken;

    public VtdDriver(final IommuPort unit, final PhysicalMemory memory, final FrameAllocator allocator)
    {
        this.unit = unit;
        this.memory = memory;
        this.allocator = allocator;
        this.cap = unit.readRegister(VtdRegisters.CAP, 8);
        this.ecap = unit.readRegister(VtdRegisters.ECAP, 8);
    }

    // -------------------------------------------------------------------------------------------------------
    // Bring-up and global commands.

    /**
     * Bring the unit up: root table; invalidation queue when ECAP.QI; SRTP (waiting for RTPS) in legacy or
     * scalable mode; global context-cache and IOTLB invalidation; fault event data and address with the
     * interrupt unmasked; then TE.
     */
    public void bringUp(final boolean scalableMode, final int faultEventData, final long faultEventAddress)
    {
        if (scalableMode && (ecap & VtdRegisters.ECAP_SMTS) == 0)
        {
            throw new IllegalArgumentException("ECAP.SMTS is clear: the unit has no scalable mode");
        }
        scalable = scalableMode;
        rootTable = allocate();
        if ((ecap & VtdRegisters.ECAP_QI) != 0)
        {
            enableQueuedInvalidation();
        }
        setRootTable(rootTable, scalableMode ? VtdRegisters.TTM_SCALABLE : VtdRegisters.TTM_LEGACY);
        invalidateAll();
        unit.writeRegister(VtdRegisters.FEDATA, 4, faultEventData & 0xFFFF_FFFFL);
        unit.writeRegister(VtdRegisters.FEADDR, 4, faultEventAddress & 0xFFFF_FFFCL);
        unit.writeRegister(VtdRegisters.FEUADDR, 4, faultEventAddress >>> 32);
        unit.writeRegister(VtdRegisters.FECTL, 4, 0);
        enableTranslation(true);
    }

    /** RTADDR then GCMD.SRTP, one command at a time; true when GSTS.RTPS reads set. */
    public boolean setRootTable(final long table, final int ttm)
    {
        unit.writeRegister(VtdRegisters.RTADDR, 8, (table & VtdRegisters.RTADDR_ADDRESS) | ((long)ttm << VtdRegisters.RTADDR_TTM_SHIFT));
        globalCommand(VtdRegisters.SRTP, true);
        return (status() & VtdRegisters.RTPS) != 0;
    }

    /** GCMD.TE on or off; true when GSTS.TES follows. */
    public boolean enableTranslation(final boolean enable)
    {
        globalCommand(VtdRegisters.TE, enable);
        return ((status() & VtdRegisters.TES) != 0) == enable;
    }

    /**
     * Issue one global command as intel-iommu does: the enables already on (from GSTS) plus, or minus, this
     * command; one-shot commands are written as 1.
     */
    public void globalCommand(final long command, final boolean set)
    {
        final long enables = status() & VtdRegisters.GCMD_ENABLES;
        final long value = (command & VtdRegisters.GCMD_ONE_SHOT) != 0 ? enables | command : set ? enables | command : enables & ~command;
        unit.writeRegister(VtdRegisters.GCMD, 4, value);
    }

    public long status()
    {
        return unit.readRegister(VtdRegisters.GSTS, 4);
    }

    private void enableQueuedInvalidation()
    {
        queueBase = allocate();
        descriptorSize = scalable ? 32 : 16;
        queueEntries = PhysicalMemory.FRAME_SIZE / descriptorSize;
        queueTail = 0;
        statusPage = allocate();
        unit.writeRegister(VtdRegisters.IQT, 8, 0);
        unit.writeRegister(VtdRegisters.IQA, 8, queueBase | (scalable ? VtdRegisters.IQA_DW : 0));
        globalCommand(VtdRegisters.QIE, true);
    }

    // -------------------------------------------------------------------------------------------------------
    // Legacy mode.

    /**
     * Legacy context entry for {@code sourceId}: translation type {@code tt} ({@link ContextEntry#TT_MULTI_LEVEL}
     * or {@link ContextEntry#TT_DEVICE_TLB}) over a second-stage domain, AW from its level count.
     */
    public void attachLegacy(final int sourceId, final PageTable domain, final int domainId, final int tt, final boolean fpd)
    {
        final long table = legacyContextTable(sourceId >>> 8);
        ContextEntry.write(memory, table, sourceId & 0xFF, ContextEntry.low(domain.root(), tt, fpd),
            ContextEntry.high(domain.format().levels() - 2, domainId));
    }

    /** Legacy pass-through context entry (TT = 10) with the largest AW CAP.SAGAW supports, as Linux writes it (msagaw). */
    public void attachLegacyPassThrough(final int sourceId, final int domainId)
    {
        final long table = legacyContextTable(sourceId >>> 8);
        ContextEntry.write(memory, table, sourceId & 0xFF, ContextEntry.low(0, ContextEntry.TT_PASS_THROUGH, false),
            ContextEntry.high(Math.max(0, VtdRegisters.largestAw(cap)), domainId));
    }

    /** Write a raw legacy context entry (for provoking faults). */
    public void writeLegacyContext(final int sourceId, final long lo, final long hi)
    {
        ContextEntry.write(memory, legacyContextTable(sourceId >>> 8), sourceId & 0xFF, lo, hi);
    }

    /** The legacy context table of {@code bus}, allocated and hooked into the root table on first use. */
    public long legacyContextTable(final int bus)
    {
        if (contextTables[bus] == 0)
        {
            contextTables[bus] = allocate();
            RootEntry.write(memory, rootTable, bus, contextTables[bus]);
        }
        return contextTables[bus];
    }

    // -------------------------------------------------------------------------------------------------------
    // Scalable mode.

    /**
     * Scalable-mode context entry for {@code sourceId} with a new (or its existing) PASID directory of
     * 2^(pdts + 7) entries.
     */
    public void setScalableContext(final int sourceId, final int pdts, final boolean pasidEnable, final boolean deviceTlb,
        final boolean fpd, final int ridPasid)
    {
        setScalableContext(sourceId, pdts, pasidEnable, deviceTlb, false, fpd, ridPasid);
    }

    /**
     * {@link #setScalableContext(int, int, boolean, boolean, boolean, int)} with PRE (page requests enabled, bit 4) as
     * {@code pageRequests} says, as intel-iommu sets it for a device with PRI (context_set_sm_pre).
     */
    public void setScalableContext(final int sourceId, final int pdts, final boolean pasidEnable, final boolean deviceTlb,
        final boolean pageRequests, final boolean fpd, final int ridPasid)
    {
        long directory = pasidDirectories.get(sourceId);
        if (directory == -1)
        {
            final int pages = Math.max(1, (1 << (pdts + 7)) * PasidDirectoryEntry.SIZE / PhysicalMemory.FRAME_SIZE);
            directory = allocate();
            for (int i = 1; i < pages; i++)
            {
                allocate();
            }
            pasidDirectories.put(sourceId, directory);
        }
        ScalableContextEntry.write(memory, scalableContextTable(sourceId), sourceId & 0x7F,
            ScalableContextEntry.q0(directory, pdts, pasidEnable, deviceTlb, fpd) | (pageRequests ? ScalableContextEntry.PRE : 0),
            ridPasid & ScalableContextEntry.RID_PASID);
    }

    /** Write a raw scalable-mode context entry (for provoking faults). */
    public void writeScalableContext(final int sourceId, final long q0, final long q1, final long q2, final long q3)
    {
        final long address = ScalableContextEntry.address(scalableContextTable(sourceId), sourceId & 0x7F);
        memory.writeEntry(address, q0);
        memory.writeEntry(address + 8, q1);
        memory.writeEntry(address + 16, q2);
        memory.writeEntry(address + 24, q3);
    }

    /** The scalable-mode context table serving {@code sourceId}'s devfn half, allocated on first use. */
    public long scalableContextTable(final int sourceId)
    {
        final int bus = sourceId >>> 8;
        final int half = ScalableRootEntry.upper(sourceId & 0xFF) ? 1 : 0;
        if (contextTables[bus * 2 + half] == 0)
        {
            contextTables[bus * 2 + half] = allocate();
            ScalableRootEntry.write(memory, rootTable, bus, contextTables[bus * 2] == 0 ? -1 : contextTables[bus * 2],
                contextTables[bus * 2 + 1] == 0 ? -1 : contextTables[bus * 2 + 1]);
        }
        return contextTables[bus * 2 + half];
    }

    /** The PASID directory of {@code sourceId} ({@link #setScalableContext} first), or -1. */
    public long pasidDirectory(final int sourceId)
    {
        return pasidDirectories.get(sourceId);
    }

    /** The PASID table holding {@code pasid} for {@code sourceId}, allocated and hooked in on first use. */
    public long pasidTable(final int sourceId, final int pasid)
    {
        final long directory = pasidDirectories.get(sourceId);
        if (directory == -1)
        {
            throw new IllegalStateException("no scalable context for 0x" + Integer.toHexString(sourceId));
        }
        final long entry = memory.readEntry(PasidDirectoryEntry.address(directory, pasid));
        if (PasidDirectoryEntry.present(entry))
        {
            return PasidDirectoryEntry.pasidTable(entry);
        }
        final long table = allocate();
        PasidDirectoryEntry.write(memory, directory, pasid, table);
        return table;
    }

    /** Write a raw PASID entry (q3..q7 zero). */
    public void writePasidEntry(final int sourceId, final int pasid, final long q0, final long q1, final long q2)
    {
        PasidEntry.write(memory, pasidTable(sourceId, pasid), pasid, q0, q1, q2);
    }

    /** PGTT = second-stage only over {@code domain} (a {@link VtdSecondStageFormat} table). */
    public void attachSecondStage(final int sourceId, final int pasid, final PageTable domain, final int domainId)
    {
        attachSecondStage(sourceId, pasid, domain, domainId, false);
    }

    /**
     * PGTT = second-stage only over {@code domain}, with SSADE (second-stage A/D, PASID entry bit 9) as {@code dirtyTracking}
     * says: intel-iommu's pasid_set_ssade for a domain allocated with dirty tracking.
     */
    public void attachSecondStage(final int sourceId, final int pasid, final PageTable domain, final int domainId,
        final boolean dirtyTracking)
    {
        final boolean slee = domain.format() instanceof VtdSecondStageFormat && (domain.format().impliedPermissions() & 4) == 0;
        writePasidEntry(sourceId, pasid, PasidEntry.q0(PasidEntry.PGTT_SECOND_STAGE, domain.root(), domain.format().levels() - 2,
            slee, false) | (dirtyTracking ? PasidEntry.SLADE : 0), PasidEntry.q1(domainId), 0);
    }

    /**
     * PGTT = first-stage only: x86 tables of {@code levels} (4 or 5) levels at host-physical {@code root}. With
     * supervisor requests enabled WPE is set too, as intel-iommu does (supervisor writes honour R/W); SRE only when
     * ECAP.SRS says the unit takes supervisor requests (SRE is reserved otherwise; Linux sets it only then).
     */
    public void attachFirstStage(final int sourceId, final int pasid, final long root, final int levels, final int domainId,
        final boolean supervisorRequests, final boolean executeRequests)
    {
        writePasidEntry(sourceId, pasid, PasidEntry.q0(PasidEntry.PGTT_FIRST_STAGE, 0, 2, false, false), PasidEntry.q1(domainId),
            firstStageQ2(root, levels, supervisorRequests && (ecap & VtdRegisters.ECAP_SRS) != 0, executeRequests));
    }

    private static long firstStageQ2(final long root, final int levels, final boolean supervisorRequests, final boolean executeRequests)
    {
        return PasidEntry.q2(root, levels, supervisorRequests, executeRequests) | (supervisorRequests ? PasidEntry.WPE : 0);
    }

    /**
     * PGTT = nested: first-stage tables rooted at guest-physical {@code firstStageRoot}, every GPA (table
     * fetches and the result) translated by {@code secondStage}.
     */
    public void attachNested(final int sourceId, final int pasid, final long firstStageRoot, final int firstStageLevels,
        final PageTable secondStage, final int domainId, final boolean supervisorRequests, final boolean executeRequests)
    {
        attachNested(sourceId, pasid, firstStageRoot, firstStageLevels, secondStage, domainId, supervisorRequests, executeRequests,
            false);
    }

    /** {@link #attachNested} with SSADE (second-stage A/D of the nesting parent) as {@code dirtyTracking} says. */
    public void attachNested(final int sourceId, final int pasid, final long firstStageRoot, final int firstStageLevels,
        final PageTable secondStage, final int domainId, final boolean supervisorRequests, final boolean executeRequests,
        final boolean dirtyTracking)
    {
        writePasidEntry(sourceId, pasid, PasidEntry.q0(PasidEntry.PGTT_NESTED, secondStage.root(), secondStage.format().levels() - 2,
            false, false) | (dirtyTracking ? PasidEntry.SLADE : 0), PasidEntry.q1(domainId),
            firstStageQ2(firstStageRoot, firstStageLevels, supervisorRequests && (ecap & VtdRegisters.ECAP_SRS) != 0, executeRequests));
    }

    /** PGTT = pass-through. */
    public void attachPassThrough(final int sourceId, final int pasid, final int domainId)
    {
        writePasidEntry(sourceId, pasid, PasidEntry.q0(PasidEntry.PGTT_PASS_THROUGH, 0, 2, false, false), PasidEntry.q1(domainId), 0);
    }

    // -------------------------------------------------------------------------------------------------------
    // Invalidation.

    /** Queue one descriptor (q0, q1; the upper half zero for 256-bit descriptors) and move IQT. */
    public void submit(final long q0, final long q1)
    {
        if (queueEntries == 0)
        {
            throw new IllegalStateException("queued invalidation is not enabled");
        }
        final long address = queueBase + (long)queueTail * descriptorSize;
        memory.writeEntry(address, q0);
        memory.writeEntry(address + 8, q1);
        if (descriptorSize == 32)
        {
            memory.writeEntry(address + 16, 0);
            memory.writeEntry(address + 24, 0);
        }
        queueTail = (queueTail + 1) % queueEntries;
        unit.writeRegister(VtdRegisters.IQT, 8, (long)queueTail * descriptorSize);
    }

    /** Queue {@code words[0..1]} as composed by {@link InvalidationDescriptor}. */
    public void submit(final long[] words)
    {
        submit(words[0], words[1]);
    }

    /**
     * Queue an invalidation wait with a status write (and the completion interrupt when {@code interrupt}) and
     * poll the status; true when the status data arrived (every earlier descriptor completed).
     */
    public boolean waitForCompletion(final boolean interrupt)
    {
        final int token = WAIT_STATUS_DONE_BASE + (++waitToken & 0xFFFF);
        memory.writeEntry(statusPage, 0);
        InvalidationDescriptor.wait(descriptor, statusPage, token, interrupt, false);
        submit(descriptor);
        return (int)memory.readEntry(statusPage) == token;
    }

    /** The address the invalidation wait writes its status to. */
    public long waitStatusAddress()
    {
        return statusPage;
    }

    /** Global context-cache and IOTLB invalidation (queued when QI is on, else through the registers). */
    public void invalidateAll()
    {
        if (queueEntries == 0)
        {
            invalidateContextByRegister(VtdRegisters.GRANULARITY_GLOBAL, 0, 0, 0);
            invalidateIotlbByRegister(VtdRegisters.IOTLB_GLOBAL, 0, 0, 0);
            return;
        }
        InvalidationDescriptor.contextCache(descriptor, VtdRegisters.GRANULARITY_GLOBAL, 0, 0, 0);
        submit(descriptor);
        InvalidationDescriptor.iotlb(descriptor, VtdRegisters.IOTLB_GLOBAL, 0, 0, 0, false);
        submit(descriptor);
        if (scalable)
        {
            InvalidationDescriptor.pasidCache(descriptor, InvalidationDescriptor.PC_GLOBAL, 0, 0);
            submit(descriptor);
        }
        waitForCompletion(false);
    }

    /** Device-selective context-cache invalidation then a domain IOTLB flush, as after a context change. */
    public boolean invalidateDevice(final int sourceId, final int domainId)
    {
        InvalidationDescriptor.contextCache(descriptor, VtdRegisters.GRANULARITY_DEVICE, domainId, sourceId, 0);
        submit(descriptor);
        InvalidationDescriptor.iotlb(descriptor, VtdRegisters.IOTLB_DOMAIN, domainId, 0, 0, false);
        submit(descriptor);
        return waitForCompletion(false);
    }

    /** Page-selective IOTLB invalidation of 2^addressMask pages, then wait. */
    public boolean invalidateIotlbPages(final int domainId, final long address, final int addressMask)
    {
        InvalidationDescriptor.iotlb(descriptor, VtdRegisters.IOTLB_PAGE, domainId, address, addressMask, false);
        submit(descriptor);
        return waitForCompletion(false);
    }

    /** PASID-cache (PASID-selective) and PASID-based IOTLB invalidation, as after a PASID entry change. */
    public boolean invalidatePasid(final int domainId, final int pasid)
    {
        InvalidationDescriptor.pasidCache(descriptor, InvalidationDescriptor.PC_PASID, domainId, pasid);
        submit(descriptor);
        InvalidationDescriptor.pasidIotlb(descriptor, InvalidationDescriptor.PIOTLB_PASID, domainId, pasid, 0, 0, false);
        submit(descriptor);
        return waitForCompletion(false);
    }

    /**
     * Register-based context-cache invalidation through CCMD (only while QI is off); returns CAIG, the
     * granularity performed (0 when refused).
     */
    public int invalidateContextByRegister(final int granularity, final int domainId, final int sourceId, final int functionMask)
    {
        unit.writeRegister(VtdRegisters.CCMD, 8, VtdRegisters.CCMD_ICC | ((long)granularity << VtdRegisters.CCMD_CIRG_SHIFT) |
            ((long)(functionMask & 3) << VtdRegisters.CCMD_FM_SHIFT) | ((long)(sourceId & 0xFFFF) << VtdRegisters.CCMD_SID_SHIFT) |
            (domainId & 0xFFFF));
        final long value = unit.readRegister(VtdRegisters.CCMD, 8);
        if ((value & VtdRegisters.CCMD_ICC) != 0)
        {
            throw new IllegalStateException("CCMD.ICC did not clear");
        }
        return (int)((value & VtdRegisters.CCMD_CAIG) >>> VtdRegisters.CCMD_CAIG_SHIFT);
    }

    /**
     * Register-based IOTLB invalidation through IVA and the IOTLB register (only while QI is off); returns IAIG
     * (0 when refused).
     */
    public int invalidateIotlbByRegister(final int granularity, final int domainId, final long address, final int addressMask)
    {
        final int iro = VtdRegisters.iotlbRegisterOffset(ecap);
        if (granularity == VtdRegisters.IOTLB_PAGE)
        {
            unit.writeRegister(iro, 8, (address & VtdRegisters.IVA_ADDRESS) | (addressMask & VtdRegisters.IVA_AM));
        }
        unit.writeRegister(iro + VtdRegisters.IOTLB_AFTER_IVA, 8, VtdRegisters.IOTLB_IVT |
            ((long)granularity << VtdRegisters.IOTLB_IIRG_SHIFT) | VtdRegisters.IOTLB_DR | VtdRegisters.IOTLB_DW |
            ((long)(domainId & 0xFFFF) << VtdRegisters.IOTLB_DID_SHIFT));
        final long value = unit.readRegister(iro + VtdRegisters.IOTLB_AFTER_IVA, 8);
        if ((value & VtdRegisters.IOTLB_IVT) != 0)
        {
            throw new IllegalStateException("IOTLB.IVT did not clear");
        }
        return (int)((value & VtdRegisters.IOTLB_IAIG) >>> VtdRegisters.IOTLB_IAIG_SHIFT);
    }

    // -------------------------------------------------------------------------------------------------------
    // Page requests (ECAP.PRS).

    /** Decides the response to one page request (the OS's page-fault handler for device faults). */
    @FunctionalInterface
    public interface PageRequestHandler
    {
        /**
         * @param pasid the PASID, or -1.
         * @return the response code of the group if this request ends it ({@code PrgResponse.RESPONSE_*}); ignored
         *         otherwise.
         */
        int pageRequest(int requesterId, int pasid, long address, boolean read, boolean write, boolean last, int prgIndex);
    }

    /**
     * The page request queue, as intel-iommu sets it up (intel_iommu_enable_prq): 2^{@code pqsOrder} zeroed pages,
     * PQH = PQT = 0, PQA = base | order, then the page request event unmasked.
     *
     * @return the queue's base.
     */
    public long enablePageRequests(final int pqsOrder)
    {
        final long base = allocate();
        for (int i = 1; i < (1 << pqsOrder); i++)
        {
            allocate();
        }
        unit.writeRegister(VtdRegisters.PQH, 8, 0);
        unit.writeRegister(VtdRegisters.PQT, 8, 0);
        unit.writeRegister(VtdRegisters.PQA, 8, base | (pqsOrder & VtdRegisters.PQA_PQS));
        unit.writeRegister(VtdRegisters.PECTL, 4, 0);
        return base;
    }

    /**
     * Service the page request queue as intel-iommu's prq_event_thread does: clear PRS.PPR, take every descriptor from
     * PQH to PQT to {@code handler}, answer each request that ends its group with a page group response descriptor
     * (then an invalidation wait), move PQH to the tail; then, if PRS.PRO is set and the queue is empty, clear PRO.
     *
     * @return the descriptors taken.
     */
    public int servicePageRequests(final PageRequestHandler handler)
    {
        unit.writeRegister(VtdRegisters.PRS, 4, VtdRegisters.PRS_PPR);
        final long pqa = unit.readRegister(VtdRegisters.PQA, 8);
        final long base = pqa & VtdRegisters.PQA_ADDRESS;
        final int ringBytes = PhysicalMemory.FRAME_SIZE << (int)(pqa & VtdRegisters.PQA_PQS);
        final int tail = (int)(unit.readRegister(VtdRegisters.PQT, 8) & VtdRegisters.PQ_POINTER) % ringBytes;
        int head = (int)(unit.readRegister(VtdRegisters.PQH, 8) & VtdRegisters.PQ_POINTER) % ringBytes;
        int taken = 0;
        boolean responded = false;
        while (head != tail)
        {
            final long q0 = memory.readEntry(base + head);
            final long q1 = memory.readEntry(base + head + 8);
            final int requester = PageRequestDescriptor.requesterId(q0);
            final int pasid = PageRequestDescriptor.pasid(q0);
            final boolean last = PageRequestDescriptor.last(q1);
            final int code = handler.pageRequest(requester, pasid, PageRequestDescriptor.address(q1), PageRequestDescriptor.read(q1),
                PageRequestDescriptor.write(q1), last, PageRequestDescriptor.prgIndex(q1));
            if (last)
            {
                InvalidationDescriptor.pageGroupResponse(descriptor, requester, pasid, PageRequestDescriptor.prgIndex(q1), code, true);
                submit(descriptor);
                responded = true;
            }
            head = (head + PageRequestDescriptor.SIZE) % ringBytes;
            taken++;
        }
        if (responded)
        {
            waitForCompletion(false);
        }
        unit.writeRegister(VtdRegisters.PQH, 8, tail);
        if ((unit.readRegister(VtdRegisters.PRS, 4) & VtdRegisters.PRS_PRO) != 0 &&
            (unit.readRegister(VtdRegisters.PQT, 8) & VtdRegisters.PQ_POINTER) % ringBytes == tail)
        {
            unit.writeRegister(VtdRegisters.PRS, 4, VtdRegisters.PRS_PRO);
        }
        return taken;
    }

    // -------------------------------------------------------------------------------------------------------
    // Faults.

    /**
     * Service pending faults as dmar_fault does: from FSTS.FRI, read each record with F set, hand it to
     * {@code consumer} and clear F (write 1), wrapping over the NFR + 1 records; then clear PFO (and the
     * other primary-fault status) in FSTS. Returns how many records were read.
     */
    public int serviceFaults(final FaultConsumer consumer)
    {
        final int count = VtdRegisters.faultRecordCount(cap);
        final int base = VtdRegisters.faultRecordOffset(cap);
        final long fsts = unit.readRegister(VtdRegisters.FSTS, 4);
        int index = (fsts & VtdRegisters.FSTS_PPF) != 0 ? (int)((fsts & VtdRegisters.FSTS_FRI) >>> VtdRegisters.FSTS_FRI_SHIFT) : 0;
        int read = 0;
        for (int i = 0; i < count; i++)
        {
            final int at = base + index * VtdRegisters.FRCD_SIZE;
            final long high = unit.readRegister(at + 8, 8);
            if (FaultRecord.fault(high))
            {
                consumer.fault(index, unit.readRegister(at, 8), high);
                unit.writeRegister(at + 8, 8, FaultRecord.F);
                read++;
            }
            index = index + 1 == count ? 0 : index + 1;
        }
        unit.writeRegister(VtdRegisters.FSTS, 4, VtdRegisters.FSTS_PFO | VtdRegisters.FSTS_PRO);
        return read;
    }

    /** The high quadword of fault record {@code index} (F, T, FR, PV, PP, SID). */
    public long faultRecordHigh(final int index)
    {
        return unit.readRegister(VtdRegisters.faultRecordOffset(cap) + index * VtdRegisters.FRCD_SIZE + 8, 8);
    }

    /** The low quadword of fault record {@code index} (the faulting page). */
    public long faultRecordLow(final int index)
    {
        return unit.readRegister(VtdRegisters.faultRecordOffset(cap) + index * VtdRegisters.FRCD_SIZE, 8);
    }

    // -------------------------------------------------------------------------------------------------------

    public long rootTable()
    {
        return rootTable;
    }

    public boolean scalable()
    {
        return scalable;
    }

    public FrameAllocator allocator()
    {
        return allocator;
    }

    private long allocate()
    {
        final long frame = allocator.allocate();
        if (frame == FrameAllocator.NO_FRAME)
        {
            throw new IllegalStateException("the driver's table pool is exhausted");
        }
        return frame;
    }
}
