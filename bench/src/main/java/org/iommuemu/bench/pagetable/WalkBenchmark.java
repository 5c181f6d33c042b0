package org.iommuemu.bench.pagetable;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.Formats;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One walk through the generic walker, per format and leaf size, over a hot domain (512 leaves: every table
 * in L1) and a large one (2^20 leaves: 8 MiB of 4 KiB leaf tables, beyond L2). {@code dependent} feeds each
 * walk's output into the next input (latency); {@code independent} walks a pre-generated random sequence
 * (throughput, the out-of-order core overlaps walks).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class WalkBenchmark
{
    @Param({"amdv1:4", "x86:4", "vtd-ss:4", "ept:4"})
    public String format;

    /** log2 of the leaf size: 12 (4 KiB), 21 (2 MiB), 30 (1 GiB). */
    @Param({"12", "21", "30"})
    public int leafLg2;

    /** Mapped leaves, log2: 9 (hot) or 20 (large). */
    @Param({"9", "20"})
    public int leavesLg2;

    private PageTableFormat pageTableFormat;
    private PhysicalMemory memory;
    private long root;
    private long base;
    private long[] inputs;
    private int mask;
    private int cursor;
    private long previous;
    private final WalkResult result = new WalkResult();

    @Setup(Level.Trial)
    public void build()
    {
        pageTableFormat = Formats.parse(format);
        final SparseMemory sparse = new SparseMemory();
        final PageTable domain = new PageTable(pageTableFormat, new FrameAllocator(sparse, 0x10_0000_0000L, 1L << 32));
        memory = sparse;
        root = domain.root();
        base = 1L << 40;
        final long leaves = 1L << leavesLg2;
        final long size = 1L << leafLg2;
        for (long i = 0; i < leaves; i++)
        {
            final MapStatus status = domain.map(base + i * size, i * size, size, Permissions.READ_WRITE, size);
            if (status != MapStatus.OK)
            {
                throw new IllegalStateException("setup map failed: " + status + " in " + pageTableFormat);
            }
        }
        final int count = 1 << 16;
        mask = count - 1;
        inputs = new long[count];
        final Random random = new Random(42);
        for (int i = 0; i < count; i++)
        {
            inputs[i] = base + ((random.nextLong() & (leaves - 1)) << leafLg2) + (random.nextInt(1 << 12) & -8);
        }
        if (!Walker.walk(pageTableFormat, memory, root, inputs[0], Permissions.READ, Permissions.ALL, result))
        {
            throw new IllegalStateException("setup walk failed: " + result);
        }
    }

    @Benchmark
    public long independent()
    {
        Walker.walk(pageTableFormat, memory, root, inputs[cursor++ & mask], Permissions.READ, Permissions.ALL, result);
        return result.outputAddress();
    }

    @Benchmark
    public long dependent()
    {
        // The next input's index depends on the previous walk's output: walks cannot overlap.
        final int index = (int)((previous >>> 3) + cursor++) & mask;
        Walker.walk(pageTableFormat, memory, root, inputs[index], Permissions.READ, Permissions.ALL, result);
        previous = result.outputAddress() & 7;
        return previous;
    }
}
