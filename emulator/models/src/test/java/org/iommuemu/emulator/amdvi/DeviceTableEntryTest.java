package org.iommuemu.emulator.amdvi;

import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DTE's split GCR3 root pointer and guest fields, against the reference's absolute bit numbers. */
class DeviceTableEntryTest
{
    @Test
    void theGcr3RootPointerIsSplitOverThreeFields()
    {
        final long root = 0x000F_FFFF_FFFF_F000L;
        assertEquals(7L << 58, DeviceTableEntry.gcr3Quadword0(root), "q0[60:58] = SPA[14:12]");
        assertEquals(0xFFFFL << 16 | 0x1F_FFFFL << 43, DeviceTableEntry.gcr3Quadword1(root),
            "q1[31:16] = SPA[30:15], q1[63:43] = SPA[51:31]");
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++)
        {
            final long r = random.nextLong() & 0x000F_FFFF_FFFF_F000L;
            assertEquals(r, DeviceTableEntry.gcr3Root(DeviceTableEntry.gcr3Quadword0(r), DeviceTableEntry.gcr3Quadword1(r)));
        }
        assertEquals(0x1000L, DeviceTableEntry.gcr3Root(1L << 58, 0));
        assertEquals(0x8000L, DeviceTableEntry.gcr3Root(0, 1L << 16));
        assertEquals(0x8000_0000L, DeviceTableEntry.gcr3Root(0, 1L << 43));
    }

    @Test
    void guestFieldsSitAtTheirAbsoluteBits()
    {
        final long[] q = new long[2];
        DeviceTableEntry.guestQuadwords(q, 0x7_0000_0000L, 4, 0x1234, 0x5_6789_A000L, 2, true, true, false);
        assertEquals(1L << 54, q[0] & DeviceTableEntry.GIOV, "bit 54 GIOV");
        assertEquals(1L << 55, q[0] & DeviceTableEntry.GV, "bit 55 GV");
        assertEquals(2, DeviceTableEntry.glx(q[0]), "bits 57:56 GLX");
        assertEquals(4, DeviceTableEntry.mode(q[0]));
        assertEquals(0x1234, DeviceTableEntry.domainId(q[1]));
        assertEquals(0x5_6789_A000L, DeviceTableEntry.gcr3Root(q[0], q[1]));
        assertEquals(1L << 54, DeviceTableEntry.guestPagingQuadword2(5),
            "GPM at absolute bits 183:182 = q2 55:54; 1 = 5-level (Linux DTE_GPT_LEVEL_SHIFT 54)");
        assertEquals(1L << 39, DeviceTableEntry.EX, "absolute bit 103");
        assertEquals(3L << 60, DeviceTableEntry.INT_CTL, "absolute bits 189:188");
    }

    @Test
    void guestEventsCarryTheWholePasid()
    {
        final UnsafeBuffer record = new UnsafeBuffer(new byte[AmdViEvent.LENGTH]);
        final AmdViEvent event = new AmdViEvent().wrap(record, 0)
            .setGuest(AmdViEvent.IO_PAGE_FAULT, 0xBEEF, 0xF_1234, AmdViEvent.FLAG_US, 0x1000);
        final long[] words = {record.getLong(0, AmdViEvent.BYTE_ORDER), record.getLong(8, AmdViEvent.BYTE_ORDER)};
        assertEquals(0xF_1234, AmdViEvent.pasid(words[0]));
        assertEquals(0xF_1234, event.pasid());
        assertEquals(AmdViEvent.IO_PAGE_FAULT, event.code());
        assertEquals(0x1000, words[1]);
        assertEquals(0xFL << 16, words[0] & (0xFL << 16), "PASID[19:16] in dword0 bits 19:16");
        assertEquals(0x1234, AmdViEvent.domainId(words[0]), "PASID[15:0] where the DomainID would be");
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US, AmdViEvent.flags(words[0]));
        assertEquals(0xBEEF, AmdViEvent.deviceId(words[0]));
    }

    @Test
    void theFlyweightReadsTheFieldsTheStaticDecodersRead()
    {
        final long[] q = new long[2];
        DeviceTableEntry.guestQuadwords(q, 0x7_0000_0000L, 4, 0x1234, 0x5_6789_A000L, 2, true, true, false);
        final long q1 = q[1] | DeviceTableEntry.I | DeviceTableEntry.SA | DeviceTableEntry.EX;
        final long q2 = DeviceTableEntry.guestPagingQuadword2(5) | DeviceTableEntry.IV |
            ((long)DeviceTableEntry.INT_CTL_REMAP << DeviceTableEntry.INT_CTL_SHIFT);
        final DeviceTableEntry dte = new DeviceTableEntry().set(q[0], q1, q2);
        assertEquals(DeviceTableEntry.valid(q[0]), dte.valid());
        assertEquals(DeviceTableEntry.translationValid(q[0]), dte.translationValid());
        assertEquals(4, dte.mode());
        assertEquals(0x7_0000_0000L, dte.root());
        assertEquals(0x5_6789_A000L, dte.gcr3Root());
        assertEquals(2, dte.glx());
        assertEquals(DeviceTableEntry.GPM_5_LEVEL, dte.guestPagingMode());
        assertEquals(0x1234, dte.domainId());
        assertEquals(DeviceTableEntry.permissions(q[0]), dte.permissions());
        assertEquals(DeviceTableEntry.INT_CTL_REMAP, dte.interruptControl());
        assertTrue(dte.guestTranslationValid() && dte.guestIoProtectionValid() && dte.atsAllowed() &&
            dte.faultsSuppressed() && dte.exclusionAllowed() && dte.interruptMapValid());
        assertFalse(new DeviceTableEntry().set(q[0], q[1], 0).faultsSuppressed() ||
            new DeviceTableEntry().set(q[0], q[1], 0).atsAllowed());
    }
}
