package org.iommuemu.bench.tlp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.PcapngTraceReader;
import org.iommuemu.tlp.trace.PcapngTraceWriter;
import org.iommuemu.tlp.trace.TraceRecord;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Trace read rate from a memory-mapped pcapng (issue 3 target: at least 1 GB/s on one core).
 * <p>
 * Setup writes a pcie-tlp pcapng of {@code fileMiB} MiB to the temporary directory with {@link TraceGenerator}
 * (NVMe reads from 4 devices, Max_Payload_Size 256, half the operations with PASID, half the devices with the
 * IDE prefix: mostly 288-byte TLPs, mean block about 310 bytes); it is read once so it sits in the page cache,
 * and deleted at tear-down. Each invocation of {@link #readFile} opens a {@link PcapngTraceReader} (Chronicle
 * Bytes memory map), reads and decodes every record to the end (each {@code next()} checks the block, parses
 * the pseudo-header and fully decodes the TLP), sums a field of each, and closes the reader.
 * <p>
 * How bytes/s is reported: Mode.Throughput with an {@link AuxCounters} state. The primary score
 * ({@code readFile}, ops/s) is files per second; the secondary {@code readFile:bytes} is file bytes per second
 * (the whole pcapng, headers included; divide by 1e9 for GB/s, target &gt;= 1) and {@code readFile:records} is
 * records per second. {@code -prof gc} shows the allocation per file (the open; nothing per record).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class TraceReadBenchmark
{
    /** Counters that JMH turns into rates per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters
    {
        /** File bytes read. */
        public long bytes;
        /** Records read and decoded. */
        public long records;

        @Setup(Level.Iteration)
        public void reset()
        {
            bytes = 0;
            records = 0;
        }
    }

    @Param({"128"})
    public int fileMiB;

    private Path file;
    private long fileBytes;
    private long recordCount;

    @Setup(Level.Trial)
    public void write() throws IOException
    {
        file = Files.createTempFile("iommu-emu-bench-", ".pcapng");
        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NVME_READ)
            .devices(4).footprint(1L << 30).pasidFraction(0.5).teeFraction(0.5).seed(42));
        final long target = (long)fileMiB << 20;
        try (PcapngTraceWriter writer = new PcapngTraceWriter(file, TraceRecord.NANOSECONDS))
        {
            final TraceRecord record = new TraceRecord();
            long approximate = 0;
            while (approximate < target)
            {
                generator.next(record);
                writer.write(record);
                approximate += 36 + record.capturedLength();
            }
        }
        fileBytes = Files.size(file);
        final long[] result = read();
        recordCount = result[0];
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException
    {
        Files.deleteIfExists(file);
    }

    private long[] read() throws IOException
    {
        long records = 0;
        long sum = 0;
        try (PcapngTraceReader reader = new PcapngTraceReader(file, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                final TraceRecord record = reader.record();
                sum += record.tlp().dataLength() + record.timestamp();
                records++;
            }
        }
        return new long[] {records, sum};
    }

    @Benchmark
    public long readFile(final Counters counters) throws IOException
    {
        long sum = 0;
        long records = 0;
        try (PcapngTraceReader reader = new PcapngTraceReader(file, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                final TraceRecord record = reader.record();
                sum += record.tlp().dataLength() + record.timestamp();
                records++;
            }
        }
        if (records != recordCount)
        {
            throw new IllegalStateException("read " + records + " records, expected " + recordCount);
        }
        counters.records += records;
        counters.bytes += fileBytes;
        return sum;
    }
}
