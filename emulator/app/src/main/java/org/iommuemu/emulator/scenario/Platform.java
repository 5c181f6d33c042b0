package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.amdvi.DeviceTableEntry;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.DeviceMessage;
import org.iommuemu.emulator.platform.DeviceMessageListener;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.scenario.Scenario.Action;
import org.iommuemu.emulator.scenario.Scenario.AttachAction;
import org.iommuemu.emulator.scenario.Scenario.DetachAction;
import org.iommuemu.emulator.scenario.Scenario.DeviceSpec;
import org.iommuemu.emulator.scenario.Scenario.DomainSpec;
import org.iommuemu.emulator.scenario.Scenario.InvalidateAction;
import org.iommuemu.emulator.scenario.Scenario.KvmEpt;
import org.iommuemu.emulator.scenario.Scenario.MakePrivateAction;
import org.iommuemu.emulator.scenario.Scenario.MakeSharedAction;
import org.iommuemu.emulator.scenario.Scenario.MapAction;
import org.iommuemu.emulator.scenario.Scenario.Mapping;
import org.iommuemu.emulator.scenario.Scenario.PolicyAction;
import org.iommuemu.emulator.scenario.Scenario.UnmapAction;
import org.iommuemu.emulator.timing.CacheParameters;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.emulator.timing.WalkCacheGeometry;
import org.iommuemu.emulator.vtd.VtdConfig;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.EptFormat;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpTable;
import org.iommuemu.tdx.Pamt;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tdx.TdxModule;
import org.iommuemu.tlp.PrgResponse;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.trace.GuestAccess;

/**
 * A scenario turned into running models: emulated memory, the IOMMU (AMD-Vi, or VT-d in legacy or scalable
 * mode) brought up by its driver, the domains' page tables built in that memory through the same mapper a driver
 * uses, devices attached, SEV-SNP's RMP or TDX's TDs and TDIs in their starting state. {@link #apply} performs
 * timeline actions the way the kernel would (map, unmap followed by an IOTLB invalidation, page-state
 * conversions with PSMASH first, policy switches that remap a domain, TDISP bind and start, a TD's own reads and
 * writes, KVM dirty logging).
 * <p>
 * A step the models refuse while building (a mapping over an existing one, a failing RMPUPDATE or SEAMCALL, a
 * mapping over the emulator's own structures) is a {@link ScenarioException} naming the scenario line, never a
 * silently different platform. Architectural events during the traffic (a machine check at TDI bind or at a TD's
 * access, a refused TDISP transition) are recorded as {@link #events()}, not thrown.
 */
public final class Platform
{
    private static final int MAX_EVENTS = 1000;

    private final Scenario scenario;
    private final PhysicalMemory memory;
    /** The driver that built the platform; null when the guest drives the IOMMU ({@link #forGuest}). */
    private final IommuDriver driver;
    private final IommuPort port;
    private final RmpTable rmp;
    private final PageStateConversion conversion;
    private final TdxState tdx;
    private final Map<Integer, PageTable> domains = new LinkedHashMap<>();
    private final Map<Integer, DomainSpec> domainSpecs = new LinkedHashMap<>();
    /** Second-stage domains whose PASID entries have SSADE set (hardware dirty tracking on). */
    private final Set<Integer> dirtyTracking = new HashSet<>();
    /** AMD-Vi host domains tracking accesses only (DTE.HAD = 01b): not in {@link #dirtyTracking}, D is not updated. */
    private final Set<Integer> accessTracking = new HashSet<>();
    /** The domain each attached device's RID_PASID (or context) points at now. */
    private final Map<Integer, Integer> attachedTo = new LinkedHashMap<>();
    private final Map<Integer, PageTable> kvmEpts = new LinkedHashMap<>();
    private final Map<Integer, KvmEpt> kvmModes = new LinkedHashMap<>();
    private final Map<Integer, PageSizePolicy> policies = new LinkedHashMap<>();
    private final Map<Integer, DeviceSpec> devices = new LinkedHashMap<>();
    private final List<PlatformEvent> events = new ArrayList<>();
    private final Actions actions = new Actions();
    private final GuestActions guestActions = new GuestActions();
    private final long[] trustedRequesters = new long[1024];
    /** The messages the IOMMU sends to devices, counted; their rare conditions recorded as events. */
    private final SentMessages messages = new SentMessages();
    /** The page request queue overflowed (PRS.PRO) and software has not cleared it yet. */
    private boolean pageRequestOverflow;
    private long pagesFaultedIn;
    private long pageRequestsRefused;
    /** The page-walk caches built for this platform's IOMMU (none when the profile disables them). */
    private final List<PageWalkCache> walkCaches = new ArrayList<>();
    /** The VT-d unit, or null on AMD-Vi (TDX Connect's bind asks it for cached translations). */
    private final VtdIommu vtd;
    /** SEV-SNP guests and SEV-TIO, or null (docs/scenarios.md, the snp section). */
    private final SnpState snp;
    /** AMD-Vi guest translation, page requests, dirty tracking (the amdvi section), or null. */
    private final AmdViState amdvi;
    /** What the platform did outside the DMA stream, counted by name (VMM IOMMU maps, invalidations, RMP instructions). */
    private final Map<String, long[]> counters = new LinkedHashMap<>();
    private boolean anyTrustedRequester;
    private long eventCount;
    private long bindMachineChecks;
    private long tdAccessMachineChecks;
    private long actionsApplied;
    private long currentTlp = -1;

    private Platform(final Scenario scenario, final PhysicalMemory memory, final boolean guestDriven)
    {
        this.scenario = scenario;
        this.memory = memory;
        final Scenario.PlatformSpec spec = scenario.platform();
        final TimingProfile profile = spec.profile();
        final CacheParameters caches = profile.caches();
        if (spec.iommu() == Scenario.IommuKind.AMDVI)
        {
            DmaRmpCheck rmpCheck = null;
            RmpInstructions instructions = null;
            if (spec.snp())
            {
                rmp = RmpTable.contiguousCovering(memory, scenario.rmp().base(), scenario.rmp().covers());
                // SNP_INIT: the firmware owns the pages of the RMP itself (DMA or host writes there fault).
                rmp.assignRmpPagesToFirmware();
                rmpCheck = new DmaRmpCheck(rmp, spec.rmpConfig());
                instructions = new RmpInstructions(rmp, spec.rmpConfig());
                conversion = new PageStateConversion(instructions);
            }
            else
            {
                rmp = null;
                conversion = null;
            }
            final SnpSpec snpSpec = scenario.snp();
            final AmdViOptions tioOptions = snpSpec != null && snpSpec.tio() != null ?
                AmdViOptions.DEFAULT.withVtomSharedAddress(snpSpec.tio().vtomSharedAddress()) : AmdViOptions.DEFAULT;
            final AmdViOptions options = scenario.amdvi() != null ? scenario.amdvi().options(tioOptions) : tioOptions;
            final long efr = (spec.snp() ? AmdViRegisters.EFR_SNP_SUP : 0) | AmdViState.extendedFeatures(scenario.amdvi());
            final AmdViIommu iommu = new AmdViIommu(memory, efr, rmpCheck, caches.newCache(CacheRole.IOTLB), options);
            final PageWalkCache hostWalkCache = walkCache(caches, 1, 4, walkCaches);
            if (hostWalkCache != null)
            {
                iommu.hostWalkCache(hostWalkCache);
            }
            driver = guestDriven ? null : new AmdViPlatformDriver(iommu, memory, spec.snp());
            port = iommu;
            tdx = null;
            vtd = null;
            // SNP guests and SEV-TIO are built by the platform (build); a guest-driven platform refuses them (forGuest).
            snp = snpSpec == null || guestDriven ? null : new SnpState(this, memory, rmp, instructions, conversion, iommu, snpSpec);
            amdvi = scenario.amdvi() == null || guestDriven ? null :
                new AmdViState(this, memory, iommu, ((AmdViPlatformDriver)driver).driver(), scenario.amdvi());
        }
        else
        {
            rmp = null;
            conversion = null;
            TdxConnect connect = null;
            if (spec.tdxConnect())
            {
                connect = new TdxConnect(new TdxModule(memory, spec.hostReadMode()), spec.untrustedDmaRule());
                connect.staleTranslationRule(spec.staleTranslationRule());
                connect.untrustedMmioRule(spec.untrustedMmioRule());
            }
            final VtdConfig config = new VtdConfig();
            spec.vtdSwitches().applyTo(config);
            config.trustedIotlb = spec.trustedIotlb();
            config.trustedInvalidation = spec.trustedInvalidation();
            config.pageRequestOverflow = spec.pageRequests().overflow();
            // The modelled unit: the defaults plus 5-level first-stage tables, second-stage A/D (SSADS) and page requests.
            final VtdIommu iommu = new VtdIommu(memory, VtdRegisters.defaultCap(8) | VtdRegisters.CAP_FS5LP,
                VtdRegisters.defaultEcap() | VtdRegisters.ECAP_SLADS | VtdRegisters.ECAP_PRS, config,
                caches.newCache(CacheRole.CONTEXT), caches.newCache(CacheRole.PASID), caches.newCache(CacheRole.IOTLB),
                caches.nested().enabled() ? caches.newCache(CacheRole.NESTED) : null, connect);
            iommu.walkCaches(walkCache(caches, 2, 4, walkCaches), walkCache(caches, 1, 4, walkCaches));
            driver = guestDriven ? null : new VtdPlatformDriver(iommu, memory, spec.vtdMode() == Scenario.VtdMode.SCALABLE,
                spec.pageRequests().queuePagesLg2());
            port = iommu;
            iommu.messageListener(messages);
            tdx = connect == null ? null : new TdxState(this, connect.module(), connect, memory);
            vtd = iommu;
            snp = null;
            amdvi = null;
        }
    }

    /**
     * Page-walk caches of a stage for tables of {@code levels} levels from the profile's {@code caches.walk}: the
     * profile's level index i (root first, gem5's numbering) is the engine's level {@code levels - 1 - i}; null when
     * the profile disables walk caches. A cache built is also added to {@code built}.
     */
    private static PageWalkCache walkCache(final CacheParameters caches, final int stage, final int levels,
        final List<PageWalkCache> built)
    {
        final WalkCacheGeometry geometry = caches.walk();
        if (!geometry.enabled())
        {
            return null;
        }
        final TranslationCache[] byLevel = new TranslationCache[levels];
        for (int level = 1; level < levels; level++)
        {
            final int index = levels - 1 - level;
            if (index < geometry.levelCount(stage) && geometry.isLevelCached(stage, index))
            {
                byLevel[level] = caches.newWalkCache(stage, index);
            }
        }
        final PageWalkCache cache = new PageWalkCache(byLevel);
        built.add(cache);
        return cache;
    }

    /** Build the platform: bring the IOMMU up, build and map every domain, attach devices, set up SNP or TDX state. */
    public static Platform build(final Scenario scenario)
    {
        final Platform platform = new Platform(scenario, new SparseMemory(), false);
        // Second stages first: a nested first stage's tables live in guest memory that a second stage maps.
        final List<DomainSpec> ordered = new ArrayList<>();
        scenario.domains().stream().filter(d -> d.stage() == Scenario.Stage.SECOND).forEach(ordered::add);
        scenario.domains().stream().filter(d -> d.stage() == Scenario.Stage.FIRST).forEach(ordered::add);
        for (final DomainSpec spec : ordered)
        {
            platform.domainSpecs.put(spec.id(), spec);
            if (spec.identity())
            {
                continue; // no table: its devices' entries say pass-through
            }
            final PageTable table;
            if (spec.stage() == Scenario.Stage.FIRST)
            {
                table = platform.firstStageTable(spec);
            }
            else if (spec.kvmEpt() == KvmEpt.SHARED)
            {
                table = ((VtdPlatformDriver)platform.driver).newTable(new EptFormat(spec.levels()));
            }
            else
            {
                table = platform.driver.newDomain(spec.levels());
            }
            platform.domains.put(spec.id(), table);
            platform.kvmModes.put(spec.id(), spec.kvmEpt());
            if (spec.kvmEpt() == KvmEpt.SEPARATE)
            {
                platform.kvmEpts.put(spec.id(), ((VtdPlatformDriver)platform.driver).newTable(new EptFormat(spec.levels())));
            }
            platform.policies.put(spec.id(), spec.policy());
            if (spec.dirtyTracking())
            {
                platform.dirtyTracking.add(spec.id());
            }
            for (final Mapping mapping : spec.mappings())
            {
                platform.map(spec.id(), mapping, spec.line());
            }
        }
        for (final DeviceSpec device : scenario.devices())
        {
            platform.devices.put(device.requesterId(), device);
            platform.attach(device.requesterId(), device.domain());
        }
        if (scenario.rmp() != null)
        {
            for (final Action action : scenario.rmp().conversions())
            {
                platform.apply(action, 0);
            }
        }
        if (platform.snp != null)
        {
            platform.snp.build(scenario.snp());
        }
        if (platform.amdvi != null)
        {
            final Map<Integer, Boolean> ats = new HashMap<>();
            scenario.devices().forEach(d -> ats.put(d.requesterId(), d.ats()));
            platform.amdvi.build(platform.domains, ats);
            for (final AmdViSpec.GuestTableSpec table : scenario.amdvi().guestTables())
            {
                platform.policies.put(table.id(), table.policy());
            }
        }
        if (platform.tdx != null)
        {
            for (final Map.Entry<Integer, PageTable> domain : platform.domains.entrySet())
            {
                if (platform.domainSpecs.get(domain.getKey()).nestedIn() != DomainSpec.NOT_NESTED)
                {
                    continue; // its outputs are GPAs; the second stage under it is registered itself
                }
                final PageTable table = domain.getValue();
                platform.tdx.connect().addHypervisorMappings((hpa, length) -> firstMapped(table, hpa, length));
            }
            platform.tdx.connect().addCachedTranslations(platform.vtd::firstCachedOutput);
            platform.tdx.build(scenario.tdx());
        }
        platform.actionsApplied = 0;
        return platform;
    }

    /**
     * A platform whose IOMMU a guest brings up and programs (co-simulation): the models over {@code memory}, reset and
     * disabled as at power-on, with no domains, devices or table pool of the emulator's own (the scenario's
     * {@code domains} and {@code devices} are not built: the guest's driver writes its own tables). SEV-SNP's RMP and
     * its conversions, and TDX's TDs and TDIs, are set up as {@link #build} sets them up: they belong to the host and
     * the TDX module, not to the guest's IOMMU driver. {@code memory} must keep {@link #emulatorRanges} in memory the
     * emulator owns; everything else may be the guest's.
     */
    public static Platform forGuest(final Scenario scenario, final PhysicalMemory memory)
    {
        if (scenario.snp() != null)
        {
            throw new ScenarioException(scenario.source(), 0, "snp", "SNP guests and SEV-TIO need a platform the scenario builds " +
                "(cosim setup: scenario); a guest-driven platform has no such state");
        }
        final Platform platform = new Platform(scenario, memory, true);
        if (scenario.rmp() != null)
        {
            for (final Action action : scenario.rmp().conversions())
            {
                platform.apply(action, 0);
            }
        }
        if (platform.tdx != null)
        {
            // The VMM's cached IOTLB translations are seen at TDI bind; its mappings are in the guest's tables, which
            // the TDX module's check of private MMIO at bind does not read (a limit of the guest-driven platform).
            platform.tdx.connect().addCachedTranslations(platform.vtd::firstCachedOutput);
            platform.tdx.build(scenario.tdx());
        }
        platform.actionsApplied = 0;
        return platform;
    }

    /**
     * The physical ranges, as {start, end} pairs, of the structures a {@link #forGuest} platform keeps in memory of the
     * emulator's own: the RMP (with SNP) and the TDX module's page pools (with TDX Connect).
     */
    public static List<long[]> emulatorRanges(final Scenario scenario)
    {
        final List<long[]> ranges = new ArrayList<>();
        if (scenario.rmp() != null && scenario.platform().snp())
        {
            final RmpTable layout = RmpTable.contiguousCovering(new SparseMemory(), scenario.rmp().base(), scenario.rmp().covers());
            ranges.add(new long[] {layout.base(), layout.last() + 1});
        }
        if (scenario.platform().tdxConnect())
        {
            ranges.addAll(TdxState.reserved());
        }
        return ranges;
    }

    /** Whether the guest drives the IOMMU ({@link #forGuest}); false for a platform built from the scenario. */
    public boolean guestDriven()
    {
        return driver == null;
    }

    public Scenario scenario()
    {
        return scenario;
    }

    /** The IOMMU, as the replay sees it. */
    public IommuPort port()
    {
        return port;
    }

    /** The IOMMU and its mode, for summaries. */
    public String describe()
    {
        final String iommu = driver != null ? driver.describe() :
            port.name() + (rmp != null ? "+snp" : "") + " (guest-driven)";
        return iommu + (tdx != null ? "+tdx-connect" : "");
    }

    public PhysicalMemory memory()
    {
        return memory;
    }

    /** The page-walk caches in front of the IOMMU's walks (empty when the profile disables them). */
    public List<PageWalkCache> walkCaches()
    {
        return walkCaches;
    }

    public TimingProfile profile()
    {
        return scenario.platform().profile();
    }

    /** The RMP, or null without SNP. */
    public RmpTable rmp()
    {
        return rmp;
    }

    /** Whether {@code address} is inside the RMP (the timing model prices those reads as RMP fetches). */
    public boolean isRmpAddress(final long address)
    {
        return rmp != null && address >= rmp.base() && address <= rmp.last();
    }

    /**
     * The T bit of a request from {@code requesterId}, the one place it is decided: the bit the request carried
     * ({@code carried}: a TLP's own T from its IDE prefix or OHC-C, the IDE stream T a capture recorded, or the T
     * of a co-simulation peer's translation request), or 1 when the scenario's {@code t-from-state} has a device
     * whose TDI is in RUN send T=1 (TDISP) whatever its traffic carried. Allocation-free.
     */
    public boolean tBit(final int requesterId, final boolean carried)
    {
        return carried || anyTrustedRequester && (trustedRequesters[requesterId >>> 6] & (1L << requesterId)) != 0;
    }

    /** Bytes of page-table memory all domains (and KVM's separate EPTs) use now. */
    public long pageTableBytes()
    {
        long pages = 0;
        for (final PageTable table : domains.values())
        {
            pages += table.tablePages();
        }
        for (final PageTable table : kvmEpts.values())
        {
            pages += table.tablePages();
        }
        return pages * PhysicalMemory.FRAME_SIZE;
    }

    /**
     * Memory in the TDX module's Secure EPT pages of every TD (frames the PAMT records as S-EPT pages, the roots
     * included): 0 without TDX Connect. Not part of {@link #pageTableBytes}, which counts the IOMMU's (and KVM's) tables.
     */
    public long septBytes()
    {
        return tdx == null ? 0 : tdx.module().pamt().frames(Pamt.PT_SEPT) * PhysicalMemory.FRAME_SIZE;
    }

    /** The domain's page table (for tests and reports). */
    public PageTable domain(final int id)
    {
        return domains.get(id);
    }

    public long actionsApplied()
    {
        return actionsApplied;
    }

    /** Events during the replay (machine checks, TDISP transitions), each with the TLP index it came before. */
    public List<PlatformEvent> events()
    {
        return Collections.unmodifiableList(events);
    }

    public long eventCount()
    {
        return eventCount;
    }

    /** Machine checks raised at TDI bind (setup included); see {@code ReplayStatistics.machineChecks()}. */
    public long bindMachineChecks()
    {
        return bindMachineChecks;
    }

    /** Machine checks raised by the TD's own accesses ({@code td-read}). */
    public long tdAccessMachineChecks()
    {
        return tdAccessMachineChecks;
    }

    /** The IOMMU's invalidation dispatcher: every cache invalidation goes through it (logs listen to it). */
    public InvalidationDispatcher dispatcher()
    {
        if (driver != null)
        {
            return driver.dispatcher();
        }
        // A guest-driven platform (co-simulation) has no driver of the emulator's: the IOMMU's own.
        return port instanceof AmdViIommu amdvi ? amdvi.dispatcher() : ((VtdIommu)port).dispatcher();
    }

    /**
     * Read and free the fault records the IOMMU wrote since the last call (AMD-Vi event log entries, VT-d fault
     * recording registers), as the kernel's fault handler does; returns how many were read. Nobody calls it during a
     * plain replay, so a full event log or a pending fault record stops further recording there, as on hardware
     * whose driver does not service faults; {@code --log dmesg} services them after every logged fault.
     */
    public int serviceFaults(final FaultRecordConsumer consumer)
    {
        return driver.serviceFaults(consumer);
    }

    /** The replay tells the platform which TLP comes next, so events carry it. */
    public void currentTlp(final long index)
    {
        currentTlp = index;
    }

    /** Perform one action; {@code line} is the scenario line it came from, for messages. */
    public void apply(final Action action, final int line)
    {
        actionsApplied++;
        action.applyTo(driver == null ? guestActions : actions, line);
    }

    /** The platform's handling of each kind of timeline action. */
    private final class Actions implements ActionHandler
    {
        @Override
        public void map(final MapAction action, final int line)
        {
            Platform.this.map(action.domain(), action.mapping(), line);
        }

        @Override
        public void unmap(final UnmapAction action, final int line)
        {
            final MapStatus status = domains.get(action.domain()).unmap(action.iova(), action.size());
            if (status != MapStatus.OK && status != MapStatus.NOT_MAPPED)
            {
                throw refused(line, "unmap", "iova 0x" + Long.toHexString(action.iova()) + ": " + status);
            }
            final PageTable kvm = kvmEpts.get(action.domain());
            if (kvm != null)
            {
                kvm.unmap(action.iova(), action.size());
            }
            if (action.invalidate())
            {
                invalidateRange(action.domain(), action.iova(), action.size());
            }
        }

        @Override
        public void invalidate(final InvalidateAction action, final int line)
        {
            if (action.domain() < 0)
            {
                driver.invalidateAll();
            }
            else if (action.size() > 0)
            {
                invalidateRange(action.domain(), action.iova(), action.size());
            }
            else
            {
                invalidateDomain(action.domain());
            }
        }

        @Override
        public void policy(final PolicyAction action, final int line)
        {
            switchPolicy(action.domain(), action.policy(), line);
        }

        @Override
        public void makePrivate(final MakePrivateAction action, final int line)
        {
            final int code = conversion.makePrivate(action.spa(), action.gpa(), action.asid(), rmpPageSize(action.size()));
            if (code != RmpReturnCode.SUCCESS)
            {
                throw refused(line, "make-private", "spa 0x" + Long.toHexString(action.spa()) + ": RMPUPDATE/PSMASH returned " +
                    RmpReturnCode.name(code));
            }
            rmpChanged();
        }

        @Override
        public void makeShared(final MakeSharedAction action, final int line)
        {
            final int code = conversion.makeShared(action.spa(), rmpPageSize(action.size()));
            if (code != RmpReturnCode.SUCCESS)
            {
                throw refused(line, "make-shared", "spa 0x" + Long.toHexString(action.spa()) + ": RMPUPDATE returned " +
                    RmpReturnCode.name(code));
            }
            rmpChanged();
        }

        @Override
        public void attach(final AttachAction action, final int line)
        {
            Platform.this.attach(action.requesterId(), action.domain());
        }

        @Override
        public void detach(final DetachAction action, final int line)
        {
            final Integer domain = attachedTo.remove(action.requesterId());
            driver.detach(action.requesterId(), domain == null ? 0 : domain);
        }

        @Override
        public void kvmDirtyLog(final Scenario.KvmDirtyLogAction action, final int line)
        {
            Platform.this.kvmDirtyLog(action.domain(), line);
        }

        @Override
        public void tdiBind(final Scenario.TdiBindAction action, final int line)
        {
            tdx.bind(action.requesterId(), action.td(), line);
        }

        @Override
        public void tdiStart(final Scenario.TdiStartAction action, final int line)
        {
            tdx.start(action.requesterId(), line);
        }

        @Override
        public void tdiStop(final Scenario.TdiStopAction action, final int line)
        {
            tdx.stop(action.requesterId());
        }

        @Override
        public void tdiUnbind(final Scenario.TdiUnbindAction action, final int line)
        {
            tdx.unbind(action.requesterId());
        }

        @Override
        public void mmioMap(final Scenario.MmioMapAction action, final int line)
        {
            tdx.mmioMap(action, line);
        }

        @Override
        public void tdAccess(final Scenario.TdAccessAction action, final int line)
        {
            tdx.tdAccess(action);
        }

        @Override
        public void pageStateChange(final Scenario.PageStateChangeAction action, final int line)
        {
            snp.pageStateChange(action, line);
        }

        @Override
        public void pvalidate(final Scenario.PvalidateAction action, final int line)
        {
            snp.pvalidate(action, line);
        }

        @Override
        public void psmash(final Scenario.PsmashAction action, final int line)
        {
            snp.psmash(action, line);
        }

        @Override
        public void tio(final Scenario.TioAction action, final int line)
        {
            snp.tio(action);
        }

        @Override
        public void tdConvert(final Scenario.TdConvertAction action, final int line)
        {
            new TdxConversion(Platform.this, tdx, memory).convert(action, line);
        }

        @Override
        public void setDirtyTracking(final Scenario.SetDirtyTrackingAction action, final int line)
        {
            Platform.this.setDirtyTracking(action.domain(), action.enable(), action.bits());
        }

        @Override
        public void readDirty(final Scenario.ReadDirtyAction action, final int line)
        {
            Platform.this.readDirty(action, line);
        }

        @Override
        public void servicePageRequests(final Scenario.ServicePageRequestsAction action, final int line)
        {
            Platform.this.servicePageRequests();
        }

        @Override
        public void tdiError(final Scenario.TdiErrorAction action, final int line)
        {
            tdx.error(action.requesterId());
        }

        @Override
        public void seamcall(final Scenario.SeamcallAction action, final int line)
        {
            if (action.call() == Scenario.SeamcallCall.AUG || action.call() == Scenario.SeamcallCall.RELOCATE)
            {
                checkPlacement(new Mapping(action.gpa(), action.hpa(), 1L << (12 + 9 * action.level()), Permissions.READ_WRITE), line,
                    "seamcall");
            }
            tdx.seamcall(action, line);
        }
    }

    /** Counts of the messages the IOMMU sent devices (ATS Invalidate Requests, Page Group Responses). */
    private static final class SentMessages implements DeviceMessageListener
    {
        long atsInvalidateRequests;
        long prgResponses;
        long prgResponsesByHardware;

        @Override
        public void atsInvalidateRequest(final int requesterId, final int pasid, final long address, final long size,
            final boolean global, final int itag)
        {
            atsInvalidateRequests++;
        }

        @Override
        public void prgResponse(final int requesterId, final int pasid, final int prgIndex, final int responseCode,
            final boolean byHardware)
        {
            if (byHardware)
            {
                prgResponsesByHardware++;
            }
            else
            {
                prgResponses++;
            }
        }
    }

    /**
     * What the platform's devices and IOMMU exchanged in messages so far: the IOMMU's ATS Invalidate Requests (device-TLB
     * invalidations), its Page Group Responses (by software, and by the hardware itself), and the page requests the OS's
     * handler answered by mapping a page or refused.
     */
    public record MessageCounts(long atsInvalidateRequests, long prgResponses, long prgResponsesByHardware, long pagesFaultedIn,
        long pageRequestsRefused)
    {
    }

    public MessageCounts messageCounts()
    {
        return new MessageCounts(messages.atsInvalidateRequests, messages.prgResponses, messages.prgResponsesByHardware, pagesFaultedIn,
            pageRequestsRefused);
    }

    /**
     * A message from a device to the IOMMU (a trace's PRI Page Request or ATS Invalidate Completion): the IOMMU's answer;
     * with {@code page-requests.service: immediate} a queued page request is serviced at once, as the OS's handler of the
     * page request event would. Allocates nothing on the common path.
     */
    public MessageResult message(final DeviceMessage message)
    {
        final MessageResult result = port().message(message);
        switch (result)
        {
            case PAGE_REQUEST_QUEUED:
                // On a guest-driven platform the guest's driver services its own queue.
                if (driver != null && scenario.platform().pageRequests().immediate())
                {
                    servicePageRequests();
                }
                break;
            case PAGE_REQUEST_OVERFLOW_RESPONDED:
            case PAGE_REQUEST_OVERFLOW_DROPPED:
                if (!pageRequestOverflow)
                {
                    pageRequestOverflow = true;
                    event(new PlatformEvent.PageRequestOverflow(beforeTlp(), true));
                }
                break;
            default:
                break;
        }
        return result;
    }


    /**
     * iommufd's SET_DIRTY_TRACKING on an AMD-Vi host domain: DTE.HAD of every device attached to it rewritten (with the
     * DTE invalidation and the domain's IOTLB flush: amd_iommu_set_dirty_tracking); enabling first clears the D bits left
     * from before (a read-and-clear without a bitmap) and flushes. With {@code accessOnly} HAD is 01b (A only: no D bits
     * to clear). An event; the device entries rewritten are counted.
     */
    private void amdSetDirtyTracking(final int domain, final boolean enable, final boolean accessOnly)
    {
        final AmdViDriver amd = ((AmdViPlatformDriver)driver).driver();
        long stale = 0;
        accessTracking.remove(domain);
        if (accessOnly)
        {
            dirtyTracking.remove(domain);
            accessTracking.add(domain);
        }
        else if (enable)
        {
            final long[] bytes = new long[1];
            final PageTable table = domains.get(domain);
            for (final long[] run : leaves(table))
            {
                table.readDirty(run[0], run[2], true, (first, last, lg2) -> bytes[0] += last - first + 1);
            }
            stale = bytes[0];
            driver.invalidateDomain(domain);
            dirtyTracking.add(domain);
        }
        else
        {
            dirtyTracking.remove(domain);
        }
        int entries = 0;
        for (final Map.Entry<Integer, Integer> attachment : attachedTo.entrySet())
        {
            if (attachment.getValue() == domain)
            {
                amd.setHostAccessDirty(attachment.getKey(), domain, hostAccessDirty(domain));
                entries++;
            }
        }
        count("device table entries rewritten for dirty tracking", entries);
        event(new PlatformEvent.DirtyTracking(beforeTlp(), domain, enable, accessOnly, entries, stale, true));
    }

    /** DTE.HAD for a device attached to AMD-Vi host domain {@code domain}: what its dirty tracking asks for. */
    private int hostAccessDirty(final int domain)
    {
        return dirtyTracking.contains(domain) ? DeviceTableEntry.HAD_ACCESSED_DIRTY :
            accessTracking.contains(domain) ? DeviceTableEntry.HAD_ACCESSED : DeviceTableEntry.HAD_NONE;
    }

    /** The host domain a device of the scenario is attached to now (its DomainID). */
    int deviceDomain(final int requesterId)
    {
        return attachedTo.getOrDefault(requesterId, devices.get(requesterId).domain());
    }

    /** Whether the platform takes PRI page requests (AMD-Vi with a PPR log). */
    public boolean takesPageRequests()
    {
        return amdvi != null && amdvi.takesPageRequests();
    }

    /**
     * A PRI Page Request message of the trace (a decoded Msg TLP with that message code): to the IOMMU's PPR log, then
     * serviced as the OS's PPR handler does ({@code AmdViState}); counted in the summary.
     */
    public void pageRequest(final Tlp tlp)
    {
        amdvi.pageRequest(tlp);
    }

    /**
     * A guest CPU access record of the trace: through the vCPU's guest's nested page table and the RMP check
     * ({@code SnpState}); the outcome has the SPA, or the #NPF or #VC as a {@link GuestAccessFault}. Allocation-free once
     * each fault has been seen.
     *
     * @throws IllegalArgumentException when the platform has no SNP guests or the vCPU belongs to none.
     */
    public boolean guestAccess(final GuestAccess access, final RequestOutcome out)
    {
        if (snp == null)
        {
            throw new IllegalArgumentException("a guest CPU access record needs an SNP guest with that vCPU (snp.guests; " +
                "iommu: amdvi with snp: true)");
        }
        return snp.guestAccess(access, out);
    }

    /** What the platform did outside the DMA stream, by name (the summary prints the non-zero ones). */
    public Map<String, Long> counters()
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        counters.forEach((name, value) -> result.put(name, value[0]));
        if (amdvi != null && ((AmdViIommu)port).accessDirtyUpdates() > 0)
        {
            result.put("IOMMU A/D updates (host entries written)", ((AmdViIommu)port).accessDirtyUpdates());
        }
        return result;
    }

    /** Count {@code delta} more of {@code name}. */
    void count(final String name, final long delta)
    {
        counters.computeIfAbsent(name, key -> new long[1])[0] += delta;
    }

    /**
     * The VMM maps {@code [iova, iova + size)} of a domain to {@code spa} for a guest's devices (VFIO/iommufd), with
     * {@code policy} (null: the domain's); counted as a VMM map call and its pages.
     *
     * @return bytes mapped.
     */
    long vmmMap(final int domain, final long iova, final long spa, final long size, final PageSizePolicy policy, final int line)
    {
        final Mapping mapping = new Mapping(iova, spa, size, Permissions.READ_WRITE);
        checkPlacement(mapping, line);
        final MapStatus status = domains.get(domain).map(iova, spa, size, Permissions.READ_WRITE,
            policy == null ? policies.get(domain) : policy);
        if (status != MapStatus.OK)
        {
            throw refused(line, "map", "domain " + domain + " iova 0x" + Long.toHexString(iova) + " size 0x" + Long.toHexString(size) +
                ": " + status);
        }
        count("VMM IOMMU map calls", 1);
        count("VMM IOMMU pages mapped (4 KiB)", size / PhysicalMemory.FRAME_SIZE);
        return size;
    }

    /**
     * The VMM unmaps {@code [iova, iova + size)} of a domain and invalidates it (and waits), as VFIO/iommufd's unmap
     * does; counted.
     *
     * @return bytes unmapped (0 when nothing was mapped there).
     */
    long vmmUnmap(final int domain, final long iova, final long size, final int line)
    {
        final MapStatus status = domains.get(domain).unmap(iova, size);
        if (status != MapStatus.OK && status != MapStatus.NOT_MAPPED)
        {
            throw refused(line, "unmap", "iova 0x" + Long.toHexString(iova) + ": " + status);
        }
        driver.invalidateRange(domain, iova, size);
        count("VMM IOMMU unmap calls", 1);
        count("IOMMU invalidations (with completion wait)", 1);
        final long unmapped = status == MapStatus.OK ? size : 0;
        count("VMM IOMMU pages unmapped (4 KiB)", unmapped / PhysicalMemory.FRAME_SIZE);
        return unmapped;
    }

    /** An ATS Invalidate Request a trace shows the host sending device {@code requesterId}: its ITag is outstanding. */
    public void invalidateRequestSeen(final int requesterId, final int itag)
    {
        port().invalidateRequestSeen(requesterId, itag);
    }

    /**
     * The OS services the page request queue (intel-iommu's prq handling with the iopf handler): each request is looked
     * up in its requester's domain (RID_PASID, or the PASID entry's), a 4 KiB page of the domain's on-demand ranges is
     * mapped for it (Success), or it is refused (Invalid Request: no on-demand range holds it, a write to a read-only
     * range, a pass-through PASID); each group is answered with a page group response.
     */
    private void servicePageRequests()
    {
        ((VtdPlatformDriver)driver).servicePageRequests(this::faultIn);
        if (pageRequestOverflow && (port().readRegister(VtdRegisters.PRS, 4) &
            VtdRegisters.PRS_PRO) == 0)
        {
            pageRequestOverflow = false;
            event(new PlatformEvent.PageRequestOverflow(beforeTlp(), false));
        }
    }

    private int faultIn(final int requesterId, final int pasid, final long address, final boolean read, final boolean write,
        final boolean last, final int prgIndex)
    {
        final Integer domain = domainOf(requesterId, pasid);
        final DomainSpec spec = domain == null ? null : domainSpecs.get(domain);
        if (spec != null)
        {
            for (final Mapping range : spec.onDemand())
            {
                if (address >= range.iova() && address - range.iova() < range.size())
                {
                    if (write && (range.permissions() & Permissions.WRITE) == 0)
                    {
                        break;
                    }
                    final int permissions = range.permissions() | (firstStage(domain) ? Permissions.USER : 0);
                    final MapStatus status = domains.get(domain).map(address, range.spa() + (address - range.iova()),
                        PhysicalMemory.FRAME_SIZE, permissions, PageSizePolicy.FORCED_4K);
                    if (status == MapStatus.OK)
                    {
                        pagesFaultedIn++;
                    }
                    return PrgResponse.RESPONSE_SUCCESS;
                }
            }
        }
        pageRequestsRefused++;
        return PrgResponse.RESPONSE_INVALID_REQUEST;
    }

    /** The domain a request of {@code requesterId} with {@code pasid} (negative: none) translates through, or null. */
    private Integer domainOf(final int requesterId, final int pasid)
    {
        if (pasid < 0)
        {
            return attachedTo.get(requesterId);
        }
        final DeviceSpec device = devices.get(requesterId);
        if (device != null)
        {
            for (final Scenario.PasidSpec entry : device.pasids())
            {
                if (entry.pasid() == pasid && entry.domain() != Scenario.PasidSpec.PASS_THROUGH)
                {
                    return entry.domain();
                }
            }
        }
        return null;
    }

    /** Entries the IOMMU's invalidations removed so far, every cache (a SEAMCALL's trusted IOTLB drops are the difference). */
    long iotlbEntriesInvalidated()
    {
        return vtd == null ? 0 : vtd.dispatcher().entriesRemoved();
    }

    /** The RMP changed: the IOMMU's translations are flushed, by the driver or, on a guest-driven platform, directly. */
    void rmpChanged()
    {
        if (driver != null)
        {
            driver.rmpChanged();
        }
        else
        {
            AmdViPlatformDriver.flushAfterRmpChange((AmdViIommu)port);
        }
    }

    /**
     * Timeline actions on a guest-driven platform ({@link #forGuest}): the host's RMP conversions and TDX actions are
     * carried out; the domain and device actions belong to the guest's driver and are refused.
     */
    private final class GuestActions implements ActionHandler
    {
        private ScenarioException guestOwns(final int line, final String action)
        {
            return refused(line, "timeline", "the guest programs this IOMMU's domains and devices; " + action +
                " actions need a platform the scenario builds (cosim setup: scenario)");
        }

        @Override
        public void map(final MapAction action, final int line)
        {
            throw guestOwns(line, "map");
        }

        @Override
        public void unmap(final UnmapAction action, final int line)
        {
            throw guestOwns(line, "unmap");
        }

        @Override
        public void invalidate(final InvalidateAction action, final int line)
        {
            throw guestOwns(line, "invalidate");
        }

        @Override
        public void policy(final PolicyAction action, final int line)
        {
            throw guestOwns(line, "set-policy");
        }

        @Override
        public void makePrivate(final MakePrivateAction action, final int line)
        {
            actions.makePrivate(action, line);
        }

        @Override
        public void makeShared(final MakeSharedAction action, final int line)
        {
            actions.makeShared(action, line);
        }

        @Override
        public void attach(final AttachAction action, final int line)
        {
            throw guestOwns(line, "attach");
        }

        @Override
        public void tdiBind(final Scenario.TdiBindAction action, final int line)
        {
            actions.tdiBind(action, line);
        }

        @Override
        public void tdiStart(final Scenario.TdiStartAction action, final int line)
        {
            actions.tdiStart(action, line);
        }

        @Override
        public void tdiStop(final Scenario.TdiStopAction action, final int line)
        {
            actions.tdiStop(action, line);
        }

        @Override
        public void tdiUnbind(final Scenario.TdiUnbindAction action, final int line)
        {
            actions.tdiUnbind(action, line);
        }

        @Override
        public void mmioMap(final Scenario.MmioMapAction action, final int line)
        {
            actions.mmioMap(action, line);
        }

        @Override
        public void tdAccess(final Scenario.TdAccessAction action, final int line)
        {
            actions.tdAccess(action, line);
        }

        @Override
        public void kvmDirtyLog(final Scenario.KvmDirtyLogAction action, final int line)
        {
            throw guestOwns(line, "kvm-dirty-log");
        }

        @Override
        public void detach(final DetachAction action, final int line)
        {
            throw guestOwns(line, "detach");
        }

        @Override
        public void pageStateChange(final Scenario.PageStateChangeAction action, final int line)
        {
            throw guestOwns(line, "page-state-change");
        }

        @Override
        public void pvalidate(final Scenario.PvalidateAction action, final int line)
        {
            throw guestOwns(line, "pvalidate");
        }

        @Override
        public void psmash(final Scenario.PsmashAction action, final int line)
        {
            throw guestOwns(line, "psmash");
        }

        @Override
        public void tio(final Scenario.TioAction action, final int line)
        {
            throw guestOwns(line, action.operation().action());
        }

        @Override
        public void tdiError(final Scenario.TdiErrorAction action, final int line)
        {
            actions.tdiError(action, line);
        }

        @Override
        public void seamcall(final Scenario.SeamcallAction action, final int line)
        {
            actions.seamcall(action, line);
        }

        @Override
        public void setDirtyTracking(final Scenario.SetDirtyTrackingAction action, final int line)
        {
            throw guestOwns(line, "set-dirty-tracking");
        }

        @Override
        public void readDirty(final Scenario.ReadDirtyAction action, final int line)
        {
            throw guestOwns(line, "read-dirty");
        }

        @Override
        public void tdConvert(final Scenario.TdConvertAction action, final int line)
        {
            if (action.dmaDomain() != Scenario.TdConvertAction.NO_DMA_DOMAIN)
            {
                throw guestOwns(line, "td-convert with a DMA domain");
            }
            new TdxConversion(Platform.this, tdx, memory).convert(action, line);
        }

        @Override
        public void servicePageRequests(final Scenario.ServicePageRequestsAction action, final int line)
        {
            throw guestOwns(line, "service-page-requests");
        }
    }

    /** Where in the traffic an event happens now: the TLP the replay goes to next, or {@link PlatformEvent#SETUP}. */
    long beforeTlp()
    {
        return currentTlp < 0 ? PlatformEvent.SETUP : currentTlp;
    }

    /** Record an event (the first {@code MAX_EVENTS} are kept, all are counted). */
    void event(final PlatformEvent event)
    {
        eventCount++;
        if (events.size() < MAX_EVENTS)
        {
            events.add(event);
        }
    }

    /** A machine check at TDI bind: counted and recorded. */
    void bindMachineCheck(final PlatformEvent.TdiBindMachineCheck event)
    {
        bindMachineChecks++;
        event(event);
    }

    /** A machine check raised by a TD's own access: counted and recorded. */
    void tdAccessMachineCheck(final PlatformEvent.TdAccess event)
    {
        tdAccessMachineChecks++;
        event(event);
    }

    void trustedRequester(final int requesterId, final boolean trusted)
    {
        if (trusted)
        {
            trustedRequesters[requesterId >>> 6] |= 1L << requesterId;
        }
        else
        {
            trustedRequesters[requesterId >>> 6] &= ~(1L << requesterId);
        }
        boolean any = false;
        for (final long word : trustedRequesters)
        {
            any |= word != 0;
        }
        anyTrustedRequester = any;
    }

    ScenarioException refused(final int line, final String step, final String reason)
    {
        return new ScenarioException(scenario.source(), line, step, reason);
    }

    /**
     * iommufd's IOMMU_HWPT_SET_DIRTY_TRACKING on a second-stage domain, as intel-iommu does it: SSADE set or cleared in
     * every PASID entry that uses the domain (a device's RID_PASID or PASID entry naming it, a nested first stage over
     * it), each rewrite followed by the PASID-cache, IOTLB and device-TLB invalidations; enabling then clears the D bits
     * left from before (iommufd's read-and-clear without a bitmap) and flushes the IOTLB.
     */
    private void setDirtyTracking(final int domain, final boolean enable, final Scenario.DirtyBits bits)
    {
        if (vtd == null)
        {
            amdSetDirtyTracking(domain, enable, enable && bits == Scenario.DirtyBits.ACCESS);
            return;
        }
        if (enable)
        {
            dirtyTracking.add(domain);
        }
        else
        {
            dirtyTracking.remove(domain);
        }
        final VtdPlatformDriver vtdDriver = (VtdPlatformDriver)driver;
        int entries = 0;
        for (final Map.Entry<Integer, Integer> attachment : attachedTo.entrySet())
        {
            final int requesterId = attachment.getKey();
            final DeviceSpec device = devices.get(requesterId);
            final boolean ats = device != null && device.ats();
            if (usesSecondStage(attachment.getValue(), domain))
            {
                vtdDriver.rewritePasid(requesterId, 0, binding(attachment.getValue()), ats);
                entries++;
            }
            for (final Scenario.PasidSpec pasid : device == null ? List.<Scenario.PasidSpec>of() : device.pasids())
            {
                if (pasid.domain() != Scenario.PasidSpec.PASS_THROUGH && usesSecondStage(pasid.domain(), domain))
                {
                    vtdDriver.rewritePasid(requesterId, pasid.pasid(), binding(pasid.domain()), ats);
                    entries++;
                }
            }
        }
        long stale = 0;
        if (enable)
        {
            final PageTable table = domains.get(domain);
            final long[] bytes = {0};
            for (final long[] run : leaves(table))
            {
                table.readDirty(run[0], run[2], true, (first, last, lg2) -> bytes[0] += last - first + 1);
            }
            stale = bytes[0];
            invalidateDomain(domain);
        }
        event(new PlatformEvent.DirtyTracking(beforeTlp(), domain, enable, false, entries, stale, false));
    }

    /** Whether a PASID entry of {@code entryDomain} translates through second-stage {@code domain} (itself, or nested over it). */
    private boolean usesSecondStage(final int entryDomain, final int domain)
    {
        return entryDomain == domain || domainSpecs.get(entryDomain).nestedIn() == domain;
    }

    /** iommufd's GET_DIRTY_BITMAP: report the dirty leaves, clear them, flush what was cleared (iommu_iotlb_sync). */
    private void readDirty(final Scenario.ReadDirtyAction action, final int line)
    {
        final long[] found = {0, 0};
        final MapStatus status = domains.get(action.domain()).readDirty(action.iova(), action.size(), action.clear(), (first, last, lg2) ->
        {
            found[0]++;
            found[1] += last - first + 1;
        });
        if (status != MapStatus.OK)
        {
            throw refused(line, "read-dirty", String.format("domain %d iova 0x%x size 0x%x: %s", action.domain(), action.iova(),
                action.size(), status));
        }
        final boolean flushed = action.clear() && action.flush() && found[0] > 0;
        if (flushed)
        {
            invalidateRange(action.domain(), action.iova(), action.size());
        }
        count("dirty bitmap reads", 1);
        count("dirty pages reported (4 KiB)", found[1] / PhysicalMemory.FRAME_SIZE);
        event(new PlatformEvent.DirtyBitmap(beforeTlp(), action.domain(), action.iova(), action.size(), found[0], found[1],
            dirtyTracking.contains(action.domain()), action.clear(), flushed));
    }

    private void attach(final int requesterId, final int domain)
    {
        attachedTo.put(requesterId, domain);
        final DeviceSpec device = devices.get(requesterId);
        final int permissions = device == null ? Permissions.READ_WRITE : device.permissions();
        final boolean ats = device != null && device.ats();
        if (driver instanceof VtdPlatformDriver vtdDriver && scenario.platform().vtdMode() == Scenario.VtdMode.SCALABLE)
        {
            final List<Scenario.PasidSpec> pasids = device == null ? List.of() : device.pasids();
            final int[] numbers = new int[pasids.size()];
            final VtdPlatformDriver.Binding[] bindings = new VtdPlatformDriver.Binding[pasids.size()];
            for (int i = 0; i < numbers.length; i++)
            {
                numbers[i] = pasids.get(i).pasid();
                bindings[i] = pasids.get(i).domain() == Scenario.PasidSpec.PASS_THROUGH ? VtdPlatformDriver.Binding.PASS_THROUGH :
                    binding(pasids.get(i).domain());
            }
            vtdDriver.attachScalable(requesterId, binding(domain), numbers, bindings, ats, device != null && device.pri());
            return;
        }
        if (domainSpecs.get(domain).identity())
        {
            driver.attachIdentity(requesterId, domain, permissions, ats);
        }
        else if (driver instanceof AmdViPlatformDriver amd)
        {
            // A domain with dirty tracking on: set_dte_entry writes its HAD with the rest of the DTE.
            amd.attach(requesterId, domain, domains.get(domain), permissions, ats, hostAccessDirty(domain));
        }
        else
        {
            driver.attach(requesterId, domain, domains.get(domain), permissions, ats);
        }
        if (amdvi != null)
        {
            amdvi.attached(requesterId);
        }
    }

    /** VT-d scalable mode: what a PASID entry of {@code domain} points at (second stage, first stage or nested). */
    private VtdPlatformDriver.Binding binding(final int domain)
    {
        final DomainSpec spec = domainSpecs.get(domain);
        if (spec.identity())
        {
            return new VtdPlatformDriver.Binding(VtdPlatformDriver.Kind.PASS_THROUGH, domain, null, null, false);
        }
        if (spec.stage() == Scenario.Stage.SECOND)
        {
            return new VtdPlatformDriver.Binding(VtdPlatformDriver.Kind.SECOND_STAGE, domain, domains.get(domain), null,
                dirtyTracking.contains(domain));
        }
        if (spec.nestedIn() == DomainSpec.NOT_NESTED)
        {
            return new VtdPlatformDriver.Binding(VtdPlatformDriver.Kind.FIRST_STAGE, domain, domains.get(domain), null, false);
        }
        return new VtdPlatformDriver.Binding(VtdPlatformDriver.Kind.NESTED, domain, domains.get(domain), domains.get(spec.nestedIn()),
            dirtyTracking.contains(spec.nestedIn()));
    }

    /**
     * A first-stage domain's table, built as the guest-side driver builds it: x86 tables of the unit's first-stage
     * format; first stage only, from the driver's table pool in host memory; nested, from the guest's own pages
     * ({@code guest-tables}, GPAs) written through the nesting parent's second stage ({@link GuestMemory}).
     */
    private PageTable firstStageTable(final DomainSpec spec)
    {
        final VtdPlatformDriver vtdDriver = (VtdPlatformDriver)driver;
        if (spec.nestedIn() == DomainSpec.NOT_NESTED)
        {
            return vtdDriver.newTable(vtdDriver.firstStageFormat(spec.levels()));
        }
        final GuestMemory guest = new GuestMemory(memory, domains.get(spec.nestedIn()), spec.nestedIn());
        try
        {
            return new PageTable(vtdDriver.firstStageFormat(spec.levels()),
                new FrameAllocator(guest, spec.guestTablesGpa(), spec.guestTablesSize()));
        }
        catch (final GuestMemory.UnmappedGuestMemory ex)
        {
            throw refused(spec.line(), "guest-tables", ex.getMessage() + ": the guest's page-table pages must be guest RAM");
        }
    }

    /**
     * Invalidate a domain's translations of {@code [iova, iova + size)} and wait; a second stage's nested first stages
     * too (their DIDs tag what the unit cached through it, as intel-iommu flushes a nesting parent's nested domains).
     */
    private void invalidateRange(final int domain, final long iova, final long size)
    {
        if (amdvi != null && amdvi.isGuestTable(domain))
        {
            amdvi.invalidateGuestTable(domain, iova, size);
            return;
        }
        driver.invalidateRange(domain, iova, size);
        invalidateNested(domain);
        invalidateDeviceTlbs(domain, iova, size);
    }

    private void invalidateDomain(final int domain)
    {
        if (amdvi != null && amdvi.isGuestTable(domain))
        {
            amdvi.invalidateGuestTable(domain, 0, 1L << 63);
            return;
        }
        driver.invalidateDomain(domain);
        invalidateNested(domain);
        invalidateDeviceTlbs(domain, 0, -1);
    }

    /**
     * VT-d: the device TLBs of the ATS devices whose RID_PASID or PASID entries translate through {@code domain} (or a
     * first stage nested over it), as intel-iommu flushes them after the IOTLB: a device-TLB invalidation descriptor
     * (with the PASID for a PASID entry), which makes the unit send the device an ATS Invalidate Request; {@code size}
     * negative: everything.
     */
    private void invalidateDeviceTlbs(final int domain, final long iova, final long size)
    {
        if (!(driver instanceof VtdPlatformDriver vtdDriver))
        {
            return;
        }
        for (final Map.Entry<Integer, Integer> attachment : attachedTo.entrySet())
        {
            final DeviceSpec device = devices.get(attachment.getKey());
            if (device == null || !device.ats())
            {
                continue;
            }
            if (domainSpecs.containsKey(attachment.getValue()) && usesSecondStage(attachment.getValue(), domain))
            {
                vtdDriver.invalidateDeviceTlb(attachment.getKey(), -1, iova, size);
            }
            for (final Scenario.PasidSpec pasid : device.pasids())
            {
                if (pasid.domain() != Scenario.PasidSpec.PASS_THROUGH && usesSecondStage(pasid.domain(), domain))
                {
                    vtdDriver.invalidateDeviceTlb(attachment.getKey(), pasid.pasid(), iova, size);
                }
            }
        }
    }

    private void invalidateNested(final int domain)
    {
        for (final DomainSpec spec : domainSpecs.values())
        {
            if (spec.nestedIn() == domain)
            {
                driver.invalidateDomain(spec.id());
            }
        }
    }

    /** Whether {@code domain} is a first-stage domain (its leaves carry U/S: device requests without PMR are user requests). */
    private boolean firstStage(final int domain)
    {
        final DomainSpec spec = domainSpecs.get(domain);
        return spec != null && spec.stage() == Scenario.Stage.FIRST;
    }

    private void map(final int domain, final Mapping mapping, final int line)
    {
        final boolean guestTable = amdvi != null && amdvi.isGuestTable(domain);
        final DomainSpec spec = domainSpecs.get(domain);
        if (guestTable ? !amdvi.isNested(domain) : spec == null || spec.nestedIn() == DomainSpec.NOT_NESTED)
        {
            checkPlacement(mapping, line, "map"); // a nested first stage (or AMD-Vi guest table) outputs GPAs
        }
        final PageSizePolicy policy = policies.get(domain);
        // A first stage's (a guest (v2) table's) leaves carry U/S: requests without PASID, and non-privileged ones, are user
        // requests.
        final int permissions = mapping.permissions() | (guestTable || firstStage(domain) ? Permissions.USER : 0);
        final MapStatus status;
        try
        {
            status = domains.get(domain).map(mapping.iova(), mapping.spa(), mapping.size(), permissions, policy);
        }
        catch (final GuestMemory.UnmappedGuestMemory ex)
        {
            throw refused(line, "map", "domain " + domain + ": a new first-stage table page: " + ex.getMessage());
        }
        if (status != MapStatus.OK)
        {
            throw refused(line, "map", "domain " + domain + " iova 0x" + Long.toHexString(mapping.iova()) + " size 0x" +
                Long.toHexString(mapping.size()) + ": " + status);
        }
        final PageTable kvm = kvmEpts.get(domain);
        if (kvm != null)
        {
            kvm.map(mapping.iova(), mapping.spa(), mapping.size(), mapping.permissions() | Permissions.EXECUTE, policy);
        }
    }

    /** KVM write-protects its EPT leaves for dirty logging; with a shared table that is the IOMMU's table too. */
    private void kvmDirtyLog(final int domain, final int line)
    {
        final KvmEpt mode = kvmModes.get(domain);
        if (mode == KvmEpt.NONE)
        {
            throw refused(line, "kvm-dirty-log", "domain " + domain + " has no KVM EPT (kvm-ept: separate or shared)");
        }
        final PageTable table = mode == KvmEpt.SHARED ? domains.get(domain) : kvmEpts.get(domain);
        final List<long[]> leaves = leaves(table);
        for (final long[] leaf : leaves)
        {
            table.protect(leaf[0], leaf[2], (int)leaf[3] & ~Permissions.WRITE);
        }
        if (mode == KvmEpt.SHARED)
        {
            // intel-iommu would have to flush too, since its walks use this table.
            invalidateDomain(domain);
        }
        event(new PlatformEvent.KvmDirtyLog(beforeTlp(), domain, leaves.size(), mode == KvmEpt.SHARED));
    }

    /** Remap a domain's current leaves under {@code policy}: contiguous runs are mapped as one range. */
    private void switchPolicy(final int domain, final PageSizePolicy policy, final int line)
    {
        final PageTable table = domains.get(domain);
        final List<long[]> runs = leaves(table);
        table.clear();
        final PageTable kvm = kvmEpts.get(domain);
        if (kvm != null)
        {
            kvm.clear();
        }
        policies.put(domain, policy);
        for (final long[] run : runs)
        {
            map(domain, new Mapping(run[0], run[1], run[2], (int)run[3]), line);
        }
        invalidateDomain(domain);
    }

    /** A table's leaves as {iova, oa, size, permissions}, contiguous runs with equal permissions merged. */
    private static List<long[]> leaves(final PageTable table)
    {
        final List<long[]> runs = new ArrayList<>();
        table.forEachLeaf((iova, oa, sizeLg2, permissions, level) ->
        {
            final long size = 1L << sizeLg2;
            final long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[0] + last[2] == iova && last[1] + last[2] == oa && last[3] == permissions)
            {
                last[2] += size;
            }
            else
            {
                runs.add(new long[] {iova, oa, size, permissions});
            }
        });
        return runs;
    }

    /** The first HPA of {@code [hpa, hpa + length)} a table maps as output, or -1 (TDX's HypervisorMappings). */
    private static long firstMapped(final PageTable table, final long hpa, final long length)
    {
        final long[] first = {-1};
        table.forEachLeaf((iova, oa, sizeLg2, permissions, level) ->
        {
            final long end = oa + (1L << sizeLg2);
            if (oa < hpa + length && hpa < end)
            {
                final long candidate = Math.max(oa, hpa);
                if (first[0] < 0 || candidate < first[0])
                {
                    first[0] = candidate;
                }
            }
        });
        return first[0];
    }

    void checkPlacement(final Mapping mapping, final int line)
    {
        checkPlacement(mapping, line, "map");
    }

    /** A mapping's SPAs must not overlap the emulator's own structures; {@code step} names it in the error. */
    void checkPlacement(final Mapping mapping, final int line, final String step)
    {
        final long start = mapping.spa();
        final long end = mapping.spa() + mapping.size();
        final List<long[]> reserved = new ArrayList<>();
        final long[] ranges = driver.reservedRanges();
        for (int i = 0; i < ranges.length; i += 2)
        {
            reserved.add(new long[] {ranges[i], ranges[i + 1]});
        }
        if (rmp != null)
        {
            reserved.add(new long[] {rmp.base(), rmp.last() + 1});
        }
        if (tdx != null)
        {
            reserved.addAll(TdxState.reserved());
        }
        if (snp != null)
        {
            reserved.addAll(snp.reserved());
        }
        if (amdvi != null)
        {
            reserved.addAll(amdvi.reserved());
        }
        for (final long[] range : reserved)
        {
            if (start < range[1] && range[0] < end)
            {
                final StringBuilder list = new StringBuilder();
                for (final long[] r : reserved)
                {
                    list.append(list.length() == 0 ? "" : ", ").append(String.format("0x%x-0x%x", r[0], r[1] - 1));
                }
                throw refused(line, step, String.format("spa 0x%x-0x%x overlaps the emulator's own structures (%s); choose other " +
                    "addresses", start, end - 1, list));
            }
        }
    }

    private static int rmpPageSize(final long size)
    {
        return size == (1L << 21) ? RmpEntry.PAGE_SIZE_2M : RmpEntry.PAGE_SIZE_4K;
    }
}
