package org.iommuemu.emulator.amdvi;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.AtsCompletion;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.InterruptListener;
import org.iommuemu.emulator.platform.InterruptRange;
import org.iommuemu.emulator.platform.InterruptSource;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.GuestRmpCheck;

/**
 * An AMD-Vi IOMMU programmed only through its registers and in-memory structures, as Linux's amd_iommu driver
 * programs one: the device table, the command buffer, the event log and the GCR3 tables live in emulated
 * memory, and the register file ({@link #writeRegister}) is the only way software reaches the model.
 * <p>
 * The model is split by hardware role, as the VT-d model is:
 * <ul>
 * <li>this class: the register file (offsets in {@link AmdViRegisters}) and the routing of a request, in this
 * order: IOMMU enable, the device table entry (V, legality), then the interrupt range (interrupt requests are
 * forwarded or refused by the DTE's interrupt control, never translated), the exclusion range (bypasses
 * translation), TV and Mode 0; ATS translation requests are answered with a Translation Completion entry
 * ({@link AtsCompletion}) and cached in the {@link DeviceTlb}; translated requests are honoured for devices whose
 * DTE sets I; with SNP every DMA result is checked against the RMP;</li>
 * <li>the {@link AmdViTranslator}: the DTE lookup (through the {@link DeviceTableCache}, into the
 * {@link DeviceTableEntry} flyweight) and translation: host (v1) only, guest (v2) through the GCR3 table for a
 * PASID (or PASID 0 with DTE.GIOV), or nested (guest over host, see {@link GuestTranslation}), with the IOTLB
 * probed first and filled after a walk;</li>
 * <li>the {@link AmdViEventLog}: IO_PAGE_FAULT (flags GN with the PASID, NX, US, I, PR, RW, PE, RZ, TR),
 * ILLEGAL_DEV_TABLE_ENTRY, INVALID_DEVICE_REQUEST, RMP_PAGE_FAULT and ILLEGAL_COMMAND_ERROR, with overflow status
 * and the event interrupt;</li>
 * <li>the {@link AmdViCommandProcessor}, which decides which caches each command invalidates.</li>
 * </ul>
 * Every request is answered in a {@link RequestOutcome} filled in place. Choices on unverified behaviour are
 * listed in docs/amdvi.md; the switchable ones are {@link AmdViOptions}.
 * <p>
 * Not thread-safe; nothing on the request path allocates.
 */
public final class AmdViIommu implements IommuPort
{
    private static final int LOWEST_RING_LENGTH_LG2 = 8;
    private static final int HIGHEST_RING_LENGTH_LG2 = 15;
    private static final int REQUEST_ACCESS = Permissions.READ | Permissions.WRITE | Permissions.EXECUTE;

    private final RegisterFile registers = new RegisterFile("amdvi", AmdViRegisters.SIZE);
    private final Register deviceTableBase;
    private final Register control;
    private final Register commandHead;
    private final Register commandTail;
    private final Register eventHead;
    private final Register eventTail;
    private final Register status;
    private final MemoryRing commandRing;
    private final MemoryRing eventRing;
    private final MemoryRing pprRing;
    private final Register pprHead;
    private final Register pprTail;
    private final AmdViPprLog pprLog;
    private final long extendedFeatures;
    private final Register exclusionBase;
    private final Register exclusionLimit;
    private final Register extendedFeatures2;
    private final TranslationCache iotlb;
    private final TranslationCache deviceTableCache;
    private final TranslationCache gcr3Cache;
    private final DeviceTlb deviceTlb;
    private final AmdViOptions options;
    private final InvalidationDispatcher dispatcher = new InvalidationDispatcher();
    private final DmaRmpCheck rmpCheck;
    private List<TranslationCache> caches;
    private final AmdViEventLog eventLog;
    private final AmdViCommandProcessor commands;
    private final AmdViTranslator translator;
    private final PhysicalMemory memory;
    /** SEV-TIO's trusted path for T = 1 requests, or null without SEV-TIO ({@link #sevTio}). */
    private AmdViTrustedPath trustedPath;
    /** The translator's DTE flyweight, which {@link AmdViTranslator#lookUp} points at the request's entry. */
    private final DeviceTableEntry dte;
    /**
     * Copies of the registers the request path reads here (CONTROL, EXCLUSION_BASE/LIMIT; the translator keeps what it
     * reads), so a request does not look each up in the register file. Only software writes ({@link #writeRegister})
     * change these registers (the model itself sets only status, head and tail), and every write refreshes the copies.
     */
    private long controlValue;
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
        this.rmpCheck = rmpCheck;
        this.memory = memory;
        this.iotlb = iotlb;
        this.options = options;
        this.deviceTableCache = dteCache;
        this.gcr3Cache = gcr3Cache;
        this.deviceTlb = new DeviceTlb(deviceTlb);
        this.commandRing = new MemoryRing("command buffer", memory, AmdViEvent.LENGTH);
        this.eventRing = new MemoryRing("event log", memory, AmdViEvent.LENGTH);
        this.pprRing = new MemoryRing("PPR log", memory, PprLogEntry.LENGTH);
        this.extendedFeatures = extendedFeatures;
        dispatcher.register(iotlb);
        dispatcher.register(dteCache);
        dispatcher.register(gcr3Cache);
        dispatcher.register(nestedCache);
        dispatcher.register(deviceTlb);
        this.caches = List.of(iotlb, dteCache, gcr3Cache, nestedCache, deviceTlb);

        final long baseWritable = AmdViRegisters.BASE_ADDRESS;
        deviceTableBase = registers.define("DEV_TABLE_BASE", AmdViRegisters.DEVICE_TABLE_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.DEVICE_TABLE_SIZE), 0);
        registers.define("CMD_BUF_BASE", AmdViRegisters.COMMAND_BUFFER_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.LENGTH), 0, (register, oldValue, newValue) -> configure(commandRing, newValue));
        registers.define("EVENT_LOG_BASE", AmdViRegisters.EVENT_LOG_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.LENGTH), 0, (register, oldValue, newValue) -> configure(eventRing, newValue));
        registers.define("PPR_LOG_BASE", AmdViRegisters.PPR_LOG_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.LENGTH), 0, (register, oldValue, newValue) -> configure(pprRing, newValue));
        control = registers.define("CONTROL", AmdViRegisters.CONTROL, 8, 0, 0, 0,
            (register, oldValue, newValue) -> controlWritten(oldValue, newValue));
        exclusionBase = registers.define("EXCLUSION_BASE", AmdViRegisters.EXCLUSION_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.EXCLUSION_ENABLE | AmdViRegisters.EXCLUSION_ALLOW_ALL), 0);
        exclusionLimit = registers.define("EXCLUSION_LIMIT", AmdViRegisters.EXCLUSION_LIMIT, 8, 0, ~baseWritable, 0);
        registers.define("EFR", AmdViRegisters.EXTENDED_FEATURE, 8, extendedFeatures, -1L, 0);
        extendedFeatures2 = registers.define("EFR2", AmdViRegisters.EXTENDED_FEATURE_2, 8, 0, -1L, 0);
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
        pprHead = registers.define("PPR_HEAD", AmdViRegisters.PPR_HEAD, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> pprRing.head(index(newValue)));
        pprTail = registers.define("PPR_TAIL", AmdViRegisters.PPR_TAIL, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> pprRing.tail(index(newValue)));
        pprLog = new AmdViPprLog(registers, control, status, pprTail, pprRing);
        eventLog = new AmdViEventLog(registers, control, status, eventTail, eventRing, options.atsFaultEvents());
        eventLog.interruptHook(this::signalInterrupts);
        commands = new AmdViCommandProcessor(memory, registers, control, status, commandHead, commandRing, dispatcher, eventLog);
        translator = new AmdViTranslator(memory, iotlb, new DeviceTableCache(dteCache), gcr3Cache, nestedCache, options,
            eventLog, rmpCheck != null, extendedFeatures);
        dte = translator.entry();
        refreshRegisterCopies();
    }

    private void refreshRegisterCopies()
    {
        controlValue = registers.value(control);
        exclusionBaseValue = registers.value(exclusionBase);
        exclusionLimitValue = registers.value(exclusionLimit);
        translator.registers(registers.value(deviceTableBase), controlValue);
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

    // ---------------------------------------------------------------------------------------------------------
    // The platform port.

    /**
     * The platform port: untranslated requests go through {@link #dma}, ATS translation requests through
     * {@link #translationRequest}, translated requests through {@link #translatedRequest}. The request's PASID,
     * its privileged flag and its execute access select and check the guest (v2) translation.
     */
    public boolean handle(final DmaRequest request, final RequestOutcome outcome)
    {
        final int deviceId = request.requesterId();
        if (trustedPath != null && request.trusted() &&
            !interruptRequest(request.pasid(), request.address(), request.isWrite()))
        {
            return trustedPath.handle(request, (controlValue & AmdViRegisters.CONTROL_IOMMU_EN) != 0, outcome);
        }
        // Identity tests rather than an enum switch, whose ordinal lookup table costs two dependent loads.
        final AddressType type = request.addressType();
        if (type == AddressType.UNTRANSLATED)
        {
            return dma(deviceId, request.pasid(), request.address(), request.access() & REQUEST_ACCESS, request.privileged(),
                outcome);
        }
        if (type == AddressType.TRANSLATION_REQUEST)
        {
            translationRequest(deviceId, request.pasid(), request.address(), request.privileged(), outcome);
            return outcome.isOk();
        }
        return translatedRequest(deviceId, request.address(), request.isWrite(), outcome);
    }

    public String name()
    {
        return "amdvi";
    }

    /**
     * Enable SEV-TIO's trusted path (docs/amdvi.md, "SEV-TIO"): requests with T = 1 then go through the device's
     * secure DTE and the RMP's private-access check ({@link AmdViTrustedPath}); without this call the T bit is
     * ignored, as on an IOMMU without SEV-TIO. Sets EFR2's SEV-TIO bit (the BIOS switch). Needs SNP (the RMP check).
     * Call once, before traffic.
     *
     * @param state        the PSP firmware's TDISP states and ASID fences.
     * @param privateCheck the RMP check of a guest's private access, over the same RMP as the DMA check.
     */
    public void sevTio(final TrustedIoState state, final GuestRmpCheck privateCheck)
    {
        if (rmpCheck == null)
        {
            throw new IllegalStateException("SEV-TIO needs SNP: build the IOMMU with an RMP check");
        }
        trustedPath = new AmdViTrustedPath(memory, translator, eventLog, state, privateCheck, rmpCheck, options);
        registers.setValue(extendedFeatures2, registers.value(extendedFeatures2) | AmdViRegisters.EFR2_SEV_TIO_SUP);
    }

    /**
     * The secure device table's base, as the PSP programs it at TIO_INIT (the IOMMU's internal SEV-TIO register, which
     * x86 software cannot reach: there is no MMIO offset for it in the sources). Entries are
     * {@link SecureDeviceTableEntry}s indexed by DeviceID.
     */
    public void secureDeviceTableBase(final long base)
    {
        if (trustedPath == null)
        {
            throw new IllegalStateException("SEV-TIO is not enabled on this IOMMU");
        }
        trustedPath.tableBase(base);
    }

    /** Whether SEV-TIO's trusted path is enabled. */
    public boolean sevTioEnabled()
    {
        return trustedPath != null;
    }

    /**
     * Put page-walk caches (the "PDE" caches that INVALIDATE_IOMMU_PAGES with PDE = 1 flushes; role WALK) in front of
     * the host (v1) walks; registered with this IOMMU's dispatcher. Guest (v2) walks do not use them. Call once,
     * before traffic.
     */
    public void hostWalkCache(final PageWalkCache walkCache)
    {
        final List<TranslationCache> all = new ArrayList<>(caches);
        all.addAll(dispatcher.register(walkCache));
        caches = List.copyOf(all);
        translator.hostWalkCache(walkCache);
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
     * @return true when the DMA may proceed to {@link RequestOutcome#outputAddress()}.
     */
    public boolean dma(final int deviceId, final long address, final boolean write, final RequestOutcome out)
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
     * @return true when the request may proceed to {@link RequestOutcome#outputAddress()}.
     */
    public boolean dma(final int deviceId, final int pasid, final long address, final int access, final boolean privileged,
        final RequestOutcome out)
    {
        out.reset();
        final boolean write = (access & Permissions.WRITE) != 0;
        if ((controlValue & AmdViRegisters.CONTROL_IOMMU_EN) == 0 || !translator.lookUp(deviceId) || !dte.valid())
        {
            return withoutEntry(deviceId, pasid, address, write, out);
        }
        out.domainId(dte.domainId());
        if (translator.illegal())
        {
            out.interrupt(interruptRequest(pasid, address, write));
            return eventLog.illegalDeviceTableEntry(out, deviceId, pasid, address, write ? AmdViEvent.FLAG_RW : 0);
        }
        // The checks below in a method of their own keep this one small enough for the JIT to inline it.
        final int untranslated = untranslated(deviceId, pasid, address, access, privileged, write, out);
        if (untranslated != TRANSLATE)
        {
            return untranslated == ALLOWED;
        }
        return translator.translate(pasid, address, access, privileged, 0, out) && rmpChecked(deviceId, address, write, out);
    }

    /**
     * A request with no valid DTE to go by: with the IOMMU disabled or a DTE with V = 0 it passes through untranslated
     * (interrupts unremapped); a DeviceID beyond the device table is ILLEGAL_DEV_TABLE_ENTRY.
     */
    private boolean withoutEntry(final int deviceId, final int pasid, final long address, final boolean write,
        final RequestOutcome out)
    {
        out.interrupt(interruptRequest(pasid, address, write));
        if ((controlValue & AmdViRegisters.CONTROL_IOMMU_EN) != 0 && !translator.inDeviceTable(deviceId))
        {
            return eventLog.illegalDeviceTableEntry(out, deviceId, pasid, address, write ? AmdViEvent.FLAG_RW : 0);
        }
        return passThrough(deviceId, address, write, out);
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
        final boolean privileged, final boolean write, final RequestOutcome out)
    {
        final boolean result;
        if (interruptRequest(pasid, address, write))
        {
            result = interrupt(deviceId, address, out);
        }
        else if (pasid == CacheTag.NO_PASID && excluded(address))
        {
            result = passThrough(deviceId, address, write, out);
        }
        else if (!dte.translationValid())
        {
            result = eventLog.ioPageFault(out, deviceId, dte.domainId(), pasid, address,
                AmdViTranslator.requestFlags(access, privileged, pasid, false), WalkFault.NOT_PRESENT, dte.faultsSuppressed());
        }
        else if (translator.noTable(pasid))
        {
            result = modeZero(deviceId, pasid, address, access, privileged, out);
        }
        else
        {
            return TRANSLATE;
        }
        return result ? ALLOWED : REFUSED;
    }

    /**
     * An ATS Translation Request (an MRd with AT = 01) without a PASID: see
     * {@link #translationRequest(int, int, long, boolean, RequestOutcome)}.
     */
    public long translationRequest(final int deviceId, final long address, final RequestOutcome out)
    {
        return translationRequest(deviceId, CacheTag.NO_PASID, address, false, out);
    }

    /**
     * An ATS Translation Request (an MRd with AT = 01) from {@code deviceId} for {@code address}, with a PASID or
     * {@link CacheTag#NO_PASID}: the answer ({@link RequestOutcome#completionEntry()}, also returned) is the
     * Translation Completion entry of the translation ({@link AtsCompletion}): R/W from the effective permissions,
     * U from the host leaf's U bit (untranslated access only), and for guest translations Exe from the guest
     * table's NX and Priv from the request; R = W = 0 when there is no translation (an IO_PAGE_FAULT with the TR
     * flag is logged). An answer without U is cached in the {@link #deviceTlb()}. A device whose DTE does not allow
     * ATS (I = 0) gets INVALID_DEVICE_REQUEST and a zero entry. The RMP is not consulted here: it checks the
     * translated request that uses the answer (a choice; the reference does not say where SNP checks ATS traffic).
     */
    public long translationRequest(final int deviceId, final int pasid, final long address, final boolean privileged,
        final RequestOutcome out)
    {
        out.reset();
        if (!atsAllowed(deviceId))
        {
            eventLog.invalidDeviceRequest(out, deviceId, address, AmdViEvent.FLAG_TR);
            return 0;
        }
        out.domainId(dte.domainId());
        if (translator.illegal())
        {
            eventLog.illegalDeviceTableEntry(out, deviceId, pasid, address, AmdViEvent.FLAG_TR);
            return 0;
        }
        final int flags = AmdViTranslator.requestFlags(0, privileged, pasid, false) | AmdViEvent.FLAG_TR;
        if (!dte.translationValid() || translator.noTable(pasid))
        {
            // No table to translate with: nothing the device could cache.
            eventLog.ioPageFault(out, deviceId, dte.domainId(), pasid, address, flags, WalkFault.NOT_PRESENT,
                dte.faultsSuppressed());
            return 0;
        }
        if (!translator.translate(pasid, address, 0, privileged, AmdViEvent.FLAG_TR, out))
        {
            return 0;
        }
        final int permissions = out.permissions();
        if ((permissions & Permissions.READ_WRITE) == 0)
        {
            eventLog.ioPageFault(out, deviceId, dte.domainId(), pasid, address, flags | AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE,
                WalkFault.PERMISSION, dte.faultsSuppressed());
            return 0;
        }
        final boolean untranslatedOnly = translator.untranslatedOnly();
        if (!untranslatedOnly)
        {
            deviceTlb.fill(deviceId, pasid, address, out.pageSizeLg2(), out.outputAddress(), permissions);
        }
        final boolean guestAnswer = out.firstStage() && pasid != CacheTag.NO_PASID;
        final long entry = AtsCompletion.entry(out.outputAddress(), out.pageSizeLg2(), permissions, untranslatedOnly,
            guestAnswer, guestAnswer && privileged);
        out.completionEntry(entry);
        return entry;
    }

    /**
     * A translated request (AT = 10): the address is already a system physical address from an earlier ATS
     * answer. Honoured only for devices whose DTE allows ATS (I = 1), otherwise INVALID_DEVICE_REQUEST; with
     * SNP it is checked against the RMP like any DMA (as a 4 KiB access: the IOMMU does not know the size of
     * the translation the device used).
     */
    public boolean translatedRequest(final int deviceId, final long address, final boolean write, final RequestOutcome out)
    {
        out.reset();
        if (!atsAllowed(deviceId))
        {
            return eventLog.invalidDeviceRequest(out, deviceId, address, write ? AmdViEvent.FLAG_RW : 0);
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
        return deviceTableCache;
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

    /** {@link #pageRequest}: the request went into the PPR log. */
    public static final int PPR_LOGGED = 0;
    /** {@link #pageRequest}: the PPR log is disabled, unconfigured, full or overflowed: the request is lost. */
    public static final int PPR_DROPPED = 1;
    /** {@link #pageRequest}: the IOMMU does not take page requests from this device: INVALID_PPR_REQUEST. */
    public static final int PPR_INVALID_REQUEST = 2;
    /** {@link #pageRequest}: the IOMMU is disabled, or the DeviceID is beyond the device table: nothing happens. */
    public static final int PPR_IGNORED = 3;

    /**
     * A PRI Page Request message (PCIe 10.4.1) from a device: with EFR.PPRSup, Control.PPREn and the device's DTE.PPR
     * (and V) it is written to the PPR log ({@link PprLogEntry}: the page, R/W/X, US for a non-privileged request, GN
     * with the PASID, the PRG index as the tag), raising PprInt; otherwise INVALID_PPR_REQUEST is logged (UNVERIFIED
     * which conditions hardware reports so; docs/amdvi.md). Software answers with COMPLETE_PPR_REQUEST
     * ({@link #pprResponses}). Allocation-free.
     *
     * @param pasid the PASID, or {@link CacheTag#NO_PASID}.
     * @return {@link #PPR_LOGGED}, {@link #PPR_DROPPED}, {@link #PPR_INVALID_REQUEST} or {@link #PPR_IGNORED}.
     */
    public int pageRequest(final int deviceId, final int pasid, final long address, final boolean read, final boolean write,
        final boolean execute, final boolean privileged, final int prgIndex)
    {
        if ((controlValue & AmdViRegisters.CONTROL_IOMMU_EN) == 0 || !translator.lookUp(deviceId))
        {
            return PPR_IGNORED;
        }
        if ((extendedFeatures & AmdViRegisters.EFR_PPR_SUP) == 0 || (controlValue & AmdViRegisters.CONTROL_PPR_EN) == 0 ||
            !dte.valid() || !dte.pageRequestsEnabled())
        {
            eventLog.invalidPprRequest(deviceId, prgIndex, write, address);
            return PPR_INVALID_REQUEST;
        }
        final int flags = (read ? PprLogEntry.FLAG_READ : 0) | (write ? PprLogEntry.FLAG_WRITE : 0) |
            (execute ? PprLogEntry.FLAG_EXEC : 0) | (privileged ? 0 : PprLogEntry.FLAG_US);
        return pprLog.append(deviceId, pasid, prgIndex, flags, address) ? PPR_LOGGED : PPR_DROPPED;
    }

    /** Where the page responses of COMPLETE_PPR_REQUEST go. */
    public void pprResponses(final PprResponseListener listener)
    {
        commands.pprResponses(listener);
    }

    /** Page requests written to the PPR log, and lost (log off or full). */
    public long pprLogged()
    {
        return pprLog.logged();
    }

    public long pprDropped()
    {
        return pprLog.dropped();
    }

    /** COMPLETE_PPR_REQUEST commands executed. */
    public long pprCompletions()
    {
        return commands.pprCompletions();
    }

    /** PPR interrupts raised (PprInt with Control.PprIntEn). */
    public long pprInterrupts()
    {
        return pprLog.interrupts();
    }

    /** Host page-table entries the IOMMU wrote back to set A or D (DTE.HAD; docs/amdvi.md, "Dirty tracking"). */
    public long accessDirtyUpdates()
    {
        return translator.accessDirtyUpdates();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Routing without translation.

    /** An interrupt request: a write without a PASID to the interrupt range (reads of the range are ordinary DMA). */
    private static boolean interruptRequest(final int pasid, final long address, final boolean write)
    {
        return write && pasid == CacheTag.NO_PASID && InterruptRange.contains(address);
    }

    /**
     * An interrupt request of a valid, legal DTE. Interrupt remapping is not modelled: IV = 0 or IntCtl = forward
     * passes it on unremapped; IntCtl = abort is INVALID_DEVICE_REQUEST (type 5); IntCtl = remap is forwarded or
     * faulted (IO_PAGE_FAULT with I) as {@link AmdViOptions#remappedInterrupts()} says; IntCtl = 11b (reserved) is
     * ILLEGAL_DEV_TABLE_ENTRY.
     */
    private boolean interrupt(final int deviceId, final long address, final RequestOutcome out)
    {
        out.interrupt(true);
        final int intCtl = dte.interruptMapValid() ? dte.interruptControl() : DeviceTableEntry.INT_CTL_FORWARD;
        switch (intCtl)
        {
            case DeviceTableEntry.INT_CTL_FORWARD:
                out.translated(address, PhysicalMemory.FRAME_SIZE_LG2, Permissions.WRITE);
                return true;
            case DeviceTableEntry.INT_CTL_ABORT:
                return eventLog.invalidDeviceRequest(out, deviceId, address, AmdViEvent.INVALID_REQUEST_INTERRUPT_ABORTED);
            case DeviceTableEntry.INT_CTL_REMAP:
                if (options.remappedInterrupts() == AmdViOptions.RemappedInterrupts.FORWARD)
                {
                    out.translated(address, PhysicalMemory.FRAME_SIZE_LG2, Permissions.WRITE);
                    return true;
                }
                return eventLog.ioPageFault(out, deviceId, dte.domainId(), CacheTag.NO_PASID, address,
                    AmdViEvent.FLAG_I | AmdViEvent.FLAG_RW, WalkFault.NOT_PRESENT, dte.faultsSuppressed());
            default:
                return eventLog.illegalDeviceTableEntry(out, deviceId, CacheTag.NO_PASID, address,
                    AmdViEvent.FLAG_I | AmdViEvent.FLAG_RW);
        }
    }

    /**
     * The exclusion range: with ExEn, addresses in {@code [base, limit | 0xFFF]} bypass translation for devices
     * whose DTE sets EX, or for every device with Allow.
     */
    private boolean excluded(final long address)
    {
        final long base = exclusionBaseValue;
        if ((base & AmdViRegisters.EXCLUSION_ENABLE) == 0 ||
            ((base & AmdViRegisters.EXCLUSION_ALLOW_ALL) == 0 && !dte.exclusionAllowed()))
        {
            return false;
        }
        final long first = base & AmdViRegisters.BASE_ADDRESS;
        final long last = (exclusionLimitValue & AmdViRegisters.BASE_ADDRESS) | (PhysicalMemory.FRAME_SIZE - 1);
        return Long.compareUnsigned(address, first) >= 0 && Long.compareUnsigned(address, last) <= 0;
    }

    /** ATS is allowed when the device's DTE (looked up) is valid with I and the IOMMU is enabled. */
    private boolean atsAllowed(final int deviceId)
    {
        return translator.lookUp(deviceId) && (controlValue & AmdViRegisters.CONTROL_IOMMU_EN) != 0 && dte.valid() &&
            dte.atsAllowed();
    }

    /**
     * Mode 0 (translation disabled, SPA = DMA address, an identity domain's entry): the DTE's IR and IW still decide
     * the access. A denied access is an IO_PAGE_FAULT with PR and PE (present, permission) and the request's flags, as
     * VirtualBox's emulation written from the specification has it (docs/amdvi.md; QEMU limits the access the same way
     * but logs nothing).
     */
    private boolean modeZero(final int deviceId, final int pasid, final long address, final int access, final boolean privileged,
        final RequestOutcome out)
    {
        final int permitted = dte.permissions() & Permissions.READ_WRITE;
        if ((access & Permissions.READ_WRITE & ~permitted) != 0)
        {
            return eventLog.ioPageFault(out, deviceId, dte.domainId(), pasid, address,
                AmdViTranslator.requestFlags(access, privileged, pasid, false) | AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE,
                WalkFault.PERMISSION, dte.faultsSuppressed());
        }
        out.translated(address, PhysicalMemory.FRAME_SIZE_LG2, permitted | Permissions.EXECUTE | Permissions.USER);
        return rmpChecked(deviceId, address, (access & Permissions.WRITE) != 0, out);
    }

    private boolean passThrough(final int deviceId, final long address, final boolean write, final RequestOutcome out)
    {
        out.translated(address, PhysicalMemory.FRAME_SIZE_LG2, Permissions.ALL);
        return rmpChecked(deviceId, address, write, out);
    }

    /** With SNP, every DMA is checked against the RMP ("the IOMMU only does RMP enforcement", AMDSEV#109). */
    private boolean rmpChecked(final int deviceId, final long address, final boolean write, final RequestOutcome out)
    {
        if (rmpCheck == null ||
            rmpCheck.check(out.outputAddress(), out.pageSizeLg2(), write, deviceId, address, eventLog.rmpEvent()) ==
                DmaRmpCheck.ALLOWED)
        {
            return true;
        }
        return eventLog.rmpPageFault(out);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Register behaviour.

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
        else if (ring == pprRing)
        {
            registers.setValue(pprHead, 0);
            registers.setValue(pprTail, 0);
        }
        else
        {
            registers.setValue(eventHead, 0);
            registers.setValue(eventTail, 0);
        }
    }

    private void controlWritten(final long oldValue, final long value)
    {
        long statusValue = registers.value(status) &
            ~(AmdViRegisters.STATUS_EVENT_LOG_RUN | AmdViRegisters.STATUS_CMD_BUF_RUN | AmdViRegisters.STATUS_PPR_LOG_RUN);
        if ((value & AmdViRegisters.CONTROL_CMD_BUF_EN) != 0 && (oldValue & AmdViRegisters.CONTROL_CMD_BUF_EN) == 0)
        {
            // CmdBufEn 0 -> 1 restarts a buffer halted by an illegal command (also while IommuEn is still clear, as
            // Linux's early_enable_iommu enables the buffer before the IOMMU); another control write (Linux's event log
            // restart, a feature enable) leaves it halted, as VirtualBox's model does.
            commands.restart();
        }
        // The logs run from their enable bit's 0 -> 1 edge while the IOMMU is enabled, and stop on overflow (LogRunState).
        final boolean eventLogRuns = eventLog.controlWritten(oldValue, value);
        final boolean pprLogRuns = pprLog.controlWritten(oldValue, value);
        if ((value & AmdViRegisters.CONTROL_IOMMU_EN) == 0)
        {
            // The logs and the command buffer run only while the IOMMU is enabled (QEMU and VirtualBox gate them so).
            registers.setValue(status, statusValue);
            return;
        }
        if (eventLogRuns)
        {
            statusValue |= AmdViRegisters.STATUS_EVENT_LOG_RUN;
        }
        if (pprLogRuns)
        {
            statusValue |= AmdViRegisters.STATUS_PPR_LOG_RUN;
        }
        if ((value & AmdViRegisters.CONTROL_CMD_BUF_EN) != 0 && commandRing.entries() != 0)
        {
            if (!commands.halted())
            {
                statusValue |= AmdViRegisters.STATUS_CMD_BUF_RUN;
            }
        }
        registers.setValue(status, statusValue);
        commands.run();
    }

    private void commandTailWritten(final long value)
    {
        commandRing.tail(index(value));
        commands.run();
    }

    private static int index(final long pointerValue)
    {
        return (int)((pointerValue & AmdViRegisters.POINTER) >>> 4);
    }
}
