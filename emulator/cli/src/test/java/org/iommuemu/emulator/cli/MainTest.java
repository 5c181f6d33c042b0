package org.iommuemu.emulator.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
