package org.iommuemu.emulator.amdvi;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.InterruptListener;
import org.iommuemu.emulator.platform.InterruptSource;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.RmpPageFaultEvent;
import org.iommuemu.tlp.AtsRange;
import org.iommuemu.tlp.TranslationCompletionEntry;

import java.util.List;

/**
 * An AMD-Vi IOMMU programmed only through its registers and in-memory structures, as Linux's amd_iommu driver
 * programs one: the device table, the command buffer, the event log and the GCR3 tables live in emulated
 * memory, and the register file ({@link #writeRegister}) is the only way software reaches the model.
 * <p>
 * A request looks up its device table entry (through the DTE cache), then, in this order: the interrupt
 * range (interrupt requests are forwarded or refused, never translated), the exclusion range (bypasses
 * translation), and translation: host (v1) only, guest (v2) through the GCR3 table for a PASID (or PASID 0
 * with DTE.GIOV), or nested (guest over host, see {@link GuestTranslation}). Each translation probes the
 * IOTLB first and fills it after a walk. With SNP every DMA result is checked against the RMP. Faults are
 * logged to the event log as IO_PAGE_FAULT (flags GN with the PASID, NX, US, I, PR, RW, PE, RZ, TR),
 * ILLEGAL_DEV_TABLE_ENTRY, INVALID_DEVICE_REQUEST or RMP_PAGE_FAULT, with overflow status and the event
 * interrupt.
 * <p>
 * The model is composed of its register file, the {@link DeviceTableCache}, the IOTLB, the
 * {@link GuestTranslation} (GCR3 cache, guest and nested walks), the {@link DeviceTlb}, the
 * {@link AmdViCommandProcessor} (which decides which caches each command invalidates) and the
 * {@link AmdViEventLog}. ATS: translation requests are answered with Translation Completion entries
 * (with U from the host leaf) and cached in the {@link DeviceTlb}; translated requests are honoured for
 * devices whose DTE sets I.
 * <p>
 * Choices on unverified behaviour are listed in docs/amdvi.md; the switchable ones are {@link AmdViOptions}.
 * <p>
 * Not thread-safe; nothing on the request path allocates.
 */
public final class AmdViIommu implements IommuPort
{
    private static final int LOWEST_RING_LENGTH_LG2 = 8;
    private static final int HIGHEST_RING_LENGTH_LG2 = 15;
    /**
     * IOTLB entry sizes: 4 KiB, 2 MiB and 1 GiB. A leaf of another size (AMD-Vi v1 NextLevel=7 pages such as
     * 32 KiB or 4 MiB) is cached as the largest of these that fits inside it, as the translation for the one
     * fragment that was requested (a choice: AMD does not publish its IOTLB's entry sizes).
     */
    static final long IOTLB_SIZES = (1L << 12) | (1L << 21) | (1L << 30);

    private final PhysicalMemory memory;
    private final RegisterFile registers = new RegisterFile("amdvi", AmdViRegisters.SIZE);
    private final Register deviceTableBase;
    private final Register commandBufferBase;
    private final Register eventLogBase;
    private final Register control;
    private final Register commandHead;
    private final Register commandTail;
    private final Register eventHead;
    private final Register eventTail;
    private final Register status;
    private final MemoryRing commandRing;
    private final MemoryRing eventRing;
    private final Register exclusionBase;
    private final Register exclusionLimit;
    private final TranslationCache iotlb;
    private final DeviceTableCache dte;
    private final TranslationCache gcr3Cache;
    private final DeviceTlb deviceTlb;
    private final GuestTranslation guest;
    private final AmdViOptions options;
    private final InvalidationDispatcher dispatcher = new InvalidationDispatcher();
    private final DmaRmpCheck rmpCheck;
    private final RmpPageFaultEvent rmpEvent = new RmpPageFaultEvent().wrap(new UnsafeBuffer(new byte[RmpPageFaultEvent.LENGTH]), 0);
    private final WalkResult walk = new WalkResult();
    private final AmdV1Format[] formats = new AmdV1Format[7];
    private final long[] words = new long[2];
    private final AmdViOutcome portOutcome = new AmdViOutcome();
    private List<TranslationCache> caches;
    private org.iommuemu.emulator.cache.PageWalkCache hostWalkCache;
    private final AmdViEventLog eventLog;
    private final AmdViCommandProcessor commands;
    /**
     * Copies of the registers the request path reads (CONTROL, DEV_TABLE_BASE, EXCLUSION_BASE/LIMIT), so a
     * request does not look each up in the register file. Only software writes ({@link #writeRegister}) change
     * these registers (the model itself sets only status, head and tail), and every write refreshes the copies.
     */
    private long controlValue;
    private long deviceTableBaseValue;
    private long exclusionBaseValue;
    private long exclusionLimitValue;
    private InterruptListener interruptListener = InterruptListener.NONE;
    /** Event-log and completion-wait interrupts already passed to the listener. */
    private long eventInterruptsSignalled;
    private long completionWaitInterruptsSignalled;

    /**
     * @param extendedFeatures the EFR value (bit 63 SNPSup and the rest as the platform reports them).
     * @param rmpCheck         the RMP check every DMA goes through once SNP is enabled; null without SNP.
     * @param iotlb            the IOTLB; registered with this IOMMU's invalidation dispatcher.
     */
    public AmdViIommu(final PhysicalMemory memory, final long extendedFeatures, final DmaRmpCheck rmpCheck,
        final TranslationCache iotlb)
    {
        this(memory, extendedFeatures, rmpCheck, iotlb, AmdViOptions.DEFAULT);
    }

    /** As {@link #AmdViIommu(PhysicalMemory, long, DmaRmpCheck, TranslationCache)} with the unverified-behaviour switches. */
    public AmdViIommu(final PhysicalMemory memory, final long extendedFeatures, final DmaRmpCheck rmpCheck,
        final TranslationCache iotlb, final AmdViOptions options)
    {
        this(memory, extendedFeatures, rmpCheck, iotlb, DeviceTableCache.defaultCache(), defaultGcr3Cache(),
            defaultNestedCache(), DeviceTlb.defaultCache(), options);
    }

    /**
     * @param dteCache    the DTE cache (role CONTEXT).
     * @param gcr3Cache   the GCR3 (guest CR3 per PASID) cache (role PASID).
     * @param nestedCache the nested-walk cache of GPA-to-SPA host translations (role NESTED).
     * @param deviceTlb   the model of the devices' ATS caches (role DEVICE_TLB).
     */
    public AmdViIommu(final PhysicalMemory memory, final long extendedFeatures, final DmaRmpCheck rmpCheck,
        final TranslationCache iotlb, final TranslationCache dteCache, final TranslationCache gcr3Cache,
        final TranslationCache nestedCache, final TranslationCache deviceTlb, final AmdViOptions options)
    {
        if (gcr3Cache.role() != CacheRole.PASID)
        {
            throw new IllegalArgumentException("the GCR3 cache must have the PASID role, not " + gcr3Cache.role());
        }
        this.memory = memory;
        this.rmpCheck = rmpCheck;
        this.iotlb = iotlb;
        this.options = options;
        this.dte = new DeviceTableCache(dteCache);
        this.gcr3Cache = gcr3Cache;
        this.deviceTlb = new DeviceTlb(deviceTlb);
        this.commandRing = new MemoryRing("command buffer", memory, AmdViEvent.LENGTH);
        this.eventRing = new MemoryRing("event log", memory, AmdViEvent.LENGTH);
        dispatcher.register(iotlb);
        dispatcher.register(dteCache);
        dispatcher.register(gcr3Cache);
        dispatcher.register(nestedCache);
        dispatcher.register(deviceTlb);
        this.caches = List.of(iotlb, dteCache, gcr3Cache, nestedCache, deviceTlb);
        for (int mode = 1; mode <= 6; mode++)
        {
            formats[mode] = new AmdV1Format(mode);
        }
        this.guest = new GuestTranslation(memory, formats, gcr3Cache, nestedCache);

        final long baseWritable = AmdViRegisters.BASE_ADDRESS;
        deviceTableBase = registers.define("DEV_TABLE_BASE", AmdViRegisters.DEVICE_TABLE_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.DEVICE_TABLE_SIZE), 0);
        commandBufferBase = registers.define("CMD_BUF_BASE", AmdViRegisters.COMMAND_BUFFER_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.LENGTH), 0, (register, oldValue, newValue) -> configure(commandRing, newValue));
        eventLogBase = registers.define("EVENT_LOG_BASE", AmdViRegisters.EVENT_LOG_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.LENGTH), 0, (register, oldValue, newValue) -> configure(eventRing, newValue));
        control = registers.define("CONTROL", AmdViRegisters.CONTROL, 8, 0, 0, 0,
            (register, oldValue, newValue) -> controlWritten(newValue));
        exclusionBase = registers.define("EXCLUSION_BASE", AmdViRegisters.EXCLUSION_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.EXCLUSION_ENABLE | AmdViRegisters.EXCLUSION_ALLOW_ALL), 0);
        exclusionLimit = registers.define("EXCLUSION_LIMIT", AmdViRegisters.EXCLUSION_LIMIT, 8, 0, ~baseWritable, 0);
        registers.define("EFR", AmdViRegisters.EXTENDED_FEATURE, 8, extendedFeatures, -1L, 0);
        registers.define("MSI_ADDR_LO", AmdViRegisters.MSI_ADDRESS_LOW, 4, 0, 3, 0);
        registers.define("MSI_ADDR_HI", AmdViRegisters.MSI_ADDRESS_HIGH, 4, 0, 0, 0);
        registers.define("MSI_DATA", AmdViRegisters.MSI_DATA, 4, 0, 0, 0);
        commandHead = registers.define("CMD_HEAD", AmdViRegisters.COMMAND_HEAD, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> commandRing.head(index(newValue)));
        commandTail = registers.define("CMD_TAIL", AmdViRegisters.COMMAND_TAIL, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> commandTailWritten(newValue));
        eventHead = registers.define("EVENT_HEAD", AmdViRegisters.EVENT_HEAD, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> eventRing.head(index(newValue)));
        eventTail = registers.define("EVENT_TAIL", AmdViRegisters.EVENT_TAIL, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> eventRing.tail(index(newValue)));
        status = registers.define("STATUS", AmdViRegisters.STATUS, 8, 0, ~AmdViRegisters.STATUS_W1C,
            AmdViRegisters.STATUS_W1C);
        eventLog = new AmdViEventLog(registers, control, status, eventTail, eventRing);
        commands = new AmdViCommandProcessor(memory, registers, control, status, commandHead, commandRing, dispatcher, eventLog);
        refreshRegisterCopies();
    }

    private void refreshRegisterCopies()
    {
        controlValue = registers.value(control);
        deviceTableBaseValue = registers.value(deviceTableBase);
        exclusionBaseValue = registers.value(exclusionBase);
        exclusionLimitValue = registers.value(exclusionLimit);
    }

    /** A GCR3 cache with a default geometry (64 entries, 4-way, LRU) until timing profiles size it. */
    public static TranslationCache defaultGcr3Cache()
    {
        return new TranslationCache("amdvi-gcr3-cache", CacheRole.PASID, 64, 4, Replacement.LRU, 2, 4);
    }

    /** A nested-walk cache with a default geometry (256 entries, 4-way, LRU) until timing profiles size it. */
    public static TranslationCache defaultNestedCache()
    {
        return new TranslationCache("amdvi-nested-cache", CacheRole.NESTED, 256, 4, Replacement.LRU, 2, 5);
    }

    /** An IOTLB with a default geometry (512 entries, 4-way, LRU) until timing profiles size it. */
    public static TranslationCache defaultIotlb()
    {
        return new TranslationCache("amdvi-iotlb", CacheRole.IOTLB, 512, 4, Replacement.LRU, 3, 1);
    }

    /**
     * The platform port: untranslated requests go through {@link #dma}, ATS translation requests through
     * {@link #translationRequest}, translated requests through {@link #translatedRequest}. The request's PASID,
     * its privileged flag and its execute access select and check the guest (v2) translation.
     */
    public boolean handle(final DmaRequest request, final RequestOutcome outcome)
    {
        outcome.reset();
        final int deviceId = request.requesterId();
        final AmdViOutcome out = portOutcome;
        // Identity tests rather than an enum switch, whose ordinal lookup table costs two dependent loads.
        final AddressType type = request.addressType();
        if (type == AddressType.UNTRANSLATED)
        {
            dma(deviceId, request.pasid(), request.address(), request.access() & REQUEST_ACCESS, request.privileged(), out);
        }
        else if (type == AddressType.TRANSLATION_REQUEST)
        {
            outcome.completionEntry(translationRequest(deviceId, request.pasid(), request.address(), request.privileged(), out));
        }
        else
        {
            translatedRequest(deviceId, request.address(), request.isWrite(), out);
        }
        outcome.translated(out.outputAddress, out.pageSizeLg2, out.permissions).iotlbHit(out.iotlbHit).domainId(out.domainId);
        if (out.status != AmdViOutcome.Status.OK)
        {
            outcome.fault(out.status, out.eventLogged);
            return false;
        }
        return true;
    }

    public String name()
    {
        return "amdvi";
    }

    /**
     * Put page-walk caches (the "PDE" caches that INVALIDATE_IOMMU_PAGES with PDE = 1 flushes; role WALK) in front of
     * the host (v1) walks; registered with this IOMMU's dispatcher. Guest (v2) walks do not use them. Call once,
     * before traffic.
     */
    public void hostWalkCache(final org.iommuemu.emulator.cache.PageWalkCache walkCache)
    {
        final java.util.ArrayList<TranslationCache> all = new java.util.ArrayList<>(caches);
        all.addAll(dispatcher.register(walkCache));
        caches = List.copyOf(all);
        hostWalkCache = walkCache;
    }

    /** The IOTLB, the DTE cache, the GCR3 cache, the nested-walk cache, the device TLB and any walk caches, in that order. */
    public List<TranslationCache> caches()
    {
        return caches;
    }

    /** A software MMIO read. */
    public long readRegister(final int offset, final int width)
    {
        return registers.read(offset, width);
    }

    /** A software MMIO write. */
    public void writeRegister(final int offset, final int width, final long value)
    {
        registers.write(offset, width, value);
        refreshRegisterCopies();
        signalInterrupts();
    }

    public int registerBlockSize()
    {
        return registers.size();
    }

    public int registerWidth(final int offset)
    {
        return registers.widthAt(offset);
    }

    /**
     * Who hears the MSIs this IOMMU sends (event log, completion wait), with the address and data of the MSI mirror
     * registers; {@link InterruptListener#NONE} by default.
     */
    public void interruptListener(final InterruptListener listener)
    {
        interruptListener = listener == null ? InterruptListener.NONE : listener;
    }

    /** Pass the interrupts raised since the last call to the listener, in the order of their kinds. */
    private void signalInterrupts()
    {
        final long eventInterrupts = eventLog.interrupts();
        final long waitInterrupts = commands.completionWaitInterrupts();
        if (eventInterrupts == eventInterruptsSignalled && waitInterrupts == completionWaitInterruptsSignalled)
        {
            return;
        }
        final long address = (registers.read(AmdViRegisters.MSI_ADDRESS_HIGH, 4) << 32) | registers.read(AmdViRegisters.MSI_ADDRESS_LOW, 4);
        final int data = (int)registers.read(AmdViRegisters.MSI_DATA, 4);
        while (eventInterruptsSignalled < eventInterrupts)
        {
            eventInterruptsSignalled++;
            interruptListener.onInterrupt(InterruptSource.AMDVI_EVENT_LOG, address, data);
        }
        while (completionWaitInterruptsSignalled < waitInterrupts)
        {
            completionWaitInterruptsSignalled++;
            interruptListener.onInterrupt(InterruptSource.AMDVI_COMPLETION_WAIT, address, data);
        }
    }

    /**
     * One DMA (an untranslated request without a PASID) from {@code deviceId} to {@code address}.
     *
     * @return true when the DMA may proceed to {@link AmdViOutcome#outputAddress()}.
     */
    public boolean dma(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        return dma(deviceId, CacheTag.NO_PASID, address, write ? Permissions.WRITE : Permissions.READ, false, out);
    }

    /**
     * One untranslated request, with or without a PASID.
     *
     * @param pasid      the PASID, or {@link CacheTag#NO_PASID} ({@code DmaRequest.NO_PASID}).
     * @param access     {@link Permissions#READ} or {@link Permissions#WRITE}, with {@link Permissions#EXECUTE}
     *                   for an execute request (the PASID prefix's ER flag).
     * @param privileged the PASID prefix's PMR flag; requests without a PASID are user requests.
     * @return true when the request may proceed to {@link AmdViOutcome#outputAddress()}.
     */
    public boolean dma(final int deviceId, final int pasid, final long address, final int access, final boolean privileged,
        final AmdViOutcome out)
    {
        out.reset();
        out.pasid = pasid;
        final boolean write = (access & Permissions.WRITE) != 0;
        if ((controlValue & AmdViRegisters.CONTROL_IOMMU_EN) == 0)
        {
            return passThrough(deviceId, address, write, out);
        }
        if (!inDeviceTable(deviceId))
        {
            return illegalDeviceTableEntry(deviceId, pasid, address, write ? AmdViEvent.FLAG_RW : 0, out);
        }
        loadDeviceTableEntry(deviceId);
        final long q0 = dte.q0;
        final long q1 = dte.q1;
        final long q2 = dte.q2;
        if (!DeviceTableEntry.valid(q0))
        {
            return passThrough(deviceId, address, write, out);
        }
        out.domainId = DeviceTableEntry.domainId(q1);
        if (illegal(q0, q2))
        {
            return illegalDeviceTableEntry(deviceId, pasid, address, write ? AmdViEvent.FLAG_RW : 0, out);
        }
        // The checks below in a method of their own keep this one small enough for the JIT to inline it.
        final int untranslated = untranslated(deviceId, pasid, address, access, privileged, write, q0, q1, q2, out);
        if (untranslated != TRANSLATE)
        {
            return untranslated == ALLOWED;
        }
        return translate(deviceId, pasid, address, access, privileged, 0, q0, q1, q2, out) &&
            rmpChecked(deviceId, address, write, out);
    }

    /** {@link #untranslated}: the request must be translated. */
    private static final int TRANSLATE = 0;
    /** {@link #untranslated}: the request was handled without translation and may proceed. */
    private static final int ALLOWED = 1;
    /** {@link #untranslated}: the request was handled without translation and refused. */
    private static final int REFUSED = 2;

    /**
     * The requests of a valid, legal DTE that are not translated, in this order: interrupt requests, the
     * exclusion range, a DTE without translation (V = 1, TV = 0: IO_PAGE_FAULT), Mode 0 pass-through.
     *
     * @return {@link #TRANSLATE}, or {@link #ALLOWED} / {@link #REFUSED} for a request handled here.
     */
    private int untranslated(final int deviceId, final int pasid, final long address, final int access,
        final boolean privileged, final boolean write, final long q0, final long q1, final long q2, final AmdViOutcome out)
    {
        final boolean result;
        if (write && pasid == CacheTag.NO_PASID && isInterruptAddress(address))
        {
            result = interruptRequest(deviceId, address, q1, q2, out);
        }
        else if (pasid == CacheTag.NO_PASID && excluded(address, q1))
        {
            out.excluded = true;
            result = passThrough(deviceId, address, write, out);
        }
        else if (!DeviceTableEntry.translationValid(q0))
        {
            result = ioPageFault(deviceId, out.domainId, pasid, address, requestFlags(access, privileged, pasid, false),
                WalkFault.NOT_PRESENT, suppressed(q1), out);
        }
        else if (DeviceTableEntry.mode(q0) == 0 && guestPasid(q0, pasid) == CacheTag.NO_PASID && pasidAccepted(q0, pasid))
        {
            result = passThrough(deviceId, address, write, out);
        }
        else
        {
            return TRANSLATE;
        }
        return result ? ALLOWED : REFUSED;
    }

    /**
     * An ATS Translation Request (an MRd with AT = 01) without a PASID: see
     * {@link #translationRequest(int, int, long, boolean, AmdViOutcome)}.
     */
    public long translationRequest(final int deviceId, final long address, final AmdViOutcome out)
    {
        return translationRequest(deviceId, CacheTag.NO_PASID, address, false, out);
    }

    /**
     * An ATS Translation Request (an MRd with AT = 01) from {@code deviceId} for {@code address}, with a PASID or
     * {@link CacheTag#NO_PASID}: the answer is the Translation Completion entry ({@code pcie-tlp}'s
     * {@link TranslationCompletionEntry} layout): the translated page, R/W from the effective permissions, the
     * S-bit size encoding for leaves above 4 KiB, U from the host leaf's U bit (untranslated access only), and
     * for guest translations Exe from the guest table's NX and Priv from the request; R = W = 0 when there is no
     * translation (an IO_PAGE_FAULT with the TR flag is logged). An answer without U is cached in the
     * {@link #deviceTlb()}. A device whose DTE does not allow ATS (I = 0) gets INVALID_DEVICE_REQUEST and a zero
     * entry. The RMP is not consulted here: it checks the translated request that uses the answer (a choice; the
     * reference does not say where SNP checks ATS traffic).
     */
    public long translationRequest(final int deviceId, final int pasid, final long address, final boolean privileged,
        final AmdViOutcome out)
    {
        out.reset();
        out.pasid = pasid;
        if (!inDeviceTable(deviceId))
        {
            invalidDeviceRequest(deviceId, address, false, AmdViEvent.FLAG_TR, out);
            return 0;
        }
        loadDeviceTableEntry(deviceId);
        final long q0 = dte.q0;
        final long q1 = dte.q1;
        final long q2 = dte.q2;
        if (!atsAllowed(q0, q1))
        {
            invalidDeviceRequest(deviceId, address, false, AmdViEvent.FLAG_TR, out);
            return 0;
        }
        out.domainId = DeviceTableEntry.domainId(q1);
        if (illegal(q0, q2))
        {
            illegalDeviceTableEntry(deviceId, pasid, address, AmdViEvent.FLAG_TR, out);
            return 0;
        }
        final int flags = requestFlags(0, privileged, pasid, false) | AmdViEvent.FLAG_TR;
        if (!DeviceTableEntry.translationValid(q0) ||
            (DeviceTableEntry.mode(q0) == 0 && guestPasid(q0, pasid) == CacheTag.NO_PASID && pasidAccepted(q0, pasid)))
        {
            // No table to translate with: nothing the device could cache.
            ioPageFault(deviceId, out.domainId, pasid, address, flags, WalkFault.NOT_PRESENT, suppressed(q1), out);
            return 0;
        }
        if (!translate(deviceId, pasid, address, 0, privileged, AmdViEvent.FLAG_TR, q0, q1, q2, out))
        {
            return 0;
        }
        if ((out.permissions & Permissions.READ_WRITE) == 0)
        {
            ioPageFault(deviceId, out.domainId, pasid, address, flags | AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE,
                WalkFault.PERMISSION, suppressed(q1), out);
            return 0;
        }
        final long size = 1L << out.pageSizeLg2;
        final long base = out.outputAddress & -size;
        final long addressField = size > AtsRange.MIN_SIZE ? AtsRange.encode(base, size) | TranslationCompletionEntry.S : base;
        final boolean guestAnswer = out.guest && pasid != CacheTag.NO_PASID;
        if (!out.untranslatedOnly)
        {
            deviceTlb.fill(deviceId, pasid, address, out.pageSizeLg2, out.outputAddress, out.permissions);
        }
        return addressField |
            ((out.permissions & Permissions.READ) != 0 ? TranslationCompletionEntry.R : 0) |
            ((out.permissions & Permissions.WRITE) != 0 ? TranslationCompletionEntry.W : 0) |
            (out.untranslatedOnly ? TranslationCompletionEntry.U : 0) |
            (guestAnswer && (out.permissions & Permissions.EXECUTE) != 0 ? TranslationCompletionEntry.EXE : 0) |
            (guestAnswer && privileged ? TranslationCompletionEntry.PRIV : 0);
    }

    /**
     * A translated request (AT = 10): the address is already a system physical address from an earlier ATS
     * answer. Honoured only for devices whose DTE allows ATS (I = 1), otherwise INVALID_DEVICE_REQUEST; with
     * SNP it is checked against the RMP like any DMA (as a 4 KiB access: the IOMMU does not know the size of
     * the translation the device used).
     */
    public boolean translatedRequest(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        out.reset();
        if (!inDeviceTable(deviceId))
        {
            invalidDeviceRequest(deviceId, address, write, 0, out);
            return false;
        }
        loadDeviceTableEntry(deviceId);
        if (!atsAllowed(dte.q0, dte.q1))
        {
            invalidDeviceRequest(deviceId, address, write, 0, out);
            return false;
        }
        return passThrough(deviceId, address, write, out);
    }

    /**
     * The devices' ATS caches as this IOMMU's answers and INVALIDATE_IOTLB_PAGES commands leave them: a replay
     * asks {@link DeviceTlb#translate} whether device X could send address A as a translated request.
     */
    public DeviceTlb deviceTlb()
    {
        return deviceTlb;
    }

    /** The DTE cache (role CONTEXT). */
    public TranslationCache deviceTableCache()
    {
        return dte.cache();
    }

    /** The nested-walk cache of GPA-to-SPA host translations (role NESTED). */
    public TranslationCache nestedCache()
    {
        return caches.get(3);
    }

    /** The GCR3 cache (role PASID). */
    public TranslationCache gcr3Cache()
    {
        return gcr3Cache;
    }

    public AmdViOptions options()
    {
        return options;
    }

    /** The IOTLB (for statistics and tests). */
    public TranslationCache iotlb()
    {
        return iotlb;
    }

    public InvalidationDispatcher dispatcher()
    {
        return dispatcher;
    }

    public long eventInterrupts()
    {
        return eventLog.interrupts();
    }

    public long completionWaitInterrupts()
    {
        return commands.completionWaitInterrupts();
    }

    public long commandsProcessed()
    {
        return commands.processed();
    }

    // ---------------------------------------------------------------------------------------------------------

    /** The x86 MSI/interrupt address range (0xFEE0_0000-0xFEEF_FFFF): writes there are interrupt requests. */
    private static final long INTERRUPT_RANGE_FIRST = 0xFEE0_0000L;
    private static final long INTERRUPT_RANGE_LAST = 0xFEEF_FFFFL;
    private static final int REQUEST_ACCESS = Permissions.READ | Permissions.WRITE | Permissions.EXECUTE;
    private static final int IOTLB_SIZE_SHIFT = 8;
    private static final int IOTLB_SIZE_MASK = 0xFF;
    private static final int IOTLB_U = 1 << 16;

    /**
     * Translate through the host table, the guest table or both; on failure log an IO_PAGE_FAULT and return
     * false. Leaves the translation (before any RMP check) in {@code out}.
     *
     * @param extraFlags event flags the request adds (TR for translation requests).
     */
    private boolean translate(final int deviceId, final int requestPasid, final long address, final int access,
        final boolean privileged, final int extraFlags, final long q0, final long q1, final long q2, final AmdViOutcome out)
    {
        final int domainId = DeviceTableEntry.domainId(q1);
        if (!pasidAccepted(q0, requestPasid))
        {
            invalidDeviceRequest(deviceId, address, (access & Permissions.WRITE) != 0, extraFlags, out);
            return false;
        }
        final int pasid = guestPasid(q0, requestPasid);
        // The request's PASID as the event reports it: none when the PASID was dropped or supplied by GIOV.
        final int eventPasid = pasid == requestPasid ? requestPasid : CacheTag.NO_PASID;
        final boolean guestPath = pasid != CacheTag.NO_PASID;
        final int walkAccess = access | (guestPath && !privileged ? Permissions.USER : 0);
        final long tag = CacheTag.of(domainId, pasid, 0, false, 0);
        final int slot = iotlb.lookupPage(tag, address, IOTLB_SIZES);
        if (slot != TranslationCache.MISS)
        {
            final int attribute = iotlb.attribute(slot);
            final int permissions = attribute & Permissions.ALL;
            if ((walkAccess & ~permissions) == 0)
            {
                out.iotlbHit = true;
                out.guest = guestPath;
                out.outputAddress = iotlb.value(slot) | (address & ((1L << CacheKey.sizeLg2(iotlb.key(slot))) - 1));
                out.pageSizeLg2 = (attribute >>> IOTLB_SIZE_SHIFT) & IOTLB_SIZE_MASK;
                out.permissions = permissions;
                out.untranslatedOnly = (attribute & IOTLB_U) != 0;
                return true;
            }
        }
        // The walk in a method of its own: the IOTLB hit path above stays small enough to be inlined.
        return walkAndFill(deviceId, domainId, pasid, eventPasid, guestPath, address, walkAccess,
            extraFlags | requestFlags(access, privileged, eventPasid, guestPath), tag, q0, q1, q2, out);
    }

    /** The IOTLB missed (or refused the access): walk the host or guest tables, fill the IOTLB. */
    private boolean walkAndFill(final int deviceId, final int domainId, final int pasid, final int eventPasid,
        final boolean guestPath, final long address, final int walkAccess, final int flags, final long tag, final long q0,
        final long q1, final long q2, final AmdViOutcome out)
    {
        if (!guestPath)
        {
            final AmdV1Format format = formats[DeviceTableEntry.mode(q0)];
            if (!(hostWalkCache == null ?
                Walker.walk(format, memory, DeviceTableEntry.root(q0), address, walkAccess, DeviceTableEntry.permissions(q0), walk) :
                hostWalkCache.walk(format, memory, DeviceTableEntry.root(q0), tag, address, walkAccess, DeviceTableEntry.permissions(q0),
                    walk)))
            {
                return ioPageFault(deviceId, domainId, eventPasid, address, flags | faultFlags(walk.fault()), walk.fault(),
                    suppressed(q1), out);
            }
            out.outputAddress = walk.outputAddress();
            out.pageSizeLg2 = walk.pageSizeLg2();
            out.permissions = walk.permissions();
            // The host leaf's U bit (v1 PTE bit 59); guest-only translations have no host leaf.
            out.untranslatedOnly = (walk.entryValue(walk.entryCount() - 1) & AmdV1Format.U) != 0;
        }
        else
        {
            out.guest = true;
            final boolean gcr3IsGpa = (controlValue & AmdViRegisters.CONTROL_GCR3_TRP_MODE) != 0;
            if (!guest.translate(q0, q1, q2, deviceId, pasid, address, walkAccess, gcr3IsGpa))
            {
                out.walkFault = guest.fault;
                final int faultFlags = flags | faultFlags(guest.fault);
                if (guest.stage == GuestTranslation.STAGE_HOST &&
                    options.nestedFaultAddress() == AmdViOptions.NestedFaultAddress.GUEST_PHYSICAL_ADDRESS)
                {
                    return ioPageFault(deviceId, domainId, CacheTag.NO_PASID, guest.faultAddress,
                        faultFlags & ~(AmdViEvent.FLAG_US | AmdViEvent.FLAG_NX), guest.fault, suppressed(q1), out);
                }
                return ioPageFault(deviceId, domainId, eventPasid, address, faultFlags, guest.fault, suppressed(q1), out);
            }
            out.outputAddress = guest.outputAddress;
            out.pageSizeLg2 = guest.pageSizeLg2;
            out.permissions = guest.permissions;
            out.untranslatedOnly = guest.untranslatedOnly;
        }
        // One IOTLB entry of the leaf's size (4 KiB, 2 MiB or 1 GiB; other sizes as the fragment used), carrying the leaf size.
        final int entryLg2 = iotlbEntrySize(out.pageSizeLg2);
        iotlb.insert(tag, CacheKey.of(address, entryLg2), out.outputAddress & -(1L << entryLg2),
            out.permissions | (out.pageSizeLg2 << IOTLB_SIZE_SHIFT) | (out.untranslatedOnly ? IOTLB_U : 0));
        return true;
    }

    /** The event flags a request carries whatever goes wrong: RW, NX for execute, US for a user guest request. */
    private static int requestFlags(final int access, final boolean privileged, final int eventPasid, final boolean guestPath)
    {
        return ((access & Permissions.WRITE) != 0 ? AmdViEvent.FLAG_RW : 0) |
            ((access & Permissions.EXECUTE) != 0 ? AmdViEvent.FLAG_NX : 0) |
            (guestPath && !privileged ? AmdViEvent.FLAG_US : 0) |
            (eventPasid != CacheTag.NO_PASID ? AmdViEvent.FLAG_GN : 0);
    }

    /** PR and PE for a permission fault (the page was present), RZ for a reserved bit or an illegal level. */
    private static int faultFlags(final WalkFault fault)
    {
        switch (fault)
        {
            case PERMISSION:
                return AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE;
            case RESERVED_BIT:
            case BAD_LEVEL_ENCODING:
                return AmdViEvent.FLAG_RZ;
            default:
                return 0;
        }
    }

    /** Whether guest translation is on for this DTE: GV and Control.GTEn. */
    private boolean guestTranslationOn(final long q0)
    {
        return DeviceTableEntry.guestTranslationValid(q0) && (controlValue & AmdViRegisters.CONTROL_GT_EN) != 0;
    }

    /** The PASID whose guest table translates the request, or NO_PASID for the host table alone. */
    private int guestPasid(final long q0, final int requestPasid)
    {
        if (!guestTranslationOn(q0))
        {
            return CacheTag.NO_PASID;
        }
        if (requestPasid != CacheTag.NO_PASID)
        {
            return requestPasid;
        }
        return DeviceTableEntry.guestIoProtectionValid(q0) ? 0 : CacheTag.NO_PASID;
    }

    /** False for a PASID request to a device without guest translation when the options refuse it. */
    private boolean pasidAccepted(final long q0, final int requestPasid)
    {
        return requestPasid == CacheTag.NO_PASID || guestTranslationOn(q0) ||
            options.pasidWithoutGuest() == AmdViOptions.PasidWithoutGuest.HOST_TRANSLATION;
    }

    /** Mode 7; Mode 0 with SNP (SNP forbids it); with GV, GLX 3 or a reserved GPM. */
    private boolean illegal(final long q0, final long q2)
    {
        final int mode = DeviceTableEntry.mode(q0);
        if (mode == 7 || (mode == 0 && rmpCheck != null))
        {
            return true;
        }
        return DeviceTableEntry.guestTranslationValid(q0) &&
            (DeviceTableEntry.glx(q0) >= GuestCr3TableEntry.MAX_LEVELS || DeviceTableEntry.guestPagingMode(q2) > DeviceTableEntry.GPM_5_LEVEL);
    }

    private static boolean suppressed(final long q1)
    {
        return (q1 & (DeviceTableEntry.SE | DeviceTableEntry.SA)) != 0;
    }

    /**
     * The exclusion range: with ExEn, addresses in {@code [base, limit | 0xFFF]} bypass translation for devices
     * whose DTE sets EX, or for every device with Allow.
     */
    private boolean excluded(final long address, final long q1)
    {
        final long base = exclusionBaseValue;
        if ((base & AmdViRegisters.EXCLUSION_ENABLE) == 0 ||
            ((base & AmdViRegisters.EXCLUSION_ALLOW_ALL) == 0 && !DeviceTableEntry.exclusionAllowed(q1)))
        {
            return false;
        }
        final long first = base & AmdViRegisters.BASE_ADDRESS;
        final long last = (exclusionLimitValue & AmdViRegisters.BASE_ADDRESS) | (PhysicalMemory.FRAME_SIZE - 1);
        return Long.compareUnsigned(address, first) >= 0 && Long.compareUnsigned(address, last) <= 0;
    }

    private static boolean isInterruptAddress(final long address)
    {
        return address >= INTERRUPT_RANGE_FIRST && address <= INTERRUPT_RANGE_LAST;
    }

    /**
     * An interrupt request (a write to the interrupt range). Interrupt remapping is not modelled: IV = 0 or
     * IntCtl = forward passes it on unremapped; IntCtl = abort is INVALID_DEVICE_REQUEST (type 5); IntCtl =
     * remap is forwarded or faulted (IO_PAGE_FAULT with I) as {@link AmdViOptions#remappedInterrupts()} says;
     * IntCtl = 11b (reserved) is ILLEGAL_DEV_TABLE_ENTRY.
     */
    private boolean interruptRequest(final int deviceId, final long address, final long q1, final long q2, final AmdViOutcome out)
    {
        out.interrupt = true;
        final int intCtl = DeviceTableEntry.interruptMapValid(q2) ? DeviceTableEntry.interruptControl(q2) : DeviceTableEntry.INT_CTL_FORWARD;
        switch (intCtl)
        {
            case DeviceTableEntry.INT_CTL_FORWARD:
                out.outputAddress = address;
                out.pageSizeLg2 = PhysicalMemory.FRAME_SIZE_LG2;
                out.permissions = Permissions.WRITE;
                return true;
            case DeviceTableEntry.INT_CTL_ABORT:
                invalidDeviceRequest(deviceId, address, false, AmdViEvent.INVALID_REQUEST_INTERRUPT_ABORTED, out);
                return false;
            case DeviceTableEntry.INT_CTL_REMAP:
                if (options.remappedInterrupts() == AmdViOptions.RemappedInterrupts.FORWARD)
                {
                    out.outputAddress = address;
                    out.pageSizeLg2 = PhysicalMemory.FRAME_SIZE_LG2;
                    out.permissions = Permissions.WRITE;
                    return true;
                }
                return ioPageFault(deviceId, out.domainId, CacheTag.NO_PASID, address, AmdViEvent.FLAG_I | AmdViEvent.FLAG_RW,
                    WalkFault.NOT_PRESENT, suppressed(q1), out);
            default:
                return illegalDeviceTableEntry(deviceId, CacheTag.NO_PASID, address, AmdViEvent.FLAG_I | AmdViEvent.FLAG_RW, out);
        }
    }

    private boolean inDeviceTable(final int deviceId)
    {
        final long tableEntries = ((deviceTableBaseValue & AmdViRegisters.DEVICE_TABLE_SIZE) + 1) *
            (PhysicalMemory.FRAME_SIZE / DeviceTableEntry.SIZE);
        return (deviceId & 0xFFFF) < tableEntries;
    }

    private void loadDeviceTableEntry(final int deviceId)
    {
        final long tableBase = deviceTableBaseValue & AmdViRegisters.BASE_ADDRESS;
        dte.load(memory, DeviceTableEntry.address(tableBase, deviceId), deviceId);
    }

    private boolean passThrough(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        out.outputAddress = address;
        out.pageSizeLg2 = PhysicalMemory.FRAME_SIZE_LG2;
        out.permissions = Permissions.ALL;
        return rmpChecked(deviceId, address, write, out);
    }

    /** With SNP, every DMA is checked against the RMP ("the IOMMU only does RMP enforcement", AMDSEV#109). */
    private boolean rmpChecked(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        if (rmpCheck == null ||
            rmpCheck.check(out.outputAddress, out.pageSizeLg2, write, deviceId, address, rmpEvent) == DmaRmpCheck.ALLOWED)
        {
            return true;
        }
        out.status = AmdViOutcome.Status.RMP_PAGE_FAULT;
        words[0] = rmpEvent.buffer().getLong(rmpEvent.offset(), RmpPageFaultEvent.BYTE_ORDER);
        words[1] = rmpEvent.buffer().getLong(rmpEvent.offset() + 8, RmpPageFaultEvent.BYTE_ORDER);
        out.eventLogged = logEvent();
        return false;
    }

    /** IO_PAGE_FAULT: with a PASID the event has GN and the PASID where the DomainID would be. */
    private boolean ioPageFault(final int deviceId, final int domainId, final int pasid, final long address, final int flags,
        final WalkFault fault, final boolean suppressed, final AmdViOutcome out)
    {
        out.status = AmdViOutcome.Status.IO_PAGE_FAULT;
        out.walkFault = fault;
        if (!suppressed)
        {
            if (pasid == CacheTag.NO_PASID)
            {
                AmdViEvent.encode(words, 0, AmdViEvent.IO_PAGE_FAULT, deviceId, domainId, flags & ~AmdViEvent.FLAG_GN, address);
            }
            else
            {
                AmdViEvent.encodeGuest(words, 0, AmdViEvent.IO_PAGE_FAULT, deviceId, pasid, flags, address);
            }
            out.eventLogged = logEvent();
        }
        return false;
    }

    private boolean atsAllowed(final long q0, final long q1)
    {
        return (controlValue & AmdViRegisters.CONTROL_IOMMU_EN) != 0 &&
            DeviceTableEntry.valid(q0) && (q1 & DeviceTableEntry.I) != 0;
    }

    private void invalidDeviceRequest(final int deviceId, final long address, final boolean write, final int flags,
        final AmdViOutcome out)
    {
        out.status = AmdViOutcome.Status.INVALID_DEVICE_REQUEST;
        AmdViEvent.encode(words, 0, AmdViEvent.INVALID_DEVICE_REQUEST, deviceId, 0, flags | (write ? AmdViEvent.FLAG_RW : 0), address);
        out.eventLogged = logEvent();
    }

    /**
     * ILLEGAL_DEV_TABLE_ENTRY: the IO_PAGE_FAULT dword layout with RZ, and GN with the PASID, RW, I or TR as the
     * request had them (reference amd-vi-rmp.md 4.2); the address's bits 1:0 are not recorded.
     */
    private boolean illegalDeviceTableEntry(final int deviceId, final int pasid, final long address, final int flags,
        final AmdViOutcome out)
    {
        out.status = AmdViOutcome.Status.ILLEGAL_DEV_TABLE_ENTRY;
        if (pasid == CacheTag.NO_PASID)
        {
            AmdViEvent.encode(words, 0, AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY, deviceId, 0, flags | AmdViEvent.FLAG_RZ, address & ~0x3L);
        }
        else
        {
            AmdViEvent.encodeGuest(words, 0, AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY, deviceId, pasid, flags | AmdViEvent.FLAG_RZ,
                address & ~0x3L);
        }
        out.eventLogged = logEvent();
        return false;
    }

    private boolean logEvent()
    {
        final boolean logged = eventLog.log(words);
        signalInterrupts();
        return logged;
    }

    private void configure(final MemoryRing ring, final long baseValue)
    {
        final int lengthLg2 = (int)((baseValue & AmdViRegisters.LENGTH) >>> AmdViRegisters.LENGTH_SHIFT);
        if (lengthLg2 >= LOWEST_RING_LENGTH_LG2 && lengthLg2 <= HIGHEST_RING_LENGTH_LG2)
        {
            ring.configure(baseValue & AmdViRegisters.BASE_ADDRESS, 1 << lengthLg2);
        }
        // As QEMU does, writing a base register resets that ring's pointers.
        if (ring == commandRing)
        {
            registers.setValue(commandHead, 0);
            registers.setValue(commandTail, 0);
        }
        else
        {
            registers.setValue(eventHead, 0);
            registers.setValue(eventTail, 0);
        }
    }

    private void controlWritten(final long value)
    {
        long statusValue = registers.value(status) & ~(AmdViRegisters.STATUS_EVENT_LOG_RUN | AmdViRegisters.STATUS_CMD_BUF_RUN);
        if ((value & AmdViRegisters.CONTROL_EVENT_LOG_EN) != 0 && eventRing.entries() != 0)
        {
            statusValue |= AmdViRegisters.STATUS_EVENT_LOG_RUN;
        }
        if ((value & AmdViRegisters.CONTROL_CMD_BUF_EN) != 0 && commandRing.entries() != 0)
        {
            statusValue |= AmdViRegisters.STATUS_CMD_BUF_RUN;
            commands.restart();
        }
        registers.setValue(status, statusValue);
        commands.run();
    }

    private void commandTailWritten(final long value)
    {
        commandRing.tail(index(value));
        commands.run();
    }

    /** The IOTLB entry size for a leaf of {@code leafLg2}: the largest of 4 KiB, 2 MiB and 1 GiB not above it. */
    static int iotlbEntrySize(final int leafLg2)
    {
        return leafLg2 >= 30 ? 30 : leafLg2 >= 21 ? 21 : 12;
    }

    private static int index(final long pointerValue)
    {
        return (int)((pointerValue & AmdViRegisters.POINTER) >>> 4);
    }
}
