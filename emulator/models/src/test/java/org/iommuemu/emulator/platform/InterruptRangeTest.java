package org.iommuemu.emulator.platform;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The interrupt address range, and which requests are interrupt requests. */
class InterruptRangeTest
{
    @Test
    void theInterruptRangeIsOneMegabyteAtFee()
    {
        assertTrue(InterruptRange.contains(0xFEE0_0000L) && InterruptRange.contains(0xFEEF_FFFFL));
        assertFalse(InterruptRange.contains(0xFEDF_FFFFL) || InterruptRange.contains(0xFEF0_0000L) ||
            InterruptRange.contains(0xFEE0_0000L | 1L << 63) || InterruptRange.contains(0xFEE0_0000L + (1L << 32)));
        final DmaRequest request = new DmaRequest().set(0x100, 0xFEE0_1000L, true);
        assertTrue(InterruptRange.interruptRequest(request));
        assertFalse(InterruptRange.interruptRequest(request.pasid(1)));
        assertFalse(InterruptRange.interruptRequest(new DmaRequest().set(0x100, 0xFEE0_1000L, false)));
        assertFalse(InterruptRange.interruptRequest(new DmaRequest().set(0x100, 0xFEE0_1000L, true)
            .addressType(AddressType.TRANSLATED)));
    }
}
