package org.iommuemu.tlp.trace;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.nettlp.NetTlpPcapReader;
import org.iommuemu.tlp.qemu.QemuTraceLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The silent misreads and unbounded work of issue 21, one input each: every one is a bad record naming the record
 * and the reason (or an ignored record with its reason), never a record read wrong, never an exception other
 * than {@link TraceFormatException}, and the summary balances ({@code read = decoded + skipped}).
 */
class HostileTraceInputTest
{
    @TempDir
    Path dir;

    /** A clean pcapng of {@code count} TLPs. */
    private byte[] pcapng(final int count) throws IOException
    {
        final Path clean = dir.resolve("clean.pcapng");
        try (PcapngTraceWriter out = new PcapngTraceWriter(clean, TraceRecord.NANOSECONDS))
        {
            new TraceGenerator(new TraceGenerator.Config().workload(Workload.NIC_RX).seed(3)).generate(out, count);
        }
        return Files.readAllBytes(clean);
    }

    /** Offsets of the blocks of a little-endian pcapng. */
    private static List<Integer> blocks(final byte[] bytes)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final List<Integer> offsets = new ArrayList<>();
        for (int at = 0; at < bytes.length; at += buffer.getInt(at + 4))
        {
            offsets.add(at);
        }
        return offsets;
    }

    /** Reads every record with {@code policy}; returns the summary (the reader's exception propagates). */
    private static TraceSummary readAll(final TraceReader reader) throws IOException
    {
        try (reader)
        {
            while (reader.next())
            {
                assertTrue(reader.record().tlp().isValid());
            }
            assertTrue(reader.summary().balanced(), reader.summary().toString());
            return reader.summary();
        }
    }

    private Path write(final String name, final byte[] bytes) throws IOException
    {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void pcapngOriginalLengthBelowCapturedLengthIsABadRecord() throws IOException
    {
        final byte[] bytes = pcapng(3);
        final int epb = blocks(bytes).get(3); // SHB, IDB, EPB 0, EPB 1
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(epb + Pcapng.EPB_ORIGINAL_LENGTH_OFFSET, 9);
        final Path file = write("short-original.pcapng", bytes);
        final TraceFormatException stop = assertThrows(TraceFormatException.class,
            () -> readAll(new PcapngTraceReader(file, ErrorPolicy.STOP)));
        assertEquals(1, stop.recordIndex());
        assertTrue(stop.getMessage().contains("original length 9 is smaller than the captured length"), stop.getMessage());
        final TraceSummary summary = readAll(new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD));
        assertEquals(2, summary.decoded());
        assertEquals(1, summary.skipped());
    }

    @Test
    void pcapngFlippedBlockTypeIsABadRecordAndNonPacketBlocksAreIgnoredWithTheirReason() throws IOException
    {
        final byte[] bytes = pcapng(3);
        final List<Integer> blocks = blocks(bytes);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(blocks.get(2), Pcapng.EPB_TYPE ^ 0x10); // a one-bit error in a packet block's type
        buffer.putInt(blocks.get(3), Pcapng.ISB_TYPE);         // an interface statistics block
        final Path file = write("flipped.pcapng", bytes);
        final TraceFormatException stop = assertThrows(TraceFormatException.class,
            () -> readAll(new PcapngTraceReader(file, ErrorPolicy.STOP)));
        assertEquals(TraceError.UNKNOWN_BLOCK, stop.error());
        assertEquals(0, stop.recordIndex());
        final TraceSummary summary = readAll(new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD));
        assertEquals(1, summary.decoded());
        assertEquals(1, summary.skipped());
        assertEquals(1, summary.ignored());
        assertTrue(summary.toString().contains("first ignored: block type 0x5 at byte offset " + blocks.get(3)), summary.toString());
        assertTrue(summary.toString().contains("unknown block type 0x16"), summary.toString());
    }

    @Test
    void pcapngSectionOfAnotherMajorVersionEndsReading() throws IOException
    {
        final byte[] bytes = pcapng(2);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(Pcapng.SHB_MAJOR_OFFSET, (short)2);
        final Path file = write("v2.pcapng", bytes);
        final TraceFormatException stop = assertThrows(TraceFormatException.class,
            () -> readAll(new PcapngTraceReader(file, ErrorPolicy.STOP)));
        assertEquals(TraceError.UNSUPPORTED_VERSION, stop.error());
        final TraceSummary summary = readAll(new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD));
        assertEquals(0, summary.decoded());
        assertTrue(summary.stoppedEarly());
    }

    @Test
    void pcapngTimestampBeyond63BitsAndTooShortBlocksAreBadRecords() throws IOException
    {
        final byte[] bytes = pcapng(3);
        final List<Integer> blocks = blocks(bytes);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(blocks.get(2) + Pcapng.EPB_TS_HIGH_OFFSET, 0x8000_0000);
        // EPB 2 shrunk to a 16-byte block (the rest of its bytes become a second, unknown, block): no exception.
        final int last = blocks.get(4);
        final int lastLength = buffer.getInt(last + 4);
        buffer.putInt(last + 4, 16).putInt(last + 12, 16);
        buffer.putInt(last + 16, 0x7777).putInt(last + 20, lastLength - 16).putInt(last + lastLength - 4, lastLength - 16);
        final Path file = write("hostile.pcapng", bytes);
        final TraceSummary summary = readAll(new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD));
        assertEquals(1, summary.decoded());
        assertEquals(3, summary.skipped());
        assertEquals(TraceError.BAD_TIMESTAMP, summary.firstErrors().get(0).error());
        assertEquals(TraceError.BAD_BLOCK_LENGTH, summary.firstErrors().get(1).error());
        assertEquals(TraceError.UNKNOWN_BLOCK, summary.firstErrors().get(2).error());
    }

    @Test
    void netTlpOriginalLengthBelowCapturedLengthIsABadRecord() throws IOException
    {
        final ByteBuffer pcap = ByteBuffer.allocate(24 + 16 + 64).order(ByteOrder.LITTLE_ENDIAN);
        pcap.putInt(0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(1);
        pcap.putInt(1).putInt(2).putInt(64).putInt(10); // orig_len 10 < incl_len 64
        final Path file = write("nettlp.pcap", pcap.array());
        final TraceFormatException stop = assertThrows(TraceFormatException.class,
            () -> readAll(new NetTlpPcapReader(file, ErrorPolicy.STOP)));
        assertTrue(stop.getMessage().contains("original length 10 is smaller than the captured length 64"), stop.getMessage());
        assertEquals(1, readAll(new NetTlpPcapReader(file, ErrorPolicy.SKIP_BAD)).skipped());
    }

    @Test
    void textDuplicateFieldsAndOversizedTimestampsAreBadLines() throws IOException
    {
        final String tlp = "tlp=20000001 100000ff 00000001 00000000";
        final String text = "1ns up port=1 port=2 " + tlp + "\n" +
            "2ns up flit flit " + tlp + "\n" +
            "9223372036854775808ns up " + tlp + "\n" +
            "9223372036854775807ns up port=3 " + tlp + "\n";
        final TextTraceReader reader = new TextTraceReader("t.txt", new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.SKIP_BAD);
        try (reader)
        {
            assertTrue(reader.next());
            assertEquals(Long.MAX_VALUE, reader.record().timestamp());
            assertEquals(3, reader.record().port());
            assertEquals(3, reader.record().recordIndex());
            assertFalse(reader.next());
        }
        final List<TraceFormatException> errors = reader.summary().firstErrors();
        assertTrue(errors.get(0).getMessage().contains("field port= appears twice"), errors.get(0).getMessage());
        assertTrue(errors.get(1).getMessage().contains("field flit appears twice"), errors.get(1).getMessage());
        assertEquals(TraceError.BAD_TIMESTAMP, errors.get(2).error());
        assertTrue(errors.get(2).getMessage().contains("9223372036854775808 does not fit 63 bits"), errors.get(2).getMessage());
    }

    /** Counts the bytes a reader takes from its stream. */
    private static final class CountingStream extends FilterInputStream
    {
        long read;

        CountingStream(final InputStream in)
        {
            super(in);
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException
        {
            final int n = super.read(b, off, len);
            read += Math.max(0, n);
            return n;
        }
    }

    /** A stream of one endless line: the readers must stop at their limit, not scan on. */
    private static InputStream endlessLine()
    {
        return new InputStream()
        {
            @Override
            public int read()
            {
                return 'x';
            }

            @Override
            public int read(final byte[] b, final int off, final int len)
            {
                Arrays.fill(b, off, off + len, (byte)'x');
                return len;
            }
        };
    }

    @Test
    void anEndlessLineStopsTheTextAndQemuReadersAtTheirLimit() throws IOException
    {
        for (final ErrorPolicy policy : ErrorPolicy.values())
        {
            final CountingStream text = new CountingStream(endlessLine());
            final TextTraceReader textReader = new TextTraceReader("endless.txt", text, policy);
            if (policy == ErrorPolicy.STOP)
            {
                final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> readAll(textReader));
                assertEquals(TraceError.LINE_TOO_LONG, ex.error());
            }
            else
            {
                final TraceSummary summary = readAll(textReader);
                assertTrue(summary.stoppedEarly());
                assertEquals(1, summary.skipped());
            }
            assertTrue(text.read <= 2 * TextTraceReader.MAX_LINE, "read " + text.read + " bytes");

            final CountingStream log = new CountingStream(endlessLine());
            final QemuTraceLogReader logReader = new QemuTraceLogReader("endless.log", log, policy);
            if (policy == ErrorPolicy.STOP)
            {
                assertEquals(TraceError.LINE_TOO_LONG, assertThrows(TraceFormatException.class, () -> readAll(logReader)).error());
            }
            else
            {
                assertTrue(readAll(logReader).stoppedEarly());
            }
            assertTrue(log.read <= 2 * QemuTraceLogReader.MAX_LINE, "read " + log.read + " bytes");
        }
    }

    @Test
    void qemuLogValuesOutOfRangeAndMalformedPrefixesAreBadLinesOtherEventsIgnored() throws IOException
    {
        final String log = String.join("\n",
            "100@1.000001:vtd_dmar_translate dev 100:00.0 iova 0x1000 -> gpa 0x2000 mask 0xfff",
            "100@1.000002:vtd_dmar_translate dev 00:20.0 iova 0x1000 -> gpa 0x2000 mask 0xfff",
            "100@1.000003:vtd_dmar_fault sid 0x10000 fault 5 addr 0x1000 write 0",
            "100@1.000004:amdvi_translation_result devid: 00:00.8 gpa 0x1000 hpa 0x2000",
            "100@abc:vtd_dmar_translate dev 00:02.0 iova 0x1000 -> gpa 0x2000 mask 0xfff",
            "100@99999999999999999999.1:vtd_dmar_fault sid 0x10 fault 5 addr 0x1000 write 1",
            "100@1.000005:vtd_dmar_translate dev 00:02.0 iova 0x1000 -> gpa 0x2000 mask 0x1fff0",
            "100@1.000006:vtd_dmar_fault sid 0x10 fault 5 addr 0x1000 write 7",
            "100@1.000007:vtd_inv_desc_iotlb_global",
            "qemu-system-x86_64: a warning",
            "100@1.000008:vtd_dmar_fault sid 0x0010 fault 5 addr 0x1000 write 1",
            "");
        final QemuTraceLogReader reader = new QemuTraceLogReader("q.log",
            new ByteArrayInputStream(log.getBytes(StandardCharsets.US_ASCII)), ErrorPolicy.SKIP_BAD);
        final TraceSummary summary = readAll(reader);
        assertEquals(1, summary.decoded());
        assertEquals(8, summary.skipped());
        assertEquals(2, summary.ignored());
        final List<TraceFormatException> errors = summary.firstErrors();
        assertTrue(errors.get(0).getMessage().contains("line 1: dev 100:00.0 is out of range"), errors.get(0).getMessage());
        assertTrue(errors.get(1).getMessage().contains("line 2: dev 00:20.0 is out of range"), errors.get(1).getMessage());
        assertTrue(errors.get(2).getMessage().contains("line 3: sid 0x10000 is wider than a 16-bit source ID"), errors.get(2).getMessage());
        assertTrue(summary.firstIgnoredReasons().get(0).contains("line 9: event vtd_inv_desc_iotlb_global"), summary.toString());
        assertTrue(summary.firstIgnoredReasons().get(1).contains("line 10: not a trace event"), summary.toString());
        assertEquals(TraceError.BAD_TEXT_LINE, assertThrows(TraceFormatException.class, () -> readAll(new QemuTraceLogReader("q.log",
            new ByteArrayInputStream("100@abc:vtd_dmar_fault sid 0x10 fault 5 addr 0x1000 write 1\n".getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.STOP))).error());
        final TraceFormatException late = assertThrows(TraceFormatException.class, () -> readAll(new QemuTraceLogReader("q.log",
            new ByteArrayInputStream("100@99999999999.1:vtd_dmar_fault sid 0x10 fault 5 addr 0x1000 write 1\n"
                .getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.STOP)));
        assertEquals(TraceError.BAD_TIMESTAMP, late.error());
    }

    @Test
    void aBinaryFileWithoutAKnownMagicIsNotReadAsText() throws IOException
    {
        final byte[] bytes = pcapng(2);
        bytes[0] ^= 0x01; // the Section Header Block's type damaged
        final Path file = write("damaged.pcapng", bytes);
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> TraceFiles.open(file, ErrorPolicy.SKIP_BAD));
        assertEquals(TraceError.BAD_MAGIC, ex.error());
        assertTrue(ex.getMessage().contains("not a trace of a known format (tried pcapng, NetTLP pcap, QEMU log, text): " +
            "the file starts with 0b 0d 0d 0a"), ex.getMessage());
    }

    @Test
    void writersRefuseTimestampsTheReadersReject() throws IOException
    {
        final TraceRecord record = new TraceRecord();
        new TraceGenerator(new TraceGenerator.Config()).next(record);
        record.set(-1, TraceRecord.NANOSECONDS, record.direction(), 0);
        try (TextTraceWriter text = new TextTraceWriter(dir.resolve("t.txt"), false);
             PcapngTraceWriter pcapng = new PcapngTraceWriter(dir.resolve("t.pcapng"), TraceRecord.NANOSECONDS))
        {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> text.write(record)).getMessage().contains("negative"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> pcapng.write(record)).getMessage().contains("negative"));
        }
    }
}
