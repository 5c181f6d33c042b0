package org.iommuemu.emulator.amdvi;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;
import org.iommuemu.rmp.RmpPageFaultEvent;

/**
 * AMD-Vi event log entries: 16 bytes, four little-endian dwords, read as two quadwords.
 * <pre>
 * dword0:  31:20 rsvd | 19:16 PASID[19:16] | 15:0 DeviceID
 * dword1:  31:28 code | 27:16 flags        | 15:0 DomainID, or PASID[15:0] when GN
 * dword2-3: address (IOVA, or the command's address for ILLEGAL_COMMAND_ERROR)
 * quadword 0 = dword0 | dword1 << 32; quadword 1 = the address
 * </pre>
 * IO_PAGE_FAULT flags (dword1 bits): GN 16, NX 17, US 18, I 19, PR 20, RW 21, PE 22, RZ 23, TR 24.
 * Sources: Linux amd_iommu_types.h ({@code EVENT_TYPE_*}, {@code EVENT_FLAGS_SHIFT}); FreeBSD amd_reg.h
 * ({@code amdiommu_event_generic}, the IO_PAGE_FAULT flag bits); reference amd-vi-rmp.md 4.1-4.3.
 * <p>
 * The class owns the layout of the events the IOMMU writes with this generic form (IO_PAGE_FAULT,
 * ILLEGAL_DEV_TABLE_ENTRY, INVALID_DEVICE_REQUEST, ILLEGAL_COMMAND_ERROR); the RMP_PAGE_FAULT record's own
 * layout (flags_rmp, VMG tag) is {@code rmp}'s {@link RmpPageFaultEvent}, written into the same staging buffer by
 * the RMP check (see {@link AmdViEventLog}). An instance is a flyweight over a record in a buffer; the static
 * decoders read a record as the two quadwords a driver takes from the log.
 */
public final class AmdViEvent
{
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int LENGTH = 16;
    public static final int QUADWORD0_OFFSET = 0;
    public static final int ADDRESS_OFFSET = QUADWORD0_OFFSET + 8;

    public static final int ILLEGAL_DEV_TABLE_ENTRY = 0x1;
    public static final int IO_PAGE_FAULT = 0x2;
    public static final int ILLEGAL_COMMAND_ERROR = 0x5;
    /** A request the device may not make, such as ATS without DTE.I (layout as the generic event: UNVERIFIED). */
    public static final int INVALID_DEVICE_REQUEST = 0x8;
    public static final int RMP_PAGE_FAULT = RmpPageFaultEvent.EVENT_CODE;
    /** Not produced by the model (device TLB invalidations complete at once); listed for decoders. */
    public static final int IOTLB_INV_TIMEOUT = 0x7;

    // Quadword 0, chained from bit 0.
    public static final int DEVICE_ID_SHIFT = 0;
    public static final int DEVICE_ID_WIDTH = 16;
    public static final int PASID_HIGH_SHIFT = DEVICE_ID_SHIFT + DEVICE_ID_WIDTH;
    public static final int PASID_HIGH_WIDTH = 4;
    /** Dword 1 starts at bit 32 of quadword 0; the shifts below are within dword 1. */
    public static final int DWORD1_SHIFT = 32;
    public static final int DOMAIN_OR_PASID_WIDTH = 16;
    public static final int FLAGS_SHIFT = DOMAIN_OR_PASID_WIDTH;
    public static final int FLAGS_WIDTH = 12;
    public static final int CODE_SHIFT = FLAGS_SHIFT + FLAGS_WIDTH;
    public static final int FLAGS_MASK = (1 << FLAGS_WIDTH) - 1;
    private static final int CODE_MASK = 0xF;
    private static final int SIXTEEN_BITS = 0xFFFF;

    /** Flags, as positions within the 12-bit flags field (dword1 bit = 16 + position). */
    public static final int FLAG_GN = 1;
    public static final int FLAG_NX = 1 << 1;
    public static final int FLAG_US = 1 << 2;
    public static final int FLAG_I = 1 << 3;
    public static final int FLAG_PR = 1 << 4;
    public static final int FLAG_RW = 1 << 5;
    public static final int FLAG_PE = 1 << 6;
    public static final int FLAG_RZ = 1 << 7;
    public static final int FLAG_TR = 1 << 8;

    /**
     * INVALID_DEVICE_REQUEST keeps a request type in flags bits 11:9 (dword1 27:25). Type 5 is "posted write to
     * the interrupt/EOI range from a device whose DTE has IntCtl = 00b": a Linux log line with flags=0x0a00
     * quoting the AMD IOMMU specification (secondary source; UNVERIFIED in the reference, which does not list
     * the types). Type 0 is used for the other invalid requests (ATS without DTE.I).
     */
    public static final int INVALID_REQUEST_TYPE_SHIFT = 9;
    public static final int INVALID_REQUEST_INTERRUPT_ABORTED = 5 << INVALID_REQUEST_TYPE_SHIFT;

    private MutableDirectBuffer buffer;
    private int offset;

    /** Point the flyweight at the record at {@code offset} of {@code buffer}. */
    public AmdViEvent wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Write a whole record: dword1 15:0 holds {@code domainId} (reserved bits zero). */
    public AmdViEvent set(final int code, final int deviceId, final int domainId, final int flags, final long address)
    {
        final long dword0 = (long)(deviceId & SIXTEEN_BITS) << DEVICE_ID_SHIFT;
        final long dword1 = ((long)(code & CODE_MASK) << CODE_SHIFT) | ((long)(flags & FLAGS_MASK) << FLAGS_SHIFT) |
            (domainId & SIXTEEN_BITS);
        buffer.putLong(offset + QUADWORD0_OFFSET, dword0 | (dword1 << DWORD1_SHIFT), BYTE_ORDER);
        buffer.putLong(offset + ADDRESS_OFFSET, address, BYTE_ORDER);
        return this;
    }

    /**
     * Write a whole record for a request that carried a PASID: GN is set, PASID[15:0] goes where the DomainID would
     * and PASID[19:16] into dword0 bits 19:16.
     */
    public AmdViEvent setGuest(final int code, final int deviceId, final int pasid, final int flags, final long address)
    {
        set(code, deviceId, pasid & SIXTEEN_BITS, flags | FLAG_GN, address);
        final long pasidHigh = (long)((pasid >>> DOMAIN_OR_PASID_WIDTH) & ((1 << PASID_HIGH_WIDTH) - 1)) << PASID_HIGH_SHIFT;
        buffer.putLong(offset + QUADWORD0_OFFSET, quadword0() | pasidHigh, BYTE_ORDER);
        return this;
    }

    public long quadword0()
    {
        return buffer.getLong(offset + QUADWORD0_OFFSET, BYTE_ORDER);
    }

    public long address()
    {
        return buffer.getLong(offset + ADDRESS_OFFSET, BYTE_ORDER);
    }

    public int code()
    {
        return code(quadword0());
    }

    public int flags()
    {
        return flags(quadword0());
    }

    public int deviceId()
    {
        return deviceId(quadword0());
    }

    /** The DomainID of an event without GN. */
    public int domainId()
    {
        return domainId(quadword0());
    }

    /** The PASID of an event with GN. */
    public int pasid()
    {
        return pasid(quadword0());
    }

    /** The PASID of an event with GN set. */
    public static int pasid(final long quadword0)
    {
        return (int)((quadword0 >>> PASID_HIGH_SHIFT) & ((1 << PASID_HIGH_WIDTH) - 1)) << DOMAIN_OR_PASID_WIDTH |
            (int)(quadword0 >>> DWORD1_SHIFT) & SIXTEEN_BITS;
    }

    public static int code(final long quadword0)
    {
        return (int)(quadword0 >>> (DWORD1_SHIFT + CODE_SHIFT)) & CODE_MASK;
    }

    public static int flags(final long quadword0)
    {
        return (int)(quadword0 >>> (DWORD1_SHIFT + FLAGS_SHIFT)) & FLAGS_MASK;
    }

    public static int deviceId(final long quadword0)
    {
        return (int)(quadword0 >>> DEVICE_ID_SHIFT) & SIXTEEN_BITS;
    }

    public static int domainId(final long quadword0)
    {
        return (int)(quadword0 >>> DWORD1_SHIFT) & SIXTEEN_BITS;
    }
}
