package org.iommuemu.emulator.scenario;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.scenario.Scenario.MmioSpec;
import org.iommuemu.emulator.scenario.Scenario.TdSpec;
import org.iommuemu.emulator.scenario.Scenario.TdiSpec;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tdx.MachineCheckRecord;
import org.iommuemu.tdx.MmioRange;
import org.iommuemu.tdx.PageInfo;
import org.iommuemu.tdx.SeamcallLeaf;
import org.iommuemu.tdx.SeamcallResult;
import org.iommuemu.tdx.SecureEptEntry;
import org.iommuemu.tdx.Tdi;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.TdispState;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tdx.TdxModule;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tdx.TrustDomain;

/**
 * The TDX side of a platform, built the way KVM and the TDX module build it: each TD created with its TDR and
 * S-EPT root, its private memory added with SEPT.ADD for the missing levels, PAGE.AUG and the TD's ACCEPT (after
 * finalize), its shared memory mapped in the VMM's shared EPT; each TDI registered with its report's MMIO ranges
 * and brought to its starting TDISP state. TDX pages (TDRs, S-EPT pages) come from a pool the scenario's
 * mappings may not overlap.
 */
final class TdxState
{
    /** TDRs and S-EPT pages. */
    static final long POOL = 0x5_0000_0000L;
    static final long POOL_SIZE = 256L << 20;
    /** Shared-EPT table pages. */
    static final long SHARED_EPT_POOL = 0x5_1000_0000L;
    static final long SHARED_EPT_POOL_SIZE = 256L << 20;

    private final Platform platform;
    private final TdxModule module;
    private final TdxConnect connect;
    private final FrameAllocator pages;
    private final FrameAllocator sharedEptPages;
    private final Map<Integer, TrustDomain> tds = new HashMap<>();
    private final Map<Integer, TdiSpec> tdiSpecs = new HashMap<>();
    private final SeamcallResult out = new SeamcallResult();
    private final MachineCheckRecord machineCheck = new MachineCheckRecord();
    private final WalkResult walk = new WalkResult();

    TdxState(final Platform platform, final TdxModule module, final TdxConnect connect, final PhysicalMemory memory)
    {
        this.platform = platform;
        this.module = module;
        this.connect = connect;
        this.pages = new FrameAllocator(memory, POOL, POOL_SIZE);
        this.sharedEptPages = new FrameAllocator(memory, SHARED_EPT_POOL, SHARED_EPT_POOL_SIZE);
    }

    TdxConnect connect()
    {
        return connect;
    }

    /** The TD of {@code id} (null when there is none). */
    TrustDomain td(final int id)
    {
        return tds.get(id);
    }

    TdxModule module()
    {
        return module;
    }

    void build(final Scenario.TdxSpec spec)
    {
        module.relocateUnblocks(spec.relocateUnblocks());
        for (final TdSpec td : spec.tds())
        {
            final long tdr = page();
            final long root = page();
            check(module.createTd(tdr, root, td.gpaWidth(), 4, sharedEptPages, out), td.line(), "TDH.MNG.CREATE of TD " + td.id());
            final TrustDomain domain = module.td(tdr);
            tds.put(td.id(), domain);
            check(module.finalizeTd(tdr, out), td.line(), "TDH.MR.FINALIZE of TD " + td.id());
            final int level = td.pageSizeLg2() == 21 ? 1 : 0;
            final long step = 1L << td.pageSizeLg2();
            for (final Scenario.Mapping m : td.privateMemory())
            {
                for (long offset = 0; offset < m.size(); offset += step)
                {
                    final long gpa = m.iova() + offset;
                    septPath(domain, gpa, level + 1, td.line());
                    check(module.pageAug(PageInfo.encode(gpa, level), tdr, m.spa() + offset, out), td.line(),
                        String.format("TDH.MEM.PAGE.AUG gpa 0x%x", gpa));
                    check(module.accept(domain, PageInfo.encode(gpa, level), out), td.line(), String.format("TDG.MEM.PAGE.ACCEPT gpa 0x%x",
                        gpa));
                }
            }
            for (final Scenario.Mapping m : td.shared())
            {
                final MapStatus status = domain.sharedEpt().map(domain.sharedBit() | m.iova(), m.spa(), m.size(), Permissions.READ_WRITE,
                    PageSizePolicy.LARGEST);
                if (status != MapStatus.OK)
                {
                    throw platform.refused(td.line(), "tdx.tds", String.format("shared EPT map gpa 0x%x: %s", m.iova(), status));
                }
            }
        }
        for (final TdiSpec spec1 : spec.tdis())
        {
            final MmioRange[] ranges = new MmioRange[spec1.mmio().size()];
            for (int i = 0; i < ranges.length; i++)
            {
                final MmioSpec m = spec1.mmio().get(i);
                ranges[i] = new MmioRange(m.hpa(), m.size(), !m.isPrivate());
            }
            final Tdi tdi = connect.addTdi(spec1.requesterId(), ranges);
            if (spec1.privateIovaLimit() == TdiSpec.NO_IOVA_SPLIT)
            {
                tdi.noIovaSplit();
            }
            else
            {
                tdi.privateIovaLimit(spec1.privateIovaLimit());
            }
            tdiSpecs.put(spec1.requesterId(), spec1);
            if (spec1.startState() != TdispState.CONFIG_UNLOCKED)
            {
                bind(spec1.requesterId(), 0, spec1.line());
                if (spec1.startState() == TdispState.RUN)
                {
                    start(spec1.requesterId(), spec1.line());
                }
            }
        }
    }

    /** LOCK_INTERFACE; a machine check is a platform event, not a scenario error. */
    void bind(final int requesterId, final int tdId, final int line)
    {
        final Tdi tdi = connect.tdi(requesterId);
        final TdiStatus status = connect.bind(tdi, tds.get(tdId > 0 ? tdId : tdiSpecs.get(requesterId).td()), machineCheck);
        if (status == TdiStatus.MACHINE_CHECK)
        {
            platform.bindMachineCheck(new PlatformEvent.TdiBindMachineCheck(platform.beforeTlp(), requesterId, machineCheck.cause(),
                MachineCheckRecord.causeName(machineCheck.cause()),
                machineCheck.cause() == MachineCheckRecord.CAUSE_CACHED_MMIO_TRANSLATION_AT_BIND, machineCheck.address()));
        }
        else if (status == TdiStatus.STALE_TRANSLATION)
        {
            platform.event(new PlatformEvent.TdiBindRefused(platform.beforeTlp(), requesterId, status, connect.lastStaleTranslation()));
        }
        else if (status != TdiStatus.OK)
        {
            platform.event(new PlatformEvent.TdiBindRefused(platform.beforeTlp(), requesterId, status, -1));
        }
        else
        {
            platform.event(new PlatformEvent.TdiBound(platform.beforeTlp(), requesterId));
        }
        refreshT(requesterId);
    }

    void start(final int requesterId, final int line)
    {
        final TdiStatus status = connect.start(connect.tdi(requesterId));
        platform.event(new PlatformEvent.TdiTransition(platform.beforeTlp(), requesterId, "start", status,
            connect.tdi(requesterId).state()));
        refreshT(requesterId);
    }

    void stop(final int requesterId)
    {
        final TdiStatus status = connect.stop(connect.tdi(requesterId));
        platform.event(new PlatformEvent.TdiTransition(platform.beforeTlp(), requesterId, "stop", status,
            connect.tdi(requesterId).state()));
        refreshT(requesterId);
    }

    void unbind(final int requesterId)
    {
        final TdiStatus status = connect.unbind(connect.tdi(requesterId));
        platform.event(new PlatformEvent.TdiTransition(platform.beforeTlp(), requesterId, "unbind", status,
            connect.tdi(requesterId).state()));
        refreshT(requesterId);
    }

    /** TDH.MMIO.MAP of private MMIO and the TD's accept, page by page. */
    void mmioMap(final Scenario.MmioMapAction action, final int line)
    {
        final Tdi tdi = connect.tdi(action.requesterId());
        final TrustDomain td = tdi.td() != null ? tdi.td() : tds.get(tdiSpecs.get(action.requesterId()).td());
        for (long offset = 0; offset < action.size(); offset += PhysicalMemory.FRAME_SIZE)
        {
            final long gpa = action.gpa() + offset;
            septPath(td, gpa, 1, line);
            connect.mmioMap(td, PageInfo.encode(gpa, 0), action.hpa() + offset, out);
            if (out.status() != TdxStatus.SUCCESS)
            {
                platform.event(new PlatformEvent.MmioMapRefused(platform.beforeTlp(), action.requesterId(), gpa, action.hpa() + offset,
                    out.status(), out.rcx(), out.rdx(), tdi.state()));
                return;
            }
            check(module.accept(td, PageInfo.encode(gpa, 0), out), line, String.format("TDG.MEM.PAGE.ACCEPT of MMIO gpa 0x%x", gpa));
        }
        platform.event(new PlatformEvent.MmioMapped(platform.beforeTlp(), action.requesterId(), action.hpa(), action.gpa(), action.size()));
    }

    /** The TD's own read or write through its EPTs (TdxModule.tdAccess); a machine check is a counted event. */
    void tdAccess(final Scenario.TdAccessAction action)
    {
        final TrustDomain td = tds.get(action.td());
        final int result = module.tdAccess(td, action.gpa(), action.size(), action.write(), walk, machineCheck);
        final PlatformEvent.TdAccessResult what;
        switch (result)
        {
            case TdxModule.TD_ACCESS_MACHINE_CHECK:
                platform.tdAccessMachineCheck(new PlatformEvent.TdAccess(platform.beforeTlp(), action.td(), action.write(), action.gpa(),
                    action.size(), PlatformEvent.TdAccessResult.MACHINE_CHECK, machineCheck.address(), WalkFault.NONE, machineCheck.cause(),
                    MachineCheckRecord.causeName(machineCheck.cause())));
                return;
            case TdxModule.TD_ACCESS_EPT_VIOLATION:
                what = PlatformEvent.TdAccessResult.EPT_VIOLATION;
                break;
            case TdxModule.TD_ACCESS_READ_ZEROS:
                what = PlatformEvent.TdAccessResult.ZEROS;
                break;
            case TdxModule.TD_ACCESS_NO_VCPU:
                platform.event(new PlatformEvent.TdAccess(platform.beforeTlp(), action.td(), action.write(), action.gpa(),
                    action.size(), PlatformEvent.TdAccessResult.NO_VCPU, 0, WalkFault.NONE, 0, ""));
                return;
            default:
                what = PlatformEvent.TdAccessResult.OK;
                break;
        }
        platform.event(new PlatformEvent.TdAccess(platform.beforeTlp(), action.td(), action.write(), action.gpa(), action.size(), what,
            walk.outputAddress(), what == PlatformEvent.TdAccessResult.EPT_VIOLATION ? walk.fault() : WalkFault.NONE, 0, ""));
    }

    /** The device reports an error: its TDI goes to ERROR (TdxConnect.error); its T=1 requests are refused from now on. */
    void error(final int requesterId)
    {
        final TdiStatus status = connect.error(connect.tdi(requesterId));
        platform.event(new PlatformEvent.TdiTransition(platform.beforeTlp(), requesterId, "error", status,
            connect.tdi(requesterId).state()));
        refreshT(requesterId);
    }

    /**
     * A memory SEAMCALL during the traffic, as KVM makes it: the answer (success, or the error code with RCX and RDX)
     * is a platform event with the number of trusted IOTLB entries the module's invalidation dropped. DEMOTE takes
     * its new S-EPT page from the TDX pool (returned when refused); PROMOTE gives the freed one back; AUG first adds
     * the missing S-EPT levels (SEPT.ADD) and, with {@code accept}, the TD accepts the page.
     */
    void seamcall(final Scenario.SeamcallAction action, final int line)
    {
        final TrustDomain td = tds.get(action.td());
        final long pageInfo = PageInfo.encode(action.gpa(), action.level());
        final long removedBefore = platform.iotlbEntriesInvalidated();
        switch (action.call())
        {
            case BLOCK:
                module.rangeBlock(pageInfo, td.tdr(), out);
                break;
            case UNBLOCK:
                module.rangeUnblock(pageInfo, td.tdr(), out);
                break;
            case TRACK:
                module.track(td.tdr(), out);
                break;
            case REMOVE:
                module.pageRemove(pageInfo, td.tdr(), out);
                break;
            case RELOCATE:
                module.pageRelocate(pageInfo, td.tdr(), action.hpa(), out);
                break;
            case DEMOTE:
            {
                final long page = page();
                if (module.pageDemote(pageInfo, td.tdr(), page, out).status() != TdxStatus.SUCCESS)
                {
                    pages.free(page);
                }
                break;
            }
            case PROMOTE:
                if (module.pagePromote(pageInfo, td.tdr(), out).status() == TdxStatus.SUCCESS)
                {
                    pages.free(out.rcx());
                }
                break;
            case AUG:
                septPath(td, action.gpa(), action.level() + 1, line);
                module.pageAug(pageInfo, td.tdr(), action.hpa(), out);
                break;
            case VPFLUSHDONE:
                module.vpFlushDone(td.tdr(), out);
                break;
            case CACHE_WB:
                module.cacheWriteback(SeamcallLeaf.CACHE_WB_START, out);
                break;
            case FREEID:
                module.freeKeyId(td.tdr(), out);
                break;
            case RECLAIM:
                if (action.hpa() == Scenario.SeamcallAction.EVERY_PAGE)
                {
                    module.reclaimAll(td.tdr(), out);
                }
                else
                {
                    module.reclaim(action.hpa(), out);
                }
                break;
            case ACCEPT:
            default:
                module.accept(td, pageInfo, out);
                break;
        }
        platform.event(seamcallEvent(action.call(), action, removedBefore, td.epoch()));
        if (action.call() == Scenario.SeamcallCall.AUG && action.accept() && out.status() == TdxStatus.SUCCESS)
        {
            module.accept(td, pageInfo, out);
            platform.event(seamcallEvent(Scenario.SeamcallCall.ACCEPT, action, removedBefore, td.epoch()));
        }
    }

    /**
     * The call's platform event. A successful TRACK reports the TD's new epoch in the event's RCX slot (the module writes
     * no RCX for TRACK; the report prints it as "epoch").
     */
    private PlatformEvent.Seamcall seamcallEvent(final Scenario.SeamcallCall call, final Scenario.SeamcallAction action,
        final long removedBefore, final long epoch)
    {
        final boolean noGpa = call.takesNoGpa();
        final long rcx = call == Scenario.SeamcallCall.TRACK && out.status() == TdxStatus.SUCCESS ? epoch : out.rcx();
        return new PlatformEvent.Seamcall(platform.beforeTlp(), call, action.td(), noGpa ? 0 : action.gpa(),
            noGpa ? -1 : action.level(), call == Scenario.SeamcallCall.RECLAIM ? action.hpa() : 0, out.status(), rcx, out.rdx(),
            (int)(platform.iotlbEntriesInvalidated() - removedBefore));
    }

    private void refreshT(final int requesterId)
    {
        final TdiSpec spec = tdiSpecs.get(requesterId);
        platform.trustedRequester(requesterId, spec.tFromState() && connect.tdi(requesterId).state() == TdispState.RUN);
    }

    /** SEPT.ADD the missing non-leaf levels above {@code lowestLevel} for {@code gpa}; returns how many were added. */
    int septPath(final TrustDomain td, final long gpa, final int lowestLevel, final int line)
    {
        int added = 0;
        for (int level = td.septFormat().topLevel(); level >= lowestLevel; level--)
        {
            final long entry = module.septEntry(td, PageInfo.encode(gpa, level));
            if (SecureEptEntry.isFree(entry))
            {
                final long mask = (1L << PageInfo.sizeLg2(level)) - 1;
                check(module.septAdd(PageInfo.encode(gpa & ~mask, level), td.tdr(), page(), out), line,
                    String.format("TDH.MEM.SEPT.ADD gpa 0x%x level %d", gpa, level));
                added++;
            }
        }
        return added;
    }

    private long page()
    {
        final long page = pages.allocate();
        if (page == FrameAllocator.NO_FRAME)
        {
            throw new IllegalStateException("the TDX page pool is exhausted");
        }
        return page;
    }

    private void check(final SeamcallResult result, final int line, final String step)
    {
        if (result.status() != TdxStatus.SUCCESS)
        {
            throw platform.refused(line, "tdx", step + " failed: " + result);
        }
    }

    /** Pools a scenario's own addresses must not overlap. */
    static List<long[]> reserved()
    {
        return List.of(new long[] {POOL, POOL + POOL_SIZE}, new long[] {SHARED_EPT_POOL, SHARED_EPT_POOL + SHARED_EPT_POOL_SIZE});
    }
}
