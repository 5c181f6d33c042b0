package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.scenario.Scenario.Action;
import org.iommuemu.emulator.scenario.Scenario.AttachAction;
import org.iommuemu.emulator.scenario.Scenario.DetachAction;
import org.iommuemu.emulator.scenario.Scenario.DeviceSpec;
import org.iommuemu.emulator.scenario.Scenario.DomainSpec;
import org.iommuemu.emulator.scenario.Scenario.InvalidateAction;
import org.iommuemu.emulator.scenario.Scenario.MakePrivateAction;
import org.iommuemu.emulator.scenario.Scenario.MakeSharedAction;
import org.iommuemu.emulator.scenario.Scenario.MapAction;
import org.iommuemu.emulator.scenario.Scenario.Mapping;
import org.iommuemu.emulator.scenario.Scenario.PolicyAction;
import org.iommuemu.emulator.scenario.Scenario.UnmapAction;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpTable;

/**
 * A scenario turned into running models: emulated memory, the IOMMU brought up by its driver, the domains'
 * page tables built in that memory through the same mapper a driver uses, devices attached, and the RMP in its
 * starting state. {@link #apply} performs timeline actions the way the kernel would (map, unmap followed by an
 * IOTLB invalidation, page-state conversions with PSMASH first, policy switches that remap a domain).
 * <p>
 * A step the models refuse (a mapping that overlaps another, an RMPUPDATE that fails) is a
 * {@link ScenarioException} naming the scenario line, never a silently different platform.
 */
public final class Platform
{
    /** Physical memory the driver's structures occupy (device table, rings, semaphore) in the default layout. */
    private static final long STRUCTURES_START = AmdViDriver.Layout.DEFAULT.deviceTable();
    private static final long STRUCTURES_END = AmdViDriver.Layout.DEFAULT.semaphore() + PhysicalMemory.FRAME_SIZE;

    private final Scenario scenario;
    private final SparseMemory memory = new SparseMemory();
    private final IommuPort port;
    private final AmdViDriver amdvi;
    private final RmpTable rmp;
    private final PageStateConversion conversion;
    private final Map<Integer, PageTable> domains = new LinkedHashMap<>();
    private final Map<Integer, PageSizePolicy> policies = new LinkedHashMap<>();
    private final Map<Integer, DeviceSpec> devices = new LinkedHashMap<>();
    private long actionsApplied;

    private Platform(final Scenario scenario)
    {
        this.scenario = scenario;
        if (scenario.platform().iommu() != Scenario.IommuKind.AMDVI)
        {
            throw new ScenarioException(scenario.source(), 0, "platform.iommu",
                "VT-d scenarios need the VT-d model, which this build does not have yet");
        }
        final TimingProfile profile = scenario.platform().profile();
        DmaRmpCheck rmpCheck = null;
        if (scenario.platform().snp())
        {
            rmp = RmpTable.contiguousCovering(memory, scenario.rmp().base(), scenario.rmp().covers());
            rmpCheck = new DmaRmpCheck(rmp, scenario.platform().rmpConfig());
            conversion = new PageStateConversion(new RmpInstructions(rmp, scenario.platform().rmpConfig()));
        }
        else
        {
            rmp = null;
            conversion = null;
        }
        final AmdViIommu iommu = new AmdViIommu(memory, scenario.platform().snp() ? AmdViRegisters.EFR_SNP_SUP : 0, rmpCheck,
            profile.caches().newCache(CacheRole.IOTLB));
        amdvi = new AmdViDriver(iommu, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        port = iommu;
    }

    /** Build the platform: bring the IOMMU up, build and map every domain, attach devices, apply RMP conversions. */
    public static Platform build(final Scenario scenario)
    {
        final Platform platform = new Platform(scenario);
        for (final DomainSpec spec : scenario.domains())
        {
            final PageTable table = platform.amdvi.newDomain(spec.levels());
            platform.domains.put(spec.id(), table);
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
        platform.actionsApplied = 0;
        return platform;
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

    public PhysicalMemory memory()
    {
        return memory;
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

    /** Bytes of page-table memory all domains use now. */
    public long pageTableBytes()
    {
        long pages = 0;
        for (final PageTable table : domains.values())
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

    /** Perform one action; {@code line} is the scenario line it came from, for messages. */
    public void apply(final Action action, final int line)
    {
        actionsApplied++;
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
            if (unmap.invalidate())
            {
                amdvi.invalidatePages(unmap.domain(), unmap.iova(), unmap.size());
            }
        }
        else if (action instanceof InvalidateAction invalidate)
        {
            if (invalidate.domain() < 0)
            {
                amdvi.invalidateAll();
            }
            else
            {
                amdvi.invalidatePages(invalidate.domain(), invalidate.size() > 0 ? invalidate.iova() : 0,
                    invalidate.size() > 0 ? invalidate.size() : 1L << 52);
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
        }
        else if (action instanceof MakeSharedAction shared)
        {
            final int code = conversion.makeShared(shared.spa(), rmpPageSize(shared.size()));
            if (code != RmpReturnCode.SUCCESS)
            {
                throw refused(line, "make-shared", "spa 0x" + Long.toHexString(shared.spa()) + ": RMPUPDATE returned " +
                    RmpReturnCode.name(code));
            }
        }
        else if (action instanceof AttachAction attach)
        {
            attach(attach.requesterId(), attach.domain());
        }
        else if (action instanceof DetachAction detach)
        {
            amdvi.detach(detach.requesterId());
        }
        else
        {
            throw new IllegalStateException("unhandled action " + action);
        }
    }

    private void attach(final int requesterId, final int domain)
    {
        final DeviceSpec device = devices.get(requesterId);
        final int permissions = device == null ? Permissions.READ_WRITE : device.permissions();
        amdvi.attach(requesterId, domains.get(domain), domain, (permissions & Permissions.READ) != 0,
            (permissions & Permissions.WRITE) != 0);
        if (device != null && device.ats())
        {
            amdvi.allowAts(requesterId, true);
        }
    }

    private void map(final int domain, final Mapping mapping, final int line)
    {
        checkPlacement(mapping, line);
        final MapStatus status = domains.get(domain).map(mapping.iova(), mapping.spa(), mapping.size(), mapping.permissions(),
            policies.get(domain));
        if (status != MapStatus.OK)
        {
            throw refused(line, "map", "domain " + domain + " iova 0x" + Long.toHexString(mapping.iova()) + " size 0x" +
                Long.toHexString(mapping.size()) + ": " + status);
        }
    }

    /** Remap a domain's current leaves under {@code policy}: contiguous runs are mapped as one range. */
    private void switchPolicy(final int domain, final PageSizePolicy policy, final int line)
    {
        final PageTable table = domains.get(domain);
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
        table.clear();
        policies.put(domain, policy);
        for (final long[] run : runs)
        {
            map(domain, new Mapping(run[0], run[1], run[2], (int)run[3]), line);
        }
        amdvi.invalidatePages(domain, 0, 1L << 52);
    }

    private void checkPlacement(final Mapping mapping, final int line)
    {
        final long start = mapping.spa();
        final long end = mapping.spa() + mapping.size();
        final AmdViDriver.Layout layout = amdvi.layout();
        if (overlaps(start, end, STRUCTURES_START, STRUCTURES_END) ||
            overlaps(start, end, layout.tablePool(), layout.tablePool() + layout.tablePoolSize()) ||
            (rmp != null && overlaps(start, end, rmp.base(), rmp.last() + 1)))
        {
            throw refused(line, "map", String.format("spa 0x%x-0x%x overlaps the emulator's own structures (IOMMU tables " +
                "at 0x%x-0x%x, page-table pool at 0x%x-0x%x%s); choose other addresses", start, end - 1, STRUCTURES_START,
                STRUCTURES_END - 1, layout.tablePool(), layout.tablePool() + layout.tablePoolSize() - 1,
                rmp == null ? "" : String.format(", RMP at 0x%x-0x%x", rmp.base(), rmp.last())));
        }
    }

    private static boolean overlaps(final long start, final long end, final long otherStart, final long otherEnd)
    {
        return start < otherEnd && otherStart < end;
    }

    private static int rmpPageSize(final long size)
    {
        return size == (1L << 21) ? RmpEntry.PAGE_SIZE_2M : RmpEntry.PAGE_SIZE_4K;
    }

    private ScenarioException refused(final int line, final String step, final String reason)
    {
        return new ScenarioException(scenario.source(), line, step, reason);
    }
}
