package org.iommuemu.tlp.qemu;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.iommuemu.tlp.CompletionHeader;
import org.iommuemu.tlp.RequestHeader;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormat;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QemuTraceLogReaderTest
{
    private static final String LOG =
        "4242@1700000000.000123:vtd_dmar_translate dev 00:03.00 iova 0x7ffff000 -> gpa 0x12345000 mask 0xfff\n" +
        "4242@1700000000.000200:vtd_iotlb_page_hit IOTLB page hit sid 0x18 iova 0x1000 slpte 0x1 domain 0x1\n" +
        "vtd_dmar_translate dev 01:00.01 iova 0x100200000 -> gpa 0x80200000 mask 0x1fffff\n" +
        "amdvi_translation_result devid: 02:1f.7 gpa 0x5000 hpa 0x9a000\n" +
        "vtd_dmar_fault sid 0x0018 fault 6 addr 0xdead0000 write 1\n";

    @Test
    void shouldTurnTranslationsIntoRequestAndCompletionPairs() throws IOException
    {
        try (QemuTraceLogReader reader = new QemuTraceLogReader("log", new ByteArrayInputStream(LOG.getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.STOP))
        {
            final TranslationCompletionEntry entry = new TranslationCompletionEntry();

            assertTrue(reader.next());
            Tlp tlp = reader.record().tlp();
            assertEquals(Direction.UPSTREAM, reader.record().direction());
            assertEquals(1_700_000_000_000_123_000L, reader.record().timestamp());
            final RequestHeader r = tlp.request();
            assertTrue(r.isTranslationRequest());
            assertEquals(0x0018, r.requesterId());
            assertEquals(0x7ffff000L, r.address());
            assertEquals(2, r.length());
            final int tag = r.tag();

            assertTrue(reader.next());
            tlp = reader.record().tlp();
            assertEquals(Direction.DOWNSTREAM, reader.record().direction());
            assertEquals(TlpKind.CPLD, tlp.kind());
            final CompletionHeader c = tlp.completion();
            assertEquals(0x0018, c.requesterId());
            assertEquals(tag, c.tag());
            assertEquals(8, c.byteCount());
            entry.wrap(tlp.buffer(), tlp.dataOffset());
            assertTrue(entry.r() && entry.w());
            assertEquals(0x12345000L, entry.rangeBase());
            assertEquals(4096, entry.rangeSize());

            assertTrue(reader.next());
            tlp = reader.record().tlp();
            assertEquals(0x0101, tlp.request().requesterId());
            assertTrue(tlp.request().is4Dw());
            assertEquals(0x100200000L, tlp.request().address());
            assertTrue(reader.next());
            entry.wrap(reader.record().tlp().buffer(), reader.record().tlp().dataOffset());
            assertTrue(entry.s());
            assertEquals(0x80200000L, entry.rangeBase());
            assertEquals(2L << 20, entry.rangeSize());

            assertTrue(reader.next());
            assertEquals((0x02 << 8) | (0x1f << 3) | 7, reader.record().tlp().request().requesterId());
            assertEquals(0x5000L, reader.record().tlp().request().address());
            assertTrue(reader.next());
            entry.wrap(reader.record().tlp().buffer(), reader.record().tlp().dataOffset());
            assertEquals(0x9a000L, entry.rangeBase());

            assertTrue(reader.next());
            tlp = reader.record().tlp();
            assertEquals(TlpKind.MWR, tlp.kind());
            assertEquals(0x0018, tlp.request().requesterId());
            assertEquals(0xdead0000L, tlp.request().address());

            assertFalse(reader.next());
            assertEquals(7, reader.summary().decoded());
            assertEquals(1, reader.summary().ignored());
        }
    }

    @Test
    void shouldBeRecognisedByTraceFiles(@TempDir final Path dir)
        throws IOException
    {
        final Path log = dir.resolve("qemu.log");
        Files.writeString(log, LOG);
        assertEquals(TraceFormat.QEMU_LOG, TraceFiles.detect(log));
        final Path text = dir.resolve("t.txt");
        Files.writeString(text, "# c\n1ns up port=0 tlp=00000001 0100000f 00001000\n");
        assertEquals(TraceFormat.TEXT, TraceFiles.detect(text));
        try (TraceReader reader = TraceFiles.open(log, ErrorPolicy.STOP))
        {
            int n = 0;
            while (reader.next())
            {
                n++;
            }
            assertEquals(7, n);
        }
    }

    @Test
    void shouldReportMalformedEventLine() throws IOException
    {
        final String log = "vtd_dmar_translate dev 00:03.00 iova zz -> gpa 0x1 mask 0xfff\n";
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () ->
        {
            try (QemuTraceLogReader reader = new QemuTraceLogReader("log",
                new ByteArrayInputStream(log.getBytes(StandardCharsets.US_ASCII)), ErrorPolicy.STOP))
            {
                reader.next();
            }
        });
        assertEquals(TraceError.BAD_TEXT_LINE, ex.error());
        assertTrue(ex.detail().startsWith("line 1: vtd_dmar_translate"), ex.detail());
        try (QemuTraceLogReader reader = new QemuTraceLogReader("log", new ByteArrayInputStream(log.getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.SKIP_BAD))
        {
            assertFalse(reader.next());
            assertEquals(1, reader.summary().skipped());
        }
    }

    private static QemuTraceLogReader reader(final byte[] log, final ErrorPolicy policy)
    {
        return new QemuTraceLogReader("log", new ByteArrayInputStream(log), policy);
    }

    private static QemuTraceLogReader reader(final String log, final ErrorPolicy policy)
    {
        return reader(log.getBytes(StandardCharsets.UTF_8), policy);
    }

    /** Faults keep QEMU's reason: vtd_dmar_fault's code, amdvi_page_fault joined with the translation result after it. */
    @Test
    void shouldKeepFaultReasons() throws IOException
    {
        final String log = "vtd_dmar_fault sid 0x1000 fault 5 addr 0x100001234 write 1\n" +
            "amdvi_page_fault error: page fault accessing guest physical address 0x7000\n" +
            "amdvi_translation_result devid: 10:00.0 gpa 0x7000 hpa 0x0\n" +
            "amdvi_translation_result devid: 10:00.0 gpa 0x8000 hpa 0x9000\n";
        try (QemuTraceLogReader reader = reader(log, ErrorPolicy.STOP))
        {
            assertTrue(reader.next());
            assertEquals(TlpKind.MWR, reader.record().tlp().kind());
            assertEquals(0x1000, reader.record().tlp().request().requesterId());
            assertEquals(0x100001234L, reader.record().tlp().request().address());
            assertEquals(5, reader.faultReason());
            assertEquals("QEMU: vtd_dmar_fault reason 5 (0x05)", reader.annotation());

            assertTrue(reader.next());
            assertEquals(TlpKind.MRD, reader.record().tlp().kind());
            assertFalse(reader.record().tlp().request().isTranslationRequest(), "the fault is the untranslated access");
            assertEquals(0x1000, reader.record().tlp().request().requesterId());
            assertEquals(0x7000L, reader.record().tlp().request().address());
            assertEquals(QemuTraceLogReader.AMDVI_IO_PAGE_FAULT, reader.faultReason());

            assertTrue(reader.next());
            assertTrue(reader.record().tlp().request().isTranslationRequest());
            assertEquals(QemuTraceLogReader.NO_FAULT, reader.faultReason());
            assertEquals(null, reader.annotation());
            assertTrue(reader.next());
            assertFalse(reader.next());
            assertEquals(2, reader.faults());
            assertEquals(0, reader.summary().ignored());
        }
    }

    /** An IOTLB-hit event marks the translation of the same device and page after it; one without it is counted. */
    @Test
    void shouldUseIotlbHitEvents() throws IOException
    {
        final String log = "vtd_iotlb_page_hit IOTLB page hit sid 0x1000 iova 0x100001234 slpte 0x50000003 domain 0x1\n" +
            "vtd_dmar_translate dev 10:00.00 iova 0x100001000 -> gpa 0x50000000 mask 0xfff\n" +
            "amdvi_iotlb_hit hit iotlb devid 10:00.0 gpa 0x5678 hpa 0x9000\n" +
            "amdvi_translation_result devid: 10:00.0 gpa 0x5678 hpa 0x9678\n" +
            "amdvi_iotlb_hit hit iotlb devid 11:00.0 gpa 0x1000 hpa 0x2000\n" +
            "amdvi_translation_result devid: 10:00.0 gpa 0x1000 hpa 0x2000\n";
        try (QemuTraceLogReader reader = reader(log, ErrorPolicy.STOP))
        {
            for (int i = 0; i < 4; i++)
            {
                assertTrue(reader.next());
                assertTrue(reader.iotlbHit(), "record " + i);
                assertEquals("QEMU: IOTLB hit", reader.annotation());
            }
            assertTrue(reader.next());
            assertFalse(reader.iotlbHit(), "a hit of another device does not mark this translation");
            assertTrue(reader.next());
            assertFalse(reader.next());
            assertEquals(2, reader.iotlbHits());
            assertEquals(1, reader.summary().ignored());
            assertTrue(reader.summary().firstIgnoredReasons().get(0).startsWith("line 5: an IOTLB hit not followed by its translation"),
                reader.summary().firstIgnoredReasons().toString());
        }
    }

    /** A byte that is not UTF-8 is a bad line with its line number and column; --skip-bad skips it and goes on. */
    @Test
    void shouldRefuseBytesThatAreNotUtf8() throws IOException
    {
        final byte[] good = "vtd_dmar_translate dev 10:00.00 iova 0x1000 -> gpa 0x2000 mask 0xfff\n".getBytes(StandardCharsets.UTF_8);
        final byte[] bad = "vtd_dmar_translate dev 10:00.00 iova 0x1000 -> gpa 0x2000 mask 0xfff \u00e9\n"
            .getBytes(StandardCharsets.ISO_8859_1);
        final byte[] comment = "# r\u00e9sum\u00e9 \u2713 in UTF-8 is fine\n".getBytes(StandardCharsets.UTF_8);
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        log.writeBytes(good);
        log.writeBytes(comment);
        log.writeBytes(bad);
        log.writeBytes(good);
        try (QemuTraceLogReader reader = reader(log.toByteArray(), ErrorPolicy.STOP))
        {
            assertTrue(reader.next());
            assertTrue(reader.next());
            final TraceFormatException ex = assertThrows(TraceFormatException.class, reader::next);
            assertEquals(TraceError.BAD_TEXT_LINE, ex.error());
            assertTrue(ex.getMessage().contains("line 3: byte 0xe9 at column 70 is not UTF-8"), ex.getMessage());
        }
        try (QemuTraceLogReader reader = reader(log.toByteArray(), ErrorPolicy.SKIP_BAD))
        {
            int records = 0;
            while (reader.next())
            {
                records++;
            }
            assertEquals(4, records);
            assertEquals(1, reader.summary().skipped());
            assertEquals(1, reader.summary().ignored(), "the UTF-8 comment is no event");
        }
        assertEquals(-1, QemuTraceLogReader.firstNonUtf8(comment, comment.length));
        assertEquals(0, QemuTraceLogReader.firstNonUtf8(new byte[] {(byte)0xC0, (byte)0x80}, 2), "overlong");
        assertEquals(0, QemuTraceLogReader.firstNonUtf8(new byte[] {(byte)0xED, (byte)0xA0, (byte)0x80}, 3), "surrogate");
        assertEquals(1, QemuTraceLogReader.firstNonUtf8(new byte[] {'a', (byte)0xE2, (byte)0x9C}, 3), "cut short");
    }
}
