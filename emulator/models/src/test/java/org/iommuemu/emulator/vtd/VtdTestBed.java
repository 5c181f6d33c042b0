package org.iommuemu.emulator.vtd;

import java.util.EnumSet;
import java.util.Set;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.tdx.TdxConnect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A driver's view of the VT-d model for tests: the unit is programmed only through its registers and memory by
 * {@link VtdDriver}, requests go through the platform port, and outcomes are read back from the outcome, the
 * fault recording registers, FSTS and memory.
 */
abstract class VtdTestBed
{
    static final long TABLE_POOL = 0x1_0000_0000L;
    static final long DOMAIN_POOL = 0x2_0000_0000L;
    static final long DATA = 0x8_0000_0000L;
    static final int DEVICE = 0x0310;
    static final int DOMAIN = 7;
    /** Every fault reason some test in the suite provoked (checked by {@link VtdFaultReasonsTest}). */
    static final Set<VtdFaultReason> PROVOKED = EnumSet.noneOf(VtdFaultReason.class);

    final SparseMemory memory = new SparseMemory();
    final DmaRequest request = new DmaRequest();
    final RequestOutcome outcome = new RequestOutcome();
    final VtdConfig config = new VtdConfig();
    FrameAllocator domains;
    VtdIommu iommu;
    VtdDriver driver;

    void bringUp(final boolean scalable)
    {
        bringUp(scalable, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap(), null);
    }

    void bringUp(final boolean scalable, final long cap, final long ecap, final TdxConnect tdx)
    {
        iommu = new VtdIommu(memory, cap, ecap, config, VtdIommu.defaultContextCache(), VtdIommu.defaultPasidCache(),
            VtdIommu.defaultIotlb(), VtdIommu.defaultNestedCache(), tdx);
        driver = new VtdDriver(iommu, memory, new FrameAllocator(memory, TABLE_POOL, 64L << 20));
        domains = new FrameAllocator(memory, DOMAIN_POOL, 256L << 20);
        driver.bringUp(scalable, 0x4021, 0xFEE0_0000L);
    }

    /** A second-stage domain of {@code levels} levels in the format the unit walks. */
    PageTable secondStage(final int levels)
    {
        return new PageTable(iommu.secondStageFormat(levels, false), domains);
    }

    /** A first-stage (x86) domain of 4 levels in host memory. */
    PageTable firstStage()
    {
        return new PageTable(iommu.firstStageFormat(4), domains);
    }

    static void map(final PageTable table, final long iova, final long pa, final long length, final int permissions)
    {
        assertEquals(MapStatus.OK, table.map(iova, pa, length, permissions, PageSizePolicy.LARGEST));
    }

    static void map4k(final PageTable table, final long iova, final long pa, final long length, final int permissions)
    {
        assertEquals(MapStatus.OK, table.map(iova, pa, length, permissions, PageSizePolicy.FORCED_4K));
    }

    boolean dma(final int sid, final long address, final boolean write)
    {
        request.set(sid, address, write);
        return iommu.handle(request, outcome);
    }

    boolean dma(final int sid, final int pasid, final long address, final int access, final boolean privileged)
    {
        request.clear().requesterId(sid).pasid(pasid).address(address).access(access).privileged(privileged);
        return iommu.handle(request, outcome);
    }

    boolean ats(final int sid, final int pasid, final long address, final AddressType type, final boolean write)
    {
        request.clear().requesterId(sid).pasid(pasid).address(address).addressType(type)
            .access(write ? Permissions.WRITE : Permissions.READ);
        return iommu.handle(request, outcome);
    }

    /** Assert the last request faulted with {@code reason}; returns whether it was recorded. */
    boolean assertFault(final VtdFaultReason reason)
    {
        assertFalse(outcome.isOk(), () -> "expected " + reason + ", got " + outcome);
        assertEquals(reason, outcome.fault(), outcome::toString);
        PROVOKED.add(reason);
        return outcome.recordLogged();
    }

    void assertOk(final long outputAddress)
    {
        assertTrue(outcome.isOk(), outcome::toString);
        assertEquals(outputAddress, outcome.outputAddress(), outcome::toString);
    }

    /** Read and clear every pending fault record. */
    int clearFaults()
    {
        return driver.serviceFaults((index, low, high) -> { });
    }

    /** The fault record software would read next (FRI), cleared as dmar_fault does: {low, high}. */
    long[] takeFault()
    {
        final long[] record = new long[2];
        final int count = driver.serviceFaults((index, low, high) ->
        {
            if (record[1] == 0)
            {
                record[0] = low;
                record[1] = high;
            }
        });
        assertTrue(count > 0, "a fault was recorded");
        return record;
    }
}
