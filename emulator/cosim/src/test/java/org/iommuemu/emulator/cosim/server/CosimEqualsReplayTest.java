package org.iommuemu.emulator.cosim.server;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.replay.BinaryResultSink;
import org.iommuemu.emulator.replay.CsvResultSink;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.replay.Replay;
import org.iommuemu.emulator.replay.ReplayRecord;
import org.iommuemu.emulator.replay.ReplayResult;
import org.iommuemu.emulator.replay.ResultSink;
import org.iommuemu.emulator.replay.TrafficClass;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.PcapngTraceWriter;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same translations in co-simulation as in replay on the same tables: the guest's driver builds the same tables
 * twice, once in the client's guest memory through the server (co-simulation, the model fetching every entry over the
 * socket) and once in a local guest-driven platform; the same TLPs then go through IE_TLP and through {@code replay}
 * of a pcapng trace of the same bytes, and every result column that replay prints must agree, latency and IOTLB hits
 * included.
 */
class CosimEqualsReplayTest
{
    /** One TLP's result as the CSV of replay prints it (less the time). */
    private static String line(final int trafficClass, final String outcome, final long output, final int pageLg2, final String fault,
        final long latency, final boolean hit, final int fetches, final int rmpFetches)
    {
        return TrafficClass.values()[trafficClass].label() + "," + outcome + ",0x" + Long.toHexString(output) + "," + pageLg2 + "," +
            fault + "," + latency + "," + (hit ? 1 : 0) + "," + fetches + "," + rmpFetches;
    }

    private static List<String> cosim(final GuestSide guest, final List<byte[]> tlps)
    {
        final List<String> lines = new ArrayList<>();
        for (final byte[] tlp : tlps)
        {
            final TlpResponse r = guest.client.tlp(tlp, 0);
            final String outcome = r.outcome == TlpCommandLayout.OUTCOME_OK ? "ok" : r.outcome == TlpCommandLayout.OUTCOME_FAULT ? "fault" :
                TrafficClass.values()[r.trafficClass].label();
            final boolean dma = r.trafficClass == TrafficClass.DMA.ordinal();
            lines.add(line(r.trafficClass, outcome, r.outputAddress, r.pageSizeLg2,
                r.outcome == TlpCommandLayout.OUTCOME_FAULT ? r.name : "",
                dma ? r.latencyCycles : 0, r.iotlbHit(), r.tableFetches, r.rmpFetches));
        }
        return lines;
    }

    private static List<String> replay(final Platform platform, final List<byte[]> tlps, final Path dir, final ReplayResult[] result,
        final StringWriter csvOut, final Path binaryOut) throws Exception
    {
        final Path trace = dir.resolve("same.pcapng");
        try (PcapngTraceWriter writer = new PcapngTraceWriter(trace, TraceRecord.NANOSECONDS))
        {
            final TraceRecord record = new TraceRecord();
            for (final byte[] tlp : tlps)
            {
                record.set(0, TraceRecord.NANOSECONDS, Direction.UPSTREAM, 0)
                    .tlpBytes(false, new UnsafeBuffer(tlp), 0, tlp.length, tlp.length);
                writer.write(record);
            }
        }
        final List<String> lines = new ArrayList<>();
        try (TraceReader reader = TraceFiles.open(trace, ErrorPolicy.STOP); CsvResultSink csv = new CsvResultSink(csvOut);
            BinaryResultSink binary = new BinaryResultSink(binaryOut))
        {
            result[0] = new Replay(platform).run(reader, new ResultSink()
            {
                public void accept(final ReplayRecord r) throws IOException
                {
                    csv.accept(r);
                    binary.accept(r);
                    final boolean dma = r.trafficClass() == TrafficClass.DMA;
                    final boolean ok = dma && r.outcome().isOk();
                    lines.add(line(r.trafficClass().ordinal(), r.outcomeLabel(), ok ? r.outcome().outputAddress() : 0,
                        ok ? r.outcome().pageSizeLg2() : 0, dma && !ok ? r.outcome().fault().faultName() : "", dma ? r.latencyCycles() : 0,
                        dma && r.outcome().iotlbHit(), dma ? r.tableFetches() : 0, dma ? r.rmpFetches() : 0));
                }
            }, Replay.ProgressListener.NONE);
        }
        return lines;
    }

    /** @param binary the session writes its results in the binary format (else CSV). */
    private static void same(final String yaml, final int blockSize, final BiConsumer<IommuPort, PhysicalMemory> guestDriver,
        final List<byte[]> tlps, final Path dir, final boolean binary) throws Exception
    {
        final Scenario scenario = Loopback.scenario(yaml);
        final List<String> cosim;
        final ObjectNode json;
        final Path folder = Files.createDirectories(dir.resolve("sessions"));
        try (Loopback loop = new Loopback(scenario, ServerOptions.defaults()))
        {
            loop.server.sessionOutputs(new SessionOutputs(folder, true, false, binary));
            try (GuestSide guest = new GuestSide(loop, blockSize))
            {
                guestDriver.accept(guest.port, guest.memory);
                cosim = cosim(guest, tlps);
            }
            loop.awaitEnded(1);
            json = loop.json.get(0);
        }
        final Platform local = Platform.forGuest(scenario, new SparseMemory());
        guestDriver.accept(local.port(), local.memory());
        final ReplayResult[] result = new ReplayResult[1];
        final StringWriter replayCsv = new StringWriter();
        final Path replayBinary = dir.resolve("replay.bin");
        final List<String> replayed = replay(local, tlps, dir, result, replayCsv, replayBinary);
        assertEquals(replayed, cosim);
        // serve --results: the session's file is what replay writes for the same TLPs, line for line or byte for byte.
        if (binary)
        {
            assertArrayEquals(Files.readAllBytes(replayBinary), Files.readAllBytes(folder.resolve("session-1.bin")));
            assertFalse(Files.exists(folder.resolve("session-1.csv")));
        }
        else
        {
            assertEquals(replayCsv.toString(), Files.readString(folder.resolve("session-1.csv")));
        }
        assertTrue(Files.readString(folder.resolve("session-1.qemu.log")).contains(scenario.platform().iommu() ==
            Scenario.IommuKind.AMDVI ? "amdvi_iotlb_hit" : "vtd_iotlb_page_hit"), "the session's QEMU log has its IOTLB hits");

        // The session's JSON statistics (serve --json) are valid and count what replay counts.
        assertEquals(List.of(), ResultsSchema.validate(json), json.toPrettyString());
        assertEquals("cosim_session", json.get("kind").asText());
        assertEquals(List.of(folder.resolve(binary ? "session-1.bin" : "session-1.csv").toString(),
            folder.resolve("session-1.qemu.log").toString()),
            JsonReport.mapper().convertValue(json.at("/session/files"), List.class), "the files it wrote");
        final JsonNode session = json.get("replay");
        final ObjectNode replay = JsonReport.replay(result[0]);
        for (final String key : List.of("traffic", "dma", "faults", "effects", "machine_checks", "caches", "walks"))
        {
            assertEquals(replay.get(key), session.get(key), key);
        }
        assertEquals(tlps.size(), json.at("/cosim/packets_in/IE_TLP").asInt(), json.get("cosim").toString());
        assertEquals(0, json.at("/cosim/answered_inline").asLong(), "a guest-memory session answers everything on its model thread");
        assertTrue(replayed.stream().anyMatch(l -> l.contains(",ok,")) && replayed.stream().anyMatch(l -> l.contains(",fault,")) &&
            replayed.stream().anyMatch(l -> l.contains(",1,0,")), "the TLPs cover translations, faults and IOTLB hits: " + replayed);
    }

    @Test
    void amdViTranslationsInCosimulationEqualReplayOnTheSameTables(@TempDir final Path dir) throws Exception
    {
        final int device = 0x0100;
        final long iova = 0x1_0000_0000L;
        final BiConsumer<IommuPort, PhysicalMemory> guestDriver = (port, memory) ->
        {
            final AmdViDriver driver = new AmdViDriver(port, memory, AmdViDriver.Layout.DEFAULT).bringUp();
            final PageTable domain = driver.newDomain(3);
            assertEquals(MapStatus.OK, domain.map(iova, 0x8000_0000L, 4L << 20, Permissions.READ_WRITE, PageSizePolicy.X86_SIZES));
            assertEquals(MapStatus.OK, domain.map(iova + (16L << 20), 0x9000_0000L, 64L << 10, Permissions.READ, PageSizePolicy.FORCED_4K));
            driver.attach(device, domain, 1, true, true);
        };
        final List<byte[]> tlps = new ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            tlps.add(Tlps.memory((i & 1) == 0, device, iova + ((i * 0x11000L) % (4L << 20)), 64));
            tlps.add(Tlps.memory(false, device, iova + (16L << 20) + ((i & 15) << 12), 4));
        }
        tlps.add(Tlps.memory(true, device, iova + (16L << 20), 4));          // a write to a read-only page
        tlps.add(Tlps.memory(false, device, iova + (32L << 20), 4));         // unmapped
        tlps.add(Tlps.memory(false, 0x0200, iova, 4));                       // a device without a DTE
        tlps.add(Tlps.memory(true, device, 0xFEE0_0000L, 4));                // an MSI: not translated
        tlps.add(new byte[] {0x4A, 0, 0, 1, 0, 0x10, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0}); // a completion: not translated
        same("name: amdvi-same\nplatform:\n  iommu: amdvi\n", AmdViRegisters.SIZE, guestDriver, tlps, dir, false);
    }

    @Test
    void vtdTranslationsInCosimulationEqualReplayOnTheSameTables(@TempDir final Path dir) throws Exception
    {
        final List<byte[]> tlps = new ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            tlps.add(Tlps.memory((i & 1) == 0, VtdCosimTest.DEVICE, VtdCosimTest.IOVA + ((i * 0x13000L) % (4L << 20)), 32));
            tlps.add(Tlps.memory(false, VtdCosimTest.DEVICE, VtdCosimTest.IOVA + (8L << 20) + ((i & 3) << 12), 4));
        }
        tlps.add(Tlps.memory(true, VtdCosimTest.DEVICE, VtdCosimTest.IOVA + (8L << 20), 4));
        tlps.add(Tlps.memory(false, VtdCosimTest.DEVICE, VtdCosimTest.IOVA + (64L << 20), 4));
        tlps.add(Tlps.memory(false, 0x0400, VtdCosimTest.IOVA, 4));
        same("name: vtd-same\nplatform:\n  iommu: vtd\n", 0x1000, (port, memory) -> new VtdCosimTest.Guest(port, memory), tlps, dir,
            true);
    }
}
