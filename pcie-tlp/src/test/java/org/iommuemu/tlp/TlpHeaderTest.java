package org.iommuemu.tlp;

import java.util.function.Consumer;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Walking-field tests of DW0: each field alone lands on exactly its bits, and reads back alone. */
class TlpHeaderTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
    private final TlpHeader header = new TlpHeader().wrap(buffer, 0);

    private void assertDw0(final String expectedHex, final Consumer<TlpHeader> setter)
    {
        buffer.setMemory(0, 16, (byte)0);
        setter.accept(header);
        assertEquals(expectedHex, Hex.of(buffer, 0, 4));
    }

    @Test
    void shouldPlaceEachDw0FieldOnItsOwnBits()
    {
        assertDw0("ff000000", h -> h.fmtType(0xFF));
        assertDw0("e0000000", h -> h.fmtType(0xE0));
        assertDw0("00800000", h -> h.t9(true));
        assertDw0("00700000", h -> h.tc(7));
        assertDw0("00080000", h -> h.t8(true));
        assertDw0("00040000", h -> h.attr(TlpHeader.ATTR_ID_BASED_ORDERING));
        assertDw0("00020000", h -> h.ln(true));
        assertDw0("00010000", h -> h.th(true));
        assertDw0("00008000", h -> h.td(true));
        assertDw0("00004000", h -> h.ep(true));
        assertDw0("00002000", h -> h.attr(TlpHeader.ATTR_RELAXED_ORDERING));
        assertDw0("00001000", h -> h.attr(TlpHeader.ATTR_NO_SNOOP));
        assertDw0("00000400", h -> h.at(TlpHeader.AT_TRANSLATION_REQUEST));
        assertDw0("00000800", h -> h.at(TlpHeader.AT_TRANSLATED));
        assertDw0("000003ff", h -> h.length(0x3ff));
    }

    @Test
    void shouldReadEachDw0BitAlone()
    {
        buffer.putBytes(0, Hex.bytes("00080000"));
        assertTrue(header.t8());
        assertFalse(header.t9());
        assertEquals(0, header.attr());
        buffer.putBytes(0, Hex.bytes("00040000"));
        assertFalse(header.t8());
        assertEquals(TlpHeader.ATTR_ID_BASED_ORDERING, header.attr());
        assertFalse(header.ln());
        buffer.putBytes(0, Hex.bytes("00020000"));
        assertTrue(header.ln());
        assertFalse(header.th());
        buffer.putBytes(0, Hex.bytes("00008000"));
        assertTrue(header.td());
        assertFalse(header.ep());
        buffer.putBytes(0, Hex.bytes("00004000"));
        assertTrue(header.ep());
        assertFalse(header.td());
        assertEquals(0, header.attr());
        buffer.putBytes(0, Hex.bytes("00000c00"));
        assertEquals(3, header.at());
        assertEquals(0, header.length());
    }

    @Test
    void shouldSplitTenBitTagAcrossDw0AndDw1()
    {
        final RequestHeader r = new RequestHeader().wrap(buffer, 0);
        buffer.setMemory(0, 16, (byte)0);
        r.tag(0x2A5);
        assertEquals("00800000 0000a500".replace(" ", ""), Hex.of(buffer, 0, 8));
        r.tag(0x1A5);
        assertEquals("00080000 0000a500".replace(" ", ""), Hex.of(buffer, 0, 8));
        assertEquals(0x1A5, r.tag());
    }

    @Test
    void shouldPlacePrefixFieldsOnTheirBits()
    {
        final PasidPrefix pasid = new PasidPrefix().wrap(buffer, 0);
        pasid.set(0, true, false);
        assertEquals("91100000", Hex.of(buffer, 0, 4));
        pasid.set(0, false, true);
        assertEquals("91200000", Hex.of(buffer, 0, 4));
        pasid.set(0xFFFFF, false, false);
        assertEquals("910fffff", Hex.of(buffer, 0, 4));
        final IdePrefix ide = new IdePrefix().wrap(buffer, 0);
        ide.set(true, false, false, false, 0, 0, 0);
        assertEquals("92000001", Hex.of(buffer, 0, 4));
        ide.set(false, true, false, false, 0, 0, 0);
        assertEquals("92000002", Hex.of(buffer, 0, 4));
        ide.set(false, false, true, false, 0, 0, 0);
        assertEquals("92000004", Hex.of(buffer, 0, 4));
        ide.set(false, false, false, true, 0, 0, 0);
        assertEquals("92000008", Hex.of(buffer, 0, 4));
        ide.set(false, false, false, false, 7, 0, 0);
        assertEquals("92000070", Hex.of(buffer, 0, 4));
        ide.set(false, false, false, false, 0, 0xAB, 0xCD);
        assertEquals("92cdab00", Hex.of(buffer, 0, 4));
    }
}
