package org.iommuemu.emulator.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.iommuemu.emulator.replay.JsonReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest
{
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args)
    {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void walkPrintsTranslationsFaultsAndEntries()
    {
        assertEquals(0, run("walk", "--format", "amdv1:3", "--map", "0x40000000=0x180000000+4M",
            "--map", "0x1000=0x5000+4K:r", "--access", "w", "--entries", "0x40201234", "0x1000", "0x9000"));
        final String text = out.toString();
        assertTrue(text.contains("0x40201234           -> 0x180201234"), text);
        // AMD-Vi v1 maps 4 MiB as one NextLevel=7 leaf replicated in two level-1 items.
        assertTrue(text.contains("0x40201234           -> 0x180201234            4M rwxu level 1"), text);
        assertTrue(text.contains("L1 entry @0xf00001008 = 0x70000001801ffe01"), text);
        assertTrue(text.contains("0x1000               fault PERMISSION at level 0"), text);
        assertTrue(text.contains("0x9000               fault NOT_PRESENT at level 0"), text);
        assertTrue(text.contains("L2 entry @0xf00000008 = 0x6000000f00001401"), text);
        assertTrue(text.contains("L0 entry @0xf00003008 = 0x3000000000005001"), text);
    }

    @Test
    void forcedFourKilobytePolicyShowsInTheWalk()
    {
        assertEquals(0, run("walk", "--format", "ept:4", "--policy", "forced-4k", "--map", "0x40000000=0x80000000+2M", "0x40100000"));
        assertTrue(out.toString().contains("0x40100000           -> 0x80100000             4K"), out.toString());
    }

    @Test
    void badInputGivesAClearErrorAndExitCodeTwo()
    {
        assertEquals(2, run("walk", "--format", "arm64"));
        assertTrue(err.toString().contains("unknown page-table format \"arm64\""), err.toString());
        assertEquals(2, run("walk", "--map", "0x1000=0x2000"));
        assertTrue(err.toString().contains("is not IOVA=PA+LEN[:PERMS]"), err.toString());
        assertEquals(2, run("walk", "--map", "0x1000=0x2000+4K:q"));
        assertTrue(err.toString().contains("permission letter 'q'"), err.toString());
    }

    @Test
    void demoComparesPoliciesAndSplits()
    {
        assertEquals(0, run("demo", "--tour", "--ram", "64M", "--formats", "amdv1:3,vtd-ss:4"));
        final String text = out.toString();
        assertTrue(text.contains("amdv1:3    forced-4k    16384    16384"), text);
        assertTrue(text.contains("vtd-ss:4   largest         32        0     32"), text);
        assertTrue(text.contains("amdv1:3    largest          1        0      0    0      1"), text);
        assertTrue(text.contains("remap it and merge: OK"), text);
        assertTrue(text.contains("largest   IOMMU leaf 2M: write to IOVA 0x80078784 refused: RMP_PAGE_FAULT, " +
            "event log: code 0xd device 4100"), text);
        assertTrue(text.contains("forced-4k IOMMU leaf 4K: write to IOVA 0x80078784 -> SPA 0x6078784 allowed"), text);
    }

    @Test
    void demoReplaysTheBundledSeedScenariosAndWritesReports(@TempDir final Path folder) throws Exception
    {
        assertEquals(0, run("demo", "--count", "4000", "--report", folder.toString()));
        final String text = out.toString();
        assertTrue(text.contains("Comparison of seed001-huge and seed001-4k"), text);
        assertTrue(text.contains("RMP_PAGE_FAULT"), text);
        assertTrue(Files.exists(folder.resolve("seed001-huge/index.html")), "huge report");
        assertTrue(Files.exists(folder.resolve("seed001-4k/latency.png")), "4k plots");
        assertTrue(Files.readString(folder.resolve("compare.txt")).contains("page-table memory"));
        // The cost of forced 4K in throughput, not only in hit rates and table memory (issue 19).
        final Matcher cost = Pattern.compile("moves ([0-9.]+) Gb/s through 4 KiB IOMMU pages against ([0-9.]+) Gb/s through 2 MiB " +
            "pages \\(([-+][0-9.]+)%").matcher(text);
        assertTrue(cost.find(), text);
        assertTrue(Double.parseDouble(cost.group(1)) < Double.parseDouble(cost.group(2)) * 0.95, cost.group());
        assertTrue(Double.parseDouble(cost.group(3)) < -5, cost.group());
    }

    /**
     * Issue 19: the bundled NIC workload at line rate, compared with huge and forced-4K IOMMU pages, shows the throughput
     * the closed loop loses, the queueing behind it and the latency distribution (compare.png).
     */
    @Test
    void forcedSmallPagesCostTheLineRateNicThroughput(@TempDir final Path folder) throws Exception
    {
        final Path json = folder.resolve("compare.json");
        final Path report = folder.resolve("report");
        assertEquals(0, run("compare", "--scenario", "nic-passthrough", "--policies", "huge,forced-4k", "--count", "8000",
            "--json", json.toString(), "--report", report.toString(), "--plots", "png"));
        final String text = out.toString();
        assertTrue(text.lines().anyMatch(l -> l.startsWith("< DMA throughput")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("< queued in the device")), text);
        assertTrue(text.contains("DMA throughput: nic-passthrough-huge "), text);
        final JsonNode runs = JsonReport.mapper().readTree(json.toFile()).get("runs");
        final JsonNode huge = runs.get(0).get("result");
        final JsonNode small = runs.get(1).get("result");
        final double hugeRate = huge.at("/throughput/dma_bytes_per_s").asDouble();
        final double smallRate = small.at("/throughput/dma_bytes_per_s").asDouble();
        assertTrue(smallRate < hugeRate * 0.97, smallRate + " against " + hugeRate + " bytes/s");
        assertTrue(hugeRate > huge.at("/traffic/offered_bytes_per_s").asDouble() * 0.97, "huge pages keep the line rate");
        assertTrue(small.at("/queues/waited_for_slot").asLong() > huge.at("/queues/waited_for_slot").asLong() * 10 + 100,
            small.get("queues").toString());
        assertTrue(small.at("/queues/merged_with_walk").asLong() > 0, small.get("queues").toString());
        for (final JsonNode run : new JsonNode[] {huge, small})
        {
            // The causes break the DMA requests that waited down (the NICs' MSI writes are not among them).
            final JsonNode queues = run.get("queues");
            assertTrue(run.at("/traffic/not_translated/interrupt").asLong() > 0);
            for (final String cause : new String[] {"waited_for_tag", "waited_for_posted_credit", "waited_for_link"})
            {
                assertTrue(queues.get(cause).asLong() <= queues.get("waited_in_device").asLong(), queues.toString());
            }
        }
        assertTrue(small.at("/device_wait/p99_cycles").asLong() > huge.at("/device_wait/p99_cycles").asLong(),
            small.get("device_wait").toString());
        assertTrue(small.at("/latency/p99_cycles").asLong() > 10 * huge.at("/latency/p99_cycles").asLong());
        assertTrue(Files.size(report.resolve("compare.png")) > 1000, "the latency and device-wait distributions");
    }

    @Test
    void replayWritesResultsAndExplainsBadScenarios(@TempDir final Path folder) throws Exception
    {
        final Path results = folder.resolve("r.csv");
        assertEquals(0, run("replay", "--scenario", "nic-passthrough", "--count", "2000", "--results", results.toString()));
        assertTrue(out.toString().contains("hit rate"), out.toString());
        assertEquals(2001, Files.readAllLines(results).size());

        final Path bad = folder.resolve("bad.yaml");
        Files.writeString(bad, "platform:\n  iommu: amdvi\ndomains:\n  - {id: 1, levels: 9}\n");
        assertEquals(1, run("replay", "--scenario", bad.toString()), "a bad scenario file is bad input data");
        assertTrue(err.toString().contains("bad.yaml:4: domains[0].levels: AMD-Vi v1 tables have 1-6 levels, not 9"), err.toString());
        assertEquals(2, run("replay", "--scenario", "no-such-scenario"), "a name that is neither a file nor bundled is a usage error");
        assertTrue(err.toString().contains("--scenario no-such-scenario: no such file, and no bundled scenario of that name"),
            err.toString());
    }

    @Test
    void compareMarksTheDifferencesOfTwoPolicies()
    {
        assertEquals(0, run("compare", "--scenario", "nvme-passthrough", "--policies", "huge,forced-4k", "--count", "3000"));
        final String text = out.toString();
        assertTrue(text.contains("nvme-passthrough-huge") && text.contains("nvme-passthrough-forced-4k"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("< page-table memory")), text);
    }

    /** Seed 003 told on TDX and on SEV-TIO: the same requests fail, under each platform's own fault name. */
    @Test
    void compareRunsSeed003OnTdxBesideSevTio()
    {
        assertEquals(0, run("compare", "--scenario", "seed003-t-flip", "--scenario", "seed003-sev-tio-t-flip", "--count", "20000"));
        final String text = out.toString();
        assertTrue(text.contains("(vtd-legacy+tdx-connect, profile intel)") && text.contains("(amdvi+snp, profile amd)"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("= faults") && l.contains("9474 (50.00%)")), text);
        assertTrue(text.lines().anyMatch(l -> l.trim().startsWith("TDX_NOT_MAPPED") && l.contains("9474")), text);
        assertTrue(text.lines().anyMatch(l -> l.trim().startsWith("RMP_PAGE_FAULT") && l.contains("9474")), text);
        assertTrue(text.contains("TDI 10:00.0 guest SDTE_WRITE: SUCCESS (RUN)"), text);
    }
}
