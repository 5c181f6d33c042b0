package org.iommuemu.emulator.cli;

import java.io.PrintWriter;
import java.util.Locale;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViEvent;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.replay.ReplayResult;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpTable;

/**
 * The SNP passthrough story behind forced 4 KiB IOMMU pages, told through the AMD-Vi model: an SNP guest's
 * shared 2 MiB range is mapped by the IOMMU, the guest converts one 4 KiB page in it to private (KVM PSMASHes
 * the 2 MiB RMP entry first), and the device then writes a shared buffer in the same range. With a 2 MiB
 * IOMMU leaf the IOMMU refuses the write and logs RMP_PAGE_FAULT; with the domain mapped forced-4K it goes
 * through.
 */
final class Seed001Story
{
    private static final long RMP_BASE = 0x2_0000_0000L;
    private static final long SPA = 0x0600_0000L;
    private static final long IOVA = 0x8000_0000L;
    private static final long PRIVATE_OFFSET = 0x5_0000L;
    private static final long BUFFER_OFFSET = 0x7_8784L;
    private static final int DEVICE = 0x4100;
    private static final int DOMAIN = 1;
    private static final int ASID = 9;

    private Seed001Story()
    {
    }

    static void run(final PrintWriter out)
    {
        out.printf("%nSNP passthrough (seed 001): one 4 KiB page of a shared 2 MiB range made private, then a device " +
            "write to a shared buffer in that range%n");
        for (final PageSizePolicy policy : new PageSizePolicy[] {PageSizePolicy.LARGEST, PageSizePolicy.FORCED_4K})
        {
            out.println("  " + outcome(policy));
        }
    }

    /**
     * What the workaround costs in throughput, from the replays of seed001-huge and seed001-4k: the NIC at 200 Gb/s
     * line rate through 4 KiB IOMMU pages against 2 MiB pages (of which the DMA into the PSMASHed region faults).
     */
    static String throughputCost(final ReplayResult huge, final ReplayResult small)
    {
        final double hugeRate = huge.throughputGBps() * 8;
        final double smallRate = small.throughputGBps() * 8;
        final double offered = small.offeredGBps() * 8;
        final long dma = huge.statistics().dmaRequests();
        return String.format(Locale.ROOT, "What forced 4K costs: the NIC, offered %.0f Gb/s, moves %.1f Gb/s through 4 KiB IOMMU pages " +
            "against %.1f Gb/s through 2 MiB pages (%+.1f%%; IOTLB hit rate %.1f%% against %.1f%%, device wait p99 %d against %d " +
            "cycles); but with 2 MiB pages %.1f%% of its DMA is refused (RMP_PAGE_FAULT).", offered, smallRate, hugeRate,
            hugeRate == 0 ? 0 : (smallRate - hugeRate) * 100 / hugeRate, hitRate(small), hitRate(huge),
            small.statistics().deviceWait().getValueAtPercentile(99), huge.statistics().deviceWait().getValueAtPercentile(99),
            dma == 0 ? 0 : huge.statistics().faults() * 100.0 / dma);
    }

    private static double hitRate(final ReplayResult result)
    {
        final long dma = result.statistics().dmaRequests();
        return dma == 0 ? 0 : result.statistics().iotlbHits() * 100.0 / dma;
    }

    private static String outcome(final PageSizePolicy policy)
    {
        final SparseMemory memory = new SparseMemory();
        final RmpTable rmp = RmpTable.contiguousCovering(memory, RMP_BASE, 1L << 30);
        final PageStateConversion conversion = new PageStateConversion(new RmpInstructions(rmp, RmpConfig.DEFAULT));
        final AmdViIommu iommu = new AmdViIommu(memory, AmdViRegisters.EFR_SNP_SUP, new DmaRmpCheck(rmp, RmpConfig.DEFAULT),
            AmdViIommu.defaultIotlb());
        final AmdViDriver driver = new AmdViDriver(iommu, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        final PageTable domain = driver.newDomain(3);
        driver.attach(DEVICE, domain, DOMAIN, true, true);
        check(domain.map(IOVA, SPA, 2L << 20, Permissions.READ_WRITE, policy) == MapStatus.OK, "map");
        check(conversion.makeShared(SPA, RmpEntry.PAGE_SIZE_2M) == 0, "RMPUPDATE shared 2M");
        check(conversion.makePrivate(SPA + PRIVATE_OFFSET, IOVA + PRIVATE_OFFSET, ASID, RmpEntry.PAGE_SIZE_4K) == 0,
            "PSMASH + RMPUPDATE private 4K");

        final RequestOutcome outcome = new RequestOutcome();
        final boolean allowed = iommu.dma(DEVICE, IOVA + BUFFER_OFFSET, true, outcome);
        final String policyName = policy.name().toLowerCase(Locale.ROOT).replace('_', '-');
        if (allowed)
        {
            return String.format("%-9s IOMMU leaf %-2s: write to IOVA %s -> SPA %s allowed (%d table pages)", policyName,
                Numbers.size(outcome.pageSizeLg2()), Numbers.hex(IOVA + BUFFER_OFFSET), Numbers.hex(outcome.outputAddress()),
                domain.tablePages());
        }
        final long[] event = new long[2];
        check(driver.nextEvent(event), "event log entry");
        return String.format("%-9s IOMMU leaf %-2s: write to IOVA %s refused: %s, event log: code 0x%x device %04x address %s " +
            "(%d table pages)", policyName, Numbers.size(outcome.pageSizeLg2()), Numbers.hex(IOVA + BUFFER_OFFSET),
            outcome.fault().faultName(), AmdViEvent.code(event[0]), AmdViEvent.deviceId(event[0]), Numbers.hex(event[1]),
            domain.tablePages());
    }

    private static void check(final boolean ok, final String step)
    {
        if (!ok)
        {
            throw new IllegalStateException("seed 001 demo: " + step + " failed");
        }
    }
}
