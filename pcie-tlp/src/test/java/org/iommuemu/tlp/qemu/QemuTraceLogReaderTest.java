package org.iommuemu.tlp.qemu;

import java.io.ByteArrayInputStream;
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
        "4242@1700000000.000200:vtd_iotlb_page_hit sid 0x18 iova 0x1000 slpte 0x1 domain 0x1\n" +
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
}
