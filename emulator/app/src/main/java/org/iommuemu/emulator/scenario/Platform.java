package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.DmaRequest;
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
 * conversions with PSMASH first, policy switches that remap a domain, TDISP bind and start, KVM dirty logging).
 * <p>
 * A step the models refuse while building (a mapping over an existing one, a failing RMPUPDATE or SEAMCALL, a
 * mapping over the emulator's own structures) is a {@link ScenarioException} naming the scenario line, never a
 * silently different platform. Architectural events during the traffic (a machine check at TDI bind, a refused
 * TDISP transition) are recorded as {@link #events()}, not thrown.
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
    private final List<String> events = new ArrayList<>();
    private final long[] trustedRequesters = new long[1024];
    /** The page-walk caches built for this platform's IOMMU (none when the profile disables them). */
    private final List<PageWalkCache> walkCaches = new ArrayList<>();
    private boolean anyTrustedRequester;
    private long eventCount;
    private long machineChecks;
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
        }
        else
        {
            rmp = null;
            conversion = null;
            TdxConnect connect = null;
            if (spec.tdxConnect())
            {
                connect = new TdxConnect(new TdxModule(memory, spec.hostReadMode()), spec.untrustedDmaRule());
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
     * Adjust a request from the trace for platform state the trace cannot carry: a device whose TDI is in RUN
     * sends T=1 (TDISP; scenario {@code t-from-state}). Allocation-free.
     */
    public void adjust(final DmaRequest request)
    {
        if (anyTrustedRequester)
        {
            final int rid = request.requesterId();
            if ((trustedRequesters[rid >>> 6] & (1L << rid)) != 0)
            {
                request.trusted(true);
            }
        }
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
    public List<String> events()
    {
        return Collections.unmodifiableList(events);
    }

    public long eventCount()
    {
        return eventCount;
    }

    public long machineChecks()
    {
        return machineChecks;
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
        if (driver == null && !(action instanceof MakePrivateAction || action instanceof MakeSharedAction ||
            action instanceof Scenario.TdiBindAction || action instanceof Scenario.TdiStartAction ||
            action instanceof Scenario.TdiStopAction || action instanceof Scenario.TdiUnbindAction || action instanceof Scenario.MmioMapAction))
        {
            throw refused(line, "timeline", "the guest programs this IOMMU's domains and devices; " +
                action.getClass().getSimpleName().replace("Action", "").toLowerCase(java.util.Locale.ROOT) +
                " actions need a platform the scenario builds");
        }
        if (action instanceof MapAction map)
        {
            map(map.domain(), map.mapping(), line);
        }
        else if (action instanceof UnmapAction unmap)
        {
            final MapStatus status = domains.get(unmap.domain()).unmap(unmap.iova(), unmap.size());
            if (status != MapStatus.OK && status != MapStatus.NOT_MAPPED)
            {
                throw refused(line, "unmap", "iova 0x" + Long.toHexString(unmap.iova()) + ": " + status);
            }
            final PageTable kvm = kvmEpts.get(unmap.domain());
            if (kvm != null)
            {
                kvm.unmap(unmap.iova(), unmap.size());
            }
            if (unmap.invalidate())
            {
                driver.invalidateRange(unmap.domain(), unmap.iova(), unmap.size());
            }
        }
        else if (action instanceof InvalidateAction invalidate)
        {
            if (invalidate.domain() < 0)
            {
                driver.invalidateAll();
            }
            else if (invalidate.size() > 0)
            {
                driver.invalidateRange(invalidate.domain(), invalidate.iova(), invalidate.size());
            }
            else
            {
                driver.invalidateDomain(invalidate.domain());
            }
        }
        else if (action instanceof PolicyAction policy)
        {
            switchPolicy(policy.domain(), policy.policy(), line);
        }
        else if (action instanceof MakePrivateAction priv)
        {
            final int code = conversion.makePrivate(priv.spa(), priv.gpa(), priv.asid(), rmpPageSize(priv.size()));
            if (code != RmpReturnCode.SUCCESS)
            {
                throw refused(line, "make-private", "spa 0x" + Long.toHexString(priv.spa()) + ": RMPUPDATE/PSMASH returned " +
                    RmpReturnCode.name(code));
            }
            rmpUpdated();
        }
        else if (action instanceof MakeSharedAction shared)
        {
            final int code = conversion.makeShared(shared.spa(), rmpPageSize(shared.size()));
            if (code != RmpReturnCode.SUCCESS)
            {
                throw refused(line, "make-shared", "spa 0x" + Long.toHexString(shared.spa()) + ": RMPUPDATE returned " +
                    RmpReturnCode.name(code));
            }
            rmpUpdated();
        }
        else if (action instanceof AttachAction attach)
        {
            attach(attach.requesterId(), attach.domain());
        }
        else if (action instanceof DetachAction detach)
        {
            final DeviceSpec device = devices.get(detach.requesterId());
            driver.detach(detach.requesterId(), device == null ? 0 : device.domain());
        }
        else if (action instanceof Scenario.KvmDirtyLogAction dirty)
        {
            kvmDirtyLog(dirty.domain(), line);
        }
        else if (action instanceof Scenario.TdiBindAction bind)
        {
            tdx.bind(bind.requesterId(), line);
        }
        else if (action instanceof Scenario.TdiStartAction start)
        {
            tdx.start(start.requesterId(), line);
        }
        else if (action instanceof Scenario.TdiStopAction stop)
        {
            tdx.stop(stop.requesterId());
        }
        else if (action instanceof Scenario.TdiUnbindAction unbind)
        {
            tdx.unbind(unbind.requesterId());
        }
        else if (action instanceof Scenario.MmioMapAction mmio)
        {
            tdx.mmioMap(mmio, line);
        }
        else
        {
            throw new IllegalStateException("unhandled action " + action);
        }
    }

    /**
     * SEV-SNP: an RMP update (RMPUPDATE, PSMASH) is followed by a global TLB and IOTLB flush on hardware
     * (timing-perf.md 2 and 5.1, Bagia et al. [S13]); the IOMMU's cached translations are dropped, so the next DMA
     * of every device walks again. The RMP itself is not cached by the model: every DMA reads its entry.
     */
    private void rmpUpdated()
    {
        ((AmdViIommu)port).dispatcher().invalidate(new org.iommuemu.emulator.cache.InvalidationScope().all(),
            CacheRole.IOTLB.bit() | CacheRole.NESTED.bit());
    }

    void event(final String text)
    {
        eventCount++;
        if (events.size() < MAX_EVENTS)
        {
            events.add((currentTlp < 0 ? "setup" : "before TLP " + currentTlp) + ": " + text);
        }
    }

    void machineCheck(final String text)
    {
        machineChecks++;
        event(text);
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
        event("KVM dirty logging on domain " + domain + ": " + leaves.size() + " EPT leaves write-protected" +
            (mode == KvmEpt.SHARED ? " (the IOMMU's table: device writes now fault)" : " (KVM's own table; the IOMMU's is untouched)"));
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
