package org.iommuemu.tlp.gen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.iommuemu.tlp.trace.PcapngTraceWriter;
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
            final TraceGenerator.Config config = new TraceGenerator.Config().workload(workload).devices(3)
                .seed(99).pasidFraction(0.5).teeFraction(0.5).hugePageFraction(0.3);
            final byte[] a = Files.readAllBytes(generate("a.pcapng", config, 3000));
            final byte[] b = Files.readAllBytes(generate("b.pcapng", config, 3000));
            assertArrayEquals(a, b, workload.toString());
            final byte[] c = Files.readAllBytes(generate("c.pcapng", config.seed(100), 3000));
            assertFalse(Arrays.equals(a, c), workload.toString());
        }
    }

    @Test
    void shouldRespectSizesBoundariesAndRegions() throws IOException
    {
        for (final Workload workload : Workload.values())
        {
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
