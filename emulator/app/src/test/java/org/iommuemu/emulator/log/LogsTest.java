package org.iommuemu.emulator.log;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.iommuemu.emulator.replay.GeneratedTraceReader;
import org.iommuemu.emulator.replay.Replay;
import org.iommuemu.emulator.replay.ReplayListener;
import org.iommuemu.emulator.replay.ReplayRecord;
import org.iommuemu.emulator.replay.ReplayResult;
import org.iommuemu.emulator.replay.ReplayStatistics;
import org.iommuemu.emulator.replay.ResultSink;
import org.iommuemu.emulator.replay.TrafficClass;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.iommuemu.tlp.qemu.QemuTraceLogReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --log qemu} and {@code --log dmesg}: every line in the format of QEMU's hw/i386/trace-events or of Linux's
 * AMD-Vi and DMAR fault messages, one line per thing that happened (counted independently from the replay's own
 * records), and a QEMU log the project's own importer reads back to the same translations.
 */
class LogsTest
{
    /** QEMU's formats (hw/i386/trace-events), with the log backend's prefix. */
    private static final Map<String, Pattern> QEMU = Map.ofEntries(
        qemu("amdvi_iotlb_hit", "hit iotlb devid [0-9a-f]{2}:[0-9a-f]{2}\\.[0-7] gpa 0x[0-9a-f]+ hpa 0x[0-9a-f]+"),
        qemu("amdvi_cache_update",
            " update iotlb domid 0x[0-9a-f]+ devid: [0-9a-f]{2}:[0-9a-f]{2}\\.[0-7] gpa 0x[0-9a-f]+ hpa 0x[0-9a-f]+"),
        qemu("amdvi_translation_result", "devid: [0-9a-f]{2}:[0-9a-f]{2}\\.[0-7] gpa 0x[0-9a-f]+ hpa 0x[0-9a-f]+"),
        qemu("amdvi_page_fault", "error: page fault accessing guest physical address 0x[0-9a-f]+"),
        qemu("amdvi_pages_inval", "AMD-Vi pages for domain 0x[0-9a-f]+ invalidated"),
        qemu("amdvi_all_inval", "Invalidation of all AMD-Vi cache requested "),
        qemu("amdvi_devtab_inval", "device table entry for devid: [0-9a-f]{2}:[0-9a-f]{2}\\.[0-7] invalidated"),
        qemu("amdvi_iotlb_inval", "IOTLB pages invalidated"),
        qemu("vtd_iotlb_page_hit", "IOTLB page hit sid 0x[0-9a-f]+ iova 0x[0-9a-f]+ slpte 0x[0-9a-f]+ domain 0x[0-9a-f]+"),
        qemu("vtd_iotlb_page_update", "IOTLB page update sid 0x[0-9a-f]+ iova 0x[0-9a-f]+ slpte 0x[0-9a-f]+ domain 0x[0-9a-f]+"),
        qemu("vtd_dmar_translate", "dev [0-9a-f]{2}:[0-9a-f]{2}\\.[0-9a-f]{2} iova 0x[0-9a-f]+ -> gpa 0x[0-9a-f]+ mask 0x[0-9a-f]+"),
        qemu("vtd_dmar_fault", "sid 0x[0-9a-f]+ fault \\d+ addr 0x[0-9a-f]+ write [01]"),
        qemu("vtd_inv_desc_iotlb_global", "iotlb invalidate global"),
        qemu("vtd_inv_desc_iotlb_domain", "iotlb invalidate whole domain 0x[0-9a-f]+"),
        qemu("vtd_inv_desc_iotlb_pages", "iotlb invalidate domain 0x[0-9a-f]+ addr 0x[0-9a-f]+ mask 0x[0-9a-f]+"),
        qemu("vtd_inv_desc_cc_global", "context invalidate globally"),
        qemu("vtd_inv_desc_cc_device", "context invalidate device [0-9a-f]{2}:[0-9a-f]{2}\\.[0-9a-f]{2}"));

    private static final Pattern PREFIX = Pattern.compile("^1@(\\d+)\\.(\\d{6}):([a-z_0-9]+) (.*)$");

    private static final Pattern AMDVI_DMESG = Pattern.compile("^\\[ *\\d+\\.\\d{6}\\] " +
        "(AMD-Vi: Event logged \\[(IO_PAGE_FAULT device=0000:" +
        "[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7] domain=0x[0-9a-f]{4} address=0x[0-9a-f]+ flags=0x[0-9a-f]{4}|RMP_PAGE_FAULT device=0000:" +
        "[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7], vmg_tag=0x[0-9a-f]{4}, gpa=0x[0-9a-f]+, flags_rmp=0x[0-9a-f]{4}, flags=0x[0-9a-f]{4})\\])$");
    private static final Pattern DMAR_DMESG = Pattern.compile("^\\[ *\\d+\\.\\d{6}\\] DMAR: (DRHD: handling fault status reg [0-9a-f]+|" +
        "\\[DMA (Read|Write) NO_PASID\\] Request device \\[[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]\\] fault addr 0x[0-9a-f]+ " +
        "\\[fault reason 0x[0-9a-f]{2}\\] .+)$");

    private static final String AMDVI_UNMAP = String.join("\n",
        "name: log-test-amdvi",
        "description: 'unmap with invalidation mid-traffic: IO_PAGE_FAULTs after it'",
        "platform:",
        "  iommu: amdvi",
        "  profile: amd",
        "domains:",
        "  - id: 1",
        "    levels: 4",
        "    policy: forced-4k",
        "    mappings:",
        "      - {iova: 0x100000000, spa: 0x100000000, size: 4M}",
        "devices:",
        "  - {requester: \"10:00.0\", domain: 1}",
        "timeline:",
        "  - {at: 2000, action: unmap, domain: 1, iova: 0x100000000, size: 4M, invalidate: true}",
        "traffic:",
        "  workload: nvme-read",
        "  devices: 1",
        "  footprint: 4M",
        "  base: 0x100000000",
        "  count: 4000",
        "  seed: 1",
        "");

    @TempDir
    Path folder;

    private static Map.Entry<String, Pattern> qemu(final String event, final String arguments)
    {
        return Map.entry(event, Pattern.compile(arguments));
    }

    /** What the replay did, counted from its records (not from the logs). */
    private static final class Tally implements ReplayListener
    {
        long dma;
        long ok;
        long okHits;
        long faults;
        final Map<String, Long> faultsByName = new TreeMap<>();

        @Override
        public void request(final ReplayRecord record)
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            dma++;
            if (record.outcome().isOk())
            {
                ok++;
                okHits += record.outcome().iotlbHit() ? 1 : 0;
            }
            else
            {
                faults++;
                faultsByName.merge(record.outcome().fault().faultName(), 1L, Long::sum);
            }
        }
    }

    private record Run(ReplayResult result, Tally tally, String qemu, String dmesg)
    {
    }

    private static Run run(final Scenario scenario) throws IOException
    {
        final Platform platform = Platform.build(scenario);
        final StringWriter qemu = new StringWriter();
        final StringWriter dmesg = new StringWriter();
        final QemuTraceLog qemuLog = new QemuTraceLog(platform, qemu);
        final KernelLog kernelLog = new KernelLog(platform, dmesg);
        final Tally tally = new Tally();
        final ReplayListener all = new ReplayListener()
        {
            @Override
            public void request(final ReplayRecord record)
            {
                tally.request(record);
                qemuLog.request(record);
                kernelLog.request(record);
            }

            @Override
            public void action(final Scenario.Action action, final long beforeTlp, final long cycle)
            {
                qemuLog.action(action, beforeTlp, cycle);
                kernelLog.action(action, beforeTlp, cycle);
            }

            @Override
            public void end(final ReplayStatistics statistics)
            {
                qemuLog.end(statistics);
                kernelLog.end(statistics);
            }
        };
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()))
        {
            final ReplayResult result = new Replay(platform).listener(all).run(reader, ResultSink.NONE,
                Replay.ProgressListener.NONE);
            return new Run(result, tally, qemu.toString(), dmesg.toString());
        }
    }

    /** Every line is a QEMU event in its format; returns the count per event. */
    private static Map<String, Long> qemuEvents(final String log)
    {
        final Map<String, Long> counts = new TreeMap<>();
        long lastNanos = -1;
        for (final String line : log.split("\n"))
        {
            final Matcher m = PREFIX.matcher(line);
            assertTrue(m.matches(), line);
            final Pattern arguments = QEMU.get(m.group(3));
            assertTrue(arguments != null, "not an event of hw/i386/trace-events: " + line);
            assertTrue(arguments.matcher(m.group(4)).matches(), line);
            counts.merge(m.group(3), 1L, Long::sum);
            final long nanos = Long.parseLong(m.group(1)) * 1_000_000_000L + Long.parseLong(m.group(2)) * 1000;
            assertTrue(nanos >= lastNanos - 1000, "time goes forward: " + line);
            lastNanos = Math.max(lastNanos, nanos);
        }
        return counts;
    }

    @Test
    void amdViTranslationsFillsInvalidationsAndFaults() throws IOException
    {
        final Path file = folder.resolve("amdvi.yaml");
        Files.writeString(file, AMDVI_UNMAP, StandardCharsets.UTF_8);
        final Run run = run(ScenarioReader.read(file));
        final Map<String, Long> events = qemuEvents(run.qemu());
        assertEquals(run.tally().dma, events.get("amdvi_translation_result"), events.toString());
        assertEquals(run.tally().okHits, events.getOrDefault("amdvi_iotlb_hit", 0L), events.toString());
        final long iotlbFills = run.result().caches().stream().filter(c -> c.name().contains("iotlb")).mapToLong(c -> c.fills()).sum();
        assertEquals(iotlbFills, events.getOrDefault("amdvi_cache_update", 0L), events.toString());
        assertTrue(run.tally().faultsByName.getOrDefault("IO_PAGE_FAULT", 0L) > 0, run.tally().faultsByName.toString());
        assertEquals(run.tally().faultsByName.get("IO_PAGE_FAULT"), events.get("amdvi_page_fault"));
        assertEquals(1, events.getOrDefault("amdvi_pages_inval", 0L), "the unmap's INVALIDATE_IOMMU_PAGES: " + events);

        // dmesg: one IO_PAGE_FAULT line per fault the model logged (the log is serviced after each one).
        final List<String> lines = List.of(run.dmesg().split("\n"));
        for (final String line : lines)
        {
            assertTrue(AMDVI_DMESG.matcher(line).matches(), line);
        }
        assertEquals(run.tally().faultsByName.get("IO_PAGE_FAULT"), lines.stream().filter(l -> l.contains("IO_PAGE_FAULT")).count());
        assertTrue(lines.stream().anyMatch(l -> l.contains("device=0000:10:00.0 domain=0x0001 address=0x1000") &&
            l.endsWith("flags=0x0020]")), "a DMA write to an unmapped page: RW set, not present: " + lines.subList(0, 3));
    }

    /**
     * As QEMU's amd-iommu traces them (seen under a Linux guest with QEMU 10.2.4: {@code gpa 0xfffe0400 hpa 0x25d0000}
     * for a 64 KiB page): gpa is the request's address and hpa the base of the page it translated to, at the page's
     * size; {@code amdvi_cache_update} carries the request's address too.
     */
    @Test
    void amdViTranslationResultsGiveThePageBaseAsQemuDoes() throws IOException
    {
        final Path file = folder.resolve("amdvi-4m.yaml");
        Files.writeString(file, AMDVI_UNMAP.replace("forced-4k", "largest").replace("spa: 0x100000000", "spa: 0x200000000")
            .replace("  - {at: 2000, action: unmap, domain: 1, iova: 0x100000000, size: 4M, invalidate: true}\n", "")
            .replace("timeline:\n", ""), StandardCharsets.UTF_8);
        final Run run = run(ScenarioReader.read(file));
        final Pattern result = Pattern.compile("^1@\\d+\\.\\d{6}:amdvi_translation_result devid: 10:00\\.0 " +
            "gpa 0x([0-9a-f]+) hpa 0x([0-9a-f]+)$");
        final Pattern update = Pattern.compile("^1@\\d+\\.\\d{6}:amdvi_cache_update  update iotlb domid 0x1 devid: 10:00\\.0 " +
            "gpa 0x([0-9a-f]+) hpa 0x([0-9a-f]+)$");
        long results = 0;
        long updates = 0;
        long updated = -1;
        for (final String line : run.qemu().split("\n"))
        {
            final Matcher u = update.matcher(line);
            if (u.matches())
            {
                updated = Long.parseUnsignedLong(u.group(1), 16);
                assertEquals(0x2_0000_0000L, Long.parseUnsignedLong(u.group(2), 16), line);
                updates++;
            }
            final Matcher r = result.matcher(line);
            if (r.matches())
            {
                final long gpa = Long.parseUnsignedLong(r.group(1), 16);
                final long hpa = Long.parseUnsignedLong(r.group(2), 16);
                // The 4 MiB mapping is one 4 MiB page (NextLevel 7 under the largest-page policy).
                assertEquals(0x2_0000_0000L, hpa, "the page's base: " + line);
                assertEquals(gpa - 0x1_0000_0000L + 0x2_0000_0000L, hpa + (gpa & ((4L << 20) - 1)), line);
                if (updated >= 0)
                {
                    assertEquals(gpa, updated, "the fill names the request's address, not its page: " + line);
                    updated = -1;
                }
                results++;
            }
        }
        assertTrue(updates > 0);
        assertEquals(run.tally().dma, results, run.qemu().lines().limit(5).toList().toString());
        assertEquals(0, run.tally().faults);
    }

    @Test
    void rmpFaultsAsTheSnpHostPrintsThem() throws IOException
    {
        final Run run = run(ScenarioReader.bundled("seed001-huge"));
        final long rmp = run.tally().faultsByName.get("RMP_PAGE_FAULT");
        final List<String> lines = List.of(run.dmesg().split("\n"));
        assertEquals(rmp, lines.size());
        for (final String line : lines)
        {
            assertTrue(AMDVI_DMESG.matcher(line).matches() && line.contains("RMP_PAGE_FAULT device=0000:10:00.0"), line);
        }
        assertTrue(lines.stream().anyMatch(l -> l.endsWith("flags=0x0020]")) && lines.stream().anyMatch(l -> l.endsWith("flags=0x0000]")),
            "writes and reads");
        // QEMU models no SNP: the RMP faults show only as translation results with hpa 0.
        final Map<String, Long> events = qemuEvents(run.qemu());
        assertEquals(run.tally().dma, events.get("amdvi_translation_result"));
        assertEquals(null, events.get("amdvi_page_fault"));
    }

    /** seed000-shared-ept: KVM's dirty logging write-protects the shared table; device writes then fault with reason 5. */
    @Test
    void vtdFaultsAsTheDmarDriverPrintsThemAndTheImporterReadsTheLogBack() throws IOException
    {
        final Run run = run(ScenarioReader.bundled("seed000-shared-ept"));
        final Map<String, Long> events = qemuEvents(run.qemu());
        assertEquals(run.tally().ok, events.get("vtd_dmar_translate"), events.toString());
        assertEquals(run.tally().okHits, events.get("vtd_iotlb_page_hit"), events.toString());
        final long writeFaults = run.tally().faultsByName.getOrDefault("WRITE", 0L);
        assertTrue(writeFaults > 0, run.tally().faultsByName.toString());
        assertEquals(run.tally().faults, events.get("vtd_dmar_fault"));
        assertTrue(run.qemu().contains(":vtd_dmar_fault sid 0x1000 fault 5 addr 0x"), "reason 5, decimal as QEMU prints it");

        final List<String> lines = List.of(run.dmesg().split("\n"));
        for (final String line : lines)
        {
            assertTrue(DMAR_DMESG.matcher(line).matches(), line);
        }
        final long records = lines.stream().filter(l -> l.contains("] Request device [")).count();
        assertEquals(writeFaults, records, "every fault recorded and printed: the fault records are serviced after each");
        assertTrue(lines.stream().anyMatch(l -> l.contains("[DMA Write NO_PASID] Request device [10:00.0] fault addr 0x") &&
            l.endsWith("[fault reason 0x05] PTE Write access is not set")), lines.subList(0, 2).toString());

        // The importer turns every vtd_dmar_translate into a translation request and its completion, with the same page.
        final Path log = folder.resolve("vtd.log");
        Files.writeString(log, run.qemu(), StandardCharsets.UTF_8);
        long translations = 0;
        final List<Long> outputs = new ArrayList<>();
        try (QemuTraceLogReader reader = new QemuTraceLogReader(log, ErrorPolicy.STOP))
        {
            final TranslationCompletionEntry entry = new TranslationCompletionEntry();
            while (reader.next())
            {
                final TraceRecord record = reader.record();
                if (record.tlp().kind().isCompletion() && outputs.size() < 3)
                {
                    entry.wrap(record.buffer(), record.tlpOffset() + 12);
                    outputs.add(entry.rangeBase());
                }
                translations += record.tlp().kind().isCompletion() ? 1 : 0;
            }
        }
        assertEquals(run.tally().ok, translations);
        final Matcher first = Pattern.compile("vtd_dmar_translate dev \\S+ iova 0x[0-9a-f]+ -> gpa 0x([0-9a-f]+) ").matcher(run.qemu());
        assertTrue(first.find());
        assertEquals(Long.parseLong(first.group(1), 16), outputs.get(0));
    }
}
