package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.timing.TimingProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outputs of issue 20 from the command line: JSON files, report folders, logs, the combined comparison page, the help. */
class OutputsCommandTest
{
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path folder;

    private int run(final String... args)
    {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void replayWritesJsonReportAndBothLogs() throws IOException
    {
        final Path json = folder.resolve("run.json");
        final Path report = folder.resolve("report");
        final Path qemu = folder.resolve("qemu.log");
        final Path dmesg = folder.resolve("dmesg.log");
        assertEquals(0, run("replay", "--scenario", "seed001-huge", "--count", "3000", "--json", json.toString(), "--report",
            report.toString(), "--plots", "svg", "--log", "qemu=" + qemu, "--log", "dmesg=" + dmesg), err.toString());
        final JsonNode node = JsonReport.mapper().readTree(json.toFile());
        assertEquals("replay", node.get("kind").asText());
        assertEquals(3000, node.at("/traffic/tlps").asLong());
        assertTrue(node.at("/faults/by_kind/RMP_PAGE_FAULT").asLong() > 0, node.at("/faults").toString());
        for (final String file : List.of("summary.json", "summary.csv", "summary.txt", "stats.txt", "latency.hgrm", "latency.svg",
            "hit-rates.svg", "walks.svg", "faults.svg", "throughput.svg", "index.html"))
        {
            assertTrue(Files.size(report.resolve(file)) > 0, file);
        }
        assertFalse(Files.exists(report.resolve("latency.png")), "--plots svg writes no PNG");
        assertEquals(node.at("/faults/total"), JsonReport.mapper().readTree(report.resolve("summary.json").toFile()).at("/faults/total"));
        final List<String> qemuLines = Files.readAllLines(qemu);
        assertEquals(node.at("/traffic/dma_requests").asLong(),
            qemuLines.stream().filter(l -> l.contains(":amdvi_translation_result ")).count());
        final List<String> kernel = Files.readAllLines(dmesg);
        assertEquals(node.at("/faults/by_kind/RMP_PAGE_FAULT").asLong(), kernel.size());
        assertTrue(kernel.get(0).contains("AMD-Vi: Event logged [RMP_PAGE_FAULT device=0000:10:00.0, "), kernel.get(0));
        final String html = Files.readString(report.resolve("index.html"));
        assertTrue(html.contains("summary.json") && html.contains("hit-rates.svg") && html.contains("Platform events ("), html);
    }

    @Test
    void theLogGoesToStandardOutputWithoutAFileAndABadKindIsAUsageError()
    {
        assertEquals(0, run("replay", "--scenario", "nvme-passthrough", "--count", "200", "--log", "qemu"));
        assertTrue(out.toString().contains(":amdvi_translation_result devid: "), out.toString());
        assertEquals(2, run("replay", "--scenario", "nvme-passthrough", "--log", "ftrace"));
        assertTrue(err.toString().contains("--log ftrace: the kinds are qemu and dmesg"), err.toString());
    }

    /** compare writes one page with both runs on each plot and the table; the note of the shared profile prints once. */
    @Test
    void compareWritesTheCombinedPageAndJson() throws IOException
    {
        final Path report = folder.resolve("cmp");
        final Path json = folder.resolve("cmp.json");
        assertEquals(0, run("compare", "--scenario", "seed004-wrong-order", "--scenario", "seed004-right-order", "--count", "3000",
            "--report", report.toString(), "--json", json.toString(), "--plots", "png"), err.toString());
        final String page = Files.readString(report.resolve("index.html"));
        assertTrue(page.contains("seed004-wrong-order/index.html") && page.contains("seed004-right-order/index.html"), page);
        assertTrue(page.contains("hit-rates.png") && page.contains("<pre class=\"table\">"), page);
        assertTrue(Files.exists(report.resolve("seed004-wrong-order/summary.json")));
        assertTrue(Files.readAllLines(report.resolve("compare.csv")).get(0).startsWith("run,run.scenario,"));
        final JsonNode node = JsonReport.mapper().readTree(json.toFile());
        assertEquals("compare", node.get("kind").asText());
        assertEquals(2, node.get("runs").size());
        final Matcher note = Pattern.compile("read but not modelled").matcher(err.toString());
        int notes = 0;
        while (note.find())
        {
            notes++;
        }
        assertTrue(notes <= 1, "the note prints once per run: " + err);
    }

    @Test
    void traceStatsAndCalibrateWriteJson() throws IOException
    {
        final Path trace = folder.resolve("nic.txt");
        assertEquals(0, run("trace", "gen", "-w", "nic-rx", "-c", "300", "-o", trace.toString()));
        final Path stats = folder.resolve("stats.json");
        assertEquals(0, run("trace", "stats", "--json", stats.toString(), trace.toString()));
        final JsonNode node = JsonReport.mapper().readTree(stats.toFile());
        assertEquals("trace_stats", node.get("kind").asText());
        assertEquals(300, node.at("/tlps/total").asLong());
        assertEquals(300, node.at("/trace/records_read").asLong());
        assertEquals(2, run("trace", "stats", "--json", trace.toString(), trace.toString()));
        assertTrue(err.toString().contains("--json"), "the output may not be the input: " + err);

        final Path calibration = folder.resolve("calibration.json");
        assertEquals(0, run("calibrate", "--system", "farshin-200g", "--quick", "--json", calibration.toString()));
        final JsonNode document = JsonReport.mapper().readTree(calibration.toFile());
        assertEquals("calibration", document.get("kind").asText());
        assertEquals("farshin-200g", document.at("/systems/0/profile").asText());
        assertEquals(2, document.at("/systems/0/rows").size());
        assertTrue(document.at("/systems/0/rows/0/source").asText().contains("PeerJ"), document.toString());
        assertTrue(out.toString().contains("| NIC RX 1500 B at 200 Gb/s, 4k pages, on/off |"), out.toString());
        assertEquals(2, run("calibrate", "--system", "farshin-200g", "--fit", "--write", calibration.toString(), "--json",
            calibration.toString()));
    }

    /** calibrate --fit --write --json --progress: the fitted profile file, the fitted parameters in JSON, a progress line. */
    @Test
    void calibrateFitsWritesTheProfileAndShowsProgress() throws IOException
    {
        final Path profile = folder.resolve("my-200g.yaml");
        final Path json = folder.resolve("fit.json");
        assertEquals(0, run("calibrate", "--system", "farshin-200g", "--quick", "--fit", "--write", profile.toString(), "--json",
            json.toString(), "--progress"));
        assertTrue(err.toString().contains("\rcalibrate --fit: ") && err.toString().contains(" points of at most "), err.toString());
        assertTrue(err.toString().contains("round 1: memory.dram-latency = "), err.toString());
        final JsonNode system = JsonReport.mapper().readTree(json.toFile()).at("/systems/0");
        assertTrue(system.get("fitted").asBoolean(), system.toString());
        assertEquals(0, system.at("/summary/beyond_goal").asInt(), system.toString());
        final TimingProfile written = TimingProfiles.load(profile);
        assertEquals(system.at("/parameters/memory.dram-latency").asInt(), written.memory().dramLatency());
        assertEquals(system.at("/parameters/concurrency.translations-in-flight").asInt(), written.concurrency().translationsInFlight());
        final Path other = Files.writeString(folder.resolve("notes.yaml"), "my notes\n");
        assertEquals(2, run("calibrate", "--system", "farshin-200g", "--quick", "--fit", "--write", other.toString()));
        assertTrue(err.toString().contains("is not a fitted profile; not overwriting it"), err.toString());
        assertEquals("my notes\n", Files.readString(other));
        // The device fit writes no document: asking for one is a usage error, not an option silently ignored.
        assertEquals(2, run("calibrate", "--fit-device", "--json", json.toString()));
        assertTrue(err.toString().contains("--fit-device prints the fitted device and its rounds; it writes no --json"), err.toString());
    }

    @Test
    void versionAndOneLineErrors()
    {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().matches("iommu-emu \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\R"), out.toString());
        assertEquals(2, run("replay", "--scenario", "seed001-huge", "--no-such-option"));
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("iommu-emu: replay: unknown option: '--no-such-option' (see iommu-emu replay --help)"),
            err.toString());
    }

    /** Every command's summary in --help is one complete line; option labels are words, not Java field names. */
    @Test
    void helpSummariesAreOneLineAndLabelsAreWords()
    {
        final CommandLine root = new CommandLine(new Main());
        final Set<String> seen = new HashSet<>();
        check(root, seen);
        assertTrue(seen.contains("iommu-emu replay") && seen.contains("iommu-emu trace stats"), seen.toString());
    }

    private static void check(final CommandLine command, final Set<String> seen)
    {
        final String name = command.getCommandSpec().qualifiedName();
        seen.add(name);
        if (!name.equals("iommu-emu") && !name.endsWith(" help"))
        {
            // The command list shows the header, or without one the description's first line: one complete sentence.
            final String[] header = command.getCommandSpec().usageMessage().header();
            final String[] description = command.getCommandSpec().usageMessage().description();
            assertTrue(header.length <= 1, name);
            final String summary = header.length == 1 ? header[0] : description[0];
            assertTrue(header.length == 1 || description.length == 1, name + ": a multi-line description needs a one-line header");
            assertTrue(summary.endsWith(".") && summary.length() <= 64, name + ": " + summary);
        }
        for (final CommandLine.Model.OptionSpec option : command.getCommandSpec().options())
        {
            if (option.arity().max() > 0)
            {
                final String label = option.paramLabel();
                assertFalse(label.matches("<.*>"), name + " " + option.longestName() + " has the label " + label);
                assertFalse(label.matches(".*[a-z][A-Z].*"), name + " " + option.longestName() + " has a field name as label: " + label);
            }
        }
        for (final CommandLine sub : command.getSubcommands().values())
        {
            check(sub, seen);
        }
    }

    /** The jar's manifest opens and exports exactly what jvm.flags passes, so java -jar needs no flags. */
    @Test
    void manifestExportsAndOpensAreThoseOfTheJvmFlags() throws IOException
    {
        final Properties manifest = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("/iommu-emu/manifest.properties"))
        {
            manifest.load(in);
        }
        final String flags;
        try (InputStream in = Main.class.getResourceAsStream("/iommu-emu/jvm.flags"))
        {
            flags = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(packages(flags, "--add-exports"), Set.of(manifest.getProperty("add-exports").trim().split(" +")));
        assertEquals(packages(flags, "--add-opens"), Set.of(manifest.getProperty("add-opens").trim().split(" +")));
    }

    private static Set<String> packages(final String flags, final String option)
    {
        final Set<String> result = new HashSet<>();
        final Matcher m = Pattern.compile(option + " (\\S+)=ALL-UNNAMED").matcher(flags);
        while (m.find())
        {
            result.add(m.group(1));
        }
        assertFalse(result.isEmpty(), option);
        return result;
    }
}
