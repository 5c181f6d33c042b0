package org.iommuemu.bench.replay;

import java.io.StringReader;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.bench.Failures;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.replay.Replay;
import org.iommuemu.emulator.replay.ReplayRecord;
import org.iommuemu.emulator.replay.TlpRequests;
import org.iommuemu.emulator.replay.TrafficClass;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.TraceRecord;
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
 * The replay pipeline per TLP, stage by stage, on 4096 generated TLPs held in memory (decoded once at setup unless
 * the benchmark decodes them itself):
 * <ul>
 * <li>{@code decode}: the TLP decoder alone;</li>
 * <li>{@code classify}: TLP -> {@link DmaRequest} ({@link TlpRequests});</li>
 * <li>{@code translate}: the IOMMU model's {@link IommuPort#handle} on the already converted requests;</li>
 * <li>{@code pipeline}: {@link Replay#step}: classify, timeline check, translate, timing model, statistics;</li>
 * <li>{@code endToEnd}: decode + {@link Replay#step}, the whole per-TLP cost of replaying an in-memory trace.</li>
 * <li>{@code stream}: the same as a trace reader feeds it: one {@link TraceRecord} re-pointed at each TLP of one
 * contiguous buffer, decoded, then {@link Replay#step} (the distinct records of {@code endToEnd} add the cache
 * misses of 4096 record object graphs, which a reader does not have).</li>
 * </ul>
 * The converted requests of {@code translate} are allocated one after the other, apart from the records, so the
 * benchmark measures the translation rather than cache misses on requests scattered through the setup's heap.
 * Platforms ({@code platform}): {@code hit} maps the 4 MiB footprint with 2 MiB pages (every translation an IOTLB
 * hit after warm-up); {@code miss4K} maps 1 GiB with 4 KiB pages under random traffic, so almost every request
 * misses the 64-entry IOTLB and walks 4 levels; {@code snp} is {@code hit} with SEV-SNP RMP checks on every DMA.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class ReplayBenchmark
{
    private static final int RECORDS = 4096;

    @Param({"hit", "miss4K", "snp"})
    public String platform;

    private TraceRecord[] records;
    private DmaRequest[] requests;
    private final TraceRecord streamRecord = new TraceRecord();
    private UnsafeBuffer streamBuffer;
    private int[] streamOffsets;
    private int[] streamLengths;
    private long[] streamTimestamps;
    private int[] streamExponents;
    private Direction[] streamDirections;
    private final RequestOutcome outcome = new RequestOutcome();
    private final DmaRequest scratch = new DmaRequest();
    private IommuPort port;
    private Replay replay;
    private int cursor;
    private long index;
    /** Timed translations that faulted (every request is mapped; checked per iteration). */
    private long failures;

    @Setup(Level.Trial)
    public void build()
    {
        final boolean miss = platform.equals("miss4K");
        final boolean snp = platform.equals("snp");
        final String yaml = String.join("\n",
            "name: bench-" + platform,
            "platform: {iommu: amdvi, profile: amd, snp: " + snp + "}",
            snp ? "rmp: {base: 0x200000000, covers: 8G}" : "",
            "domains:",
            "  - id: 1",
            "    levels: 4",
            "    policy: " + (miss ? "forced-4k" : "huge"),
            "    mappings: [{iova: 0x100000000, spa: 0x100000000, size: " + (miss ? "1G" : "4M") + "}]",
            "devices: [{requester: 0x1000, domain: 1}]",
            "");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "bench.yaml", null);
        final Platform built = Platform.build(scenario);
        port = built.port();
        replay = new Replay(built);

        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config()
            .workload(miss ? Workload.RANDOM : Workload.STRIDED)
            .footprint(miss ? 1L << 30 : 4L << 20).seed(7));
        records = new TraceRecord[RECORDS];
        final byte[][] tlps = new byte[RECORDS][];
        final TraceRecord generated = new TraceRecord();
        int total = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            generator.next(generated);
            final byte[] bytes = new byte[generated.capturedLength()];
            generated.buffer().getBytes(generated.tlpOffset(), bytes);
            tlps[i] = bytes;
            total += bytes.length;
            records[i] = new TraceRecord().set(generated.timestamp(), generated.timestampExponent(), generated.direction(), 0)
                .ide(false, false, 0).tlpBytes(false, new UnsafeBuffer(bytes), 0, bytes.length, bytes.length);
            records[i].decode();
        }
        // The requests one after the other (not interleaved with the records' objects).
        requests = new DmaRequest[RECORDS];
        for (int i = 0; i < RECORDS; i++)
        {
            requests[i] = new DmaRequest();
        }
        int dma = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            if (TlpRequests.toRequest(records[i], requests[i]) == TrafficClass.DMA)
            {
                dma++;
            }
        }
        if (dma < RECORDS / 2)
        {
            throw new IllegalStateException("setup: only " + dma + " DMA requests");
        }
        // The trace as a reader holds it: the TLPs back to back in one buffer.
        streamBuffer = new UnsafeBuffer(new byte[total]);
        streamOffsets = new int[RECORDS];
        streamLengths = new int[RECORDS];
        streamTimestamps = new long[RECORDS];
        streamExponents = new int[RECORDS];
        streamDirections = new Direction[RECORDS];
        int offset = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            streamBuffer.putBytes(offset, tlps[i]);
            streamOffsets[i] = offset;
            streamLengths[i] = tlps[i].length;
            streamTimestamps[i] = records[i].timestamp();
            streamExponents[i] = records[i].timestampExponent();
            streamDirections[i] = records[i].direction();
            offset += tlps[i].length;
        }
    }

    /**
     * Every timed operation succeeded: {@code translate}'s requests translated, and the replays of the pipeline
     * benchmarks saw no fault (the statistics count every request {@link Replay#step} translated).
     */
    @TearDown(Level.Iteration)
    public void verify()
    {
        Failures.verify(failures, "translation");
        Failures.verify(replay.statistics().faults(), "replayed DMA");
        failures = 0;
    }

    @Benchmark
    public Object decode()
    {
        return records[cursor++ & (RECORDS - 1)].decode();
    }

    @Benchmark
    public TrafficClass classify()
    {
        return TlpRequests.toRequest(records[cursor++ & (RECORDS - 1)], scratch);
    }

    @Benchmark
    public boolean translate()
    {
        final boolean ok = port.handle(requests[cursor++ & (RECORDS - 1)], outcome);
        failures += ok ? 0 : 1;
        return ok;
    }

    @Benchmark
    public ReplayRecord pipeline()
    {
        return replay.step(index++, records[cursor++ & (RECORDS - 1)]);
    }

    @Benchmark
    public ReplayRecord endToEnd()
    {
        final TraceRecord record = records[cursor++ & (RECORDS - 1)];
        record.decode();
        return replay.step(index++, record);
    }

    @Benchmark
    public ReplayRecord stream()
    {
        final int i = cursor++ & (RECORDS - 1);
        final TraceRecord record = streamRecord.set(streamTimestamps[i], streamExponents[i], streamDirections[i], 0)
            .ide(false, false, 0).tlpBytes(false, streamBuffer, streamOffsets[i], streamLengths[i], streamLengths[i]);
        record.decode();
        return replay.step(index++, record);
    }
}
