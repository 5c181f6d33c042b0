package org.iommuemu.emulator.scenario;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.SecureDeviceTableEntry;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.sevtio.SevTioFirmware;
import org.iommuemu.emulator.sevtio.TioCommand;
import org.iommuemu.emulator.sevtio.TioStatus;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.rmp.GuestRmpCheck;
import org.iommuemu.rmp.GuestRmpInstructions;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.NestedRmpAccess;
import org.iommuemu.rmp.PageFaultErrorCode;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpTable;
import org.iommuemu.tdx.TdispState;
import org.iommuemu.tlp.trace.GuestAccess;

/**
 * The SEV-SNP side of an AMD-Vi platform beyond the RMP itself (the {@code snp} section, docs/scenarios.md): each
 * guest with its nested page table (x86-64 format, in a pool of its own), its memory's RMP state (private pages
 * assigned with RMPUPDATE and validated with the guest's PVALIDATE) and its vCPUs; the VMM's DMA mapping of the guest's
 * memory (seed 002: pinned at creation, or following conversions); SEV-TIO's firmware with its TDIs. It performs the
 * guest-side timeline actions (page-state changes through the GHCB protocol, PVALIDATE with PSMASH on SIZEM, PSMASH,
 * the TIO operations) and answers guest CPU accesses: the NPT walk and the RMP check ({@link NestedRmpAccess}).
 */
final class SnpState
{
    /** Nested page tables. */
    static final long NPT_POOL = 0x5_4000_0000L;
    static final long NPT_POOL_SIZE = 256L << 20;
    /** SEV-TIO's secure device table (4 MiB, 2 MiB aligned so TIO_INIT can make it FIRMWARE with 2 MiB RMP entries). */
    static final long SECURE_DEVICE_TABLE = 0x140_0000L;

    private static final long PAGE = 4096;
    private static final long PAGE_2M = 2L << 20;

    /** One SNP guest as built. */
    private static final class Guest
    {
        final SnpSpec.GuestSpec spec;
        final PageTable npt;
        final NestedRmpAccess access;

        Guest(final SnpSpec.GuestSpec spec, final PageTable npt, final NestedRmpAccess access)
        {
            this.spec = spec;
            this.npt = npt;
            this.access = access;
        }
    }

    private final Platform platform;
    private final PhysicalMemory memory;
    private final RmpTable rmp;
    private final RmpInstructions instructions;
    private final PageStateConversion conversion;
    private final GuestRmpInstructions guestInstructions;
    private final FrameAllocator nptFrames;
    private final Map<Integer, Guest> guests = new HashMap<>();
    private final Guest[] byVcpu = new Guest[GuestAccess.MAX_VCPU + 1];
    private final Map<Integer, SnpSpec.TdiSpec> tdis = new HashMap<>();
    private final SevTioFirmware firmware;
    private final GuestRmpResult result = new GuestRmpResult();
    private final WalkResult walk = new WalkResult();

    SnpState(final Platform platform, final PhysicalMemory memory, final RmpTable rmp, final RmpInstructions instructions,
        final PageStateConversion conversion, final AmdViIommu iommu, final SnpSpec spec)
    {
        this.platform = platform;
        this.memory = memory;
        this.rmp = rmp;
        this.instructions = instructions;
        this.conversion = conversion;
        this.guestInstructions = new GuestRmpInstructions(rmp);
        this.nptFrames = new FrameAllocator(memory, NPT_POOL, NPT_POOL_SIZE);
        if (spec.tio() != null)
        {
            firmware = new SevTioFirmware(memory, iommu, instructions, SECURE_DEVICE_TABLE, spec.tio().fenceRule());
            iommu.sevTio(firmware, new GuestRmpCheck(rmp));
        }
        else
        {
            firmware = null;
        }
    }

    /** Ranges of physical memory the SNP state's own structures use (scenario memory may not overlap them). */
    List<long[]> reserved()
    {
        return firmware == null ? List.of(new long[] {NPT_POOL, NPT_POOL + NPT_POOL_SIZE}) :
            List.of(new long[] {NPT_POOL, NPT_POOL + NPT_POOL_SIZE},
                new long[] {SECURE_DEVICE_TABLE, SECURE_DEVICE_TABLE + SevTioFirmware.TABLE_SIZE});
    }

    /** The SEV-TIO firmware, or null. */
    SevTioFirmware firmware()
    {
        return firmware;
    }

    /** Build the guests (NPT, RMP state, the VMM's DMA mapping) and SEV-TIO (TIO_INIT, the TDIs in their states). */
    void build(final SnpSpec spec)
    {
        for (final SnpSpec.GuestSpec g : spec.guests())
        {
            final X86Format format = new X86Format(g.nptLevels());
            final PageTable npt = new PageTable(format, nptFrames);
            final Guest guest = new Guest(g, npt, new NestedRmpAccess(format, memory, new GuestRmpCheck(rmp)));
            guests.put(g.asid(), guest);
            for (final int vcpu : g.vcpus())
            {
                byVcpu[vcpu] = guest;
            }
            final PageSizePolicy nptPolicy = g.rmpPageLg2() == 21 ? PageSizePolicy.LARGEST : PageSizePolicy.FORCED_4K;
            for (final SnpSpec.GuestRam ram : g.memory())
            {
                platform.checkPlacement(new Scenario.Mapping(ram.gpa(), ram.spa(), ram.size(), Permissions.READ_WRITE), g.line(),
                    "snp.guests");
                final MapStatus status = npt.map(ram.gpa(), ram.spa(), ram.size(), Permissions.ALL, nptPolicy);
                if (status != MapStatus.OK)
                {
                    throw platform.refused(g.line(), "snp.guests", String.format("NPT map gpa 0x%x: %s", ram.gpa(), status));
                }
                if (ram.state() != SnpSpec.PageState.SHARED)
                {
                    assign(g, ram, g.line());
                }
            }
            if (g.dma() != null)
            {
                mapForDevices(g, g.line());
            }
            if (firmware != null)
            {
                firmware.registerGuest(g.asid());
            }
        }
        if (firmware != null)
        {
            final int init = firmware.tioInit();
            if (init != TioStatus.SUCCESS)
            {
                throw platform.refused(0, "snp.sev-tio", "TIO_INIT returned " + TioStatus.name(init));
            }
            for (final SnpSpec.TdiSpec tdi : spec.tio().tdis())
            {
                tdis.put(tdi.requesterId(), tdi);
                final int rid = tdi.requesterId();
                check(firmware.devCreate(rid, tdi.rootPort()), tdi.line(), "TIO_DEV_CREATE");
                check(firmware.devConnect(rid, 0), tdi.line(), "TIO_DEV_CONNECT");
                check(firmware.tdiCreate(rid), tdi.line(), "TIO_TDI_CREATE");
                if (tdi.startState() != TdispState.CONFIG_UNLOCKED)
                {
                    tio(new Scenario.TioAction(rid, Scenario.TioOperation.BIND, true));
                }
                if (tdi.startState() == TdispState.RUN)
                {
                    tio(new Scenario.TioAction(rid, Scenario.TioOperation.RUN, true));
                    tio(new Scenario.TioAction(rid, Scenario.TioOperation.ACCEPT, true));
                }
                refreshT(rid);
            }
        }
    }

    /** RMPUPDATE a guest range to private (assigned to the guest at its GPAs), then PVALIDATE it unless it stays unvalidated. */
    private void assign(final SnpSpec.GuestSpec g, final SnpSpec.GuestRam ram, final int line)
    {
        final long step = 1L << g.rmpPageLg2();
        final int pageSize = g.rmpPageLg2() == 21 ? RmpEntry.PAGE_SIZE_2M : RmpEntry.PAGE_SIZE_4K;
        for (long offset = 0; offset < ram.size(); offset += step)
        {
            final int code = conversion.makePrivate(ram.spa() + offset, ram.gpa() + offset, g.asid(), pageSize);
            if (code != RmpReturnCode.SUCCESS)
            {
                throw platform.refused(line, "snp.guests", String.format("RMPUPDATE spa 0x%x to private: %s", ram.spa() + offset,
                    RmpReturnCode.name(code)));
            }
            if (ram.state() == SnpSpec.PageState.PRIVATE)
            {
                guestInstructions.pvalidate(ram.spa() + offset, ram.gpa() + offset, g.asid(), 0, pageSize, true, result);
                if (!result.isOk() || result.returnCode() != RmpReturnCode.SUCCESS)
                {
                    throw platform.refused(line, "snp.guests", String.format("PVALIDATE gpa 0x%x: %s", ram.gpa() + offset, result));
                }
            }
        }
        platform.rmpChanged();
    }

    /** The VMM maps the guest's memory for its devices at VM creation: all of it (pin), or the shared pages (follow). */
    private void mapForDevices(final SnpSpec.GuestSpec g, final int line)
    {
        for (final SnpSpec.GuestRam ram : g.memory())
        {
            if (g.dma().mode() == Scenario.VmmDmaMapping.PIN)
            {
                platform.vmmMap(g.dma().domain(), ram.gpa(), ram.spa(), ram.size(), null, line);
            }
            else if (ram.state() == SnpSpec.PageState.SHARED)
            {
                platform.vmmMap(g.dma().domain(), ram.gpa(), ram.spa(), ram.size(), PageSizePolicy.FORCED_4K, line);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Guest CPU accesses.

    /**
     * A guest CPU access: the vCPU's guest walks its NPT from the GPA, then the RMP check of the SPA (private with C = 1,
     * shared with C = 0). Ok: the SPA and the NPT leaf size in {@code out}; else the #NPF or #VC as a
     * {@link GuestAccessFault}.
     *
     * @throws IllegalArgumentException when the vCPU belongs to no guest.
     */
    boolean guestAccess(final GuestAccess access, final RequestOutcome out)
    {
        out.reset();
        final Guest guest = byVcpu[access.vcpu()];
        if (guest == null)
        {
            throw new IllegalArgumentException("vcpu " + access.vcpu() + " belongs to no guest of the scenario (snp.guests vcpus)");
        }
        final int permission = access.access() == GuestAccess.WRITE ? RmpEntry.PERMISSION_WRITE :
            access.access() == GuestAccess.EXECUTE ? RmpEntry.PERMISSION_EXECUTE_SUPERVISOR : RmpEntry.PERMISSION_READ;
        guest.access.access(guest.npt.root(), access.gpa(), guest.spec.asid(), access.vmpl(), permission, access.encrypted(), false,
            walk, result);
        if (!result.isOk())
        {
            out.fault(GuestAccessFault.of(result), true);
            return false;
        }
        out.translated(walk.outputAddress(), walk.pageSizeLg2(), walk.permissions());
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Timeline actions.

    /**
     * A page-state change through the GHCB (Linux's set_memory_encrypted / set_memory_decrypted, KVM's PSC handling),
     * page by page in the guest's RMP page size where the range is aligned to it, else 4 KiB:
     * <ul>
     * <li>to private: the VMM unmaps the page from its devices' domain first when its mapping follows conversions (and
     * invalidates), then the hypervisor's RMPUPDATE (PSMASH first inside a 2 MiB entry), then the guest's PVALIDATE;</li>
     * <li>to shared: the guest rescinds its validation, the hypervisor's RMPUPDATE, then the VMM maps the page again
     * when its mapping follows conversions.</li>
     * </ul>
     * With a pinned mapping nothing happens in the IOMMU: its mapping keeps pointing at the page, now private.
     */
    void pageStateChange(final Scenario.PageStateChangeAction action, final int line)
    {
        final Guest guest = guests.get(action.asid());
        final boolean follow = guest.spec.dma() != null && guest.spec.dma().mode() == Scenario.VmmDmaMapping.FOLLOW_CONVERSIONS;
        final long large = 1L << guest.spec.rmpPageLg2();
        final long step = ((action.gpa() | action.size()) & (large - 1)) == 0 ? large : PAGE;
        final int pageSize = step == PAGE_2M ? RmpEntry.PAGE_SIZE_2M : RmpEntry.PAGE_SIZE_4K;
        final int[] counts = new int[4]; // RMPUPDATE, PSMASH, PVALIDATE, invalidations
        final long[] pages = new long[2]; // unmapped, mapped
        long failedGpa = -1;
        int failedCode = -1;
        long failedExit = 0;
        for (long gpa = action.gpa(); gpa < action.gpa() + action.size(); gpa += step)
        {
            final long spa = translate(guest, gpa);
            if (spa < 0)
            {
                failedGpa = gpa;
                break;
            }
            if (action.toPrivate())
            {
                if (follow)
                {
                    pages[0] += platform.vmmUnmap(guest.spec.dma().domain(), gpa, step, line) / PAGE;
                    counts[3]++;
                }
                final boolean smash = pageSize == RmpEntry.PAGE_SIZE_4K && governedBy2M(spa);
                final int code = conversion.makePrivate(spa, gpa, action.asid(), pageSize);
                counts[1] += smash ? 1 : 0;
                counts[0]++;
                platform.count("RMPUPDATE", 1);
                platform.count("PSMASH", smash ? 1 : 0);
                if (code != RmpReturnCode.SUCCESS)
                {
                    failedGpa = gpa;
                    failedCode = code;
                    break;
                }
                platform.rmpChanged();
                final long exit = validate(guest, gpa, spa, pageSize, true, counts);
                if (exit != 0)
                {
                    failedGpa = gpa;
                    failedExit = exit;
                    break;
                }
            }
            else
            {
                final long exit = validate(guest, gpa, spa, pageSize, false, counts);
                if (exit != 0)
                {
                    failedGpa = gpa;
                    failedExit = exit;
                    break;
                }
                final boolean smash = pageSize == RmpEntry.PAGE_SIZE_4K && governedBy2M(spa);
                final int code = conversion.makeShared(spa, pageSize);
                counts[1] += smash ? 1 : 0;
                counts[0]++;
                platform.count("RMPUPDATE", 1);
                platform.count("PSMASH", smash ? 1 : 0);
                if (code != RmpReturnCode.SUCCESS)
                {
                    failedGpa = gpa;
                    failedCode = code;
                    break;
                }
                platform.rmpChanged();
                if (follow)
                {
                    pages[1] += platform.vmmMap(guest.spec.dma().domain(), gpa, spa, step, PageSizePolicy.FORCED_4K, line) / PAGE;
                }
            }
        }
        platform.event(new PlatformEvent.PageStateChange(platform.beforeTlp(), action.asid(), action.gpa(), action.size(),
            action.toPrivate(), counts[0], counts[1], counts[2], pages[0], pages[1], counts[3], failedGpa < 0, failedGpa, failedCode,
            failedExit));
    }

    /**
     * The guest's PVALIDATE of one page during a page-state change (validate or rescind), with KVM's answer to #NPF with
     * SIZEM (PSMASH, then the guest retries).
     *
     * @return 0, or the #NPF EXITINFO1 that stopped it.
     */
    private long validate(final Guest guest, final long gpa, final long spa, final int pageSize, final boolean validate, final int[] counts)
    {
        counts[2]++;
        platform.count("PVALIDATE", 1);
        guestInstructions.pvalidate(spa, gpa, guest.spec.asid(), 0, pageSize, validate, result);
        if (result.kind() == GuestRmpResult.NESTED_PAGE_FAULT && (result.exitInfo1() & PageFaultErrorCode.GUEST_SIZEM) != 0)
        {
            if (instructions.psmash(spa & -PAGE_2M) == RmpReturnCode.SUCCESS)
            {
                splitNpt(spa & -PAGE_2M);
            }
            counts[1]++;
            counts[2]++;
            platform.count("PSMASH", 1);
            platform.count("PVALIDATE", 1);
            guestInstructions.pvalidate(spa, gpa, guest.spec.asid(), 0, pageSize, validate, result);
        }
        return result.kind() == GuestRmpResult.NESTED_PAGE_FAULT ? result.exitInfo1() : 0;
    }

    /**
     * The guest's PVALIDATE of one page, as a timeline action: #NPF with SIZEM (a 4 KiB request inside a 2 MiB entry) is
     * KVM's cue to PSMASH and resume the guest, which retries; FAIL_SIZEMISMATCH (2 MiB on 4 KiB entries) makes the guest
     * retry per 4 KiB page, as Linux's pvalidate_pages does. Each instruction is an event.
     */
    void pvalidate(final Scenario.PvalidateAction action, final int line)
    {
        final Guest guest = guests.get(action.asid());
        final long spa = translate(guest, action.gpa());
        final int pageSize = action.size() == PAGE_2M ? RmpEntry.PAGE_SIZE_2M : RmpEntry.PAGE_SIZE_4K;
        final int sizeLg2 = pageSize == RmpEntry.PAGE_SIZE_2M ? 21 : 12;
        if (spa < 0)
        {
            // The NPT does not map it: the PVALIDATE itself takes the #NPF of its translation.
            platform.event(new PlatformEvent.GuestRmpInstruction(platform.beforeTlp(), action.asid(),
                PlatformEvent.RmpInstruction.PVALIDATE, action.gpa(), -1, sizeLg2, action.validate(), GuestRmpResult.NESTED_PAGE_FAULT, 0,
                PageFaultErrorCode.GUEST_FINAL | PageFaultErrorCode.GUEST_ENC, false));
            return;
        }
        pvalidateOnce(guest, action.gpa(), spa, pageSize, action.validate(), action.vmpl(), false);
        if (result.kind() == GuestRmpResult.NESTED_PAGE_FAULT && (result.exitInfo1() & PageFaultErrorCode.GUEST_SIZEM) != 0)
        {
            psmashEvent(spa & -PAGE_2M);
            pvalidateOnce(guest, action.gpa(), spa, pageSize, action.validate(), action.vmpl(), true);
        }
        else if (result.isOk() && result.returnCode() == RmpReturnCode.FAIL_SIZEMISMATCH)
        {
            for (long offset = 0; offset < PAGE_2M; offset += PAGE)
            {
                pvalidateOnce(guest, action.gpa() + offset, spa + offset, RmpEntry.PAGE_SIZE_4K, action.validate(), action.vmpl(), true);
            }
        }
    }

    private void pvalidateOnce(final Guest guest, final long gpa, final long spa, final int pageSize, final boolean validate,
        final int vmpl, final boolean retry)
    {
        guestInstructions.pvalidate(spa, gpa, guest.spec.asid(), vmpl, pageSize, validate, result);
        platform.count("PVALIDATE", 1);
        platform.event(new PlatformEvent.GuestRmpInstruction(platform.beforeTlp(), guest.spec.asid(),
            PlatformEvent.RmpInstruction.PVALIDATE, gpa, spa, pageSize == RmpEntry.PAGE_SIZE_2M ? 21 : 12, validate, result.kind(),
            result.returnCode(), result.exitInfo1(), retry));
    }

    /** The hypervisor's PSMASH of the 2 MiB entry at {@code spa} (an event), then the IOTLB flush an RMP change takes. */
    void psmash(final Scenario.PsmashAction action, final int line)
    {
        psmashEvent(action.spa());
    }

    private void psmashEvent(final long spa)
    {
        final int code = instructions.psmash(spa);
        if (code == RmpReturnCode.SUCCESS)
        {
            splitNpt(spa);
        }
        platform.count("PSMASH", 1);
        platform.event(new PlatformEvent.GuestRmpInstruction(platform.beforeTlp(), 0, PlatformEvent.RmpInstruction.PSMASH, -1, spa, 21,
            false, GuestRmpResult.OK, code, 0, false));
        platform.rmpChanged();
    }

    /** A SEV-TIO operation on a TDI: the PSP commands (and the guest's request) behind it, each an event. */
    void tio(final Scenario.TioAction action)
    {
        final int rid = action.requesterId();
        final SnpSpec.TdiSpec tdi = tdis.get(rid);
        switch (action.operation())
        {
            case BIND:
                if (firmware.tdispState(rid) == null)
                {
                    step(rid, TioCommand.TIO_TDI_CREATE, firmware.tdiCreate(rid));
                }
                step(rid, TioCommand.TIO_TDI_BIND, firmware.tdiBind(rid, tdi.asid(), rid, false));
                break;
            case RUN:
                step(rid, TioCommand.TIO_TDI_BIND, firmware.tdiBind(rid, tdi.asid(), rid, true));
                break;
            case ACCEPT:
            {
                final boolean split = tdi.vtom() != SnpSpec.TdiSpec.VTOM_DISABLED;
                final int status = firmware.sdteWrite(tdi.asid(), rid, true, true, true, tdi.vmpl(), split,
                    split ? tdi.vtom() : SecureDeviceTableEntry.VTOM_ALL);
                platform.event(new PlatformEvent.TioStep(platform.beforeTlp(), rid, TioCommand.TIO_GUEST_REQUEST, true, status,
                    firmware.tdispState(rid)));
                break;
            }
            case UNBIND:
            {
                final int zero = firmware.sdteWrite(tdi.asid(), rid, false, false, false, 0, false, 0);
                platform.event(new PlatformEvent.TioStep(platform.beforeTlp(), rid, TioCommand.TIO_GUEST_REQUEST, true, zero,
                    firmware.tdispState(rid)));
                step(rid, TioCommand.TIO_TDI_UNBIND, firmware.tdiUnbind(rid));
                step(rid, TioCommand.TIO_TDI_RECLAIM, firmware.tdiReclaim(rid));
                final int rootPort = firmware.rootPort(rid);
                final int fenced = firmware.asidFenceStatus(rootPort, tdi.asid());
                step(rid, TioCommand.TIO_ASID_FENCE_STATUS, fenced);
                if (fenced == 1 && action.clearFence())
                {
                    step(rid, TioCommand.TIO_ASID_FENCE_CLEAR, firmware.asidFenceClear(tdi.asid(), rootPort));
                }
                break;
            }
            case ERROR:
            default:
                firmware.tdiError(rid);
                platform.event(new PlatformEvent.TioStep(platform.beforeTlp(), rid, -1, false, TioStatus.SUCCESS,
                    firmware.tdispState(rid)));
                break;
        }
        refreshT(rid);
    }

    private void step(final int rid, final int command, final int status)
    {
        platform.event(new PlatformEvent.TioStep(platform.beforeTlp(), rid, command, false, status, firmware.tdispState(rid)));
    }

    private void refreshT(final int rid)
    {
        final SnpSpec.TdiSpec tdi = tdis.get(rid);
        platform.trustedRequester(rid, tdi.tFromState() && firmware.tdispState(rid) == TdispState.RUN);
    }

    private void check(final int status, final int line, final String command)
    {
        if (status != TioStatus.SUCCESS)
        {
            throw platform.refused(line, "snp.sev-tio", command + " returned " + TioStatus.name(status));
        }
    }

    /**
     * After a PSMASH of the 2 MiB region at {@code region}, KVM maps the region's GPAs with 4 KiB NPT leaves (it zaps the
     * 2 MiB mapping; the next fault maps at the RMP's size): split every guest's NPT leaf over that region.
     */
    private void splitNpt(final long region)
    {
        for (final Guest guest : guests.values())
        {
            for (final SnpSpec.GuestRam ram : guest.spec.memory())
            {
                if (region >= ram.spa() && region < ram.spa() + ram.size())
                {
                    final long gpa = ram.gpa() + (region - ram.spa());
                    guest.npt.split(gpa & -PAGE_2M, 12);
                }
            }
        }
    }

    /** The SPA the guest's NPT maps {@code gpa} to, or -1. */
    private long translate(final Guest guest, final long gpa)
    {
        if (!Walker.walk(guest.npt.format(), memory, guest.npt.root(), gpa, Permissions.READ, Permissions.ALL, walk))
        {
            return -1;
        }
        return walk.outputAddress();
    }

    /** Whether the RMP entry of the 2 MiB region of {@code spa} is a 2 MiB entry (a 4 KiB update must PSMASH it first). */
    private boolean governedBy2M(final long spa)
    {
        final long region = rmp.regionEntryAddress(spa);
        return region != RmpTable.NOT_COVERED && RmpEntry.pageSizeOf(memory.readEntry(region)) == RmpEntry.PAGE_SIZE_2M;
    }
}
