package org.iommuemu.emulator.replay;

import org.iommuemu.emulator.scenario.Scenario.TrafficSpec;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * A {@link TraceReader} over the trace generator: a scenario's generated traffic replays without a file, and a
 * 100-million-TLP run needs no disk. Deterministic for the spec's seed (the same TLPs as {@code trace gen} with
 * the same options).
 */
public final class GeneratedTraceReader implements TraceReader
{
    private final TraceGenerator generator;
    private final TraceRecord record = new TraceRecord();
    private final TraceSummary summary = new TraceSummary();
    private final long count;
    private long produced;

    public GeneratedTraceReader(final TrafficSpec spec)
    {
        this(new TraceGenerator(new TraceGenerator.Config().workload(spec.workload()).devices(spec.devices())
            .footprint(spec.footprint()).baseAddress(spec.baseAddress()).seed(spec.seed()).transferSize(spec.transferSize())
            .pasidFraction(spec.pasidFraction()).teeFraction(spec.teeFraction()).guestCpuFraction(spec.guestCpuFraction())
            .guestCBit(spec.guestCBit()).pageRequests(spec.pageRequests())
            .pasids(spec.pasids().stream().mapToInt(Integer::intValue).toArray()).flit(spec.flit()).lineRateGbps(spec.lineRateGbps())),
            spec.count());
    }

    public GeneratedTraceReader(final TraceGenerator generator, final long count)
    {
        this.generator = generator;
        this.count = count;
    }

    public boolean next()
    {
        if (produced == count)
        {
            return false;
        }
        generator.next(record);
        record.position(produced, -1);
        produced++;
        summary.onDecoded(false);
        return true;
    }

    public TraceRecord record()
    {
        return record;
    }

    public TraceSummary summary()
    {
        return summary;
    }

    /** TLPs this reader will produce in all. */
    public long count()
    {
        return count;
    }

    public String source()
    {
        return "generated traffic";
    }

    public void close()
    {
    }
}
