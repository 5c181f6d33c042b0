package org.iommuemu.bench.rmp;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.bench.Failures;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.HostRmpCheck;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpPageFaultEvent;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpState;
import org.iommuemu.rmp.RmpTable;
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
 * The RMP on its hot and its management paths: the IOMMU DMA check (4 KiB and 2 MiB leaves) and the host
 * write check at random addresses over {@code footprintMiB} of a 1 GiB RMP-covered range where every
 * eighth page is private (1 MiB: 4 KiB of RMP entries, hot in L1; 64 MiB: 256 KiB of entries, L2); PSMASH
 * of a 2 MiB private entry (the 2 MiB entries are rebuilt between invocations, outside the measurement)
 * and RMPUPDATE.
 * <p>
 * The 2 MiB-leaf checks use the default large-leaf rule ({@code REGION_2M}: the target's entry and the region's
 * first entry, two reads at most). {@code dmaCheck2M} runs in the mixed range, where every region holds private
 * pages, so every check takes the fault path (the event is written); {@code dmaCheck2MShared} runs the same
 * offsets in an all-shared range above it, where every check is allowed. Every check's outcome is compared with
 * the one the layout implies (counted as a failure otherwise, checked per iteration).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class RmpBenchmark
{
    static final long RMP_BASE = 0x8000_0000L;
    static final long COVERED = 1L << 30;
    static final int ASID = 5;
    static final int REGIONS = 256;
    /** Above the mixed range: shared 4 KiB entries only (RMPUPDATE never touched them). */
    static final long SHARED_BASE = 128L << 20;

    @State(Scope.Thread)
    public static class Checks
    {
        @Param({"1", "64"})
        public int footprintMiB;

        final SparseMemory memory = new SparseMemory();
        RmpTable table;
        DmaRmpCheck dma;
        HostRmpCheck host;
        RmpInstructions instructions;
        final RmpState state = new RmpState().wrap(new UnsafeBuffer(new byte[RmpState.LENGTH]), 0);
        /** Timed RMPUPDATEs that did not succeed (checked per iteration). */
        long failures;
        final RmpPageFaultEvent event = new RmpPageFaultEvent().wrap(new UnsafeBuffer(new byte[RmpPageFaultEvent.LENGTH]), 0);
        long[] addresses;
        /** The DMA check's outcome through a 4 KiB leaf at each address: every eighth page is private. */
        int[] expected4K;
        int cursor;

        @TearDown(Level.Iteration)
        public void verify()
        {
            Failures.verify(failures, "RMPUPDATE or DMA check");
            failures = 0;
        }

        @Setup(Level.Trial)
        public void build()
        {
            table = RmpTable.contiguousCovering(memory, RMP_BASE, COVERED);
            instructions = new RmpInstructions(table, RmpConfig.DEFAULT);
            dma = new DmaRmpCheck(table, RmpConfig.DEFAULT);
            host = new HostRmpCheck(table);
            // Every eighth page of the first 64 MiB is private (a guest's mixed shared/private layout).
            for (long spa = 0; spa < (64L << 20); spa += 8 * 4096)
            {
                state.clear().gpa(spa).assigned(1).pageSize(RmpEntry.PAGE_SIZE_4K).asid(ASID);
                check(instructions.rmpupdate(spa, state), "rmpupdate");
            }
            addresses = new long[1 << 14];
            expected4K = new int[addresses.length];
            final Random random = new Random(7);
            for (int i = 0; i < addresses.length; i++)
            {
                addresses[i] = (random.nextLong() & (((long)footprintMiB << 20) - 1)) & -8L;
                expected4K[i] = (addresses[i] >>> 12) % 8 == 0 ? DmaRmpCheck.FAULT_ASSIGNED : DmaRmpCheck.ALLOWED;
            }
        }
    }

    /** 2 MiB private entries, rebuilt before each invocation so every PSMASH meets a 2 MiB entry. */
    @State(Scope.Thread)
    public static class Regions
    {
        final SparseMemory memory = new SparseMemory();
        RmpInstructions instructions;
        final RmpState state = new RmpState().wrap(new UnsafeBuffer(new byte[RmpState.LENGTH]), 0);
        /** Timed PSMASHes that did not succeed (checked per iteration). */
        long failures;

        @TearDown(Level.Iteration)
        public void verify()
        {
            Failures.verify(failures, "PSMASH");
            failures = 0;
        }

        @Setup(Level.Trial)
        public void build()
        {
            instructions = new RmpInstructions(RmpTable.contiguousCovering(memory, RMP_BASE, COVERED), RmpConfig.DEFAULT);
        }

        @Setup(Level.Invocation)
        public void rebuild()
        {
            for (int i = 0; i < REGIONS; i++)
            {
                final long spa = (long)i << 21;
                state.clear().pageSize(RmpEntry.PAGE_SIZE_4K);
                for (long page = 0; page < (1 << 21); page += 4096)
                {
                    check(instructions.rmpupdate(spa + page, state), "rmpupdate shared");
                }
                state.clear().gpa(spa).assigned(1).pageSize(RmpEntry.PAGE_SIZE_2M).asid(ASID);
                check(instructions.rmpupdate(spa, state), "rmpupdate 2M");
            }
        }
    }

    @Benchmark
    public int dmaCheck4K(final Checks s)
    {
        final int i = s.cursor++ & (s.addresses.length - 1);
        final long spa = s.addresses[i];
        final int outcome = s.dma.check(spa, 12, true, 0x100, spa, s.event);
        s.failures += outcome == s.expected4K[i] ? 0 : 1;
        return outcome;
    }

    /** Through a 2 MiB leaf in the mixed range: every region holds private pages, so every check faults. */
    @Benchmark
    public int dmaCheck2M(final Checks s)
    {
        final long spa = s.addresses[s.cursor++ & (s.addresses.length - 1)];
        final int outcome = s.dma.check(spa, 21, true, 0x100, spa, s.event);
        s.failures += outcome != DmaRmpCheck.ALLOWED ? 0 : 1;
        return outcome;
    }

    /** Through a 2 MiB leaf in the all-shared range: every check is allowed. */
    @Benchmark
    public int dmaCheck2MShared(final Checks s)
    {
        final long spa = SHARED_BASE + s.addresses[s.cursor++ & (s.addresses.length - 1)];
        final int outcome = s.dma.check(spa, 21, true, 0x100, spa, s.event);
        s.failures += outcome == DmaRmpCheck.ALLOWED ? 0 : 1;
        return outcome;
    }

    @Benchmark
    public long hostWriteCheck(final Checks s)
    {
        return s.host.check(s.addresses[s.cursor++ & (s.addresses.length - 1)], true, 12);
    }

    /** RMPUPDATE of a 4 KiB page: private, then back to shared (two instructions per operation). */
    @Benchmark
    @OperationsPerInvocation(2)
    public int rmpupdate4KPrivateThenShared(final Checks s)
    {
        final long spa = (64L << 20) + ((long)(s.cursor++ & 0x3FFF) << 12);
        s.state.clear().gpa(spa).assigned(1).pageSize(RmpEntry.PAGE_SIZE_4K).asid(ASID);
        final int first = s.instructions.rmpupdate(spa, s.state);
        s.state.clear().pageSize(RmpEntry.PAGE_SIZE_4K);
        final int second = s.instructions.rmpupdate(spa, s.state);
        s.failures += (first == RmpReturnCode.SUCCESS ? 0 : 1) + (second == RmpReturnCode.SUCCESS ? 0 : 1);
        return first + second;
    }

    @Benchmark
    @OperationsPerInvocation(REGIONS)
    public int psmash(final Regions s)
    {
        int failures = 0;
        for (int i = 0; i < REGIONS; i++)
        {
            failures += s.instructions.psmash((long)i << 21) == RmpReturnCode.SUCCESS ? 0 : 1;
        }
        s.failures += failures;
        return failures;
    }

    static void check(final int code, final String what)
    {
        if (code != RmpReturnCode.SUCCESS)
        {
            throw new IllegalStateException(what + " failed with " + code);
        }
    }
}
