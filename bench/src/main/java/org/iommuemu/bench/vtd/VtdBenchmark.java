package org.iommuemu.bench.vtd;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.iommuemu.bench.Failures;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.vtd.VtdDriver;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * VT-d translation through the platform port ({@code VtdIommu.handle}), scalable mode:
 * <ul>
 * <li>{@code secondStage}: PGTT second-stage, requests without PASID (RID_PASID);</li>
 * <li>{@code nested}: PGTT nested, requests with a PASID: a first-stage (x86) walk whose every table fetch and final
 *     GPA are translated by the second stage (identity here, 2 MiB pages), with the nested cache.</li>
 * </ul>
 * {@code pattern=hit}: 16 pages, every request an IOTLB hit after warm-up. {@code pattern=miss}: uniformly random
 * 4 KiB pages over 1 GiB (first stage and second-stage-only domains mapped with 4 KiB pages), so almost every
 * request misses the IOTLB and walks.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class VtdBenchmark
{
    private static final long IOVA = 0x4000_0000L;
    private static final long GUEST_RAM = 0x1_0000_0000L;
    private static final long GUEST_TABLES = 0x8000_0000L;
    private static final int REQUESTS = 1 << 14;
    private static final int SS_DEVICE = 0x0100;
    private static final int NESTED_DEVICE = 0x0200;
    private static final int PASID = 5;

    @Param({"secondStage", "nested"})
    public String mode;

    @Param({"hit", "miss"})
    public String pattern;

    private VtdIommu iommu;
    private DmaRequest[] requests;
    private final RequestOutcome outcome = new RequestOutcome();
    private int cursor;
    /** Timed translations that faulted (every request is mapped; checked per iteration). */
    private long failures;

    @Setup(Level.Trial)
    public void build()
    {
        final SparseMemory memory = new SparseMemory();
        iommu = VtdIommu.create(memory, VtdRegisters.defaultCap(8), VtdRegisters.defaultEcap());
        final VtdDriver driver = new VtdDriver(iommu, memory, new FrameAllocator(memory, 0x100_0000L, 16L << 20));
        driver.bringUp(true, 0, 0xFEE0_0000L);
        final FrameAllocator pool = new FrameAllocator(memory, 0x4_0000_0000L, 1L << 30);
        final boolean nested = mode.equals("nested");
        final long span = pattern.equals("hit") ? 16 * 4096L : 1L << 30;
        if (nested)
        {
            // Second stage: identity over guest RAM and the guest's table pages, 2 MiB pages.
            final PageTable ss = new PageTable(iommu.secondStageFormat(4, false), pool);
            check(ss.map(GUEST_RAM, GUEST_RAM, 1L << 30, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
            check(ss.map(GUEST_TABLES, GUEST_TABLES, 64L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
            final PageTable fs = new PageTable(iommu.firstStageFormat(4), new FrameAllocator(memory, GUEST_TABLES, 64L << 20));
            check(fs.map(IOVA, GUEST_RAM, span, Permissions.READ_WRITE | Permissions.USER, PageSizePolicy.FORCED_4K));
            driver.setScalableContext(NESTED_DEVICE, 0, true, false, false, 0);
            driver.attachNested(NESTED_DEVICE, PASID, fs.root(), 4, ss, 2, true, false);
        }
        else
        {
            final PageTable ss = new PageTable(iommu.secondStageFormat(4, false), pool);
            check(ss.map(IOVA, GUEST_RAM, span, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            driver.setScalableContext(SS_DEVICE, 0, false, false, false, 0);
            driver.attachSecondStage(SS_DEVICE, 0, ss, 1);
        }
        final SplittableRandom random = new SplittableRandom(11);
        requests = new DmaRequest[REQUESTS];
        for (int i = 0; i < REQUESTS; i++)
        {
            final long page = random.nextLong(span >>> 12);
            requests[i] = new DmaRequest().set(nested ? NESTED_DEVICE : SS_DEVICE, IOVA + (page << 12) + 64, i % 3 == 0);
            if (nested)
            {
                requests[i].pasid(PASID);
            }
        }
        for (final DmaRequest request : requests)
        {
            if (!iommu.handle(request, outcome))
            {
                throw new IllegalStateException("setup: " + request + " faulted: " + outcome);
            }
        }
    }

    @TearDown(Level.Iteration)
    public void verify()
    {
        Failures.verify(failures, "VT-d translation");
        failures = 0;
    }

    @Benchmark
    public boolean translate()
    {
        final boolean ok = iommu.handle(requests[cursor++ & (REQUESTS - 1)], outcome);
        failures += ok ? 0 : 1;
        return ok;
    }

    private static void check(final MapStatus status)
    {
        if (status != MapStatus.OK)
        {
            throw new IllegalStateException("setup map: " + status);
        }
    }
}
