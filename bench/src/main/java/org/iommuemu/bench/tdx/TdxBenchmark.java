package org.iommuemu.bench.tdx;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.iommuemu.bench.Failures;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.tdx.HostReadMode;
import org.iommuemu.tdx.PageInfo;
import org.iommuemu.tdx.SeamcallResult;
import org.iommuemu.tdx.SecureEptEntry;
import org.iommuemu.tdx.TdxModule;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tdx.TrustDomain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The TDX module model: TDH.MEM.PAGE.DEMOTE (2 MiB -> 512 x 4 KiB) and TDH.MEM.PAGE.PROMOTE on a batch of
 * distinct 2 MiB private pages (each blocked and TLB-tracked beforehand, outside the measurement, as the
 * module requires), and a hot 4-level S-EPT walk over 512 accepted 4 KiB private pages.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class TdxBenchmark
{
    static final long TDR = 0x10_0000L;
    static final long SEPT_ROOT = 0x10_1000L;
    static final long SEPT_PAGES = 0x100_0000L;
    static final long SHARED_EPT_POOL = 0x7_0000_0000L;
    static final long HUGE_PAGES = 0x1_0000_0000L;
    static final long DATA_PAGES = 0x4000_0000L;
    static final int PAGES = 128;

    /** A finalized TD with an S-EPT; S-EPT pages are handed out as the VMM would. */
    @State(Scope.Thread)
    public static class Td
    {
        final SparseMemory memory = new SparseMemory();
        final SeamcallResult out = new SeamcallResult();
        TdxModule module;
        TrustDomain td;
        long nextSeptPage = SEPT_PAGES;
        /** Timed SEAMCALLs that did not return TDX_SUCCESS, and timed walks that faulted (checked per iteration). */
        long failures;

        @TearDown(Level.Iteration)
        public void verify()
        {
            Failures.verify(failures, getClass().getSimpleName() + " TDX");
            failures = 0;
        }

        void create()
        {
            module = new TdxModule(memory, HostReadMode.ZEROS);
            ok(module.createTd(TDR, SEPT_ROOT, TrustDomain.GPAW_48, 4, new FrameAllocator(memory, SHARED_EPT_POOL, 16L << 20), out));
            td = module.td(TDR);
            ok(module.finalizeTd(TDR, out));
        }

        /** SEPT.ADD the missing S-EPT pages from below the root down to {@code lowestLevel} for {@code gpa}. */
        void septPath(final long gpa, final int lowestLevel)
        {
            for (int level = td.septFormat().topLevel(); level >= lowestLevel; level--)
            {
                if (SecureEptEntry.isFree(module.septEntry(td, PageInfo.encode(gpa, level))))
                {
                    final long mask = (1L << PageInfo.sizeLg2(level)) - 1;
                    ok(module.septAdd(PageInfo.encode(gpa & ~mask, level), TDR, nextSeptPage, out));
                    nextSeptPage += 4096;
                }
            }
        }

        void ok(final SeamcallResult result)
        {
            if (result.status() != TdxStatus.SUCCESS)
            {
                throw new IllegalStateException("SEAMCALL failed in benchmark setup: " + result);
            }
        }
    }

    /** {@link #PAGES} 2 MiB private pages; each has its own spare S-EPT page for DEMOTE. */
    public static class HugePages extends Td
    {
        final long[] spare = new long[PAGES];

        static long gpa(final int i)
        {
            return (long)i << 21;
        }

        void build()
        {
            create();
            for (int i = 0; i < PAGES; i++)
            {
                septPath(gpa(i), 2);
                ok(module.pageAug(PageInfo.encode(gpa(i), 1), TDR, HUGE_PAGES + gpa(i), out));
                ok(module.accept(td, PageInfo.encode(gpa(i), 1), out));
                spare[i] = nextSeptPage;
                nextSeptPage += 4096;
            }
        }

        boolean isDemoted(final int i)
        {
            return !SecureEptEntry.isLeafState(module.septEntry(td, PageInfo.encode(gpa(i), 1)));
        }

        /** Block every page's level-1 entry, then one TRACK: the precondition of both DEMOTE and PROMOTE. */
        void blockAllAndTrack()
        {
            for (int i = 0; i < PAGES; i++)
            {
                ok(module.rangeBlock(PageInfo.encode(gpa(i), 1), TDR, out));
            }
            ok(module.track(TDR, out));
        }
    }

    @State(Scope.Thread)
    public static class DemoteReady extends HugePages
    {
        @Setup(Level.Trial)
        public void trial()
        {
            build();
        }

        @Setup(Level.Invocation)
        public void restore()
        {
            if (isDemoted(0))
            {
                blockAllAndTrack();
                for (int i = 0; i < PAGES; i++)
                {
                    ok(module.pagePromote(PageInfo.encode(gpa(i), 1), TDR, out));
                }
            }
            blockAllAndTrack();
        }
    }

    @State(Scope.Thread)
    public static class PromoteReady extends HugePages
    {
        @Setup(Level.Trial)
        public void trial()
        {
            build();
        }

        @Setup(Level.Invocation)
        public void restore()
        {
            if (!isDemoted(0))
            {
                blockAllAndTrack();
                for (int i = 0; i < PAGES; i++)
                {
                    ok(module.pageDemote(PageInfo.encode(gpa(i), 1), TDR, spare[i], out));
                }
            }
            blockAllAndTrack();
        }
    }

    /** 512 accepted 4 KiB private pages, walked through the 4-level S-EPT. */
    @State(Scope.Thread)
    public static class SmallPages extends Td
    {
        final WalkResult result = new WalkResult();
        long[] inputs;
        int cursor;
        long previous;

        @Setup(Level.Trial)
        public void trial()
        {
            create();
            for (int i = 0; i < 512; i++)
            {
                final long gpa = 0x4000_0000L + ((long)i << 12);
                septPath(gpa, 1);
                ok(module.pageAug(PageInfo.encode(gpa, 0), TDR, DATA_PAGES + ((long)i << 12), out));
                ok(module.accept(td, PageInfo.encode(gpa, 0), out));
            }
            inputs = new long[1 << 16];
            final Random random = new Random(42);
            for (int i = 0; i < inputs.length; i++)
            {
                inputs[i] = 0x4000_0000L + ((long)random.nextInt(512) << 12) + (random.nextInt(4096) & -8);
            }
            if (!module.walkSept(td, inputs[0], Permissions.READ, result))
            {
                throw new IllegalStateException("setup walk failed: " + result);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long demote2M(final DemoteReady s)
    {
        long status = 0;
        for (int i = 0; i < PAGES; i++)
        {
            final long result = s.module.pageDemote(PageInfo.encode(HugePages.gpa(i), 1), TDR, s.spare[i], s.out).status();
            s.failures += result == TdxStatus.SUCCESS ? 0 : 1;
            status |= result;
        }
        return status;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long promote2M(final PromoteReady s)
    {
        long status = 0;
        for (int i = 0; i < PAGES; i++)
        {
            final long result = s.module.pagePromote(PageInfo.encode(HugePages.gpa(i), 1), TDR, s.out).status();
            s.failures += result == TdxStatus.SUCCESS ? 0 : 1;
            status |= result;
        }
        return status;
    }

    @Benchmark
    public long septWalkDependent(final SmallPages s)
    {
        final int index = (int)((s.previous >>> 3) + s.cursor++) & (s.inputs.length - 1);
        s.failures += s.module.walkSept(s.td, s.inputs[index], Permissions.READ, s.result) ? 0 : 1;
        s.previous = s.result.outputAddress() & 7;
        return s.previous;
    }

    @Benchmark
    public long septWalkIndependent(final SmallPages s)
    {
        s.failures += s.module.walkSept(s.td, s.inputs[s.cursor++ & (s.inputs.length - 1)], Permissions.READ, s.result) ? 0 : 1;
        return s.result.outputAddress();
    }
}
