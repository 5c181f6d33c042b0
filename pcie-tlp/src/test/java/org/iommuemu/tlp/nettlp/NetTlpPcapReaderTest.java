package org.iommuemu.tlp.nettlp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.iommuemu.tlp.CompletionHeader;
import org.iommuemu.tlp.RequestHeader;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TraceFormat;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceStats;
import org.iommuemu.tlp.trace.TraceSummary;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Decodes the real NetTLP captures in ../shared/traces/nettlp (relative to the project root; Surefire runs
 * in the module directory). Skips when the folder is absent, as in a fresh clone.
 */
class NetTlpPcapReaderTest
{
    static final Path NETTLP = Path.of("..", "..", "shared", "traces", "nettlp");

    /** The decode annotated line by line in simple-nic/README.md, in capture order, in its own notation. */
    private static final String[] SIMPLE_NIC_README = {
        "down MWr, len 1, requester 00:00, tag 0x03, last 0x0, first 0xf, Addr 0xa0000010",
        "up MRd, len 4, requester 1b:00, tag 0x03, last 0xf, first 0xf, Addr 0x2f001000",
        "down CplD, len 4, completer 00:00, success, bc 16, requester 1b:00, tag 0x03, lowaddr 0x00",
        "up MRd, len 25, requester 1b:00, tag 0x03, last 0x3, first 0xf, Addr 0x3bb26800",
        "down CplD, len 25, completer 00:00, success, bc 98, requester 1b:00, tag 0x03, lowaddr 0x00",
        "up MWr, len 1, requester 1b:00, tag 0x03, last 0x0, first 0xf, Addr 0xfee1a000",
        "up MWr, len 25, requester 1b:00, tag 0x02, last 0x3, first 0xf, Addr 0x2f003000",
        "up MWr, len 4, requester 1b:00, tag 0x02, last 0xf, first 0xf, Addr 0x2f002000",
        "up MWr, len 1, requester 1b:00, tag 0x02, last 0x0, first 0xf, Addr 0xfee03000",
        "down MWr, len 1, requester 00:00, tag 0x00, last 0x0, first 0xf, Addr 0xa0000014",
        "up MRd, len 4, requester 1b:00, tag 0x00, last 0xf, first 0xf, Addr 0x2f002000",
        "down CplD, len 4, completer 00:00, success, bc 16, requester 1b:00, tag 0x00, lowaddr 0x00",
    };

    static void assumeShared()
    {
        assumeTrue(Files.isDirectory(NETTLP), "../shared/traces/nettlp is absent; skipping capture tests");
    }

    private static String id(final int id)
    {
        return String.format("%02x:%02x", id >>> 8, id & 0xFF);
    }

    /** Renders a TLP the way the NetTLP tcpdump decode in the README does. */
    static String readmeNotation(final TraceRecord record)
    {
        final Tlp tlp = record.tlp();
        final String dir = record.direction() == Direction.DOWNSTREAM ? "down " : "up ";
        if (tlp.kind().isCompletion())
        {
            final CompletionHeader c = tlp.completion();
            return dir + tlp.kind().mnemonic() + ", len " + c.lengthDw() + ", completer " + id(c.completerId()) +
                ", " + (c.status() == CompletionHeader.STATUS_SC ? "success" : "status " + c.status()) +
                ", bc " + c.byteCount() + ", requester " + id(c.requesterId()) +
                String.format(", tag 0x%02x, lowaddr 0x%02x", c.tag(), c.lowerAddress());
        }
        final RequestHeader r = tlp.request();
        return dir + tlp.kind().mnemonic() + ", len " + r.lengthDw() + ", requester " + id(r.requesterId()) +
            String.format(", tag 0x%02x, last 0x%x, first 0x%x, Addr 0x%x", r.tag(), r.lastBe(), r.firstBe(),
            r.address());
    }

    @Test
    void shouldDecodeSimpleNicCaptureExactlyAsTheAnnotatedReadme() throws IOException
    {
        assumeShared();
        final Path pcap = NETTLP.resolve("simple-nic").resolve("simple-nic-ping.pcap");
        assertEquals(TraceFormat.NETTLP_PCAP, TraceFiles.detect(pcap));
        final List<String> decoded = new ArrayList<>();
        final List<Long> timestamps = new ArrayList<>();
        try (TraceReader reader = TraceFiles.open(pcap, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                assertTrue(reader.record().tlp().isValid());
                decoded.add(readmeNotation(reader.record()));
                timestamps.add(reader.record().timestamp());
            }
            final TraceSummary summary = reader.summary();
            assertEquals(SIMPLE_NIC_README.length, summary.read());
            assertEquals(SIMPLE_NIC_README.length, summary.decoded());
            assertEquals(0, summary.skipped());
        }
        assertEquals(List.of(SIMPLE_NIC_README), decoded);
        // README: first TLP at 23:51:48.210015 (microsecond capture); the data payload of the 100-byte
        // CplD carries the 98-byte ICMP echo (bc 98).
        assertEquals(210_015_000L, timestamps.get(0) % 1_000_000_000L);
        assertEquals(212_633_000L, timestamps.get(11) % 1_000_000_000L);
    }

    @Test
    void shouldCountSimpleNicCapture() throws IOException
    {
        assumeShared();
        final TraceStats stats = new TraceStats();
        try (TraceReader reader = TraceFiles.open(NETTLP.resolve("simple-nic").resolve("simple-nic-ping.pcap"),
            ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                stats.accept(reader.record());
            }
        }
        assertEquals(12, stats.records());
        assertEquals(6, stats.count(TlpKind.MWR));
        assertEquals(3, stats.count(TlpKind.MRD));
        assertEquals(3, stats.count(TlpKind.CPLD));
        // 1b:00 issues 3 MRd and 4 MWr, and the 3 CplD name it as requester
        assertEquals(10, stats.countForRequester(0x1b00));
        assertEquals(2, stats.countForRequester(0x0000));
        // pages: a0000 (BAR), fee1a, fee03, 2f001, 2f002, 2f003, 3bb26
        assertEquals(7, stats.footprintPages());
        // MWr 1, CplD 4, CplD 25, MWr 1, MWr 25, MWr 4, MWr 1, MWr 1, CplD 4 (in DW)
        assertEquals(4 * (1 + 4 + 25 + 1 + 25 + 4 + 1 + 1 + 4), stats.dataBytes());
    }

    @Test
    void shouldDecodeEveryX520AndP4600CaptureFully() throws IOException
    {
        assumeShared();
        final List<Path> files;
        try (Stream<Path> walk = Files.walk(NETTLP.resolve("nic-and-nvme")))
        {
            files = walk.filter(p -> p.toString().endsWith(".pcap")).sorted().toList();
        }
        assertEquals(22, files.size());
        long total = 0;
        for (final Path file : files)
        {
            try (TraceReader reader = TraceFiles.open(file, ErrorPolicy.STOP))
            {
                long kinds = 0;
                while (reader.next())
                {
                    final Tlp tlp = reader.record().tlp();
                    assertTrue(tlp.isValid());
                    assertFalse(tlp.kind().isReserved());
                    kinds++;
                }
                final TraceSummary summary = reader.summary();
                assertTrue(summary.decoded() > 0, file + " " + summary);
                assertEquals(summary.read(), summary.decoded(), file + " " + summary);
                assertEquals(kinds, summary.decoded());
                total += kinds;
            }
        }
        assertTrue(total > 500, "decoded " + total);
    }

    @Test
    void shouldReportTruncatedCapturesAndLabelDirectionBySourceAddress() throws IOException
    {
        assumeShared();
        final Path pcap = NETTLP.resolve("nic-and-nvme").resolve("p4600").resolve("p4600-write-1blk.pcap");
        // An NVMe write makes the drive read host memory. In the nic-and-nvme captures the device's own TLPs come from 192.168.10.1, so the
        // host side is 10.3.
        final int hostSide = NetTlpPcapReader.parseIpv4("192.168.10.3");
        try (NetTlpPcapReader reader = new NetTlpPcapReader(pcap, ErrorPolicy.STOP, hostSide))
        {
            assertTrue(reader.next());
            Tlp tlp = reader.record().tlp();
            assertEquals(Direction.UPSTREAM, reader.record().direction());
            assertEquals(TlpKind.MRD, tlp.kind());
            assertEquals(128, tlp.request().lengthDw());
            assertEquals(0x1900, tlp.request().requesterId());
            assertEquals(0xa0000000L, tlp.request().address());
            assertFalse(tlp.isTruncatedCapture());
            for (int i = 0; i < 2; i++)
            {
                assertTrue(reader.next());
                tlp = reader.record().tlp();
                assertEquals(Direction.DOWNSTREAM, reader.record().direction());
                assertEquals(TlpKind.CPLD, tlp.kind());
                assertEquals(256, tlp.dataLength());
                assertTrue(tlp.isTruncatedCapture());
                assertEquals(268, tlp.length());
                assertEquals(80, tlp.capturedLength());
                assertEquals(68, tlp.capturedDataLength());
            }
            assertFalse(reader.next());
            assertEquals(2, reader.summary().truncatedCaptures());
            assertEquals(3, reader.summary().decoded());
        }
    }
}
