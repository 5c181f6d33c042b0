package org.iommuemu.emulator.vtd;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.AtsCompletion;
import org.iommuemu.emulator.platform.DeviceMessage;
import org.iommuemu.emulator.platform.DeviceMessageListener;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.InterruptListener;
import org.iommuemu.emulator.platform.InterruptRange;
import org.iommuemu.emulator.platform.InterruptSource;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tdx.DmaOutcome;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tdx.TrustDomain;

/**
 * An Intel VT-d DMA-remapping unit programmed only through its registers and in-memory structures, as Linux's
 * intel-iommu driver programs one (see {@link VtdDriver}). It is composed of:
 * <ul>
 * <li>the register file (VER, CAP, ECAP, GCMD/GSTS, RTADDR, CCMD, FSTS, FECTL/FEDATA/FEADDR, IQH/IQT/IQA, ICS,
 * IECTL, IVA/IOTLB at ECAP.IRO, FRCD at CAP.FRO; offsets in {@link VtdRegisters});</li>
 * <li>the {@link VtdTranslator}: legacy and scalable-mode structures, first-stage, second-stage, nested and
 * pass-through translation, and the context cache, PASID cache and IOTLB;</li>
 * <li>the {@link InvalidationQueue} and the register-based invalidation interfaces, both through
 * {@link VtdInvalidation} and one {@link InvalidationDispatcher};</li>
 * <li>the {@link FaultRecorder}: primary fault logging and the fault event.</li>
 * </ul>
 * GCMD is processed one command at a time (SRTP latches RTADDR and sets RTPS; TE, QIE and the other enables set
 * and clear their status bits). With translation disabled (GSTS.TES clear) requests pass through untranslated.
 * Requests come in through {@link #handle}, answered in a {@link RequestOutcome} filled in place: an untranslated
 * write without a PASID to the interrupt range is an interrupt request, not DMA (it goes to interrupt remapping,
 * which is not modelled: it is forwarded as it is); untranslated requests are translated; ATS translation requests
 * are answered with a Translation Completion entry ({@link AtsCompletion}) and translated requests honoured only
 * when the context allows the device TLB (legacy TT = 01, scalable DTE = 1), else fault 0xD or 0x44. With a
 * {@link TdxConnect}, T=1
 * requests take the TDX module's trusted path, whose translations the IOTLB caches under the TEE tag and the
 * TD's trusted DID ({@link VtdConfig#trustedIotlb}, {@link #trustedDomainId}), and T=0 requests that land in TD
 * private memory meet its {@code UntrustedDmaRule}.
 * <p>
 * Sources: shared/reference/vtd-tdx.md 1-4 and 7; choices on unverified behaviour are the switches of
 * {@link VtdConfig} and are listed in docs/vtd.md. Not thread-safe; the request path allocates nothing and
 * throws nothing.
 */
public final class VtdIommu implements IommuPort
{
    private static final int MINIMUM_SIZE = 0x1000;
    /** The first offset after the fixed registers the model defines (IQERCD ends at 0xB8). */
    private static final int FIRST_FREE_OFFSET = 0xB8;

    private final PhysicalMemory memory;
    private final long cap;
    private final long ecap;
    private final VtdConfig config;
    private final RegisterFile registers;
    private final Register gsts;
    /**
     * GSTS.TE, kept beside the register: {@link #setStatus} is the only writer of GSTS (software cannot write it), and
     * every request reads it, so the hot path skips the register file's checked lookup.
     */
    private boolean translationEnabled;
    private final Register rtaddr;
    private final Register ccmd;
    private final Register fsts;
    private final Register iqt;
    private final Register iva;
    private final Register iotlbRegister;
    private final TranslationCache contextCache;
    private final TranslationCache pasidCache;
    private final TranslationCache iotlb;
    private final TranslationCache nestedCache;
    private List<TranslationCache> caches;
    private final InvalidationDispatcher dispatcher = new InvalidationDispatcher();
    private final VtdInvalidation invalidation;
    private final VtdTranslator translator;
    private final FaultRecorder faults;
    private final InvalidationQueue queue;
    /** The page request queue, with ECAP.PRS; null without. */
    private final PageRequestQueue pageRequests;
    private final DeviceTlbInvalidations deviceTlbs = new DeviceTlbInvalidations();
    private final TrustedPath trustedPath;
    private long rootTable;
    private int ttm;
    private long rejectedCommands;
    private InterruptListener interruptListener = InterruptListener.NONE;
    /** Fault-event and invalidation-completion interrupts already passed to the listener. */
    private long faultInterruptsSignalled;
    private long waitInterruptsSignalled;

    /**
     * @param cap          the CAP register value (the machine being modelled).
     * @param ecap         the ECAP register value.
     * @param contextCache a {@link CacheRole#CONTEXT} cache; pasidCache a {@link CacheRole#PASID} cache; iotlb an
     *                     {@link CacheRole#IOTLB} cache; nestedCache a {@link CacheRole#NESTED} cache of the
     *                     second-stage translations of nested first-stage table fetches, or null for none. All are
     *                     registered with this unit's dispatcher.
     * @param tdx          TDX Connect for the trusted path, or null. The unit registers with its module's TLB
     *                     tracking ({@code TdxModule.addTrackingListener}): the module's invalidation of the trusted
     *                     IOTLB entries ({@link VtdConfig#trustedInvalidation}).
     */
    public VtdIommu(final PhysicalMemory memory, final long cap, final long ecap, final VtdConfig config,
        final TranslationCache contextCache, final TranslationCache pasidCache, final TranslationCache iotlb,
        final TranslationCache nestedCache, final TdxConnect tdx)
    {
        checkRole(contextCache, CacheRole.CONTEXT);
        checkRole(pasidCache, CacheRole.PASID);
        checkRole(iotlb, CacheRole.IOTLB);
        if (nestedCache != null)
        {
            checkRole(nestedCache, CacheRole.NESTED);
        }
        this.memory = memory;
        this.cap = cap;
        this.ecap = ecap;
        this.config = config;
        this.contextCache = contextCache;
        this.pasidCache = pasidCache;
        this.iotlb = iotlb;
        dispatcher.register(contextCache);
        dispatcher.register(pasidCache);
        dispatcher.register(iotlb);
        if (nestedCache != null)
        {
            dispatcher.register(nestedCache);
        }
        this.caches = nestedCache == null ? List.of(contextCache, pasidCache, iotlb) :
            List.of(contextCache, pasidCache, iotlb, nestedCache);
        this.nestedCache = nestedCache;
        this.invalidation = new VtdInvalidation(dispatcher, tdx != null);
        this.trustedPath = tdx == null ? null :
            new TrustedPath(tdx, config, iotlb, invalidation, VtdRegisters.domainIdBits(cap));
        if (trustedPath != null)
        {
            tdx.module().addTrackingListener(trustedPath);
        }
        this.translator = new VtdTranslator(memory, config, cap, ecap, contextCache, pasidCache, iotlb, nestedCache);

        final int faultOffset = VtdRegisters.faultRecordOffset(cap);
        final int faultCount = VtdRegisters.faultRecordCount(cap);
        final int iotlbOffset = VtdRegisters.iotlbRegisterOffset(ecap);
        if (faultOffset < FIRST_FREE_OFFSET || iotlbOffset < FIRST_FREE_OFFSET)
        {
            throw new IllegalArgumentException("CAP.FRO and ECAP.IRO must place their registers after IQERCD (0xB8 or above)");
        }
        final int end = Math.max(faultOffset + faultCount * VtdRegisters.FRCD_SIZE, iotlbOffset + 16);
        this.registers = new RegisterFile("vtd", Math.max(MINIMUM_SIZE, (end + 0xFFF) & ~0xFFF));

        registers.define("VER", VtdRegisters.VER, 4, VtdRegisters.VERSION, -1L, 0);
        registers.define("CAP", VtdRegisters.CAP, 8, cap, -1L, 0);
        registers.define("ECAP", VtdRegisters.ECAP, 8, ecap, -1L, 0);
        registers.define("GCMD", VtdRegisters.GCMD, 4, 0, ~(VtdRegisters.GCMD_ONE_SHOT | VtdRegisters.GCMD_ENABLES), 0,
            (register, oldValue, newValue) -> globalCommand(newValue));
        gsts = registers.define("GSTS", VtdRegisters.GSTS, 4, 0, -1L, 0);
        rtaddr = registers.define("RTADDR", VtdRegisters.RTADDR, 8, 0, ~(VtdRegisters.RTADDR_ADDRESS | VtdRegisters.RTADDR_TTM), 0);
        ccmd = registers.define("CCMD", VtdRegisters.CCMD, 8, 0, ~VtdRegisters.CCMD_WRITABLE, 0,
            (register, oldValue, newValue) -> contextCommand(newValue));
        fsts = registers.define("FSTS", VtdRegisters.FSTS, 4, 0, ~VtdRegisters.FSTS_W1C, VtdRegisters.FSTS_W1C,
            (register, oldValue, newValue) -> faultStatusWritten(oldValue, newValue));
        final Register fectl = registers.define("FECTL", VtdRegisters.FECTL, 4, VtdRegisters.CTL_IM, ~VtdRegisters.CTL_IM, 0,
            (register, oldValue, newValue) -> faultsControlWritten(newValue));
        registers.define("FEDATA", VtdRegisters.FEDATA, 4, 0, 0, 0);
        registers.define("FEADDR", VtdRegisters.FEADDR, 4, 0, VtdRegisters.MSI_ADDRESS_RESERVED, 0);
        registers.define("FEUADDR", VtdRegisters.FEUADDR, 4, 0, 0, 0);
        final Register iqh = registers.define("IQH", VtdRegisters.IQH, 8, 0, -1L, 0);
        iqt = registers.define("IQT", VtdRegisters.IQT, 8, 0, ~VtdRegisters.IQ_POINTER, 0,
            (register, oldValue, newValue) -> queue().process(newValue));
        final Register iqa = registers.define("IQA", VtdRegisters.IQA, 8, 0,
            ~(VtdRegisters.IQA_ADDRESS | VtdRegisters.IQA_DW | VtdRegisters.IQA_QS), 0);
        final Register ics = registers.define("ICS", VtdRegisters.ICS, 4, 0, ~VtdRegisters.ICS_IWC, VtdRegisters.ICS_IWC,
            (register, oldValue, newValue) -> queue().completionStatusWritten());
        final Register iectl = registers.define("IECTL", VtdRegisters.IECTL, 4, VtdRegisters.CTL_IM, ~VtdRegisters.CTL_IM, 0,
            (register, oldValue, newValue) -> queue().controlWritten(newValue));
        registers.define("IEDATA", VtdRegisters.IEDATA, 4, 0, 0, 0);
        registers.define("IEADDR", VtdRegisters.IEADDR, 4, 0, VtdRegisters.MSI_ADDRESS_RESERVED, 0);
        registers.define("IEUADDR", VtdRegisters.IEUADDR, 4, 0, 0, 0);
        final Register iqercd = registers.define("IQERCD", VtdRegisters.IQERCD, 8, 0, -1L, 0);
        iva = registers.define("IVA", iotlbOffset, 8, 0, ~(VtdRegisters.IVA_ADDRESS | VtdRegisters.IVA_IH | VtdRegisters.IVA_AM), 0);
        iotlbRegister = registers.define("IOTLB", iotlbOffset + VtdRegisters.IOTLB_AFTER_IVA, 8, 0,
            ~VtdRegisters.IOTLB_WRITABLE, 0,
            (register, oldValue, newValue) -> iotlbCommand(newValue));
        this.faults = new FaultRecorder(registers, config, fsts, fectl, faultOffset, faultCount);
        this.queue = new InvalidationQueue(memory, registers, config, cap, ecap, invalidation, faults, iqh, iqa, fsts, ics, iectl,
            iqercd, deviceTlbs, this::scalableMode);
        if ((ecap & VtdRegisters.ECAP_PRS) != 0)
        {
            final Register pqh = registers.define("PQH", VtdRegisters.PQH, 8, 0, ~VtdRegisters.PQ_POINTER, 0);
            final Register pqt = registers.define("PQT", VtdRegisters.PQT, 8, 0, ~VtdRegisters.PQ_POINTER, 0);
            final Register pqa = registers.define("PQA", VtdRegisters.PQA, 8, 0, ~(VtdRegisters.PQA_ADDRESS | VtdRegisters.PQA_PQS), 0);
            final PageRequestQueue[] holder = new PageRequestQueue[1];
            final Register prs = registers.define("PRS", VtdRegisters.PRS, 4, 0, ~(VtdRegisters.PRS_PPR | VtdRegisters.PRS_PRO),
                VtdRegisters.PRS_PPR | VtdRegisters.PRS_PRO, (register, oldValue, newValue) -> holder[0].statusWritten());
            final Register pectl = registers.define("PECTL", VtdRegisters.PECTL, 4, VtdRegisters.CTL_IM, ~VtdRegisters.CTL_IM, 0,
                (register, oldValue, newValue) -> holder[0].controlWritten(newValue));
            registers.define("PEDATA", VtdRegisters.PEDATA, 4, 0, 0, 0);
            registers.define("PEADDR", VtdRegisters.PEADDR, 4, 0, VtdRegisters.MSI_ADDRESS_RESERVED, 0);
            registers.define("PEUADDR", VtdRegisters.PEUADDR, 4, 0, 0, 0);
            holder[0] = new PageRequestQueue(memory, registers, config, pqh, pqt, pqa, prs, pectl);
            this.pageRequests = holder[0];
        }
        else
        {
            this.pageRequests = null;
        }
    }

    /** A unit with default caches and switches and no TDX Connect. */
    public static VtdIommu create(final PhysicalMemory memory, final long cap, final long ecap)
    {
        return new VtdIommu(memory, cap, ecap, new VtdConfig(), defaultContextCache(), defaultPasidCache(), defaultIotlb(),
            defaultNestedCache(), null);
    }

    /** A context cache with a default geometry (64 entries, fully associative, LRU). */
    public static TranslationCache defaultContextCache()
    {
        return new TranslationCache("vtd-context", CacheRole.CONTEXT, 64, 0, Replacement.LRU, 2, 1);
    }

    /** A PASID cache with a default geometry (128 entries, 4-way, LRU). */
    public static TranslationCache defaultPasidCache()
    {
        return new TranslationCache("vtd-pasid", CacheRole.PASID, 128, 4, Replacement.LRU, 2, 2);
    }

    /** A nested (table-fetch second-stage) cache with a default geometry (64 entries, 4-way, LRU). */
    public static TranslationCache defaultNestedCache()
    {
        return new TranslationCache("vtd-nested", CacheRole.NESTED, 64, 4, Replacement.LRU, 2, 4);
    }

    /** An IOTLB with a default geometry (512 entries, 4-way, LRU). */
    public static TranslationCache defaultIotlb()
    {
        return new TranslationCache("vtd-iotlb", CacheRole.IOTLB, 512, 4, Replacement.LRU, 3, 3);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The platform port.

    /**
     * One request: an interrupt request is told apart first, then requests are routed by the T bit (with TDX
     * Connect) and by the address type. Faults are recorded in the fault recording registers unless FPD suppresses
     * them (qualified faults) or the log has overflowed.
     */
    public boolean handle(final DmaRequest request, final RequestOutcome outcome)
    {
        outcome.reset();
        if (InterruptRange.interruptRequest(request))
        {
            return interrupt(request, outcome);
        }
        if (trustedPath != null && request.trusted())
        {
            return trustedPath.trusted(request, outcome);
        }
        // Identity tests rather than an enum switch, whose ordinal lookup table costs two dependent loads.
        final AddressType type = request.addressType();
        final boolean ok = type == AddressType.UNTRANSLATED ? untranslated(request, outcome) :
            type == AddressType.TRANSLATION_REQUEST ? translationRequest(request, outcome) : translatedRequest(request, outcome);
        return ok && (trustedPath == null || trustedPath.untrustedChecked(request, outcome));
    }

    public String name()
    {
        return "vtd";
    }

    /**
     * A message from a device: an ATS Invalidate Completion completes the outstanding Invalidate Requests of its ITags
     * (with TES clear it is an Unsupported Request and completes nothing);
     * a PRI Page Request goes to the page request queue when the requester's context allows page requests (scalable
     * mode, PRE), else its group is answered Invalid Request. Without ECAP.PRS page requests are not handled.
     */
    @Override
    public MessageResult message(final DeviceMessage message)
    {
        if (message.kind() == DeviceMessage.Kind.ATS_INVALIDATE_COMPLETION)
        {
            // With TES clear the unit treats Invalidation Completions as Unsupported Requests (VT-d 4.3, as Linux's
            // "Omit devTLB invalidation requests when TES=0" quotes it): nothing is completed.
            return translationEnabled() ? deviceTlbs.completed(message.requesterId(), message.itagVector()) :
                MessageResult.INVALIDATION_UNSUPPORTED;
        }
        if (pageRequests == null)
        {
            return MessageResult.NOT_HANDLED;
        }
        if (!translationEnabled() || !translator.context(rootTable, ttm, message.requesterId(), message.pasid()) ||
            !translator.pageRequestsAllowed())
        {
            return pageRequests.refuse(message);
        }
        return pageRequests.request(message);
    }

    @Override
    public void invalidateRequestSeen(final int requesterId, final int itag)
    {
        deviceTlbs.seen(requesterId, itag);
    }

    @Override
    public void messageListener(final DeviceMessageListener listener)
    {
        queue.listener(listener);
        deviceTlbs.listener(listener);
        if (pageRequests != null)
        {
            pageRequests.listener(listener);
        }
    }

    /**
     * Put page-walk caches in front of the second-stage walks (requests translated by the second stage only) and the
     * first-stage walks (first-stage only and nested). Their caches are registered with this unit's dispatcher as
     * {@link org.iommuemu.emulator.cache.CacheRole#WALK}: an IOTLB invalidation (which VT-d defines to flush the
     * paging-structure caches unless IH is set; the model always flushes, a choice) or a global one drops them.
     * Call once, before traffic.
     */
    public void walkCaches(final PageWalkCache secondStage,
        final PageWalkCache firstStage)
    {
        final ArrayList<TranslationCache> all = new ArrayList<>(caches);
        for (final PageWalkCache pwc : new PageWalkCache[] {secondStage, firstStage})
        {
            if (pwc != null)
            {
                all.addAll(dispatcher.register(pwc));
            }
        }
        caches = List.copyOf(all);
        translator.walkCaches(secondStage, firstStage);
    }

    public List<TranslationCache> caches()
    {
        return caches;
    }

    /** The register that holds byte {@code offset} of the block, or null (offline bring-up checks values against it). */
    public Register registerHolding(final int offset)
    {
        return registers.registerHolding(offset);
    }

    public long readRegister(final int offset, final int width)
    {
        return registers.read(offset, width);
    }

    public void writeRegister(final int offset, final int width, final long value)
    {
        registers.write(offset, width, value);
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
     * Who hears the MSIs this unit sends: the fault event (FEADDR, FEUADDR, FEDATA) and the invalidation completion
     * event (IEADDR, IEUADDR, IEDATA); {@link InterruptListener#NONE} by default.
     */
    public void interruptListener(final InterruptListener listener)
    {
        interruptListener = listener == null ? InterruptListener.NONE : listener;
    }

    /** Pass the interrupts raised since the last call to the listener. */
    private void signalInterrupts()
    {
        final long faultInterrupts = faults.interrupts();
        final long waitInterrupts = queue.waitInterrupts();
        while (faultInterruptsSignalled < faultInterrupts)
        {
            faultInterruptsSignalled++;
            interruptListener.onInterrupt(InterruptSource.VTD_FAULT_EVENT,
                (registers.read(VtdRegisters.FEUADDR, 4) << 32) | registers.read(VtdRegisters.FEADDR, 4),
                (int)registers.read(VtdRegisters.FEDATA, 4));
        }
        while (waitInterruptsSignalled < waitInterrupts)
        {
            waitInterruptsSignalled++;
            interruptListener.onInterrupt(InterruptSource.VTD_INVALIDATION_COMPLETION,
                (registers.read(VtdRegisters.IEUADDR, 4) << 32) | registers.read(VtdRegisters.IEADDR, 4),
                (int)registers.read(VtdRegisters.IEDATA, 4));
        }
    }

    /**
     * An interrupt request (an untranslated write without a PASID to 0xFEE0_0000-0xFEEF_FFFF): not DMA-remapped,
     * whatever the T bit. Interrupt remapping is not modelled: the request is forwarded as it is (with GSTS.IRES set
     * too). Ahead of the T-bit routing: TDX Connect's trusted path translates DMA only (how a T=1 interrupt write is
     * treated is not in the sources read; docs/vtd.md).
     */
    private static boolean interrupt(final DmaRequest request, final RequestOutcome outcome)
    {
        outcome.interrupt(true).translated(request.address(), PhysicalMemory.FRAME_SIZE_LG2, Permissions.WRITE);
        return true;
    }

    private boolean untranslated(final DmaRequest request, final RequestOutcome outcome)
    {
        if (!translationEnabled())
        {
            outcome.translated(request.address(), PhysicalMemory.FRAME_SIZE_LG2, Permissions.ALL);
            return true;
        }
        final VtdTranslator t = translator;
        if (!t.context(rootTable, ttm, request.requesterId(), request.pasid()))
        {
            return fault(request, outcome, t.fault());
        }
        outcome.domainId(t.domainId()).tagPasid(t.pasid());
        return t.translate(request.address(), request.access(), request.privileged(), outcome) ||
            fault(request, outcome, t.fault());
    }

    /**
     * An ATS translation request: the answer is a Translation Completion entry with the translated page, the
     * size encoding for pages above 4 KiB, R, W and EXE from the effective permissions and PRIV for a privileged
     * request; U is never set. A missing
     * translation (not present, no permission at the last stage) is answered with R = W = 0 and records no
     * fault; structure errors and a context that does not allow the device TLB are faults.
     */
    private boolean translationRequest(final DmaRequest request, final RequestOutcome outcome)
    {
        if (!translationEnabled())
        {
            outcome.translated(request.address(), PhysicalMemory.FRAME_SIZE_LG2, Permissions.ALL);
            outcome.completionEntry(AtsCompletion.entry(request.address(), PhysicalMemory.FRAME_SIZE_LG2, Permissions.READ_WRITE));
            return true;
        }
        final VtdTranslator t = translator;
        if (!t.context(rootTable, ttm, request.requesterId(), request.pasid()))
        {
            return fault(request, outcome, t.fault());
        }
        if (!t.deviceTlbAllowed())
        {
            return fault(request, outcome, t.scalable() ? VtdFaultReason.SM_DTE_CLEAR : VtdFaultReason.CONTEXT_ENTRY_TT);
        }
        outcome.domainId(t.domainId()).tagPasid(t.pasid());
        if (!t.translate(request.address(), 0, request.privileged(), outcome))
        {
            if (t.noTranslation())
            {
                outcome.completionEntry(AtsCompletion.entry(request.address(), PhysicalMemory.FRAME_SIZE_LG2, 0));
                return true;
            }
            return fault(request, outcome, t.fault());
        }
        final int perms = outcome.permissions();
        // U ("untranslated access only", PCIe 10.2.3.4: the device must not send translated requests to the range) is
        // never set: no VT-d structure asks for it (unlike AMD-Vi's PTE.U), and QEMU's intel_iommu never sets it
        // either. A first-stage user page is not U: user and supervisor are what Priv tells. Exe only with a PASID.
        outcome.completionEntry(AtsCompletion.entry(outcome.outputAddress(), outcome.pageSizeLg2(), perms,
            false, request.hasPasid(), request.privileged()));
        return true;
    }

    /** A translated request: passed as is when the context allows the device TLB, else a fault. */
    private boolean translatedRequest(final DmaRequest request, final RequestOutcome outcome)
    {
        if (translationEnabled())
        {
            final VtdTranslator t = translator;
            if (!t.context(rootTable, ttm, request.requesterId(), request.pasid()))
            {
                return fault(request, outcome, t.fault());
            }
            if (!t.deviceTlbAllowed())
            {
                return fault(request, outcome, t.scalable() ? VtdFaultReason.SM_DTE_CLEAR : VtdFaultReason.CONTEXT_ENTRY_TT);
            }
            outcome.domainId(t.domainId()).tagPasid(t.pasid());
        }
        outcome.translated(request.address(), PhysicalMemory.FRAME_SIZE_LG2, Permissions.ALL);
        return true;
    }

    private boolean fault(final DmaRequest request, final RequestOutcome outcome, final VtdFaultReason reason)
    {
        final boolean suppressed = reason.qualified() && translator.faultProcessingDisabled();
        final boolean logged = !suppressed && faults.record(reason, request.requesterId(), request.address(),
            !request.isWrite(), request.pasid(), (request.access() & Permissions.EXECUTE) != 0, request.privileged());
        outcome.domainId(translator.domainId()).fault(reason, logged);
        signalInterrupts();
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Register behaviour.

    private void globalCommand(final long value)
    {
        final long status = registers.value(gsts);
        final long oneShot = value & VtdRegisters.GCMD_ONE_SHOT;
        final long toggled = (value ^ status) & VtdRegisters.GCMD_ENABLES;
        final int commands = Long.bitCount(oneShot) + Long.bitCount(toggled);
        if (commands == 0)
        {
            return;
        }
        if (commands > 1 && config.strictGlobalCommand)
        {
            rejectedCommands++;
            return;
        }
        if ((oneShot & VtdRegisters.SRTP) != 0)
        {
            final long pointer = registers.value(rtaddr);
            rootTable = pointer & VtdRegisters.RTADDR_ADDRESS & ~RootEntry.aboveHaw(config.hostAddressWidth);
            ttm = (int)((pointer & VtdRegisters.RTADDR_TTM) >>> VtdRegisters.RTADDR_TTM_SHIFT);
            setStatus(VtdRegisters.SRTP, true);
        }
        if ((oneShot & VtdRegisters.SIRTP) != 0 && (ecap & VtdRegisters.ECAP_IR) != 0)
        {
            setStatus(VtdRegisters.SIRTP, true);
        }
        // SFL and WBF complete at once: their status bits read as done (clear).
        if ((toggled & VtdRegisters.QIE) != 0 && (ecap & VtdRegisters.ECAP_QI) != 0)
        {
            final boolean enable = (value & VtdRegisters.QIE) != 0;
            if (enable)
            {
                queue.enable();
            }
            else
            {
                queue.disable();
            }
            setStatus(VtdRegisters.QIE, enable);
            if (enable)
            {
                queue.process(registers.value(iqt));
            }
        }
        if ((toggled & VtdRegisters.TE) != 0)
        {
            setStatus(VtdRegisters.TE, (value & VtdRegisters.TE) != 0);
        }
        if ((toggled & VtdRegisters.IRE) != 0 && (ecap & VtdRegisters.ECAP_IR) != 0)
        {
            setStatus(VtdRegisters.IRE, (value & VtdRegisters.IRE) != 0);
        }
        if ((toggled & VtdRegisters.CFI) != 0 && (ecap & VtdRegisters.ECAP_IR) != 0)
        {
            setStatus(VtdRegisters.CFI, (value & VtdRegisters.CFI) != 0);
        }
        if ((toggled & VtdRegisters.EAFL) != 0)
        {
            setStatus(VtdRegisters.EAFL, false);
        }
    }

    private void setStatus(final long bit, final boolean set)
    {
        final long status = registers.value(gsts);
        final long updated = set ? status | bit : status & ~bit;
        registers.setValue(gsts, updated);
        translationEnabled = (updated & VtdRegisters.TE) != 0;
    }

    /** CCMD with ICC: a register-based context-cache invalidation (ignored while QI is enabled). */
    private void contextCommand(final long value)
    {
        if ((value & VtdRegisters.CCMD_ICC) == 0)
        {
            return;
        }
        final int granularity = VtdRegisters.ccmdGranularity(value);
        int actual = 0;
        if (!queue.enabled())
        {
            switch (granularity)
            {
                case VtdRegisters.GRANULARITY_GLOBAL:
                    invalidation.contextGlobal();
                    break;
                case VtdRegisters.GRANULARITY_DOMAIN:
                    invalidation.contextDomain(VtdRegisters.ccmdDomainId(value));
                    break;
                case VtdRegisters.GRANULARITY_DEVICE:
                    invalidation.contextDevice(VtdRegisters.ccmdSourceId(value), VtdRegisters.ccmdFunctionMask(value));
                    break;
                default:
                    break;
            }
            actual = granularity;
        }
        registers.setValue(ccmd, (value & ~VtdRegisters.CCMD_ICC & ~VtdRegisters.CCMD_CAIG) |
            ((long)actual << VtdRegisters.CCMD_CAIG_SHIFT));
    }

    /** The IOTLB register with IVT: a register-based IOTLB invalidation (ignored while QI is enabled). */
    private void iotlbCommand(final long value)
    {
        if ((value & VtdRegisters.IOTLB_IVT) == 0)
        {
            return;
        }
        final int granularity = VtdRegisters.iotlbGranularity(value);
        final int did = VtdRegisters.iotlbDomainId(value);
        int actual = 0;
        if (!queue.enabled())
        {
            final long address = registers.value(iva);
            switch (granularity)
            {
                case VtdRegisters.IOTLB_GLOBAL:
                    invalidation.iotlbGlobal();
                    actual = granularity;
                    break;
                case VtdRegisters.IOTLB_DOMAIN:
                    invalidation.iotlbDomain(did);
                    actual = granularity;
                    break;
                case VtdRegisters.IOTLB_PAGE:
                    if ((address & VtdRegisters.IVA_AM) <= VtdRegisters.maxAddressMask(cap))
                    {
                        invalidation.iotlbPage(did, address & VtdRegisters.IVA_ADDRESS, (int)(address & VtdRegisters.IVA_AM));
                        actual = granularity;
                    }
                    break;
                default:
                    break;
            }
        }
        registers.setValue(iotlbRegister, (value & ~VtdRegisters.IOTLB_IVT & ~VtdRegisters.IOTLB_IAIG) |
            ((long)actual << VtdRegisters.IOTLB_IAIG_SHIFT));
    }

    private void faultStatusWritten(final long oldValue, final long newValue)
    {
        faults.statusServiced();
        if ((oldValue & VtdRegisters.FSTS_IQE) != 0 && (newValue & VtdRegisters.FSTS_IQE) == 0)
        {
            queue.process(registers.value(iqt));
        }
    }

    private void faultsControlWritten(final long value)
    {
        faults.controlWritten(value);
    }

    private InvalidationQueue queue()
    {
        return queue;
    }

    private boolean translationEnabled()
    {
        return translationEnabled;
    }

    private static void checkRole(final TranslationCache cache, final CacheRole role)
    {
        if (cache.role() != role)
        {
            throw new IllegalArgumentException(cache.name() + " has role " + cache.role() + ", not " + role);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inspection (statistics, tests, the driver helper).

    public long cap()
    {
        return cap;
    }

    public long ecap()
    {
        return ecap;
    }

    public VtdConfig config()
    {
        return config;
    }

    public PhysicalMemory memory()
    {
        return memory;
    }

    /** The second-stage format this unit walks (CAP.SLLPS, ECAP.SC, the host address width) for 2..5 levels. */
    public VtdSecondStageFormat secondStageFormat(final int levels, final boolean executeEnabled)
    {
        return translator.secondStageFormat(levels, executeEnabled);
    }

    /** The first-stage format this unit walks (CAP.FS1GP, the host address width) for 4 or 5 levels. */
    public X86Format firstStageFormat(final int levels)
    {
        return translator.firstStageFormat(levels);
    }

    public TranslationCache contextCache()
    {
        return contextCache;
    }

    public TranslationCache pasidCache()
    {
        return pasidCache;
    }

    public TranslationCache iotlb()
    {
        return iotlb;
    }

    /** The nested table-fetch cache, or null. */
    public TranslationCache nestedCache()
    {
        return nestedCache;
    }

    public InvalidationDispatcher dispatcher()
    {
        return dispatcher;
    }

    /**
     * The DID under which this unit caches {@code td}'s trusted translations: the DID MSB (bit w - 1 for the DID
     * width w that CAP.ND gives; bit 15 with 16-bit DIDs), which TDX Connect reserves for the TDX module and which it always
     * sets in trusted tables (shared/reference/vtd-tdx.md 7), with the TD's ID in the bits below. The module's
     * own numbering of trusted domains is not in the sources read; TD IDs wrap past 2^(width - 1) - 1.
     *
     * @throws IllegalStateException without TDX Connect.
     */
    public int trustedDomainId(final TrustDomain td)
    {
        if (trustedPath == null)
        {
            throw new IllegalStateException("no TDX Connect on this unit");
        }
        return trustedPath.trustedDomainId(td);
    }

    /**
     * The lowest host physical address in {@code [hpa, hpa + length)} that an untrusted IOTLB entry (a translation
     * cached from the VMM's tables, T bit clear) outputs to, or -1. The unit uses such an entry until an invalidation
     * removes it, whatever the tables say now (an unmap without invalidation leaves it), so TDX Connect's bind asks
     * this as well as the tables ({@code TdxConnect.addCachedTranslations}, docs/vtd.md). Not for the request path.
     */
    public long firstCachedOutput(final long hpa, final long length)
    {
        long first = -1;
        for (int slot = 0; slot < iotlb.entries(); slot++)
        {
            if (!iotlb.isValid(slot) || CacheTag.isTrusted(iotlb.tag(slot)))
            {
                continue;
            }
            final long output = CachedTranslation.outputBase(iotlb, slot);
            final long end = output + (1L << CachedTranslation.entrySizeLg2(iotlb, slot));
            if (output < hpa + length && hpa < end)
            {
                final long candidate = Math.max(output, hpa);
                first = first < 0 ? candidate : Math.min(first, candidate);
            }
        }
        return first;
    }

    /** TDX Connect: the TDX module's outcome of the last T=1 request (status, machine-check record); null without. */
    public DmaOutcome lastTrustedOutcome()
    {
        return trustedPath == null ? null : trustedPath.lastOutcome();
    }

    /** Page requests written to the page request queue (0 without ECAP.PRS). */
    public long pageRequestsQueued()
    {
        return pageRequests == null ? 0 : pageRequests.queued();
    }

    /** Page requests the queue could not take (full, or PRS.PRO set). */
    public long pageRequestOverflows()
    {
        return pageRequests == null ? 0 : pageRequests.overflowed();
    }

    /** Page request event interrupts sent (PECTL.IM clear). */
    public long pageRequestInterrupts()
    {
        return pageRequests == null ? 0 : pageRequests.interrupts();
    }

    /** ATS Invalidate Requests sent for device-TLB invalidation descriptors. */
    public long atsInvalidateRequests()
    {
        return deviceTlbs.requests();
    }

    /** Invalidate Completions that completed outstanding ITags; and those that completed none. */
    public long atsInvalidateCompletions()
    {
        return deviceTlbs.completions();
    }

    public long atsUnexpectedCompletions()
    {
        return deviceTlbs.unexpected();
    }

    /** The ITags of {@code requesterId}'s Invalidate Requests with no completion yet, as a mask (bit n = ITag n). */
    public int outstandingItags(final int requesterId)
    {
        return deviceTlbs.outstanding(requesterId);
    }

    /** Invalidate Requests sent with all 32 ITags of the device outstanding (ITag 0 used again). */
    public long itagsReused()
    {
        return deviceTlbs.itagsReused();
    }

    /** Fault event interrupts sent (FECTL.IM clear). */
    public long faultInterrupts()
    {
        return faults.interrupts();
    }

    /** Faults written to a fault record. */
    public long faultsRecorded()
    {
        return faults.recorded();
    }

    /** Invalidation completion interrupts sent (invalidation wait with IF, IECTL.IM clear). */
    public long invalidationWaitInterrupts()
    {
        return queue.waitInterrupts();
    }

    /** Descriptors of {@code type} executed by the invalidation queue. */
    public long descriptorsProcessed(final int type)
    {
        return queue.processed(type);
    }

    /** GCMD writes ignored because they changed more than one command. */
    public long rejectedCommands()
    {
        return rejectedCommands;
    }

    /** The latched root table address (SRTP). */
    public long rootTableAddress()
    {
        return rootTable;
    }

    /** Whether the latched TTM selects scalable mode. */
    public boolean scalableMode()
    {
        return ttm == VtdRegisters.TTM_SCALABLE;
    }
}
