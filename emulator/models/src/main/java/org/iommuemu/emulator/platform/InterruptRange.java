package org.iommuemu.emulator.platform;

/**
 * The x86 interrupt address range, 0xFEE0_0000-0xFEEF_FFFF: a device's write there without a PASID is an interrupt
 * request (an MSI), which both IOMMUs take out of DMA translation (AMD-Vi: to the DTE's interrupt control; VT-d: to
 * interrupt remapping), and a DMA translation that ends there is refused (VT-d fault 0xE / 0x87).
 */
public final class InterruptRange
{
    public static final long FIRST = 0xFEE0_0000L;
    public static final long LAST = 0xFEEF_FFFFL;
    private static final int SIZE_LG2 = 20;

    private InterruptRange()
    {
    }

    public static boolean contains(final long address)
    {
        // One unsigned test: below FIRST the difference wraps to a large value.
        return (address - FIRST) >>> SIZE_LG2 == 0;
    }

    /** Whether a request is an interrupt request: an untranslated write without a PASID into the range. */
    public static boolean interruptRequest(final DmaRequest request)
    {
        return contains(request.address()) && request.isWrite() && !request.hasPasid() &&
            request.addressType() == AddressType.UNTRANSLATED;
    }
}
