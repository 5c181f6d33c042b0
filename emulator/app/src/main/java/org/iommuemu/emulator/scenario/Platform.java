package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.IommuPort;
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
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpTable;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tdx.TdxModule;

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
    private final Map<Integer, PageTable> kvmEpts = new LinkedHashMap<>();
    private final Map<Integer, KvmEpt> kvmModes = new LinkedHashMap<>();
    private final Map<Integer, PageSizePolicy> policies = new LinkedHashMap<>();
    private final Map<Integer, DeviceSpec> devices = new LinkedHashMap<>();
    private final List<PlatformEvent> events = new ArrayList<>();
    private final Actions actions = new Actions();
    private final GuestActions guestActions = new GuestActions();
    private final long[] trustedRequesters = new long[1024];
    /** The page-walk caches built for this platform's IOMMU (none when the profile disables them). */
    private final List<PageWalkCache> walkCaches = new ArrayList<>();
    /** The VT-d unit, or null on AMD-Vi (TDX Connect's bind asks it for cached translations). */
    private final VtdIommu vtd;
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
            if (spec.snp())
            {
                rmp = RmpTable.contiguousCovering(memory, scenario.rmp().base(), scenario.rmp().covers());
                rmpCheck = new DmaRmpCheck(rmp, spec.rmpConfig());
                conversion = new PageStateConversion(new RmpInstructions(rmp, spec.rmpConfig()));
            }
            else
            {
                rmp = null;
                conversion = null;
            }
            final AmdViIommu iommu = new AmdViIommu(memory, spec.snp() ? AmdViRegisters.EFR_SNP_SUP : 0, rmpCheck,
                caches.newCache(CacheRole.IOTLB));
            final PageWalkCache hostWalkCache = walkCache(caches, 1, 4, walkCaches);
            if (hostWalkCache != null)
            {
                iommu.hostWalkCache(hostWalkCache);
            }
            driver = guestDriven ? null : new AmdViPlatformDriver(iommu, memory, spec.snp());
            port = iommu;
            tdx = null;
            vtd = null;
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
            config.trustedIotlb = spec.trustedIotlb();
            config.trustedInvalidation = spec.trustedInvalidation();
            final VtdIommu iommu = new VtdIommu(memory, VtdRegisters.defaultCap(8), VtdRegisters.defaultEcap(), config,
                caches.newCache(CacheRole.CONTEXT), caches.newCache(CacheRole.PASID), caches.newCache(CacheRole.IOTLB),
                caches.nested().enabled() ? caches.newCache(CacheRole.NESTED) : null, connect);
            iommu.walkCaches(walkCache(caches, 2, 4, walkCaches), walkCache(caches, 1, 4, walkCaches));
            driver = guestDriven ? null : new VtdPlatformDriver(iommu, memory, spec.vtdMode() == Scenario.VtdMode.SCALABLE);
            port = iommu;
            tdx = connect == null ? null : new TdxState(this, connect.module(), connect, memory);
            vtd = iommu;
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
        for (final DomainSpec spec : scenario.domains())
        {
            final PageTable table;
            if (spec.kvmEpt() == KvmEpt.SHARED)
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
        if (platform.tdx != null)
        {
            for (final PageTable table : platform.domains.values())
            {
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
        return driver.dispatcher();
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
                driver.invalidateRange(action.domain(), action.iova(), action.size());
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
                driver.invalidateRange(action.domain(), action.iova(), action.size());
            }
            else
            {
                driver.invalidateDomain(action.domain());
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
            final DeviceSpec device = devices.get(action.requesterId());
            driver.detach(action.requesterId(), device == null ? 0 : device.domain());
        }

        @Override
        public void kvmDirtyLog(final Scenario.KvmDirtyLogAction action, final int line)
        {
            Platform.this.kvmDirtyLog(action.domain(), line);
        }

        @Override
        public void tdiBind(final Scenario.TdiBindAction action, final int line)
        {
            tdx.bind(action.requesterId(), line);
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
    }

    /** The RMP changed: the IOMMU's translations are flushed, by the driver or, on a guest-driven platform, directly. */
    private void rmpChanged()
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

    private void attach(final int requesterId, final int domain)
    {
        final DeviceSpec device = devices.get(requesterId);
        final int permissions = device == null ? Permissions.READ_WRITE : device.permissions();
        driver.attach(requesterId, domain, domains.get(domain), permissions, device != null && device.ats());
    }

    private void map(final int domain, final Mapping mapping, final int line)
    {
        checkPlacement(mapping, line);
        final PageSizePolicy policy = policies.get(domain);
        final MapStatus status = domains.get(domain).map(mapping.iova(), mapping.spa(), mapping.size(), mapping.permissions(), policy);
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
            driver.invalidateDomain(domain);
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
        driver.invalidateDomain(domain);
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

    private void checkPlacement(final Mapping mapping, final int line)
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
        for (final long[] range : reserved)
        {
            if (start < range[1] && range[0] < end)
            {
                final StringBuilder list = new StringBuilder();
                for (final long[] r : reserved)
                {
                    list.append(list.length() == 0 ? "" : ", ").append(String.format("0x%x-0x%x", r[0], r[1] - 1));
                }
                throw refused(line, "map", String.format("spa 0x%x-0x%x overlaps the emulator's own structures (%s); choose other " +
                    "addresses", start, end - 1, list));
            }
        }
    }

    private static int rmpPageSize(final long size)
    {
        return size == (1L << 21) ? RmpEntry.PAGE_SIZE_2M : RmpEntry.PAGE_SIZE_4K;
    }
}
