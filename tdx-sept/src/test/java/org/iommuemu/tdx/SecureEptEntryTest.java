package org.iommuemu.tdx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known answers for the S-EPT layout: literal values from shared/reference/vtd-tdx.md 5.2 and 5.3. */
class SecureEptEntryTest
{
    @Test
    void bitPositionsMatchTheReference()
    {
        assertEquals(0x1L, SecureEptEntry.R);
        assertEquals(0x2L, SecureEptEntry.W);
        assertEquals(0x4L, SecureEptEntry.X);
        assertEquals(0x38L, SecureEptEntry.MEMORY_TYPE);
        assertEquals(0x40L, SecureEptEntry.IPAT);
        assertEquals(0x80L, SecureEptEntry.PS);
        assertEquals(0x100L, SecureEptEntry.TDGL);
        assertEquals(0x200L, SecureEptEntry.D);
        assertEquals(0x400L, SecureEptEntry.XU);
        assertEquals(0x800L, SecureEptEntry.TDEL);
        assertEquals(0x000F_FFFF_FFFF_F000L, SecureEptEntry.HPA);
        assertEquals(0x0010_0000_0000_0000L, SecureEptEntry.TDHP);
        assertEquals(0x0020_0000_0000_0000L, SecureEptEntry.TDEX);
        assertEquals(0x0040_0000_0000_0000L, SecureEptEntry.TDBW);
        assertEquals(0x0080_0000_0000_0000L, SecureEptEntry.TDB);
        assertEquals(0x0100_0000_0000_0000L, SecureEptEntry.TDP);
        assertEquals(0x0200_0000_0000_0000L, SecureEptEntry.VPW);
        assertEquals(0x0400_0000_0000_0000L, SecureEptEntry.PW);
        assertEquals(0x0800_0000_0000_0000L, SecureEptEntry.TDWR);
        assertEquals(0x1000_0000_0000_0000L, SecureEptEntry.SSS);
        assertEquals(0x4000_0000_0000_0000L, SecureEptEntry.TDIO);
        assertEquals(0x8000_0000_0000_0000L, SecureEptEntry.SVE);
    }

    @Test
    void stateMaskAndInitValue()
    {
        assertEquals(0x01E0_0000_0000_02C0L, SecureEptEntry.STATE_MASK);
        assertEquals(0x80E0_0000_0000_0000L, SecureEptEntry.INIT_VALUE);
        assertEquals("FREE", SecureEptEntry.stateName(SecureEptEntry.INIT_VALUE));
    }

    @ParameterizedTest
    @CsvSource({
        "FREE, 0x0E, 0x00E0000000000000",
        "REMOVED, 0x0C, 0x00C0000000000000",
        "NL_MAPPED, 0x00, 0x0000000000000000",
        "NL_BLOCKED, 0x08, 0x0080000000000000",
        "MAPPED, 0x60, 0x00000000000000C0",
        "BLOCKED, 0x68, 0x00800000000000C0",
        "BLOCKEDW, 0x64, 0x00400000000000C0",
        "EXPORTED_BLOCKEDW, 0x66, 0x00600000000000C0",
        "EXPORTED_DIRTY, 0x63, 0x00200000000002C0",
        "EXPORTED_DIRTY_BLOCKEDW, 0x67, 0x00600000000002C0",
        "PENDING, 0x70, 0x01000000000000C0",
        "PENDING_BLOCKED, 0x78, 0x01800000000000C0",
        "PENDING_BLOCKEDW, 0x74, 0x01400000000000C0",
        "PENDING_EXPORTED_BLOCKEDW, 0x76, 0x01600000000000C0",
        "PENDING_EXPORTED_DIRTY, 0x73, 0x01200000000002C0",
        "PENDING_EXPORTED_DIRTY_BLOCKEDW, 0x77, 0x01600000000002C0",
        "MMIO_MAPPED, 0x40, 0x0000000000000080",
        "MMIO_BLOCKED, 0x48, 0x0080000000000080",
        "MMIO_PENDING, 0x50, 0x0100000000000080"})
    void everyStateEncodesAsTheReferenceTableSays(final String name, final String code, final String bits)
    {
        final int c = Integer.decode(code);
        final long b = Long.parseUnsignedLong(bits.substring(2), 16);
        assertEquals(b, SecureEptEntry.stateBits(c), name);
        assertEquals(c, SecureEptEntry.stateCode(b | SecureEptEntry.HPA | SecureEptEntry.RWX | SecureEptEntry.SVE), name);
        assertEquals(name, SecureEptEntry.stateName(b));
        assertTrue(SecureEptEntry.isLegalCode(c), name);
    }

    @Test
    void namedStateConstantsAreTheEncodedCodes()
    {
        assertEquals(0x00E0_0000_0000_0000L, SecureEptEntry.STATE_FREE);
        assertEquals(0x0000_0000_0000_00C0L, SecureEptEntry.STATE_MAPPED);
        assertEquals(0x0100_0000_0000_00C0L, SecureEptEntry.STATE_PENDING);
        assertEquals(0x0180_0000_0000_00C0L, SecureEptEntry.STATE_PENDING_BLOCKED);
        assertEquals(0x0080_0000_0000_0080L, SecureEptEntry.STATE_MMIO_BLOCKED);
        // Module invariants [T-SEPT static asserts]: PENDING = MAPPED | TDP, PENDING_EXPORTED_DIRTY = EXPORTED_DIRTY | TDP.
        assertEquals(SecureEptEntry.STATE_MAPPED | SecureEptEntry.TDP, SecureEptEntry.STATE_PENDING);
        assertEquals(SecureEptEntry.STATE_EXPORTED_DIRTY | SecureEptEntry.TDP, SecureEptEntry.STATE_PENDING_EXPORTED_DIRTY);
    }

    @Test
    void encodingRoundTripsForEveryCodeAndOnlyNineteenAreLegal()
    {
        int legal = 0;
        for (int code = 0; code < 128; code++)
        {
            assertEquals(code, SecureEptEntry.stateCode(SecureEptEntry.stateBits(code)));
            assertEquals(0, SecureEptEntry.stateBits(code) & ~SecureEptEntry.STATE_MASK);
            legal += SecureEptEntry.isLegalCode(code) ? 1 : 0;
        }
        assertEquals(19, legal);
        assertEquals(19, SecureEptEntry.stateCount());
        assertEquals("ILLEGAL(0x1)", SecureEptEntry.stateName(SecureEptEntry.stateBits(1)));
    }

    @Test
    void predicatesFollowTheModuleHelpers()
    {
        assertTrue(SecureEptEntry.isFree(SecureEptEntry.INIT_VALUE));
        assertTrue(SecureEptEntry.isFree(SecureEptEntry.STATE_REMOVED));
        assertTrue(SecureEptEntry.isBlocked(SecureEptEntry.STATE_BLOCKED));
        assertTrue(SecureEptEntry.isBlocked(SecureEptEntry.STATE_PENDING_BLOCKED), "is_sept_blocked ignores TDP");
        assertTrue(SecureEptEntry.isBlocked(SecureEptEntry.STATE_NL_BLOCKED));
        assertFalse(SecureEptEntry.isBlocked(SecureEptEntry.STATE_FREE), "FREE has TDB but is not blocked");
        assertTrue(SecureEptEntry.isPending(SecureEptEntry.STATE_MMIO_PENDING));
        assertFalse(SecureEptEntry.isPending(SecureEptEntry.STATE_MAPPED));
        assertTrue(SecureEptEntry.isLeafState(SecureEptEntry.STATE_MMIO_MAPPED));
        assertFalse(SecureEptEntry.isLeafState(SecureEptEntry.STATE_NL_BLOCKED));
    }

    @Test
    void fieldHelpers()
    {
        final long entry = 0x8000_0000_1234_50C7L;
        assertEquals(0x1234_5000L, SecureEptEntry.hpa(entry));
        assertEquals(0x8000_000F_EDCB_A0C7L, SecureEptEntry.withHpa(entry, 0xF_EDCB_A000L));
        assertEquals(0x8180_0000_1234_50C7L, SecureEptEntry.withState(entry, SecureEptEntry.STATE_PENDING_BLOCKED));
        assertEquals(0x30L, SecureEptEntry.memoryTypeBits(SecureEptEntry.MEMORY_TYPE_WB));
    }
}
