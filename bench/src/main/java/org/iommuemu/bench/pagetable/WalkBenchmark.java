package org.iommuemu.bench.pagetable;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.iommuemu.bench.Failures;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One walk through the generic walker, per format, over four domains: {@code hot4K}, {@code hot2M},
 * {@code hot1G} (512 leaves of that size: every table stays in L1) and {@code sparse4K} (2^20 mapped 4 KiB
 * pages, one in every four slots, so 8192 quarter-full leaf tables: 32 MiB of tables, beyond the caches).
 * {@code dependent} feeds each walk's output into the next input (latency); {@code independent} walks a
 * pre-generated random sequence (throughput: the core overlaps walks). Compare with
 * {@link WalkBaselineBenchmark} from the same run.
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

    @Param({"hot4K", "hot2M", "hot1G", "sparse4K"})
    public String domain;

    private PageTableFormat pageTableFormat;
    private PhysicalMemory memory;
    private long root;
    private long base;
    private long[] inputs;
    private int mask;
    private int cursor;
    private long previous;
    private final WalkResult result = new WalkResult();
    /** Timed walks that faulted (every input is mapped; checked per iteration). */
    private long failures;

    @Setup(Level.Trial)
    public void build()
    {
        pageTableFormat = Formats.parse(format);
        final SparseMemory memory0 = new SparseMemory();
        final PageTable table = new PageTable(pageTableFormat, new FrameAllocator(memory0, 0x10_0000_0000L, 1L << 32));
        memory = memory0;
        root = table.root();
        base = 1L << 40;
        final int leafLg2 = switch (domain)
        {
            case "hot2M" -> 21;
            case "hot1G" -> 30;
            default -> 12;
        };
        final boolean sparse = domain.equals("sparse4K");
        final long leaves = sparse ? 1L << 20 : 512;
        final int strideLg2 = leafLg2 + (sparse ? 2 : 0);
        for (long i = 0; i < leaves; i++)
        {
            final MapStatus status = table.map(base + (i << strideLg2), i << leafLg2, 1L << leafLg2, Permissions.READ_WRITE, 1L << leafLg2);
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
            inputs[i] = base + ((random.nextLong() & (leaves - 1)) << strideLg2) + (random.nextInt(1 << 12) & -8);
        }
        if (!Walker.walk(pageTableFormat, memory, root, inputs[0], Permissions.READ, Permissions.ALL, result))
        {
            throw new IllegalStateException("setup walk failed: " + result);
        }
    }

    @TearDown(Level.Iteration)
    public void verify()
    {
        Failures.verify(failures, "walk");
        failures = 0;
    }

    @Benchmark
    public long independent()
    {
        failures += Walker.walk(pageTableFormat, memory, root, inputs[cursor++ & mask], Permissions.READ, Permissions.ALL, result) ? 0 : 1;
        return result.outputAddress();
    }

    @Benchmark
    public long dependent()
    {
        // The next input's index depends on the previous walk's output: walks cannot overlap.
        final int index = (int)((previous >>> 3) + cursor++) & mask;
        failures += Walker.walk(pageTableFormat, memory, root, inputs[index], Permissions.READ, Permissions.ALL, result) ? 0 : 1;
        previous = result.outputAddress() & 7;
        return previous;
    }
}
