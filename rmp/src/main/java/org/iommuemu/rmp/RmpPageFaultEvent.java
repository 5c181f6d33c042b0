package org.iommuemu.rmp;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * The AMD-Vi RMP_PAGE_FAULT event-log record (event code 0xD): four little-endian dwords.
 *
 * <pre>
 * dword  31      28 27                  16 15                 0
 * ev[0] +--------------------+------------+-------------------+
 *       |      reserved      | flags_rmp  |     DeviceID      |   (flags_rmp: bits 23:16)
 *       +---------+----------+------------+-------------------+
 * ev[1] | code 0xD|   flags (12 bits)     |      VMG tag      |
 *       +---------+-----------------------+-------------------+
 * ev[2] |              address[31:0] (the DMA address)        |
 * ev[3] |              address[63:32]                         |
 *       +-----------------------------------------------------+
 * flags reuse the IO_PAGE_FAULT flag positions: bit 5 (ev[1] bit 21) RW = write.
 * </pre>
 *
 * Sources (reference sheet section 4.3): Linux {@code drivers/iommu/amd/iommu.c amd_iommu_report_rmp_fault},
 * {@code amd_iommu_types.h EVENT_TYPE_SHIFT, EVENT_FLAGS_SHIFT, EVENT_FLAG_RW}; the meaning of flags_rmp
 * and the VMG tag is UNVERIFIED, and this model leaves both zero as in the AMDSEV#109 sample.
 */
public final class RmpPageFaultEvent
{
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int LENGTH = 16;
    public static final int EVENT_CODE = 0xD;

    public static final int DWORD0_OFFSET = 0;
    public static final int DWORD1_OFFSET = DWORD0_OFFSET + 4;
    public static final int ADDRESS_OFFSET = DWORD1_OFFSET + 4;

    // ev[0]
    public static final int DEVICE_ID_SHIFT = 0;
    public static final int DEVICE_ID_WIDTH = 16;
    public static final int FLAGS_RMP_SHIFT = DEVICE_ID_SHIFT + DEVICE_ID_WIDTH;
    public static final int FLAGS_RMP_WIDTH = 8;
    // ev[1]
    public static final int VMG_TAG_SHIFT = 0;
    public static final int VMG_TAG_WIDTH = 16;
    public static final int FLAGS_SHIFT = VMG_TAG_SHIFT + VMG_TAG_WIDTH;
    public static final int FLAGS_WIDTH = 12;
    public static final int CODE_SHIFT = FLAGS_SHIFT + FLAGS_WIDTH;
    public static final int CODE_WIDTH = 4;

    /** Flag bit positions inside the 12-bit flags field (IO_PAGE_FAULT layout, reference section 4.2). */
    public static final int FLAG_RW_BIT = 5;
    public static final int FLAG_RW = 1 << FLAG_RW_BIT;

    private static final int DEVICE_ID_MASK = (1 << DEVICE_ID_WIDTH) - 1;
    private static final int FLAGS_RMP_MASK = (1 << FLAGS_RMP_WIDTH) - 1;
    private static final int VMG_TAG_MASK = (1 << VMG_TAG_WIDTH) - 1;
    private static final int FLAGS_MASK = (1 << FLAGS_WIDTH) - 1;
    private static final int CODE_MASK = (1 << CODE_WIDTH) - 1;

    private MutableDirectBuffer buffer;
    private int offset;

    public RmpPageFaultEvent wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    /** Write a whole record (reserved bits zero). */
    public RmpPageFaultEvent set(
        final int deviceId, final int flagsRmp, final int vmgTag, final int flags, final long address)
    {
        final int dword0 = ((deviceId & DEVICE_ID_MASK) << DEVICE_ID_SHIFT) | ((flagsRmp & FLAGS_RMP_MASK) << FLAGS_RMP_SHIFT);
        final int dword1 = ((vmgTag & VMG_TAG_MASK) << VMG_TAG_SHIFT) | ((flags & FLAGS_MASK) << FLAGS_SHIFT) |
            (EVENT_CODE << CODE_SHIFT);
        // DW0 and DW1 as one little-endian quadword (DW1 at the higher address): one bounds check, not two.
        buffer.putLong(offset + DWORD0_OFFSET, (dword0 & 0xFFFF_FFFFL) | ((long)dword1 << 32), BYTE_ORDER);
        buffer.putLong(offset + ADDRESS_OFFSET, address, BYTE_ORDER);
        return this;
    }

    public int eventCode()
    {
        return (dword1() >>> CODE_SHIFT) & CODE_MASK;
    }

    public int deviceId()
    {
        return (dword0() >>> DEVICE_ID_SHIFT) & DEVICE_ID_MASK;
    }

    public int flagsRmp()
    {
        return (dword0() >>> FLAGS_RMP_SHIFT) & FLAGS_RMP_MASK;
    }

    public int vmgTag()
    {
        return (dword1() >>> VMG_TAG_SHIFT) & VMG_TAG_MASK;
    }

    public int flags()
    {
        return (dword1() >>> FLAGS_SHIFT) & FLAGS_MASK;
    }

    public boolean write()
    {
        return (flags() & FLAG_RW) != 0;
    }

    public long address()
    {
        return buffer.getLong(offset + ADDRESS_OFFSET, BYTE_ORDER);
    }

    private int dword0()
    {
        return buffer.getInt(offset + DWORD0_OFFSET, BYTE_ORDER);
    }

    private int dword1()
    {
        return buffer.getInt(offset + DWORD1_OFFSET, BYTE_ORDER);
    }
}
