package org.iommuemu.emulator.scenario;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tdx.PageInfo;
import org.iommuemu.tdx.SeamcallResult;
import org.iommuemu.tdx.TdxModule;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tdx.TrustDomain;

/**
 * A TD's in-place conversion of its memory between shared and private ({@code td-convert}; seed 002 on TDX): with
 * guest_memfd's in-place conversion the same host page changes owner (confidential-io-extras.md 2.4), so a DMA mapping
 * the VMM made of the shared page keeps reaching the page once it is private, unless the VMM's mapping follows the
 * conversion. The SEAMCALLs are KVM's: to private, the shared-EPT mapping goes, then TDH.MEM.SEPT.ADD for missing
 * levels, TDH.MEM.PAGE.AUG and the TD's TDG.MEM.PAGE.ACCEPT; to shared, TDH.MEM.RANGE.BLOCK of every page, one
 * TDH.MEM.TRACK, TDH.MEM.PAGE.REMOVE (the page back to the host, reset), then the shared-EPT mapping.
 */
final class TdxConversion
{
    private final Platform platform;
    private final TdxState tdx;
    private final PhysicalMemory memory;
    private final SeamcallResult out = new SeamcallResult();
    private final WalkResult walk = new WalkResult();

    TdxConversion(final Platform platform, final TdxState tdx, final PhysicalMemory memory)
    {
        this.platform = platform;
        this.tdx = tdx;
        this.memory = memory;
    }

    void convert(final Scenario.TdConvertAction action, final int line)
    {
        final TrustDomain td = tdx.td(action.td());
        final TdxModule module = tdx.module();
        final long shared = td.sharedBit();
        final boolean follow = action.dmaDomain() != Scenario.TdConvertAction.NO_DMA_DOMAIN &&
            action.dmaMapping() == Scenario.VmmDmaMapping.FOLLOW_CONVERSIONS;
        int seamcalls = 0;
        int invalidations = 0;
        long unmapped = 0;
        long mapped = 0;
        long failedGpa = -1;
        long failedStatus = -1;
        final long end = action.gpa() + action.size();
        if (action.toPrivate())
        {
            for (long gpa = action.gpa(); gpa < end && failedGpa < 0; gpa += PhysicalMemory.FRAME_SIZE)
            {
                final long hpa = sharedPage(td, gpa | shared);
                if (hpa < 0)
                {
                    failedGpa = gpa;
                    break;
                }
                if (follow)
                {
                    unmapped += platform.vmmUnmap(action.dmaDomain(), gpa | shared, PhysicalMemory.FRAME_SIZE, line) /
                        PhysicalMemory.FRAME_SIZE;
                    invalidations++;
                }
                td.sharedEpt().unmap(gpa | shared, PhysicalMemory.FRAME_SIZE);
                seamcalls += tdx.septPath(td, gpa, 1, line) + 2;
                if (module.pageAug(PageInfo.encode(gpa, 0), td.tdr(), hpa, out).status() != TdxStatus.SUCCESS ||
                    module.accept(td, PageInfo.encode(gpa, 0), out).status() != TdxStatus.SUCCESS)
                {
                    failedGpa = gpa;
                    failedStatus = out.status();
                }
            }
        }
        else
        {
            final long[] pages = new long[(int)(action.size() / PhysicalMemory.FRAME_SIZE)];
            int count = 0;
            for (long gpa = action.gpa(); gpa < end; gpa += PhysicalMemory.FRAME_SIZE)
            {
                if (!module.translate(td, gpa, Permissions.READ, walk))
                {
                    failedGpa = gpa;
                    break;
                }
                pages[count++] = walk.outputAddress() & -PhysicalMemory.FRAME_SIZE;
                seamcalls++;
                if (module.rangeBlock(PageInfo.encode(gpa, 0), td.tdr(), out).status() != TdxStatus.SUCCESS)
                {
                    failedGpa = gpa;
                    failedStatus = out.status();
                    break;
                }
            }
            if (failedGpa < 0)
            {
                seamcalls++;
                if (module.track(td.tdr(), out).status() != TdxStatus.SUCCESS)
                {
                    failedGpa = action.gpa();
                    failedStatus = out.status();
                }
            }
            for (int i = 0; i < count && failedGpa < 0; i++)
            {
                final long gpa = action.gpa() + (long)i * PhysicalMemory.FRAME_SIZE;
                seamcalls++;
                if (module.pageRemove(PageInfo.encode(gpa, 0), td.tdr(), out).status() != TdxStatus.SUCCESS)
                {
                    failedGpa = gpa;
                    failedStatus = out.status();
                    break;
                }
                final MapStatus status = td.sharedEpt().map(gpa | shared, pages[i], PhysicalMemory.FRAME_SIZE, Permissions.READ_WRITE,
                    PageSizePolicy.FORCED_4K);
                if (status != MapStatus.OK)
                {
                    throw platform.refused(line, "td-convert", String.format("shared EPT map gpa 0x%x: %s", gpa | shared, status));
                }
                if (follow)
                {
                    mapped += platform.vmmMap(action.dmaDomain(), gpa | shared, pages[i], PhysicalMemory.FRAME_SIZE,
                        PageSizePolicy.FORCED_4K, line) / PhysicalMemory.FRAME_SIZE;
                }
            }
        }
        platform.count("SEAMCALLs (TD conversions)", seamcalls);
        platform.event(new PlatformEvent.TdConversion(platform.beforeTlp(), action.td(), action.gpa(), action.size(), action.toPrivate(),
            seamcalls, unmapped, mapped, invalidations, failedGpa < 0, failedGpa, failedStatus));
    }

    /** The host page the VMM's shared EPT maps {@code sharedGpa} to, or -1. */
    private long sharedPage(final TrustDomain td, final long sharedGpa)
    {
        final PageTable ept = td.sharedEpt();
        if (!Walker.walk(ept.format(), memory, ept.root(), sharedGpa, Permissions.READ, Permissions.ALL, walk))
        {
            return -1;
        }
        return walk.outputAddress() & -PhysicalMemory.FRAME_SIZE;
    }
}
