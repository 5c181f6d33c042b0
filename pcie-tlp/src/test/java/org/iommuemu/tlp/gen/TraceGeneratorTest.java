package org.iommuemu.tlp.gen;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.iommuemu.tlp.MessageHeader;
import org.iommuemu.tlp.PageRequest;
import org.iommuemu.tlp.RequestHeader;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.GuestAccess;
import org.iommuemu.tlp.trace.PcapngTraceWriter;
import org.iommuemu.tlp.trace.TextTraceWriter;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceGeneratorTest
{
    @TempDir
    Path dir;

    private Path generate(final String name, final TraceGenerator.Config config, final long count) throws IOException
    {
        final Path file = dir.resolve(name);
        try (PcapngTraceWriter out = new PcapngTraceWriter(file, TraceRecord.NANOSECONDS))
        {
            new TraceGenerator(config).generate(out, count);
        }
        return file;
    }

    @Test
    void shouldBeDeterministicPerSeed() throws IOException
    {
        for (final Workload workload : Workload.values())
        {
            if (workload == Workload.GUEST_CPU)
            {
                continue; // not TLPs: guestCpuAccessesAreDeterministicRecordsInTheirRegions
            }
            final TraceGenerator.Config config = new TraceGenerator.Config().workload(workload).devices(3)
                .seed(99).pasidFraction(0.5).teeFraction(0.5).hugePageFraction(0.3);
            final byte[] a = Files.readAllBytes(generate("a.pcapng", config, 3000));
            final byte[] b = Files.readAllBytes(generate("b.pcapng", config, 3000));
            assertArrayEquals(a, b, workload.toString());
            final byte[] c = Files.readAllBytes(generate("c.pcapng", config.seed(100), 3000));
            assertFalse(Arrays.equals(a, c), workload.toString());
        }
    }

    /**
     * GUEST_CPU makes guest CPU access records only: vCPU i touches 64-byte lines of region i with the configured
     * C-bit, deterministic per seed (text format; pcapng refuses them). guestCpuFraction mixes them into a DMA workload,
     * and a fraction of 0 leaves a DMA trace exactly as it was (no extra random draw).
     */
    @Test
    void guestCpuAccessesAreDeterministicRecordsInTheirRegions() throws IOException
    {
        final TraceGenerator.Config config = new TraceGenerator.Config().workload(Workload.GUEST_CPU).devices(2)
            .footprint(8L << 20).seed(3).guestCBit(false);
        final TraceGenerator generator = new TraceGenerator(config);
        final TraceRecord record = new TraceRecord();
        int writes = 0;
        final StringWriter text = new StringWriter();
        try (TextTraceWriter out = new TextTraceWriter(text, false))
        {
            for (int i = 0; i < 1000; i++)
            {
                generator.next(record);
                assertTrue(record.isGuestAccess());
                final GuestAccess access = record.guestAccess();
                assertEquals(i % 2, access.vcpu());
                assertFalse(access.encrypted());
                assertEquals(64, access.size());
                final long base = generator.baseAddress() + access.vcpu() * generator.regionSize();
                assertTrue(access.gpa() >= base && access.gpa() + 64 <= base + generator.regionSize());
                writes += access.isWrite() ? 1 : 0;
                out.write(record);
            }
        }
        assertTrue(writes > 400 && writes < 600, "reads and writes about evenly: " + writes);
        final TraceGenerator again = new TraceGenerator(new TraceGenerator.Config().workload(Workload.GUEST_CPU).devices(2)
            .footprint(8L << 20).seed(3).guestCBit(false));
        final StringWriter second = new StringWriter();
        try (TextTraceWriter out = new TextTraceWriter(second, false))
        {
            again.generate(out, 1000);
        }
        assertEquals(text.toString(), second.toString());
        assertThrows(IllegalArgumentException.class, () -> generate("cpu.pcapng", config, 10));

        final TraceGenerator mixed = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).seed(3)
            .guestCpuFraction(0.25));
        int cpu = 0;
        for (int i = 0; i < 4000; i++)
        {
            cpu += mixed.next(record).isGuestAccess() ? 1 : 0;
        }
        assertTrue(cpu > 100 && cpu < 600, "about a quarter of the operations (4 TLPs each) are CPU accesses: " + cpu);
        final byte[] plain = Files.readAllBytes(generate("plain.pcapng", new TraceGenerator.Config().seed(8), 2000));
        final byte[] zero = Files.readAllBytes(generate("zero.pcapng", new TraceGenerator.Config().seed(8).guestCpuFraction(0), 2000));
        assertArrayEquals(plain, zero);
    }

    @Test
    void shouldRespectSizesBoundariesAndRegions() throws IOException
    {
        for (final Workload workload : Workload.values())
        {
            if (workload == Workload.GUEST_CPU)
            {
                continue;
            }
            final TraceGenerator.Config config = new TraceGenerator.Config().workload(workload).devices(4)
                .footprint(64L << 20).seed(5).nvmeBlocks(16).maxPayload(128).maxReadRequest(256);
            final TraceGenerator generator = new TraceGenerator(config);
            final TraceRecord record = new TraceRecord();
            for (int i = 0; i < 20_000; i++)
            {
                final Tlp tlp = generator.next(record).tlp();
                assertTrue(tlp.isValid());
                if (tlp.kind().isMessage())
                {
                    // ATS_PRI's page requests: in the requester's region.
                    assertEquals(Workload.ATS_PRI, workload);
                    final PageRequest request = new PageRequest().wrap(tlp.buffer(), tlp.headerOffset());
                    assertEquals(MessageHeader.CODE_PAGE_REQUEST, request.messageCode());
                    final int device = (request.requesterId() >>> 8) - 0x10;
                    final long base = generator.baseAddress() + device * generator.regionSize();
                    assertTrue(request.pageAddress() >= base && request.pageAddress() < base + generator.regionSize());
                    continue;
                }
                final RequestHeader r = tlp.request();
                final int bytes = r.lengthDw() * 4;
                assertTrue(tlp.kind() == TlpKind.MWR ? bytes <= 128 : bytes <= 256, workload + " " + bytes);
                assertEquals(r.address() >>> 12, (r.address() + bytes - 1) >>> 12, "crosses 4 KiB");
                final int device = (r.requesterId() >>> 8) - 0x10;
                assertTrue(device >= 0 && device < 4);
                final long base = generator.baseAddress() + device * generator.regionSize();
                final boolean msi = r.address() == TraceGenerator.MSI_BASE + ((long)device << 12);
                assertTrue(msi || (r.address() >= base && r.address() + bytes <= base + generator.regionSize()),
                    workload + " address 0x" + Long.toHexString(r.address()) + " outside device " + device);
            }
        }
    }

    @Test
    void shouldProduceNvmeCommandShapeAndMixes() throws IOException
    {
        final TraceGenerator.Config config = new TraceGenerator.Config().workload(Workload.NVME_READ).devices(2)
            .seed(7).nvmeBlocks(8).teeFraction(1.0).pasidFraction(1.0);
        final Path file = generate("nvme.pcapng", config, 2 * (1 + 1 + 8 * 16 + 1 + 1));
        final TraceStats stats = new TraceStats();
        try (TraceReader reader = TraceFiles.open(file, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                stats.accept(reader.record());
            }
        }
        // per command: SQE read, PRP list read, 8 pages x 16 MWr of 256 B, CQE write, MSI write
        assertEquals(2 * 2, stats.count(TlpKind.MRD));
        assertEquals(2 * (8 * 16 + 2), stats.count(TlpKind.MWR));
        assertEquals(stats.records(), stats.teeTlps());
        assertEquals(stats.records() - 2, stats.pasidTlps(), "MSI writes carry no PASID");
        assertEquals(2 * (1 + 1 + 8 * 16 + 1 + 1) / 2, stats.countForRequester(TraceGenerator.requesterId(0)));
        assertTrue(stats.footprintPages() >= 2 * 8);
        final String report = stats.report(new StringBuilder()).toString();
        assertTrue(report.contains("MRd=4"), report);
        assertTrue(report.contains("10:00.0="), report);
    }

    @Test
    void shouldGenerateNoTeeOrPasidWhenFractionsAreZero()
    {
        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config().workload(Workload.RANDOM)
            .devices(8).seed(3));
        final TraceRecord record = new TraceRecord();
        for (int i = 0; i < 5000; i++)
        {
            final Tlp tlp = generator.next(record).tlp();
            assertFalse(tlp.teeOriginated());
            assertFalse(tlp.pasidValid());
            assertEquals(0, tlp.prefixCount());
        }
    }

    /**
     * With page requests, each device's first PASID-tagged request to a 4 KiB page comes right after its Page Request
     * for that page (same PASID and requester), and no page is requested twice; MSI writes and PASID-less requests
     * never ask.
     */
    @Test
    void pageRequestsPrecedeTheFirstTouchOfEachPage()
    {
        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2)
            .footprint(8L << 20).seed(5).pasidFraction(0.7).pageRequests(true));
        final TraceRecord record = new TraceRecord();
        final Set<Long> requested = new HashSet<>();
        final Set<Long> touched = new HashSet<>();
        long pending = -1;
        int pageRequests = 0;
        for (int i = 0; i < 20_000; i++)
        {
            final Tlp tlp = generator.next(record).tlp();
            if (tlp.kind().isMessage())
            {
                assertEquals(-1, pending, "two Page Requests in a row at " + i);
                assertEquals(MessageHeader.CODE_PAGE_REQUEST, tlp.message().messageCode());
                final PageRequest request = new PageRequest().wrap(tlp.buffer(), tlp.headerOffset());
                assertTrue(tlp.pasidValid() && request.last() && request.read());
                final int device = (request.requesterId() >>> 8) - 0x10;
                assertEquals(1 + device, tlp.pasid());
                pending = ((long)device << 52) | request.pageAddress();
                assertTrue(requested.add(pending), "page requested twice at " + i);
                pageRequests++;
                continue;
            }
            final RequestHeader request = tlp.request();
            final long page = ((long)((request.requesterId() >>> 8) - 0x10) << 52) | (request.address() & ~0xFFFL);
            if (tlp.pasidValid() && touched.add(page))
            {
                assertEquals(page, pending, "the first PASID-tagged request to a page follows its Page Request, at " + i);
            }
            else
            {
                assertEquals(-1, pending, "a Page Request is followed by the first request to its page, at " + i);
            }
            if (tlp.pasidValid())
            {
                assertTrue(requested.contains(page), "a PASID-tagged request to a page never requested, at " + i);
            }
            pending = -1;
        }
        assertTrue(pageRequests > 300, "pages requested: " + pageRequests);

        // Without the option, or without PASIDs, there are none.
        for (final TraceGenerator.Config config : new TraceGenerator.Config[] {
            new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2).footprint(8L << 20).seed(5).pasidFraction(0.7),
            new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2).footprint(8L << 20).seed(5).pageRequests(true)})
        {
            final TraceGenerator plain = new TraceGenerator(config);
            for (int i = 0; i < 5000; i++)
            {
                assertFalse(plain.next(record).tlp().kind().isMessage());
            }
        }
    }

    @Test
    void atALineRateOperationsStartOnePacketWireTimeApartPerDevice()
    {
        // Two NICs at 100 Gb/s each, 1500-byte packets: a packet per (1500 + 24) x 8 / 100 = 121.92 ns per device, so
        // operations (four TLPs of 1500 bytes in 256-byte writes plus the descriptor, write-back and MSI) start
        // 60.96 ns apart, and every TLP of an operation carries its start.
        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2)
            .transferSize(1500).seed(5).lineRateGbps(100));
        final TraceRecord record = new TraceRecord();
        final List<Long> starts = new ArrayList<>();
        long previous = -1;
        int sameStamp = 0;
        for (int i = 0; i < 900; i++)
        {
            final long timestamp = generator.next(record).timestamp();
            if (timestamp != previous)
            {
                starts.add(timestamp);
                previous = timestamp;
            }
            else
            {
                sameStamp++;
            }
        }
        assertTrue(sameStamp > 700, "the TLPs of an operation share its start: " + sameStamp);
        for (int k = 1; k < starts.size(); k++)
        {
            assertEquals((long)(k * (1500 + TraceGenerator.ETHERNET_WIRE_OVERHEAD) * 8.0 / 100 / 2), starts.get(k),
                "operation " + k);
        }
        // The default pacing is unchanged: 16 bytes per ns and 20 ns between operations.
        final TraceRecord plain = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).seed(5)).next(record);
        assertEquals(20 + 1 + plain.capturedLength() / 16, plain.timestamp());
    }

    @Test
    void shouldDrawPasidsFromTheListAndLeaveTheRestOfTheTraceAlone()
    {
        final int[] list = {1, 7, 0x12345};
        final TraceGenerator withList = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2)
            .seed(3).pasidFraction(0.7).pasids(list));
        final TraceGenerator without = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2)
            .seed(3).pasidFraction(0.7));
        final TraceRecord a = new TraceRecord();
        final TraceRecord b = new TraceRecord();
        final Set<Integer> seen = new TreeSet<>();
        int withPasid = 0;
        for (int i = 0; i < 5000; i++)
        {
            final Tlp tlp = withList.next(a).tlp();
            if (tlp.pasidValid())
            {
                seen.add(tlp.pasid());
                withPasid++;
            }
            assertTrue(tlp.pasid() == -1 || tlp.pasid() == 1 || tlp.pasid() == 7 || tlp.pasid() == 0x12345, "PASID " + tlp.pasid());
            // Without the list every PASID is 1 + the device index.
            final Tlp plain = without.next(b).tlp();
            assertTrue(!plain.pasidValid() || plain.pasid() == 1 + ((plain.request().requesterId() >>> 8) - 0x10));
        }
        assertEquals(Set.of(1, 7, 0x12345), seen);
        assertTrue(withPasid > 2000, "about 70% of the operations: " + withPasid);
        assertThrows(IllegalArgumentException.class, () -> new TraceGenerator.Config().pasids(0));
        assertThrows(IllegalArgumentException.class, () -> new TraceGenerator.Config().pasids(0x10_0000));
    }

    @Test
    void shouldGenerateTheSameOperationsInFlitMode()
    {
        final TraceGenerator flit = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2).seed(4)
            .pasidFraction(0.5).teeFraction(1.0).flit(true));
        final TraceGenerator plain = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).devices(2).seed(4)
            .pasidFraction(0.5).teeFraction(1.0));
        final TraceRecord a = new TraceRecord();
        final TraceRecord b = new TraceRecord();
        for (int i = 0; i < 3000; i++)
        {
            final Tlp f = flit.next(a).tlp();
            final Tlp p = plain.next(b).tlp();
            assertTrue(f.isFlit());
            assertFalse(p.isFlit());
            assertEquals(p.request().requesterId(), f.flitHeader().requesterId());
            assertEquals(p.request().address(), f.flitHeader().address());
            assertEquals(p.kind(), f.flitHeader().kind());
            assertEquals(p.pasid(), f.pasid(), "the PASID prefix's PASID in OHC-A1");
            assertEquals(p.teeOriginated(), f.teeOriginated(), "the IDE prefix's T in OHC-C");
            assertEquals(p.dataLength(), f.dataLength());
        }
    }
}
