package org.iommuemu.tlp.trace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.TlpError;
import org.iommuemu.tlp.TlpRoundTripTest;
import org.iommuemu.tlp.io.TraceFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** pcie-tlp pcapng: round trips through pcapng and text, and every kind of bad input. */
class PcapngTraceTest
{
    @TempDir
    Path dir;

    /** A record as plain values, to compare after reading. */
    record Expected(long timestamp, Direction direction, int port, boolean flit, boolean ideValid, boolean t,
        int stream, byte[] bytes, int wireLength)
    {
    }

    private static List<Expected> randomRecords(final long seed, final int count)
    {
        final Random random = new Random(seed);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8192]);
        final List<Expected> records = new ArrayList<>();
        long timestamp = 1_574_380_308_000_000_000L;
        for (int i = 0; i < count; i++)
        {
            buffer.setMemory(0, buffer.capacity(), (byte)0);
            final int length = TlpRoundTripTest.writeRandom(random, buffer);
            final byte[] bytes = new byte[length];
            buffer.getBytes(0, bytes);
            timestamp += random.nextInt(1_000_000);
            final boolean ide = random.nextInt(4) == 0;
            records.add(new Expected(timestamp, random.nextBoolean() ? Direction.UPSTREAM : Direction.DOWNSTREAM,
                random.nextInt(1 << 16), false, ide, ide && random.nextBoolean(), ide ? random.nextInt(256) : 0,
                bytes, length));
        }
        // a flit-mode TLP with OHC-A and OHC-C, and a snap-length-truncated MWr
        records.add(new Expected(timestamp + 1, Direction.UPSTREAM, 7, true, false, false, 0,
            hex("40050001 01000a00 00001000 f7d12345 0b182a07 aabbccdd"), 24));
        records.add(new Expected(timestamp + 2, Direction.UPSTREAM, 7, false, false, false, 0,
            hex("40000040 0100000f 00001000 11223344"), 12 + 256));
        return records;
    }

    static byte[] hex(final String text)
    {
        final String clean = text.replace(" ", "");
        final byte[] out = new byte[clean.length() / 2];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = (byte)Integer.parseInt(clean.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private static void write(final TraceWriter writer, final List<Expected> records, final int exponent)
        throws IOException
    {
        final TraceRecord record = new TraceRecord();
        for (final Expected e : records)
        {
            record.set(e.timestamp(), exponent, e.direction(), e.port()).ide(e.ideValid(), e.t(), e.stream())
                .tlpBytes(e.flit(), new UnsafeBuffer(e.bytes()), 0, e.bytes().length, e.wireLength());
            writer.write(record);
        }
    }

    private static void assertReads(final TraceReader reader, final List<Expected> records, final int exponent)
        throws IOException
    {
        for (final Expected e : records)
        {
            assertTrue(reader.next());
            final TraceRecord r = reader.record();
            assertEquals(e.timestamp(), r.timestamp());
            assertEquals(exponent, r.timestampExponent());
            assertEquals(e.direction(), r.direction());
            assertEquals(e.port(), r.port());
            assertEquals(e.flit(), r.flit());
            assertEquals(e.ideValid(), r.ideValid());
            assertEquals(e.t(), r.t());
            assertEquals(e.stream(), r.streamId());
            assertEquals(e.wireLength(), r.wireLength());
            final byte[] bytes = new byte[r.capturedLength()];
            r.buffer().getBytes(r.tlpOffset(), bytes);
            assertArrayEquals(e.bytes(), bytes);
            assertTrue(r.tlp().isValid());
        }
        assertFalse(reader.next());
        assertEquals(records.size(), reader.summary().decoded());
        assertEquals(0, reader.summary().skipped());
    }

    @Test
    void shouldRoundTripThroughPcapngInNanoseconds() throws IOException
    {
        final List<Expected> records = randomRecords(11, 2000);
        final Path file = dir.resolve("a.pcapng");
        try (TraceWriter writer = new PcapngTraceWriter(file, TraceRecord.NANOSECONDS))
        {
            write(writer, records, TraceRecord.NANOSECONDS);
            assertEquals(records.size(), writer.recordsWritten());
        }
        assertEquals(TraceFormat.PCAPNG, TraceFiles.detect(file));
        try (TraceReader reader = TraceFiles.open(file, ErrorPolicy.STOP))
        {
            assertReads(reader, records, TraceRecord.NANOSECONDS);
        }
    }

    @Test
    void shouldRoundTripPicosecondsAndConvertThroughTextByteForByte() throws IOException
    {
        final List<Expected> records = randomRecords(12, 500);
        final Path first = dir.resolve("first.pcapng");
        final Path text = dir.resolve("middle.txt");
        final Path second = dir.resolve("second.pcapng");
        try (TraceWriter writer = new PcapngTraceWriter(first, TraceRecord.PICOSECONDS))
        {
            write(writer, records, TraceRecord.PICOSECONDS);
        }
        try (TraceReader in = TraceFiles.open(first, ErrorPolicy.STOP);
            TraceWriter out = TraceFiles.create(text, TraceFormat.TEXT, TraceRecord.PICOSECONDS))
        {
            assertEquals(records.size(), TraceFiles.copy(in, out).decoded());
        }
        assertEquals(TraceFormat.TEXT, TraceFiles.detect(text));
        try (TraceReader reader = TraceFiles.open(text, ErrorPolicy.STOP))
        {
            assertReads(reader, records, TraceRecord.PICOSECONDS);
        }
        try (TraceReader in = TraceFiles.open(text, ErrorPolicy.STOP);
            TraceWriter out = TraceFiles.create(second, TraceFormat.PCAPNG, TraceRecord.PICOSECONDS))
        {
            TraceFiles.copy(in, out);
        }
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    }

    @Test
    void shouldRejectTimestampThatOverflowsPicoseconds() throws IOException
    {
        final TraceRecord record = new TraceRecord().set(Long.MAX_VALUE / 100, TraceRecord.NANOSECONDS,
            Direction.UPSTREAM, 0).tlpBytes(false, new UnsafeBuffer(hex("00000001 01000a0f 00001000")), 0, 12, 12);
        try (TraceWriter writer = new PcapngTraceWriter(dir.resolve("ps.pcapng"), TraceRecord.PICOSECONDS))
        {
            assertThrows(IllegalArgumentException.class, () -> writer.write(record));
        }
    }

    private Path validFile(final int count) throws IOException
    {
        final Path file = dir.resolve("valid.pcapng");
        try (TraceWriter writer = new PcapngTraceWriter(file, TraceRecord.NANOSECONDS))
        {
            write(writer, randomRecords(13, count).subList(0, count), TraceRecord.NANOSECONDS);
        }
        return file;
    }

    /** Offsets of the Enhanced Packet Blocks in a little-endian file. */
    private static List<Integer> packetBlockOffsets(final byte[] file)
    {
        final ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        final List<Integer> offsets = new ArrayList<>();
        int at = 0;
        while (at < file.length)
        {
            if (b.getInt(at) == Pcapng.EPB_TYPE)
            {
                offsets.add(at);
            }
            at += b.getInt(at + 4);
        }
        return offsets;
    }

    private static TraceFormatException readAll(final Path file)
    {
        return assertThrows(TraceFormatException.class, () ->
        {
            try (TraceReader reader = new PcapngTraceReader(file, ErrorPolicy.STOP))
            {
                while (reader.next())
                {
                    assertTrue(reader.record().tlp().isValid());
                }
            }
        });
    }

    @Test
    void shouldRejectWrongMagic() throws IOException
    {
        final Path file = dir.resolve("bad.pcapng");
        Files.write(file, hex("d4c3b2a1 02000400 00000000 00000000 ffff0000 01000000"));
        final TraceFormatException ex = assertThrows(TraceFormatException.class,
            () -> new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD).close());
        assertEquals(TraceError.BAD_MAGIC, ex.error());
        assertEquals(0, ex.byteOffset());
        assertTrue(ex.getMessage().contains("not a pcapng file"), ex.getMessage());
    }

    @Test
    void shouldRejectBadByteOrderMagic() throws IOException
    {
        final byte[] bytes = Files.readAllBytes(validFile(2));
        bytes[8] = 0x11;
        final Path file = dir.resolve("bom.pcapng");
        Files.write(file, bytes);
        final TraceFormatException ex = readAll(file);
        assertEquals(TraceError.BAD_MAGIC, ex.error());
        assertEquals(8, ex.byteOffset());
    }

    @Test
    void shouldReportBlockThatRunsPastEndOfFile() throws IOException
    {
        final byte[] bytes = Files.readAllBytes(validFile(5));
        final List<Integer> blocks = packetBlockOffsets(bytes);
        final int last = blocks.get(4);
        final Path file = dir.resolve("cut.pcapng");
        Files.write(file, Arrays.copyOf(bytes, last + 20));
        final TraceFormatException ex = readAll(file);
        assertEquals(TraceError.BLOCK_PAST_EOF, ex.error());
        assertEquals(4, ex.recordIndex());
        assertEquals(last, ex.byteOffset());
        assertTrue(ex.getMessage().contains("record 4 at byte offset " + last), ex.getMessage());

        try (TraceReader reader = new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD))
        {
            int n = 0;
            while (reader.next())
            {
                n++;
            }
            assertEquals(4, n);
            final TraceSummary summary = reader.summary();
            assertEquals(5, summary.read());
            assertEquals(4, summary.decoded());
            assertEquals(1, summary.skipped());
            assertTrue(summary.stoppedEarly());
            assertEquals(TraceError.BLOCK_PAST_EOF, summary.firstError().error());
        }
    }

    @Test
    void shouldReportTruncatedBlockHeader() throws IOException
    {
        final byte[] bytes = Files.readAllBytes(validFile(3));
        final int last = packetBlockOffsets(bytes).get(2);
        final Path file = dir.resolve("cut.pcapng");
        Files.write(file, Arrays.copyOf(bytes, last + 6));
        final TraceFormatException ex = readAll(file);
        assertEquals(TraceError.TRUNCATED_BLOCK, ex.error());
        assertEquals(2, ex.recordIndex());
        assertEquals(last, ex.byteOffset());
    }

    @Test
    void shouldReportLengthFieldPastEndOfFileAndInconsistentLengths() throws IOException
    {
        final byte[] bytes = Files.readAllBytes(validFile(3));
        final int second = packetBlockOffsets(bytes).get(1);
        final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int length = b.getInt(second + 4);
        b.putInt(second + 4, 0x0008_0000);
        final Path file = dir.resolve("long.pcapng");
        Files.write(file, bytes);
        TraceFormatException ex = readAll(file);
        assertEquals(TraceError.BLOCK_PAST_EOF, ex.error());
        assertEquals(1, ex.recordIndex());
        assertEquals(second, ex.byteOffset());

        b.putInt(second + 4, length + 4);
        Files.write(file, bytes);
        ex = readAll(file);
        assertEquals(TraceError.BAD_BLOCK_LENGTH, ex.error());
        b.putInt(second + 4, 7);
        Files.write(file, bytes);
        assertEquals(TraceError.BAD_BLOCK_LENGTH, readAll(file).error());
    }

    @Test
    void shouldStopOrSkipOnUndecodableTlp() throws IOException
    {
        final List<Expected> records = new ArrayList<>(randomRecords(14, 6).subList(0, 6));
        final byte[] reserved = hex("a0000001 0100000f 00001000");
        records.set(3, new Expected(5, Direction.UPSTREAM, 0, false, false, false, 0, reserved, reserved.length));
        final Path file = dir.resolve("undecodable.pcapng");
        try (TraceWriter writer = new PcapngTraceWriter(file, TraceRecord.NANOSECONDS))
        {
            write(writer, records, TraceRecord.NANOSECONDS);
        }
        final int block = packetBlockOffsets(Files.readAllBytes(file)).get(3);
        final TraceFormatException ex = readAll(file);
        assertEquals(TraceError.UNDECODABLE_TLP, ex.error());
        assertEquals(3, ex.recordIndex());
        assertEquals(block + Pcapng.EPB_DATA_OFFSET + PseudoHeader.LENGTH, ex.byteOffset());
        assertTrue(ex.detail().contains(TlpError.RESERVED_FMT_TYPE.description()), ex.detail());

        try (TraceReader reader = new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD))
        {
            int n = 0;
            while (reader.next())
            {
                n++;
            }
            assertEquals(5, n);
            assertEquals(6, reader.summary().read());
            assertEquals(1, reader.summary().skipped());
            assertFalse(reader.summary().stoppedEarly());
            assertTrue(reader.summary().toString().contains("skipped 1"), reader.summary().toString());
        }
    }

    @Test
    void shouldSkipForeignLinkTypeAndBadPseudoHeader() throws IOException
    {
        final byte[] bytes = Files.readAllBytes(validFile(2));
        final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int first = packetBlockOffsets(bytes).get(0);
        b.put(first + Pcapng.EPB_DATA_OFFSET, (byte)9);
        final Path file = dir.resolve("pseudo.pcapng");
        Files.write(file, bytes);
        final TraceFormatException ex = readAll(file);
        assertEquals(TraceError.BAD_PSEUDO_HEADER, ex.error());
        assertEquals(0, ex.recordIndex());

        b.put(first + Pcapng.EPB_DATA_OFFSET, (byte)1);
        b.putShort(packetBlockOffsets(bytes).get(0) - 44 + Pcapng.IDB_LINKTYPE_OFFSET, (short)1);
        Files.write(file, bytes);
        try (TraceReader reader = new PcapngTraceReader(file, ErrorPolicy.SKIP_BAD))
        {
            assertFalse(reader.next());
            assertEquals(2, reader.summary().skipped());
            assertEquals(TraceError.UNSUPPORTED_LINK_TYPE, reader.summary().firstError().error());
        }
    }
}
