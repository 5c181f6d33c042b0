package org.iommuemu.tlp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Encoders of the ATS/PRI structures produce the same literal bytes the decoder tests read. */
class AtsMessageEncodeTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);

    @BeforeEach
    void clear()
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0);
    }

    @Test
    void shouldEncodeInvalidateRequest()
    {
        final AtsInvalidateRequest r = new AtsInvalidateRequest().wrap(buffer, 0);
        r.initialise().requesterId(0x0100).destinationId(0x0200);
        r.itag(3).range(0x1_23400000L, 2L << 20, false);
        assertEquals("72000002010000010200000300000000" + "00000001234ff800", Hex.of(buffer, 0, 24));
    }

    @Test
    void shouldEncodeInvalidateCompletion()
    {
        final AtsInvalidateCompletion c = new AtsInvalidateCompletion().wrap(buffer, 0);
        c.initialise().requesterId(0x0200).destinationId(0x0100);
        c.completionCount(2).itagVector(5);
        assertEquals("32000000020000020100000200000005", Hex.of(buffer, 0, 16));
    }

    @Test
    void shouldEncodePageRequestWithPasidPrefix()
    {
        new PasidPrefix().wrap(buffer, 0).set(0x12345, true, true);
        final PageRequest p = new PageRequest().wrap(buffer, 4);
        p.initialise().requesterId(0x0100);
        p.pageAddress(0x1_23456000L).prgIndex(0x1a5).last(true).write(true).read(true);
        assertEquals("91312345" + "30000000010000040000000123456d2f", Hex.of(buffer, 0, 20));
    }

    @Test
    void shouldEncodePrgResponse()
    {
        final PrgResponse p = new PrgResponse().wrap(buffer, 0);
        p.initialise().destinationId(0x0100);
        p.responseCode(PrgResponse.RESPONSE_FAILURE).prgIndex(0x1a5);
        assertEquals("320000000000000501" + "00f1a500000000", Hex.of(buffer, 0, 16));
    }

    @Test
    void shouldEncodeTranslationRequestAndCompletion()
    {
        final TlpEncoder encoder = new TlpEncoder();
        int length = encoder.translationRequest(buffer, 0, 0x0100, 0x0a, 0x1_23456789L, 1, true);
        assertEquals("20000402 01000aff 00000001 23456001".replace(" ", ""), Hex.of(buffer, 0, length));
        clear();
        length = encoder.translationCompletion(buffer, 0, 0x0000, 0x0100, 0x0a, 2);
        final TranslationCompletionEntry e = new TranslationCompletionEntry();
        e.wrap(buffer, 12).value(TranslationCompletionEntry.compose(0x87654000L, 4096,
            TranslationCompletionEntry.R | TranslationCompletionEntry.W));
        e.wrap(buffer, 20).value(TranslationCompletionEntry.compose(0x200000L, 2L << 20,
            TranslationCompletionEntry.R | TranslationCompletionEntry.W | TranslationCompletionEntry.U |
            TranslationCompletionEntry.EXE | TranslationCompletionEntry.PRIV));
        assertEquals("4a000004 00000010 01000a00 00000000 87654003 00000000 002ff81f".replace(" ", ""),
            Hex.of(buffer, 0, length));
    }

    @Test
    void shouldEncodeFlitHeaderBaseAndOhc()
    {
        new FlitHeaderBase().wrap(buffer, 0).type(0x40).ohc(FlitHeaderBase.OHC_A | FlitHeaderBase.OHC_C).length(1)
            .headerDw(1, 0x01000a00).headerDw(2, 0x00001000);
        new OhcA1().wrap(buffer, 12).set(true, 0x12345, true, false, true, 0x7, 0xf);
        new OhcC().wrap(buffer, 16).set(true, false, true, 0, 0x07, 0x2a, false, 0x0b);
        assertEquals("40050001 01000a00 00001000 f7d12345 0b182a07".replace(" ", ""), Hex.of(buffer, 0, 20));
    }
}
