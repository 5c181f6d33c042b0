package org.iommuemu.emulator.calibration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.SplittableRandom;

import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.replay.GeneratedTraceReader;
import org.iommuemu.emulator.replay.Replay;
import org.iommuemu.emulator.replay.ReplayResult;
import org.iommuemu.emulator.replay.ResultSink;
import org.iommuemu.emulator.replay.TlpRequests;
import org.iommuemu.emulator.replay.TrafficClass;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.timing.DeviceDmaParameters;
import org.iommuemu.emulator.timing.TimingModel;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.tdx.HostReadMode;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.trace.TraceRecord;

/**
 * The published experiments, run through the models: for each {@link PublishedPoint} the model's value of the same
 * quantity (docs/timing.md, "Calibration").
 * <ul>
 * <li>pcie-bench's DMA benchmarks: an NFP-6000 ({@link DeviceDmaParameters#PCIE_BENCH_NFP6000}) attached to one
 *     domain that maps 64 MiB with 4 KiB or 2 MiB pages (or no IOMMU at all) reads or writes {@code bytes} at
 *     uniformly random, size-aligned offsets in the window, back to back: throughput is the bytes of the measured
 *     requests over the time from the first one's issue to the last one's release. The latency test sends one
 *     64-byte read at a time and averages issue to data received.</li>
 * <li>Farshin et al.'s 200 Gb/s receive: a 200 Gb/s NIC ({@link DeviceDmaParameters#NIC_200G}) receives 1500-byte
 *     packets at line rate into random 4 KiB buffers of 1 GiB of memory mapped with 4 KiB or 2 MiB pages; the value
 *     is the throughput over the throughput without an IOMMU.</li>
 * </ul>
 * Deterministic: the random offsets are seeded per point.
 */
public final class Experiments
{
    /** How many requests a point simulates: warm-up (not measured) and measured. */
    public record Budget(int warm, int measured)
    {
        /** What {@code calibrate} uses. */
        public static final Budget FULL = new Budget(2_000, 10_000);
        /** Enough for the shapes (tests, fitting). */
        public static final Budget QUICK = new Budget(800, 3_000);
    }

    private static final long IOVA = 0x1_0000_0000L;
    private static final long BENCH_MAPPED = 64L << 20;
    private static final long NIC_MAPPED = 1L << 30;
    private static final int DEVICE = 0x1000;
    private static final int NIC_PACKET = 1500;
    private static final double NIC_LINE_RATE_GBPS = 200;

    private Experiments()
    {
    }

    /** The model's value of {@code point} under {@code profile}, on {@code system}'s IOMMU. */
    public static double value(final PublishedPoint point, final TimingProfile profile, final MeasuredSystem system,
        final Budget budget)
    {
        return value(point, profile, system, budget, DeviceDmaParameters.PCIE_BENCH_NFP6000);
    }

    /** As {@link #value(PublishedPoint, TimingProfile, MeasuredSystem, Budget)} with pcie-bench's device described by {@code nfp}. */
    public static double value(final PublishedPoint point, final TimingProfile profile, final MeasuredSystem system,
        final Budget budget, final DeviceDmaParameters nfp)
    {
        switch (point.test())
        {
            case READ:
            case WRITE:
                return throughputGbps(point, profile, system.iommu(), budget, nfp);
            case LATENCY:
                return latencyNs(point, profile, system.iommu(), budget, nfp);
            case NIC_RX:
                return nicRatio(point, profile, system.iommu(), budget);
            default:
                throw new IllegalStateException("unhandled test " + point.test());
        }
    }

    private static double throughputGbps(final PublishedPoint point, final TimingProfile profile, final Scenario.IommuKind iommu,
        final Budget budget, final DeviceDmaParameters nfp)
    {
        final Replay replay = new Replay(Platform.build(bench(profile, iommu, point.iommu(), nfp)));
        final TimingModel timing = replay.timing();
        final DmaRequest request = new DmaRequest();
        final RequestOutcome outcome = new RequestOutcome();
        final SplittableRandom random = new SplittableRandom(point.window() * 31 + point.bytes());
        final boolean write = point.test() == PublishedPoint.Test.WRITE;
        final long slots = Math.max(1, point.window() / point.bytes());
        long first = -1;
        long last = 0;
        for (int i = 0; i < budget.warm() + budget.measured(); i++)
        {
            request.set(DEVICE, IOVA + random.nextLong(slots) * point.bytes(), write).length(point.bytes());
            final long released = send(replay, timing, request, outcome, point.iommu(), 0);
            if (i == budget.warm())
            {
                first = timing.issued();
            }
            if (i >= budget.warm())
            {
                last = Math.max(last, released);
            }
        }
        final double nanos = (last - first) / profile.clock().frequencyGhz();
        return (double)budget.measured() * point.bytes() * 8 / nanos;
    }

    private static double latencyNs(final PublishedPoint point, final TimingProfile profile, final Scenario.IommuKind iommu,
        final Budget budget, final DeviceDmaParameters nfp)
    {
        final Replay replay = new Replay(Platform.build(bench(profile, iommu, point.iommu(), nfp)));
        final TimingModel timing = replay.timing();
        final DmaRequest request = new DmaRequest();
        final RequestOutcome outcome = new RequestOutcome();
        final SplittableRandom random = new SplittableRandom(point.window() * 17 + 5);
        final long slots = Math.max(1, point.window() / point.bytes());
        long previous = 0;
        long total = 0;
        for (int i = 0; i < budget.warm() + budget.measured(); i++)
        {
            request.set(DEVICE, IOVA + random.nextLong(slots) * point.bytes(), false).length(point.bytes());
            final long released = send(replay, timing, request, outcome, point.iommu(), previous);
            if (i >= budget.warm())
            {
                total += released - timing.issued();
            }
            previous = released;
        }
        return total / (double)budget.measured() / profile.clock().frequencyGhz();
    }

    private static long send(final Replay replay, final TimingModel timing, final DmaRequest request, final RequestOutcome outcome,
        final PublishedPoint.Mode mode, final long earliest)
    {
        if (mode == PublishedPoint.Mode.OFF)
        {
            timing.issue(request, earliest);
            timing.completeUntranslated();
            return timing.releaseCycle();
        }
        final long released = replay.dma(request, outcome, earliest);
        if (!outcome.isOk())
        {
            throw new IllegalStateException("calibration DMA faulted: " + request + " -> " + outcome);
        }
        return released;
    }

    /** The NIC's throughput with the IOMMU ({@code point.iommu()} pages) over its throughput without one. */
    private static double nicRatio(final PublishedPoint point, final TimingProfile profile, final Scenario.IommuKind iommu,
        final Budget budget)
    {
        final long count = (long)(budget.warm() + budget.measured()) * 4;
        final Scenario scenario = nic(profile, iommu, point.iommu(), count);
        final ReplayResult result;
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()))
        {
            result = new Replay(Platform.build(scenario)).run(reader, ResultSink.NONE, Replay.ProgressListener.NONE);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        if (result.statistics().faults() != 0)
        {
            throw new IllegalStateException("calibration NIC traffic faulted: " + result.statistics().faultsByKind());
        }
        return result.throughputGBps() / nicWithoutIommu(profile, scenario.traffic());
    }

    /** The NIC's throughput in GB/s when nothing translates its DMA: the device side alone. */
    private static double nicWithoutIommu(final TimingProfile profile, final Scenario.TrafficSpec traffic)
    {
        final TimingModel timing = new TimingModel(profile, address -> false);
        timing.device(DEVICE, DeviceDmaParameters.NIC_200G, false);
        final DmaRequest request = new DmaRequest();
        long bytes = 0;
        long first = -1;
        long last = 0;
        final GeneratedTraceReader reader = new GeneratedTraceReader(traffic);
        while (reader.next())
        {
            final TraceRecord record = reader.record();
            if (TlpRequests.toRequest(record, request) != TrafficClass.DMA)
            {
                continue;
            }
            final long earliest = timing.nanosToCycles(record.timestampIn(TraceRecord.NANOSECONDS));
            first = first < 0 ? earliest : Math.min(first, earliest);
            timing.issue(request, earliest);
            timing.completeUntranslated();
            last = Math.max(last, timing.releaseCycle());
            bytes += request.length();
        }
        return bytes / ((last - first) / profile.clock().frequencyGhz());
    }

    /** pcie-bench's setup: the NFP attached to one domain mapping 64 MiB with the mode's pages. */
    static Scenario bench(final TimingProfile profile, final Scenario.IommuKind iommu, final PublishedPoint.Mode mode,
        final DeviceDmaParameters nfp)
    {
        return scenario("pcie-bench", profile, iommu, mode, BENCH_MAPPED, nfp, null);
    }

    /** Farshin et al.'s setup: a 200 Gb/s NIC receiving 1500-byte packets at line rate into 1 GiB of buffers. */
    static Scenario nic(final TimingProfile profile, final Scenario.IommuKind iommu, final PublishedPoint.Mode mode, final long count)
    {
        final Scenario.TrafficSpec traffic = new Scenario.TrafficSpec(null, Workload.NIC_RX, 1, NIC_MAPPED, IOVA, count, 3,
            NIC_PACKET, 0, 0, NIC_LINE_RATE_GBPS);
        return scenario("nic-200g", profile, iommu, mode, NIC_MAPPED, DeviceDmaParameters.NIC_200G, traffic);
    }

    private static Scenario scenario(final String name, final TimingProfile profile, final Scenario.IommuKind iommu,
        final PublishedPoint.Mode mode, final long mapped, final DeviceDmaParameters dma, final Scenario.TrafficSpec traffic)
    {
        final Scenario.PlatformSpec platform = iommu == Scenario.IommuKind.AMDVI ?
            Scenario.PlatformSpec.amdvi(profile, false, RmpConfig.DEFAULT) :
            new Scenario.PlatformSpec(iommu, profile, false, RmpConfig.DEFAULT, Scenario.VtdMode.LEGACY, false,
                UntrustedDmaRule.DEFAULT, HostReadMode.ZEROS);
        final PageSizePolicy policy = mode == PublishedPoint.Mode.PAGES_2M ? PageSizePolicy.LARGEST : PageSizePolicy.FORCED_4K;
        return new Scenario(name, "calibration", "calibration", null, platform, null, null,
            List.of(new Scenario.DomainSpec(1, 4, policy, List.of(new Scenario.Mapping(IOVA, IOVA, mapped, Permissions.READ_WRITE)),
                Scenario.KvmEpt.NONE, 0)),
            List.of(new Scenario.DeviceSpec(DEVICE, 1, Permissions.READ_WRITE, false, dma, 0)), List.of(), traffic);
    }
}
