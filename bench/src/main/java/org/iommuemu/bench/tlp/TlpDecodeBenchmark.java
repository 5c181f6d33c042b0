package org.iommuemu.bench.tlp;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.bench.Failures;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpDecoder;
import org.iommuemu.tlp.TlpEncoder;
import org.iommuemu.tlp.TlpError;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.trace.TraceRecord;
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
 * Header decode rate of {@link TlpDecoder} (issue 3 target: at least 50 M TLPs/s on one core, i.e. at most
 * 20 ns per TLP, and 0 B/op: run with {@code -prof gc}, as {@code bin/bench} does, and read
 * {@code gc.alloc.rate.norm}).
 * <p>
 * The input is {@value #TLPS} TLPs encoded once, back to back, in one direct buffer (about 0.5 MiB, so it stays in
 * L2/L3 and the figure is the decoder's, not memory's): a mix of NIC RX, NVMe read and random DMA from 4 devices,
 * half the operations with a PASID prefix and half the devices with an IDE prefix (T bit), 3DW and 4DW headers,
 * plus every 16th TLP an ATS Translation Request and every 16th (shifted by 8) a CplD carrying a Translation
 * Completion ({@code mix = mixed}; {@code uniform} is the control, see {@link #mix}). Each decode validates the TLP (kind table, prefixes,
 * Length against the bytes present, 4 GiB rule)
 * and points the flyweights; the benchmark then reads two decoded fields so nothing is dead code.
 * <ul>
 * <li>{@link #decodeAverage}: Mode.AverageTime, {@code @OperationsPerInvocation(TLPS)} over the whole buffer:
 * the score is ns per TLP.</li>
 * <li>{@link #decodeThroughput}: the same loop in Mode.Throughput with ops/us: the score is millions of TLPs per
 * second (target &gt;= 50).</li>
 * <li>{@link #decodeOne}: one TLP per invocation (cursor over the buffer), ns/op including JMH's per-call
 * overhead; an upper bound of the above.</li>
 * </ul>
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class TlpDecodeBenchmark
{
    /** TLPs in the pre-encoded buffer (a power of two). */
    public static final int TLPS = 4096;

    /**
     * {@code mixed}: the realistic mix described above (branches on kind, prefixes and header size are not
     * predictable). {@code uniform}: strided 256-byte DMA without prefixes, alternating MWr64 and MRd64 (the
     * same work with predictable branches), to tell decode work from branch-misprediction cost.
     */
    @Param({"mixed", "uniform"})
    public String mix;

    private UnsafeBuffer buffer;
    private int[] offsets;
    private int[] lengths;
    private final Tlp tlp = new Tlp();
    private int cursor;
    /** Timed decodes that returned an error (every TLP is valid; checked per iteration). */
    private long failures;

    @Setup(Level.Trial)
    public void encode()
    {
        final UnsafeBuffer staging = new UnsafeBuffer(ByteBuffer.allocateDirect(TLPS * 8192 / 8));
        offsets = new int[TLPS];
        lengths = new int[TLPS];
        final TraceGenerator[] generators = {
            generator(Workload.NIC_RX, 1), generator(Workload.NVME_READ, 2), generator(Workload.RANDOM, 3)};
        final TraceGenerator uniform = new TraceGenerator(new TraceGenerator.Config().workload(Workload.STRIDED)
            .transferSize(256).stride(256).seed(4));
        final TlpEncoder encoder = new TlpEncoder();
        final TraceRecord record = new TraceRecord();
        int at = 0;
        for (int i = 0; i < TLPS; i++)
        {
            final int length;
            if ("uniform".equals(mix))
            {
                uniform.next(record);
                length = record.capturedLength();
                staging.putBytes(at, record.buffer(), record.tlpOffset(), length);
            }
            else if ((i & 15) == 0)
            {
                length = encoder.translationRequest(staging, at, 0x1000 + i, i & 0xFF, 0x7_0000_0000L + ((long)i << 12), 1, false);
            }
            else if ((i & 15) == 8)
            {
                length = encoder.translationCompletion(staging, at, 0, 0x1000 + i, i & 0xFF, 1);
            }
            else
            {
                generators[i % generators.length].next(record);
                length = record.capturedLength();
                staging.putBytes(at, record.buffer(), record.tlpOffset(), length);
            }
            offsets[i] = at;
            lengths[i] = length;
            at += length;
        }
        buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(at));
        buffer.putBytes(0, staging, 0, at);
        for (int i = 0; i < TLPS; i++)
        {
            if (TlpError.NONE != TlpDecoder.decode(buffer, offsets[i], lengths[i], tlp))
            {
                throw new IllegalStateException("setup TLP " + i + " does not decode: " + tlp.error());
            }
        }
    }

    private static TraceGenerator generator(final Workload workload, final long seed)
    {
        return new TraceGenerator(new TraceGenerator.Config().workload(workload).devices(4).footprint(1L << 30)
            .hugePageFraction(0.5).teeFraction(0.5).pasidFraction(0.5).seed(seed));
    }

    @TearDown(Level.Iteration)
    public void verify()
    {
        Failures.verify(failures, "TLP decode");
        failures = 0;
    }

    private long decodeAll()
    {
        long sum = 0;
        final UnsafeBuffer buffer = this.buffer;
        final int[] offsets = this.offsets;
        final int[] lengths = this.lengths;
        final Tlp tlp = this.tlp;
        long failures = 0;
        for (int i = 0; i < TLPS; i++)
        {
            failures += TlpDecoder.decode(buffer, offsets[i], lengths[i], tlp) == TlpError.NONE ? 0 : 1;
            sum += tlp.dataLength() + tlp.kind().ordinal();
        }
        this.failures += failures;
        return sum;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(TLPS)
    public long decodeAverage()
    {
        return decodeAll();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(TLPS)
    public long decodeThroughput()
    {
        return decodeAll();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int decodeOne()
    {
        final int i = cursor++ & (TLPS - 1);
        failures += TlpDecoder.decode(buffer, offsets[i], lengths[i], tlp) == TlpError.NONE ? 0 : 1;
        return tlp.dataLength() + tlp.kind().ordinal();
    }
}
