package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Performance work must not change results: every per-TLP result (the CSV sink's line: outcome, output
 * address, latency, IOTLB hit, fetches) and every statistic (histograms, time series, cache counters, timing
 * totals) of several replays hash to the digests the straightforward implementation produced (recorded before
 * the replay pipeline's fast paths: last-hit memos, the fully associative IOTLB's index, the sorted ring of
 * free-at cycles, batched histogram updates, register copies).
 * <p>
 * A deliberate change of the model re-records them, with the reason here: re-recorded once when the AMD-Vi model
 * gained page-walk caches (fewer table fetches, so latencies and fetch counts change; every outcome, ok or fault,
 * stayed the same), and once when the timing model began charging each walk-cache probe its hit latency
 * ({@code caches.walk.hit-latency}, gem5's walk_lat): only the cycles of requests that walked change, by 4 cycles
 * per probe (checked row by row against the previous build's CSV results: every other column is identical); and, in
 * the same change, a walk resumed from a cached pointer now fills the walk caches of the levels it read, as a walk
 * from the root does (seed001-4k and miss4K: some later walks read one entry fewer; outcomes and output addresses
 * identical).
 * <p>
 * The VT-d digests ({@link #vtdScenariosGiveTheRecordedResults}: legacy and scalable mode, TDX Connect) were recorded
 * when the emulator module was split into models, app and cli, from the code before that split (the same results).
 * <p>
 * All fifteen re-recorded when the per-TLP CSV gained its last column, {@code effect} (issue 17: the
 * {@code AccessEffect} of an ok request, POISONED_WRITE or READ_ZEROS under TDX Connect): the header and every line
 * changed by that column only. Evidence, checked when re-recording: with the last field cut from every line, and
 * asserted empty on every record line (no request of these replays, the TDX Connect ones included, has an effect),
 * all fifteen digests were the previous ones (seed001-huge b383e19d, seed001-4k 59142f65, nic-passthrough 0597ba29,
 * nvme-passthrough 1f1e162f, hit f029e076, miss4K f72fd4e2, snp eb064c5f, seed000-shared-ept 19064530,
 * seed000-separate-ept 31a580f3, seed003-t-flip a665fa62, seed003-iova-split 18e36f75, seed004-wrong-order 565187a2,
 * seed004-right-order b5aac421, vtd-legacy 73366702, vtd-scalable 8ee36626): issue 17's model changes (the
 * poison default, the T=0 check of locked private MMIO, bind seeing cached translations) change none of these
 * outcomes. Issue 17's bundled scenarios (seed004-stale-iotlb, tdx-t0-poison, tdx-t0-abort) were added then, their
 * digests recorded from that code; their outcomes are asserted request by request in SeedScenariosTest and
 * UntrustedDmaReplayTest.
 * <p>
 * The four bundled AMD-Vi scenarios re-recorded when the IOMMU model, not the replay, began deciding whether a write
 * is an interrupt request (MSI writes now go to the model, which looks up the device's DTE for its interrupt
 * control, as the hardware does): the one difference in the hashed text is the DTE cache's counters, now counting the
 * MSI writes' lookups (nic-passthrough: 18948 lookups / 18946 hits before, 20000 / 19998 after; nvme-passthrough
 * 19849 / 19847 to 20000 / 19998; seed001-4k and seed001-huge 18948 / 18947 to 20000 / 19999). Every CSV line (the
 * per-TLP results), class count, histogram, time-series bucket, timing total and every other cache counter is
 * identical (the hashed texts of all eighteen replays compared line by line against the previous build: one line
 * differs in each of these four, none in the others; previous digests seed001-huge 12e6d77b, seed001-4k 162aadd6,
 * nic-passthrough 3df2ed30, nvme-passthrough c43be484). The other fourteen are unchanged: the benchmark platforms'
 * traffic has no MSI writes, and VT-d tells interrupt requests apart without a context lookup.
 * <p>
 * All eighteen re-recorded when replay gained its tenth traffic class, {@code GUEST_ACCESS} (issue 18: guest CPU
 * access records, which go through a guest's nested page table and the RMP check, not the IOMMU): the hashed text's
 * line of counts by class gained one token, {@code GUEST_ACCESS=0}. Evidence, checked when re-recording: with that
 * token left out of the line (and asserted 0 in every replay), all eighteen digests were the previous ones
 * (seed001-huge 4a311fdb, seed001-4k 8f349787, nic-passthrough db8c6157, nvme-passthrough fde11f4a, hit cabd470e,
 * miss4K 684eaf77, snp 80892aa1, seed000-shared-ept 746d0351, seed000-separate-ept ad9802f1,
 * seed003-t-flip 864e1bd9, seed003-iova-split cf482a25, seed004-wrong-order 433e5b47, seed004-right-order 1e8def13,
 * seed004-stale-iotlb 79771154, tdx-t0-poison c971c1e3, tdx-t0-abort 8651e6fb, vtd-legacy 1d596c6c,
 * vtd-scalable 9618b557); every CSV line,
 * histogram, time-series bucket and cache counter is unchanged. Issue 18's bundled AMD scenarios
 * ({@link #issue18ScenariosGiveTheRecordedResults}) were added then, their digests recorded from that code; their
 * outcomes are asserted request by request in SevTioReplayTest and Seed002ReplayTest.
 * <p>
 * Issue 17's eight bundled scenarios (tdx-block-track, tdx-demote-live, tdx-tdi-error, vtd-pasids, vtd-flit,
 * seed000-iommu-dirty, vtd-pri, tdx-relocate) re-recorded when issue 17 and issue 18 met in one build, for the same
 * one
 * reason: the class-count line's {@code GUEST_ACCESS=0} token. Evidence, checked when re-recording: with that token
 * left out of the line (and asserted 0 in every replay), all eight digests were the ones recorded on issue 17's
 * branch (seed000-iommu-dirty 04df59b3, tdx-block-track acf9c2d3, tdx-demote-live cd803b9e, tdx-tdi-error bc535072,
 * vtd-pasids and vtd-flit 3930f5bd, vtd-pri 8ffad3bc, tdx-relocate 825e5173): every CSV line, histogram, time-series
 * bucket and cache counter is unchanged.
 * <p>
 * All eighteen re-recorded for issue 19, the closed-loop timing model (docs/timing.md): devices issue a TLP at the
 * earliest at its timestamp and hold a tag or a posted credit while it is translated; a walk looks the context cache
 * up (3 cycles); a hit on a page whose walk is in flight waits for it; a device's posted writes and reads are passed
 * on in PCIe order; the summary's latency is measured from the request on the link; the bundled NIC scenarios and
 * seed 001 now receive at a line rate (their generated timestamps differ) with the farshin-200g profile, and the
 * NVMe drives have their own limits. Evidence, checked when re-recording: the per-TLP CSV of every one of these
 * replays, before (the previous build, whose digests are listed below) and after, compared row by row: every row is
 * there, and every column but {@code cycles} is identical (outcome, output address, page size, fault, IOTLB hit,
 * table and RMP fetches, effect; MSI writes are interrupt rows without cycles in both), except {@code time_ns} of
 * nic-passthrough, seed001-huge and seed001-4k (line-rate pacing, all 20000 rows). The {@code cycles} that changed:
 * a walk costs 3 cycles more (the context-cache lookup; miss4K 4900 rows, vtd-legacy 4671, seed003-t-flip 9472);
 * IOTLB hits right behind a miss of their page wait for its walk (merged misses: miss4K, vtd-*, tdx-t0-*,
 * seed001-4k); seed001-huge's 18897 hits cost 80 cycles more (their RMP entry fetch is an LLC hit of farshin-200g's
 * 100 cycles instead of amd's 20); snp's 833 hits 2 ns behind the previous request cost 1 cycle more (their RMP
 * entry fetches wait a cycle for the PTE request port, one request per cycle); the rest are single requests behind a
 * walk or an earlier posted write. Previous digests: seed001-huge 4a311fdb, seed001-4k 8f349787, nic-passthrough
 * db8c6157, nvme-passthrough fde11f4a, hit cabd470e, miss4K 684eaf77, snp 80892aa1, seed000-shared-ept 746d0351,
 * seed000-separate-ept ad9802f1, seed003-t-flip 864e1bd9, seed003-iova-split cf482a25, seed004-wrong-order 433e5b47,
 * seed004-right-order 1e8def13, seed004-stale-iotlb 79771154, tdx-t0-poison c971c1e3, tdx-t0-abort 8651e6fb,
 * vtd-legacy 1d596c6c, vtd-scalable 9618b557.
 * <p>
 * Issue 17's eight scenarios (recorded on main before issue 19's timing reached them) re-recorded for issue 19's
 * closed-loop timing when the branches met. Evidence, checked when re-recording: each replay's per-TLP CSV
 * ({@code replay --count 20000 --results}) from main's build at 3d1e3ff and from this one, compared
 * row by row: 20000 rows each, every column but {@code cycles} identical in every row (outcome, output address, page
 * size, fault, IOTLB hit, table and RMP fetches, effect, time). {@code cycles} differ only on DMA rows: walks cost 3
 * cycles more (the context-cache lookup; tdx-block-track 2544 rows, tdx-demote-live 750, tdx-tdi-error 1730,
 * seed000-iommu-dirty 1364, tdx-relocate 2319) or 6 with a PASID (context and PASID-cache lookups; vtd-pasids and
 * vtd-flit 2942 rows each, the two still equal); IOTLB hits right behind the walk of their page wait for it (+8 to
 * +120 cycles, the rest of those scenarios' changed rows); vtd-pri's ATS device: its 18638 translated requests (AT =
 * 10) skip the IOMMU's translation and cost the link only (16 cycles instead of an IOTLB hit's 19), and its 908
 * Translation Requests that walk cost 10 cycles less (9 in one row) as the ATS model prices them (docs/timing.md,
 * "ATS"; not traced term by term). Previous digests: seed000-iommu-dirty 04df59b3, tdx-block-track acf9c2d3,
 * tdx-demote-live cd803b9e, tdx-relocate 825e5173, tdx-tdi-error bc535072, vtd-pasids and vtd-flit 3930f5bd,
 * vtd-pri 8ffad3bc.
 * <p>
 * All thirty-five re-recorded when issue 18 met issue 19's closed-loop timing model in one build. The twenty-six
 * recorded on main (issue 19's build): for the class-count line's {@code GUEST_ACCESS=0} token only; evidence,
 * checked
 * when re-recording: with that token left out (and asserted 0 in every replay) all twenty-six were main's digests
 * (seed001-huge b8a9536f, seed001-4k 71e49746, nic-passthrough 866b0789, nvme-passthrough 51ffe3c2, hit 4437d012,
 * miss4K 998be4b9, snp 799a41b6, seed000-shared-ept b43147d8, seed000-separate-ept db532163, seed003-t-flip
 * 88328dfa, seed003-iova-split 965ab86d, seed004-wrong-order 084bf2cb, seed004-right-order 3a3996cc, seed004-stale-
 * iotlb 98feb1b6, tdx-t0-poison d423b485, tdx-t0-abort 4bcf775b, tdx-block-track 7790ad1b, tdx-demote-live 03e054b3,
 * tdx-tdi-error 334c1aed, vtd-pasids 6ddbfc12, vtd-flit 6ddbfc12, seed000-iommu-dirty b0f2b551, vtd-pri a2c5db5e,
 * tdx-relocate 66f016cf, vtd-legacy 9c1b1b40, vtd-scalable be9d2446). Issue 18's nine ({@link
 * #issue18ScenariosGiveTheRecordedResults}): for issue 19's timing model; evidence, checked
 * when re-recording: the per-TLP CSV of each (20000 generated records, replay --count 20000 --results), before (this
 * branch before the merge) and after, compared row by row: every row is there and every column but {@code cycles} is
 * identical (outcome, output address, page size, fault, IOTLB hit, table and RMP fetches, effect, time_ns); the rows
 * whose cycles changed: seed003-sev-tio-t-flip and -iova-split 12334, seed002-pin-snp 4836, seed002-follow-snp 5530,
 * seed002-pin-tdx 2207, seed002-follow-tdx 3041, amdvi-dirty-tracking 8732, amdvi-guest-pasids 6303,
 * amdvi-page-requests 13962.
 */
class ReplayGoldenTest
{
    @Test
    void bundledScenariosGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"seed001-huge", "seed001-4k", "nic-passthrough", "nvme-passthrough"})
        {
            actual.put(name, digest(ScenarioReader.bundled(name), 20_000));
        }
        assertDigests(actual);
    }

    @Test
    void benchmarkPlatformsGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"hit", "miss4K", "snp"})
        {
            actual.put(name, digest(bench(name), 20_000));
        }
        assertDigests(actual);
    }

    /**
     * VT-d: the bundled VT-d scenarios (scalable mode with KVM's EPT shared or separate; legacy and scalable mode
     * with TDX Connect, T=0 and T=1 traffic, TDI bind and start, private MMIO) and a legacy and a scalable
     * platform under random 4 KiB traffic (IOTLB misses and walks).
     */
    @Test
    void vtdScenariosGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"seed000-shared-ept", "seed000-separate-ept", "seed003-t-flip", "seed003-iova-split",
            "seed004-wrong-order", "seed004-right-order", "seed004-stale-iotlb", "tdx-t0-poison", "tdx-t0-abort"})
        {
            actual.put(name, digest(ScenarioReader.bundled(name), 20_000));
        }
        for (final String mode : new String[] {"legacy", "scalable"})
        {
            actual.put("vtd-" + mode, digest(vtd(mode), 20_000));
        }
        assertDigests(actual);
    }

    /**
     * Issue 18's AMD scenarios: SEV-TIO's seed 003 pair and seed 002 (SNP and TDX), AMD-Vi dirty tracking and guest
     * tables with PASIDs, generated DMA traffic.
     */
    @Test
    void issue18ScenariosGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"seed003-sev-tio-t-flip", "seed003-sev-tio-iova-split", "seed002-pin-snp",
            "seed002-follow-snp", "seed002-pin-tdx", "seed002-follow-tdx", "amdvi-dirty-tracking", "amdvi-guest-pasids",
            "amdvi-page-requests"})
        {
            actual.put(name, digest(ScenarioReader.bundled(name), 20_000));
        }
        assertDigests(actual);
    }

    /**
     * Issue 17's VT-d and TDX scenarios in replay (memory SEAMCALLs under trusted DMA, RELOCATE, TDISP error and recovery, PASID
     * entries of every kind, flit-mode traffic, IOMMU dirty tracking, page requests), recorded when they were added;
     * their outcomes are asserted request by request in TdxSeamcallReplayTest, VtdPasidReplayTest, FlitReplayTest,
     * VtdDirtyTrackingReplayTest and VtdPageRequestReplayTest.
     */
    @Test
    void issue17ScenariosGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"tdx-block-track", "tdx-demote-live", "tdx-tdi-error", "vtd-pasids", "vtd-flit",
            "seed000-iommu-dirty", "vtd-pri", "tdx-relocate"})
        {
            actual.put(name, digest(ScenarioReader.bundled(name), 20_000));
        }
        assertDigests(actual);
    }

    /** A VT-d platform in {@code mode}, 1 GiB mapped with 4 KiB pages, random traffic. */
    private static Scenario vtd(final String mode)
    {
        final String yaml = String.join("\n",
            "name: vtd-" + mode,
            "platform: {iommu: vtd, mode: " + mode + ", profile: intel}",
            "domains:",
            "  - id: 1",
            "    levels: 4",
            "    policy: forced-4k",
            "    mappings: [{iova: 0x100000000, spa: 0x100000000, size: 1G}]",
            "devices: [{requester: 0x1000, domain: 1}]",
            "traffic: {workload: random, footprint: 1G, seed: 7}",
            "");
        return ScenarioReader.parse(new StringReader(yaml), "vtd.yaml", null);
    }

    /** The ReplayBenchmark's platforms, with its traffic. */
    private static Scenario bench(final String platform)
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
            "traffic: {workload: " + (miss ? "random" : "strided") + ", footprint: " + (miss ? "1G" : "4M") + ", seed: 7}",
            "");
        return ScenarioReader.parse(new StringReader(yaml), "bench.yaml", null);
    }

    private static void assertDigests(final Map<String, String> actual)
    {
        final Map<String, String> expected = new TreeMap<>();
        for (final String name : actual.keySet())
        {
            expected.put(name, EXPECTED.get(name));
        }
        assertEquals(expected, actual);
    }

    private static final Map<String, String> EXPECTED = Map.ofEntries(
        Map.entry("seed001-huge", "5c686ffca156ce5f3140eca2768b5c5b9583813af5a1e3224678ad123c1aa1d0"),
        Map.entry("seed001-4k", "3aa1ff5a02e68a898d51ff68a690832a9d096ddea1ae58b0a777d10918148c32"),
        Map.entry("nic-passthrough", "2aab1324936bff1a5f2d482c9c8e4f05c991ac17af75f6f8bcf85a7166839f2b"),
        Map.entry("nvme-passthrough", "e76b1cef48799cf790d02503dc48d8fc7a3f41e35e791789a2ce5b8ec096bec1"),
        Map.entry("hit", "19290f7b36aebafa084024f556843b5858f08802d0a19b0ed467be2fee5887f6"),
        Map.entry("miss4K", "70b77340706a2149ffe91a6ac2835d47a175766e9bde0d7bd27df50ad3af1ae2"),
        Map.entry("snp", "ca7cada014eec337cb2225b1e3f0d36540745b67115ee6b4352a108d3374d114"),
        Map.entry("seed000-shared-ept", "ec412b8656d1734c469ac807026a4e15266c55e24cddcfce08002fac2b61fd4c"),
        Map.entry("seed000-separate-ept", "7dd9c1e1ac5a1560db01147f7aa0b78a4216027427c6eccf0420f7f80f547532"),
        Map.entry("seed003-t-flip", "e117b72f56bc139eaf59622c586c42a64f88a533cd56a5f64a32e2f32004dc4f"),
        Map.entry("seed003-iova-split", "96303529301ffc0404e85f928bca546b5e7cfdf0f7e7c717ae5c21b2cd9bd042"),
        Map.entry("seed004-wrong-order", "b982e5504749aa0b20f7d37d92884413c717ef6bb396de86708adfad0765782d"),
        Map.entry("seed004-right-order", "18f2640ce88e731914d0d2bb39652585b7baba60e4b2b8422c68795843de1bd8"),
        Map.entry("seed004-stale-iotlb", "df747c86b49b859375827954b876f93a5b7076a0e91cbcd955d8c29c2ad1d289"),
        Map.entry("tdx-t0-poison", "c1419f741702c40304196f015b341cef99d592b4f6667d8146fcc1b53253b402"),
        Map.entry("tdx-t0-abort", "a0731eb407fee9da154e0cadb7eb9baca863b0b64e5a21596108d24e853d8784"),
        Map.entry("tdx-block-track", "28f4bef306a9dc149428bf7cc264bf41ada04f1de6351f8d45ad2017fc927846"),
        Map.entry("tdx-demote-live", "92059d52707f31c126901965469cea0a6f773452f19bf197e2c18150e5a5a4fa"),
        Map.entry("tdx-tdi-error", "56ce597d328c97b36ea736027f5783a048d62cff9a628ee2964f61500d8862de"),
        Map.entry("vtd-pasids", "c4e576411a6a683a22a7a7d90356e85671dd16e79661ac51409b513c2847bf07"),
        // The same digest as vtd-pasids: its flit-mode TLPs have the same lengths (OHC-A1 where the other has a PASID
        // prefix), so the same timestamps, and every result is the same (FlitReplayTest).
        Map.entry("vtd-flit", "c4e576411a6a683a22a7a7d90356e85671dd16e79661ac51409b513c2847bf07"),
        Map.entry("seed000-iommu-dirty", "f46580ca5c978edf09abf4cd3541cb8dd681eac8878c8a2df803c427c20c48b6"),
        Map.entry("vtd-pri", "ca61a7dd241abd34732748eb34a25d0cdb471620c948ea7198ef1fa4f7d044fe"),
        // Recorded from the code that added TDH.MEM.PAGE.RELOCATE (no other digest moved with it); re-recorded for issue 19
        // with the other seven above (see the class comment).
        Map.entry("tdx-relocate", "34279a2d95141703f114633a4f9f43d7ce715fa85c420495494de9b3062820bf"),
        Map.entry("vtd-legacy", "e635d8d07daa3fb00af02b2235f91ab6cfb5fbf3eb0951f6a935fcc0bac0b8e4"),
        Map.entry("vtd-scalable", "8ceb240694ab6c53282f2be8753d40df6ba830ecfb8e715461d50e6bf25b2530"),
        Map.entry("seed003-sev-tio-t-flip", "50c780b4f98a81f889a93638cc9b66b5a74fa7d10a31832a73ca035e5359dceb"),
        Map.entry("seed003-sev-tio-iova-split", "35f6e8ce09828d48acd605492ff7e831359280a2d04eb3fcc25eba60a9a2f147"),
        Map.entry("seed002-pin-snp", "63c88fbe4a29cbd9abe31fd743af975af34f222a963eda7df2e31298c5961131"),
        Map.entry("seed002-follow-snp", "c2f1fe4cf1342b24c7a69a86b1160aa66c29a58041b57e5bbab7279ed33587f7"),
        Map.entry("seed002-pin-tdx", "8a11bec3855bb8a7ba93d33d794cafbff37e5ed7ab91c869de3321028b71a063"),
        Map.entry("seed002-follow-tdx", "26b7619c59222495dbecfd371d22e6d9c83f9855383704703a383af14a0321a9"),
        Map.entry("amdvi-dirty-tracking", "103ca8f12d738c03ced3c3f844e5d6295940397cf155210f2a5d706e70ea9cb9"),
        Map.entry("amdvi-guest-pasids", "a82781ecb3b5827d9d3b2bfd31ac361cb16d094895ab0d7fe4954de1e34e8fc5"),
        Map.entry("amdvi-page-requests", "998779ba3ce967334869d8188499fcc0d808c287ed986795779a475be9fb7b0e"));

    private static String digest(final Scenario scenario, final long count) throws IOException
    {
        final Scenario.TrafficSpec t = scenario.traffic();
        final Scenario.TrafficSpec spec = t.withCount(count);
        final StringWriter text = new StringWriter();
        final ReplayResult result;
        try (GeneratedTraceReader reader = new GeneratedTraceReader(spec); CsvResultSink sink = new CsvResultSink(text))
        {
            result = new Replay(Platform.build(scenario)).run(reader, sink, Replay.ProgressListener.NONE);
        }
        final StringBuilder b = new StringBuilder(text.toString());
        final ReplayStatistics s = result.statistics();
        b.append("tlps=").append(s.tlps()).append(" dma=").append(s.dmaRequests()).append(" bytes=").append(s.dmaBytes())
            .append(" ok=").append(s.ok()).append(" faults=").append(s.faults()).append(' ').append(s.faultsByKind())
            .append(" hits=").append(s.iotlbHits()).append(" fetches=").append(s.tableFetches()).append('/').append(s.rmpFetches())
            .append(" cycles=").append(s.simulatedCycles()).append(" clamped=").append(s.clampedLatencies()).append('\n');
        for (final TrafficClass c : TrafficClass.values())
        {
            b.append(c).append('=').append(s.count(c)).append(' ');
        }
        histogram(b.append("\nall "), s.latency());
        for (final Map.Entry<String, Histogram> e : s.latencyByOutcome().entrySet())
        {
            histogram(b.append('\n').append(e.getKey()).append(' '), e.getValue());
        }
        final TimeSeries series = s.series();
        b.append("\nseries width=").append(series.width());
        for (int i = 0; i < series.buckets(); i++)
        {
            b.append('\n').append(series.firstIndex(i)).append(',').append(series.dma(i)).append(',').append(series.hits(i))
                .append(',').append(series.faults(i)).append(',').append(series.meanLatency(i)).append(',')
                .append(series.pageTableBytes(i)).append(',').append(series.endCycle(i));
        }
        // The cache counters as the digests were recorded (before CacheStats grew misses, fills, evictions, invalidated).
        final List<String> caches = new ArrayList<>();
        for (final ReplayResult.CacheStats c : result.caches())
        {
            caches.add("CacheStats[name=" + c.name() + ", lookups=" + c.lookups() + ", hits=" + c.hits() + ", entries=" + c.entries() +
                ", ways=" + c.ways() + "]");
        }
        b.append('\n').append(caches).append(" pt=").append(result.pageTableBytes()).append('/')
            .append(result.peakPageTableBytes()).append(" walks=").append(result.walks()).append(" queued=")
            .append(result.queuedForSlot()).append('/').append(result.queuedForWalker()).append(" llc=").append(result.llcHits());
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8)));
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static void histogram(final StringBuilder b, final Histogram h)
    {
        b.append(h.getTotalCount()).append(' ').append(h.getMinValue()).append(' ').append(h.getMaxValue()).append(' ')
            .append(h.getMean());
        for (final double p : new double[] {50, 90, 99, 99.9, 100})
        {
            b.append(' ').append(h.getValueAtPercentile(p));
        }
        b.append(' ').append(h.hashCode());
    }
}
