package org.iommuemu.rmp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known-answer tests for the operand and record layouts other than the raw entry. */
class RmpFormatsTest
{
    private static byte[] bytes(final int... values)
    {
        final byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            b[i] = (byte)values[i];
        }
        return b;
    }

    @Test
    void rmpStateMatchesStructRmpState()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RmpState.LENGTH]);
        new RmpState().wrap(buffer, 0).gpa(0x7654_3000L).assigned(1).pageSize(1).immutable(0).asid(0x1FF);
        assertArrayEquals(bytes(
            0x00, 0x30, 0x54, 0x76, 0x00, 0x00, 0x00, 0x00,
            0x01, 0x01, 0x00, 0x00, 0xFF, 0x01, 0x00, 0x00), buffer.byteArray());
    }

    @Test
    void rmpReadEntryMatchesStructRmpentry()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes(
            0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x03, 0x01, 0x00, 0x34, 0x02, 0x00, 0x00));
        final RmpReadEntry view = new RmpReadEntry().wrap(buffer, 0);
        assertEquals(0x1_0020_0000L, view.gpa());
        assertTrue(view.assigned());
        assertEquals(RmpEntry.PAGE_SIZE_2M, view.pageSize());
        assertTrue(view.hpageRegionStatus());
        assertTrue(view.immutable());
        assertEquals(0x234, view.asid());

        final UnsafeBuffer out = new UnsafeBuffer(new byte[RmpReadEntry.LENGTH]);
        new RmpReadEntry().wrap(out, 0).set(0x1_0020_0000L, true, RmpEntry.PAGE_SIZE_2M, true, true, 0x234);
        assertArrayEquals(buffer.byteArray(), out.byteArray());
    }

    @Test
    void rmpPageFaultEventMatchesTheAmdsev109Sample()
    {
        // "RMP_PAGE_FAULT vmg_tag=0x0000, gpa=0x740b8784, flags_rmp=0x0000, flags=0x0020" (device 0000:41:00.0)
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RmpPageFaultEvent.LENGTH]);
        final RmpPageFaultEvent event = new RmpPageFaultEvent().wrap(buffer, 0)
            .set(0x4100, 0, 0, RmpPageFaultEvent.FLAG_RW, 0x740b_8784L);
        assertArrayEquals(bytes(
            0x00, 0x41, 0x00, 0x00,
            0x00, 0x00, 0x20, 0xD0,
            0x84, 0x87, 0x0b, 0x74, 0x00, 0x00, 0x00, 0x00), buffer.byteArray());
        assertEquals(0xD, event.eventCode());
        assertEquals(0x4100, event.deviceId());
        assertEquals(0x20, event.flags());
        assertTrue(event.write());
        assertEquals(0, event.flagsRmp());
        assertEquals(0, event.vmgTag());
        assertEquals(0x740b_8784L, event.address());

        event.set(0xFFFF, 0xA5, 0x1234, 0, -1L);
        assertEquals(0xFFFF, event.deviceId());
        assertEquals(0xA5, event.flagsRmp());
        assertEquals(0x1234, event.vmgTag());
        assertFalse(event.write());
        assertEquals(0xD, event.eventCode());
    }

    @Test
    void errorCodeBitsMatchKvmAndTrapPf()
    {
        assertEquals(0x8000_0000L, PageFaultErrorCode.RMP);
        assertEquals(1L << 32, PageFaultErrorCode.GUEST_FINAL);
        assertEquals(1L << 33, PageFaultErrorCode.GUEST_PAGE);
        assertEquals(1L << 34, PageFaultErrorCode.GUEST_ENC);
        assertEquals(1L << 35, PageFaultErrorCode.GUEST_SIZEM);
        assertEquals(1L << 36, PageFaultErrorCode.GUEST_VMPL);
        assertEquals(0x10, PageFaultErrorCode.INSTRUCTION_FETCH);
        assertEquals(0x404, PageFaultErrorCode.VC_PAGE_NOT_VALIDATED);
    }

    @Test
    void msrFieldsAndSegmentTableEntries()
    {
        assertEquals(0x000F_FFFF_FFFF_E000L, RmpMsrs.ADDRESS_MASK);
        assertEquals(0x1234_6000L, RmpMsrs.address(0x1234_7FFFL));
        final long cfg = RmpMsrs.rmpCfg(true, 36);
        assertEquals(0x2401L, cfg);
        assertTrue(RmpMsrs.segmented(cfg));
        assertEquals(36, RmpMsrs.segmentShift(cfg));

        final long rst = RmpSegmentTableEntry.encode(0x2_0010_0000L, 64);
        assertEquals(0x2_0010_0040L, rst);
        assertEquals(0x2_0010_0000L, RmpSegmentTableEntry.segmentBase(rst));
        assertEquals(64L << 30, RmpSegmentTableEntry.mappedSize(rst));
    }
}
