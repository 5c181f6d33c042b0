package org.iommuemu.bench.pagetable;

import java.util.concurrent.TimeUnit;

import org.iommuemu.bench.Failures;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.Formats;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The mapper's operations, each over a batch of distinct targets per invocation (so no operation repeats on a
 * table it has already changed), with the table restored between invocations outside the measurement:
 * map and unmap of 4 KiB pages, split of 2 MiB leaves to 4 KiB and of 1 GiB leaves to 2 MiB, and merge of
 * 4 KiB tables back to 2 MiB. Scores are per operation. Table pages come from the frame allocator's free
 * list (pre-touched), as in a running domain.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class MapperBenchmark
{
    static final int PAGES = 4096;
    static final int TWO_MEG_LEAVES = 1024;
    static final int ONE_GIG_LEAVES = 256;
    static final long BASE = 1L << 40;

    @State(Scope.Thread)
    public static class Domain
    {
        @Param({"amdv1:4", "x86:4", "vtd-ss:4", "ept:4"})
        public String format;

        PageTable domain;
        /** Operations of the benchmark that did not return OK (checked after each iteration). */
        long failures;

        @TearDown(Level.Iteration)
        public void verify()
        {
            Failures.verify(failures, getClass().getSimpleName() + " mapper");
            failures = 0;
        }

        void create()
        {
            final SparseMemory memory = new SparseMemory();
            final long pool = 0x10_0000_0000L;
            memory.reserve(pool, 64L << 20);
            domain = new PageTable(Formats.parse(format), new FrameAllocator(memory, pool, 1L << 32));
        }

        static void check(final MapStatus status, final String what)
        {
            if (status != MapStatus.OK)
            {
                throw new IllegalStateException(what + " failed: " + status);
            }
        }
    }

    /** 4 KiB pages: mapped for unmap, unmapped for map; the leaf tables' parents stay. */
    public static class Pages extends Domain
    {
        @Setup(Level.Trial)
        public void trial()
        {
            create();
            // A neighbour keeps the upper levels alive so each map/unmap works in an existing tree.
            check(domain.map(BASE - 4096, 0, 4096, Permissions.READ, PageSizePolicy.FORCED_4K), "neighbour");
        }

        @Setup(Level.Invocation)
        public void unmapAll()
        {
            check(domain.unmap(BASE, (long)PAGES << 12), "unmap");
        }
    }

    public static class MappedPages extends Domain
    {
        @Setup(Level.Trial)
        public void trial()
        {
            create();
            check(domain.map(BASE - 4096, 0, 4096, Permissions.READ, PageSizePolicy.FORCED_4K), "neighbour");
        }

        @Setup(Level.Invocation)
        public void mapAll()
        {
            check(domain.unmap(BASE, (long)PAGES << 12), "unmap");
            check(domain.map(BASE, 1L << 32, (long)PAGES << 12, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K), "map");
        }
    }

    /** 2 MiB leaves, merged back before each invocation. */
    public static class TwoMegLeaves extends Domain
    {
        @Setup(Level.Trial)
        public void trial()
        {
            create();
            check(domain.map(BASE, 1L << 32, (long)TWO_MEG_LEAVES << 21, Permissions.READ_WRITE, 1L << 21), "map");
        }

        @Setup(Level.Invocation)
        public void merge()
        {
            for (int i = 0; i < TWO_MEG_LEAVES; i++)
            {
                check(domain.merge(BASE + ((long)i << 21), 21), "merge");
            }
        }
    }

    /** 2 MiB leaves split to 4 KiB before each invocation. */
    public static class SplitTwoMegLeaves extends Domain
    {
        @Setup(Level.Trial)
        public void trial()
        {
            create();
            check(domain.map(BASE, 1L << 32, (long)TWO_MEG_LEAVES << 21, Permissions.READ_WRITE, 1L << 21), "map");
        }

        @Setup(Level.Invocation)
        public void split()
        {
            for (int i = 0; i < TWO_MEG_LEAVES; i++)
            {
                check(domain.split(BASE + ((long)i << 21), 12), "split");
            }
        }
    }

    /** 1 GiB leaves, merged back before each invocation. */
    public static class OneGigLeaves extends Domain
    {
        @Setup(Level.Trial)
        public void trial()
        {
            create();
            check(domain.map(BASE, 1L << 40, (long)ONE_GIG_LEAVES << 30, Permissions.READ_WRITE, 1L << 30), "map");
        }

        @Setup(Level.Invocation)
        public void merge()
        {
            for (int i = 0; i < ONE_GIG_LEAVES; i++)
            {
                check(domain.merge(BASE + ((long)i << 30), 30), "merge");
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long map4k(final Pages state)
    {
        long failures = 0;
        for (int i = 0; i < PAGES; i++)
        {
            final long offset = (long)i << 12;
            failures += state.domain.map(BASE + offset, (1L << 32) + offset, 4096, Permissions.READ_WRITE,
                PageSizePolicy.FORCED_4K) == MapStatus.OK ? 0 : 1;
        }
        state.failures += failures;
        return failures;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long unmap4k(final MappedPages state)
    {
        long failures = 0;
        for (int i = 0; i < PAGES; i++)
        {
            failures += state.domain.unmap(BASE + ((long)i << 12), 4096) == MapStatus.OK ? 0 : 1;
        }
        state.failures += failures;
        return failures;
    }

    @Benchmark
    @OperationsPerInvocation(TWO_MEG_LEAVES)
    public long split2Mto4K(final TwoMegLeaves state)
    {
        long failures = 0;
        for (int i = 0; i < TWO_MEG_LEAVES; i++)
        {
            failures += state.domain.split(BASE + ((long)i << 21), 12) == MapStatus.OK ? 0 : 1;
        }
        state.failures += failures;
        return failures;
    }

    @Benchmark
    @OperationsPerInvocation(ONE_GIG_LEAVES)
    public long split1Gto2M(final OneGigLeaves state)
    {
        long failures = 0;
        for (int i = 0; i < ONE_GIG_LEAVES; i++)
        {
            failures += state.domain.split(BASE + ((long)i << 30), 21) == MapStatus.OK ? 0 : 1;
        }
        state.failures += failures;
        return failures;
    }

    @Benchmark
    @OperationsPerInvocation(TWO_MEG_LEAVES)
    public long merge4Kto2M(final SplitTwoMegLeaves state)
    {
        long failures = 0;
        for (int i = 0; i < TWO_MEG_LEAVES; i++)
        {
            failures += state.domain.merge(BASE + ((long)i << 21), 21) == MapStatus.OK ? 0 : 1;
        }
        state.failures += failures;
        return failures;
    }
}
