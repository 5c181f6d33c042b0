package org.iommuemu.emulator.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.tdx.HostReadMode;
import org.iommuemu.tdx.UntrustedDmaRule;

/**
 * Puts the timing model's outputs beside the published figures it should reproduce (docs/timing.md, the
 * calibration table; {@code bin/iommu-emu calibrate}). Each measurement builds an AMD-Vi or VT-d platform through
 * its driver, sends requests straight into the IOMMU model and prices them with the profile:
 * <ul>
 * <li>IOTLB hit latency, and the extra latency of a miss that walks cold tables (pcie-bench: about +330 ns per
 *     IOTLB miss on a Xeon E5, UNVERIFIED in the reference);</li>
 * <li>walk cost per level: the miss latency of 3-, 4-, 5- and 6-level tables, cold and with the upper levels in
 *     the recent-lines memory model;</li>
 * <li>IOTLB reach: the hit rate of uniformly random 64-byte DMA within a window, with 4 KiB and with 2 MiB
 *     pages, for windows around the knee (pcie-bench: throughput drops beyond 64 x 4 KiB = 256 KiB with 4 KiB
 *     pages; Farshin et al.: hugepage-backed buffers fully recover the IOTLB wall).</li>
 * </ul>
 */
public final class Calibration
{
    /** One line of the table. */
    public record Row(String quantity, String model, String published, String source)
    {
    }

    private static final long IOVA = 0x1_0000_0000L;
    private static final int DEVICE = 0x1000;
    private static final int REQUESTS = 200_000;

    private Calibration()
    {
    }

    /** The calibration on the IOMMU that matches the profile: VT-d for a profile named intel, AMD-Vi otherwise. */
    public static List<Row> run(final TimingProfile profile)
    {
        return run(profile, profile.name().contains("intel") ? Scenario.IommuKind.VTD : Scenario.IommuKind.AMDVI);
    }

    public static List<Row> run(final TimingProfile profile, final Scenario.IommuKind iommu)
    {
        final double nsPerCycle = 1 / profile.clock().frequencyGhz();
        final List<Row> rows = new ArrayList<>();

        final Harness warm = new Harness(profile, iommu, 4, PageSizePolicy.FORCED_4K, 64L << 20);
        warm.send(IOVA);
        final long hit = warm.send(IOVA);
        rows.add(new Row("IOTLB hit latency (" + iommu.name().toLowerCase(Locale.ROOT) + ")", cyclesNs(hit, nsPerCycle), "-",
            "link + IOTLB lookup; gem5 tlb_lat 3 [S1]"));
        final Harness cold = new Harness(profile, iommu, 4, PageSizePolicy.FORCED_4K, 1L << 30);
        cold.send(IOVA);
        final long miss = cold.send(IOVA + 0x1234_5000L);
        rows.add(new Row("IOTLB miss extra latency (4-level walk; device entry cached, lower levels cold)",
            cyclesNs(miss - hit, nsPerCycle), "~330 ns", "pcie-bench, Neugebauer et al. SIGCOMM 2018 [S9] (UNVERIFIED)"));

        for (final int levels : iommu == Scenario.IommuKind.AMDVI ? new int[] {3, 4, 5, 6} : new int[] {3, 4})
        {
            final Harness h = new Harness(profile, iommu, levels, PageSizePolicy.FORCED_4K, 1L << 30);
            final long first = h.send(IOVA + 0x0100_0000L);
            h.send(IOVA);
            final long neighbour = h.send(IOVA + 0x0010_0000L); // shares the upper levels with IOVA
            rows.add(new Row("miss latency, " + levels + "-level table (cold / upper levels recent)",
                cyclesNs(first, nsPerCycle) + " / " + cyclesNs(neighbour, nsPerCycle), "+1 dependent fetch per level",
                "walk cost per level: walker cycles + LLC or DRAM latency (timing-perf.md 5.1)"));
        }

        for (final PageSizePolicy policy : new PageSizePolicy[] {PageSizePolicy.FORCED_4K, PageSizePolicy.LARGEST})
        {
            for (final long window : new long[] {128L << 10, 256L << 10, 512L << 10, 1L << 20, 64L << 20, 256L << 20})
            {
                final Harness h = new Harness(profile, iommu, 4, policy, Math.max(window, 2L << 20));
                final double rate = h.hitRate(window);
                rows.add(new Row(String.format(Locale.ROOT, "IOTLB hit rate, random DMA in %s, %s pages", Summary.bytes(window),
                    policy == PageSizePolicy.FORCED_4K ? "4 KiB" : "2 MiB"), String.format(Locale.ROOT, "%.1f%%", rate * 100),
                    policy == PageSizePolicy.FORCED_4K ? (window <= 256L << 10 ? "~100% (inside reach)" : "drops beyond 256 KiB") :
                        "~100% (hugepages recover)",
                    policy == PageSizePolicy.FORCED_4K ? "pcie-bench 64-entry IOTLB [S9] (UNVERIFIED)" :
                        "Farshin et al. PeerJ CS 2023 [S7]"));
            }
        }
        return rows;
    }

    private static String cyclesNs(final long cycles, final double nsPerCycle)
    {
        return String.format(Locale.ROOT, "%d cyc (%.0f ns)", cycles, cycles * nsPerCycle);
    }

    /** A one-domain AMD-Vi platform mapped at {@link #IOVA} and a request stream into it. */
    private static final class Harness
    {
        private final Replay replay;
        private final DmaRequest request = new DmaRequest();
        private final RequestOutcome outcome = new RequestOutcome();
        private long clock = 1_000_000;

        Harness(final TimingProfile profile, final Scenario.IommuKind iommu, final int levels, final PageSizePolicy policy,
            final long size)
        {
            final Scenario.PlatformSpec platform = iommu == Scenario.IommuKind.AMDVI ?
                Scenario.PlatformSpec.amdvi(profile, false, RmpConfig.DEFAULT) :
                new Scenario.PlatformSpec(iommu, profile, false, RmpConfig.DEFAULT, Scenario.VtdMode.LEGACY, false,
                    UntrustedDmaRule.DEFAULT, HostReadMode.ZEROS);
            final Scenario scenario = new Scenario("calibration", "", "calibration", null, platform, null, null,
                List.of(new Scenario.DomainSpec(1, levels, policy,
                    List.of(new Scenario.Mapping(IOVA, IOVA, size, Permissions.READ_WRITE)), Scenario.KvmEpt.NONE, 0)),
                List.of(new Scenario.DeviceSpec(DEVICE, 1, Permissions.READ_WRITE, false, 0)), List.of(), null);
            replay = new Replay(Platform.build(scenario));
        }

        /** Latency of one read of {@code address}, sent long after the previous request completed. */
        long send(final long address)
        {
            request.set(DEVICE, address, false).length(64);
            clock += 100_000;
            final long done = replay.timeRequest(request, outcome, clock);
            if (!outcome.isOk())
            {
                throw new IllegalStateException("calibration request faulted: " + outcome);
            }
            return done - clock;
        }

        double hitRate(final long window)
        {
            final SplittableRandom random = new SplittableRandom(42);
            long hits = 0;
            for (int i = 0; i < REQUESTS * 2; i++)
            {
                request.set(DEVICE, IOVA + (random.nextLong(window) & ~63L), false).length(64);
                replay.timeRequest(request, outcome, clock++);
                if (i >= REQUESTS)
                {
                    hits += outcome.iotlbHit() ? 1 : 0;
                }
            }
            return (double)hits / REQUESTS;
        }
    }
}
