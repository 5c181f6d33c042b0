package org.iommuemu.tlp.trace;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.TlpKind;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The text trace format: hand-written fixtures, the writer's exact output, and bad lines. */
class TextTraceTest
{
    private static TextTraceReader reader(final String text, final ErrorPolicy policy)
    {
        return new TextTraceReader("fixture", new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)),
            policy);
    }

    @Test
    void shouldReadHandWrittenFixture() throws IOException
    {
        final String text = "# a comment\n" +
            "\n" +
            "100ns up port=3 tlp=00000004 1b0003ff 2f001000\r\n" +
            "  2500ps down port=0 flit ide=1:2a tlp=40050001 01000a00 00001000 f7d12345 0b182a07 aabbccdd # c\n" +
            "7us up port=1 wire=268 tlp=40000040 0100000f 00001000 11223344\n";
        try (TextTraceReader reader = reader(text, ErrorPolicy.STOP))
        {
            assertTrue(reader.next());
            TraceRecord r = reader.record();
            assertEquals(100, r.timestamp());
            assertEquals(TraceRecord.NANOSECONDS, r.timestampExponent());
            assertEquals(Direction.UPSTREAM, r.direction());
            assertEquals(3, r.port());
            assertEquals(TlpKind.MRD, r.tlp().kind());
            assertEquals(0x2f001000L, r.tlp().request().address());
            assertEquals(0, r.recordIndex());

            assertTrue(reader.next());
            r = reader.record();
            assertEquals(2500, r.timestamp());
            assertEquals(TraceRecord.PICOSECONDS, r.timestampExponent());
            assertEquals(2, r.timestampIn(TraceRecord.NANOSECONDS));
            assertTrue(r.flit());
            assertTrue(r.ideValid());
            assertTrue(r.t());
            assertEquals(0x2a, r.streamId());
            assertEquals(0x12345, r.tlp().pasid());

            assertTrue(reader.next());
            r = reader.record();
            assertEquals(TraceRecord.MICROSECONDS, r.timestampExponent());
            assertEquals(268, r.wireLength());
            assertTrue(r.tlp().isTruncatedCapture());
            assertFalse(reader.next());
            assertEquals(3, reader.summary().decoded());
        }
    }

    @Test
    void shouldWriteOneLinePerTlpWithDecodedComment() throws IOException
    {
        final StringWriter out = new StringWriter();
        try (TextTraceWriter writer = new TextTraceWriter(out, true))
        {
            final TraceRecord record = new TraceRecord()
                .set(1_574_380_308_210_015_000L, TraceRecord.NANOSECONDS, Direction.DOWNSTREAM, 0)
                .tlpBytes(false, new UnsafeBuffer(PcapngTraceTest.hex("40000001 0000030f a0000010 00000000")), 0, 16, 16);
            writer.write(record);
        }
        assertEquals(TextTraceWriter.HEADER + "\n" +
            "1574380308210015000ns down port=0 tlp=40000001 0000030f a0000010 00000000 " +
            "# MWr32 len 1 req 00:00.0 tag 0x03 last 0x0 first 0xf addr 0xa0000010\n", out.toString());
    }

    @Test
    void shouldNameLineAndOffsetOfBadLines() throws IOException
    {
        final String good = "1ns up port=0 tlp=00000001 0100000f 00001000\n";
        final String[] bad = {
            "xyz up port=0 tlp=00\n",
            "1ns sideways port=0 tlp=00\n",
            "1ns up port=0 colour=red tlp=00\n",
            "1ns up port=0 tlp=000\n",
            "1ns up port=0\n",
            "1ns up port=0 tlp=a0000001 0100000f 00001000\n",
        };
        final TraceError[] errors = {TraceError.BAD_TEXT_LINE, TraceError.BAD_TEXT_LINE, TraceError.BAD_TEXT_LINE,
            TraceError.BAD_TEXT_LINE, TraceError.BAD_TEXT_LINE, TraceError.UNDECODABLE_TLP};
        for (int i = 0; i < bad.length; i++)
        {
            final String text = "# header\n" + good + bad[i] + good;
            final int index = i;
            final TraceFormatException ex = assertThrows(TraceFormatException.class, () ->
            {
                try (TextTraceReader reader = reader(text, ErrorPolicy.STOP))
                {
                    while (reader.next())
                    {
                        assertTrue(reader.record().tlp().isValid());
                    }
                }
            }, bad[index]);
            assertEquals(errors[i], ex.error(), bad[i]);
            assertEquals(1, ex.recordIndex());
            assertTrue(ex.detail().startsWith("line 3: "), ex.detail());
            assertTrue(ex.byteOffset() >= ("# header\n" + good).length(), ex.getMessage());

            try (TextTraceReader reader = reader(text, ErrorPolicy.SKIP_BAD))
            {
                int n = 0;
                while (reader.next())
                {
                    n++;
                }
                assertEquals(2, n);
                assertEquals(3, reader.summary().read());
                assertEquals(1, reader.summary().skipped());
            }
        }
    }

    /** Guest CPU access lines: read among TLPs, written back identically, refused by pcapng, bad fields named. */
    @Test
    void shouldReadAndWriteGuestCpuAccessesBesideTlps() throws IOException
    {
        final String text = "100ns cpu vcpu=3 vmpl=1 gpa=0x10040 size=64 access=w c=1\n" +
            "101ns up port=0 tlp=00000001 0100000f 00001000\n" +
            "102ns cpu c=0 access=x gpa=4096 vcpu=0\n";
        final StringWriter out = new StringWriter();
        try (TextTraceReader reader = reader(text, ErrorPolicy.STOP); TextTraceWriter writer = new TextTraceWriter(out, false))
        {
            assertTrue(reader.next());
            TraceRecord r = reader.record();
            assertTrue(r.isGuestAccess());
            assertFalse(r.effectiveT());
            assertEquals(3, r.guestAccess().vcpu());
            assertEquals(1, r.guestAccess().vmpl());
            assertEquals(0x10040, r.guestAccess().gpa());
            assertEquals(64, r.guestAccess().size());
            assertTrue(r.guestAccess().isWrite());
            assertTrue(r.guestAccess().encrypted());
            writer.write(r);
            assertThrows(IllegalArgumentException.class, () -> new PcapngTraceWriter(Files.createTempFile("cpu", ".pcapng"),
                TraceRecord.NANOSECONDS).write(reader.record()), "pcapng holds TLPs only");
            assertTrue(reader.next());
            assertFalse(reader.record().isGuestAccess(), "a TLP line after a cpu line is a TLP again");
            assertEquals(TlpKind.MRD, reader.record().tlp().kind());
            writer.write(reader.record());
            assertTrue(reader.next());
            r = reader.record();
            assertEquals(GuestAccess.EXECUTE, r.guestAccess().access());
            assertEquals(0, r.guestAccess().vmpl(), "vmpl defaults to 0");
            assertEquals(8, r.guestAccess().size(), "size defaults to 8");
            assertFalse(r.guestAccess().encrypted());
            writer.write(r);
            assertEquals(3, reader.summary().decoded());
        }
        assertEquals(TextTraceWriter.HEADER + "\n" +
            "100ns cpu vcpu=3 vmpl=1 gpa=0x10040 size=64 access=w c=1\n" +
            "101ns up port=0 tlp=00000001 0100000f 00001000\n" +
            "102ns cpu vcpu=0 vmpl=0 gpa=0x1000 size=8 access=x c=0\n", out.toString());

        final TraceStats stats = new TraceStats();
        try (TextTraceReader reader = reader(text, ErrorPolicy.STOP))
        {
            while (reader.next())
            {
                stats.accept(reader.record());
            }
        }
        assertEquals(2, stats.guestAccesses());
        assertTrue(stats.report(new StringBuilder()).toString().contains("guest CPU accesses 2 (not TLPs)"));
        assertTrue(stats.report(new StringBuilder()).toString().startsWith("records 3 (upstream 1, downstream 0, flit 0)"));

        final String[] bad = {
            "1ns cpu vcpu=0 gpa=0x1000 access=w\n",
            "1ns cpu vcpu=0 gpa=0x1000 access=q c=1\n",
            "1ns cpu vcpu=0 vcpu=1 gpa=0x1000 access=r c=1\n",
            "1ns cpu vcpu=0 gpa=0x1ff8 size=16 access=r c=1\n",
            "1ns cpu vcpu=0 vmpl=4 gpa=0x1000 access=r c=1\n",
            "1ns cpu vcpu=0 gpa=0x1000 access=r c=1 colour=red\n",
            "1ns cpu vcpu=0 gpa=0xzz access=r c=1\n",
        };
        final String[] reasons = {"needs c=", "access is r, w or x", "appears twice", "inside one 4 KiB page", "vmpl 4",
            "unknown field 'colour=red'", "bad value in 'gpa=0xzz'"};
        for (int i = 0; i < bad.length; i++)
        {
            final String line = bad[i];
            final TraceFormatException ex = assertThrows(TraceFormatException.class, () ->
            {
                try (TextTraceReader reader = reader(line, ErrorPolicy.STOP))
                {
                    reader.next();
                }
            }, line);
            assertEquals(TraceError.BAD_TEXT_LINE, ex.error());
            assertTrue(ex.detail().contains(reasons[i]), line + ": " + ex.detail());
        }
    }
}
