package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.amdvi.AmdViCommand;
import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.amdvi.PprLogEntry;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tlp.PageRequest;
import org.iommuemu.tlp.PasidPrefix;
import org.iommuemu.tlp.Tlp;

/**
 * The AMD-Vi specifics of a platform ({@link AmdViSpec}, the {@code amdvi} section): guest (v2) translation built the
 * way Linux's v2 and nested paths build it (Control.GTEn, a GCR3 table per device, x86-64 guest tables per PASID, the
 * DTE with GV, GLX, GPM and GIOV over the device's host table or Mode 0), page requests (the PPR log and the OS's PPR
 * handler, which maps a requested page of a table's on-demand range, or finds it mapped, and answers with
 * COMPLETE_PPR_REQUEST), and host
 * dirty tracking (set-dirty-tracking, read-dirty).
 */
final class AmdViState
{
    /** Where the PPR log goes (512 entries, 8 KiB), beside the driver's other structures. */
    static final long PPR_LOG = 0x123_0000L;
    static final int PPR_LOG_LENGTH_LG2 = 9;

    /** One guest table as built, with the (DomainID, PASID) pairs that use it. */
    private static final class GuestTable
    {
        final AmdViSpec.GuestTableSpec spec;
        final PageTable table;
        final List<int[]> users = new ArrayList<>();

        GuestTable(final AmdViSpec.GuestTableSpec spec, final PageTable table)
        {
            this.spec = spec;
            this.table = table;
        }
    }

    private final Platform platform;
    private final PhysicalMemory memory;
    private final AmdViDriver driver;
    private final AmdViIommu iommu;
    private final AmdViSpec spec;
    private final Map<Integer, GuestTable> tables = new HashMap<>();
    /** requester ID << 20 | PASID -> the guest table. */
    private final Map<Long, GuestTable> byPasid = new HashMap<>();
    private final PageRequest pageRequest = new PageRequest();
    private final long[] entry = new long[2];
    private final WalkResult walk = new WalkResult();

    AmdViState(final Platform platform, final PhysicalMemory memory, final AmdViIommu iommu, final AmdViDriver driver,
        final AmdViSpec spec)
    {
        this.platform = platform;
        this.memory = memory;
        this.driver = driver;
        this.iommu = iommu;
        this.spec = spec;
        iommu.pprResponses((deviceId, pasid, tag, status) ->
            platform.count(status == AmdViCommand.PPR_SUCCESS ? "page responses: success" : "page responses: invalid", 1));
    }

    /** The EFR bits this section asks the IOMMU to report (HASup, HDSup, PPRSup). */
    static long extendedFeatures(final AmdViSpec spec)
    {
        long efr = 0;
        if (spec != null && spec.dirtyTracking())
        {
            efr |= AmdViRegisters.EFR_HA_SUP | AmdViRegisters.EFR_HD_SUP;
        }
        if (spec != null && spec.pageRequests())
        {
            efr |= AmdViRegisters.EFR_PPR_SUP;
        }
        return efr;
    }

    /** Physical ranges this state uses (the PPR log). */
    List<long[]> reserved()
    {
        return spec.pageRequests() ? List.of(new long[] {PPR_LOG, PPR_LOG + (16L << PPR_LOG_LENGTH_LG2)}) : List.of();
    }

    /**
     * A device of the scenario was attached (at build, or again by a timeline attach): when the firmware's exclusion
     * range names it, its DTE gets EX.
     */
    void attached(final int requesterId)
    {
        if (spec.exclusion() != null && spec.exclusion().devices().contains(requesterId))
        {
            driver.allowExclusion(requesterId, true);
        }
    }

    /**
     * Build the guest tables (into {@code domains}, so the timeline's map and unmap reach them), the GCR3 tables and the
     * DTEs of the guest-translated devices, and the PPR log.
     *
     * @param domains    the platform's tables by id; the guest tables are added.
     * @param ats        which devices have ATS allowed (their DTE's I bit is kept).
     */
    void build(final Map<Integer, PageTable> domains, final Map<Integer, Boolean> ats)
    {
        if (spec.pageRequests())
        {
            driver.enablePageRequests(PPR_LOG, PPR_LOG_LENGTH_LG2);
        }
        final AmdViSpec.ExclusionRange exclusion = spec.exclusion();
        if (exclusion != null)
        {
            // The listed devices' DTEs got EX when they were attached (attached).
            driver.setExclusionRange(exclusion.base(), exclusion.base() + exclusion.size() - PhysicalMemory.FRAME_SIZE, exclusion.all());
        }
        if (spec.guestTables().isEmpty())
        {
            return;
        }
        driver.enableGuestTranslation();
        final Map<Integer, Boolean> pasidZero = new HashMap<>();
        for (final AmdViSpec.GuestDeviceSpec device : spec.devices())
        {
            for (final AmdViSpec.PasidTable p : device.pasids())
            {
                pasidZero.merge(p.table(), p.pasid() == 0, Boolean::logicalOr);
            }
        }
        for (final AmdViSpec.GuestTableSpec t : spec.guestTables())
        {
            // PASID 0 decodes the full 48/57 bits without sign extension; the others are canonical (amdvi.md).
            final X86Format format = pasidZero.getOrDefault(t.id(), false) ? new X86Format(t.levels(), false, 52, true) :
                new X86Format(t.levels());
            final FrameAllocator frames;
            if (t.nestedIn() == AmdViSpec.GuestTableSpec.NOT_NESTED)
            {
                frames = driver.tableFrames();
            }
            else
            {
                final long spa = contiguousSpa(domains.get(t.nestedIn()), t.tableMemoryGpa(), t.tableMemorySize(), t.line());
                frames = new FrameAllocator(new ContiguousGuestRam(memory, spa - t.tableMemoryGpa()), t.tableMemoryGpa(),
                    t.tableMemorySize());
            }
            final PageTable table = new PageTable(format, frames);
            tables.put(t.id(), new GuestTable(t, table));
            domains.put(t.id(), table);
            for (final Scenario.Mapping m : t.mappings())
            {
                final MapStatus status = table.map(m.iova(), m.spa(), m.size(), m.permissions() | Permissions.USER, t.policy());
                if (status != MapStatus.OK)
                {
                    throw platform.refused(t.line(), "amdvi.guest-tables", String.format("map iova 0x%x size 0x%x: %s", m.iova(),
                        m.size(), status));
                }
            }
        }
        for (final AmdViSpec.GuestDeviceSpec device : spec.devices())
        {
            attach(device, domains, ats.getOrDefault(device.requesterId(), false));
        }
    }

    private void attach(final AmdViSpec.GuestDeviceSpec device, final Map<Integer, PageTable> domains, final boolean ats)
    {
        final GuestTable first = tables.get(device.pasids().get(0).table());
        final int domainId = platform.deviceDomain(device.requesterId());
        final PageTable host = first.spec.nestedIn() == AmdViSpec.GuestTableSpec.NOT_NESTED ? null : domains.get(first.spec.nestedIn());
        final long gcr3 = driver.newGcr3Table();
        driver.attachGuest(device.requesterId(), host, domainId, gcr3, device.gcr3Levels(), first.spec.levels(), device.giov());
        for (final AmdViSpec.PasidTable p : device.pasids())
        {
            final GuestTable table = tables.get(p.table());
            driver.setGuestCr3(gcr3, device.gcr3Levels(), domainId, p.pasid(), table.table.root());
            table.users.add(new int[] {domainId, p.pasid()});
            byPasid.put(((long)device.requesterId() << 20) | p.pasid(), table);
        }
        if (ats)
        {
            driver.allowAts(device.requesterId(), true);
        }
        if (device.pri())
        {
            driver.allowPageRequests(device.requesterId(), true);
        }
    }

    /** The SPA the host table maps {@code [gpa, gpa + size)} to, checked contiguous (guest table memory must be). */
    private long contiguousSpa(final PageTable host, final long gpa, final long size, final int line)
    {
        long first = -1;
        for (long page = gpa; page < gpa + size; page += PhysicalMemory.FRAME_SIZE)
        {
            if (!Walker.walk(host.format(), memory, host.root(), page, Permissions.READ_WRITE, Permissions.ALL, walk))
            {
                throw platform.refused(line, "amdvi.guest-tables", String.format("table-memory gpa 0x%x is not mapped (writable) by " +
                    "the host domain", page));
            }
            if (first < 0)
            {
                first = walk.outputAddress();
            }
            else if (walk.outputAddress() != first + (page - gpa))
            {
                throw platform.refused(line, "amdvi.guest-tables", String.format("table-memory must be contiguous in host memory; " +
                    "gpa 0x%x breaks it", page));
            }
        }
        return first;
    }

    /** Whether {@code id} is a guest table (not a host domain). */
    boolean isGuestTable(final int id)
    {
        return tables.containsKey(id);
    }

    /** Whether guest table {@code id} is nested (its outputs are GPAs). */
    boolean isNested(final int id)
    {
        return tables.get(id).spec.nestedIn() != AmdViSpec.GuestTableSpec.NOT_NESTED;
    }

    /**
     * Invalidate a guest table's translations of {@code [iova, iova + size)}: INVALIDATE_IOMMU_PAGES with GN for every
     * (DomainID, PASID) that uses it, each with its completion wait (Linux's flush after a v2 unmap).
     */
    void invalidateGuestTable(final int id, final long iova, final long size)
    {
        for (final int[] user : tables.get(id).users)
        {
            driver.invalidatePasidPages(user[0], user[1], iova, size);
        }
    }

    /** Whether the platform takes page requests (the PPR log is on). */
    boolean takesPageRequests()
    {
        return spec.pageRequests();
    }

    /**
     * A PRI Page Request message of the trace: to the IOMMU ({@link AmdViIommu#pageRequest}), then, as the PPR
     * interrupt handler does, every entry of the PPR log is serviced: a page the PASID's table already maps with the
     * requested access is answered PPR_SUCCESS; a page of the table's on-demand range is mapped (4 KiB, with the PASID's
     * IOTLB invalidation) and answered PPR_SUCCESS; anything else PPR_INVALID.
     */
    void pageRequest(final Tlp tlp)
    {
        pageRequest.wrap(tlp.buffer(), tlp.headerOffset());
        final int pasid = tlp.pasidValid() ? tlp.pasid() : CacheTag.NO_PASID;
        boolean execute = false;
        boolean privileged = false;
        if (tlp.hasPasidPrefix())
        {
            final PasidPrefix prefix = tlp.pasidPrefix();
            execute = prefix.executeRequested();
            privileged = prefix.privilegedModeRequested();
        }
        final int result = iommu.pageRequest(pageRequest.requesterId(), pasid, pageRequest.pageAddress(), pageRequest.read(),
            pageRequest.write(), execute, privileged, pageRequest.prgIndex());
        platform.count(result == AmdViIommu.PPR_LOGGED ? "page requests logged (PPR log)" : result == AmdViIommu.PPR_DROPPED ?
            "page requests dropped (PPR log off or full)" : result == AmdViIommu.PPR_INVALID_REQUEST ? "page requests refused " +
            "(INVALID_PPR_REQUEST)" : "page requests ignored (IOMMU off)", 1);
        while (driver.nextPageRequest(entry))
        {
            service(entry[0], entry[1]);
        }
    }

    private void service(final long q0, final long address)
    {
        final int device = PprLogEntry.deviceId(q0);
        final int pasid = PprLogEntry.pasid(q0);
        final GuestTable table = pasid < 0 ? null : byPasid.get(((long)device << 20) | pasid);
        final Scenario.Mapping demand = table == null ? null : table.spec.onDemand();
        int status = AmdViCommand.PPR_INVALID;
        final int access = ((PprLogEntry.flags(q0) & PprLogEntry.FLAG_WRITE) != 0 ? Permissions.WRITE : 0) |
            ((PprLogEntry.flags(q0) & PprLogEntry.FLAG_READ) != 0 ? Permissions.READ : 0);
        if (table != null && table.table.translate(address, access, walk))
        {
            // Already mapped with that access (the page fault handler finds the page present): success, nothing to do.
            status = AmdViCommand.PPR_SUCCESS;
        }
        else if (demand != null && Long.compareUnsigned(address - demand.iova(), demand.size()) < 0)
        {
            final MapStatus mapped = table.table.map(address, demand.spa() + (address - demand.iova()), PhysicalMemory.FRAME_SIZE,
                demand.permissions() | Permissions.USER, PageSizePolicy.FORCED_4K);
            if (mapped == MapStatus.OK || mapped == MapStatus.EXISTS)
            {
                if (mapped == MapStatus.OK)
                {
                    platform.count("pages mapped on demand", 1);
                    invalidateGuestTable(table.spec.id(), address, PhysicalMemory.FRAME_SIZE);
                }
                status = AmdViCommand.PPR_SUCCESS;
            }
        }
        driver.completePageRequest(device, pasid, PprLogEntry.tag(q0), status);
    }
}
