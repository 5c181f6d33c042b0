package org.iommuemu.bench.pagetable;

import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The control for {@link WalkBenchmark}: a hand-written 4-level radix walk of 512 mapped 4 KiB pages held in
 * one direct buffer (index, load, present test, address mask per level), with no format SPI, no sparse memory,
 * no listener and no result object. It is the physical floor of a hot walk on this machine; the generic
 * walker's cost is quoted as a ratio to it from the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class WalkBaselineBenchmark
{
    private static final long PRESENT = 1;
    private static final long ADDRESS = 0x000F_FFFF_FFFF_F000L;

    private UnsafeBuffer tables;
    private long[] inputs;
    private int cursor;
    private long previous;

    @Setup(Level.Trial)
    public void build()
    {
        // Four tables: PML4 at 0, PDPT at 4K, PD at 8K, PT at 12K; 512 pages at IOVA 1 TiB.
        tables = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4 * 4096, 4096));
        final long base = 1L << 40;
        tables.putLong(index(base, 3) * 8, 0x1000 | PRESENT, ByteOrder.LITTLE_ENDIAN);
        tables.putLong(0x1000 + index(base, 2) * 8, 0x2000 | PRESENT, ByteOrder.LITTLE_ENDIAN);
        tables.putLong(0x2000 + index(base, 1) * 8, 0x3000 | PRESENT, ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 512; i++)
        {
            tables.putLong(0x3000 + i * 8, ((long)i << 12) | PRESENT, ByteOrder.LITTLE_ENDIAN);
        }
        inputs = new long[1 << 16];
        final Random random = new Random(42);
        for (int i = 0; i < inputs.length; i++)
        {
            inputs[i] = base + ((long)random.nextInt(512) << 12) + (random.nextInt(4096) & -8);
        }
    }

    private static int index(final long iova, final int level)
    {
        return (int)((iova >>> (12 + 9 * level)) & 511);
    }

    private long walk(final long iova)
    {
        long table = 0;
        for (int level = 3; level >= 0; level--)
        {
            final long entry = tables.getLong((int)table + index(iova, level) * 8, ByteOrder.LITTLE_ENDIAN);
            if ((entry & PRESENT) == 0)
            {
                return -1;
            }
            table = entry & ADDRESS;
        }
        return table | (iova & 0xFFF);
    }

    @Benchmark
    public long independent()
    {
        return walk(inputs[cursor++ & (inputs.length - 1)]);
    }

    @Benchmark
    public long dependent()
    {
        final int index = (int)((previous >>> 3) + cursor++) & (inputs.length - 1);
        previous = walk(inputs[index]) & 7;
        return previous;
    }
}
