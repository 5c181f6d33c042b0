package org.iommuemu.emulator.amdvi;

/**
 * AMD-Vi event log entries: 16 bytes, here as two little-endian quadwords.
 * <pre>
 * dword0:  31:20 rsvd | 19:16 PASID[19:16] | 15:0 DeviceID
 * dword1:  31:28 code | 27:16 flags        | 15:0 DomainID, or PASID[15:0] when GN
 * dword2-3: address (IOVA, or the command's address for ILLEGAL_COMMAND_ERROR)
 * quadword 0 = dword0 | dword1 << 32; quadword 1 = the address
 * </pre>
 * IO_PAGE_FAULT flags (dword1 bits): GN 16, NX 17, US 18, I 19, PR 20, RW 21, PE 22, RZ 23, TR 24.
 * Sources: Linux amd_iommu_types.h ({@code EVENT_TYPE_*}, {@code EVENT_FLAGS_SHIFT}); FreeBSD amd_reg.h
 * ({@code amdiommu_event_generic}, the IO_PAGE_FAULT flag bits); reference amd-vi-rmp.md 4.1-4.3.
 */
public final class AmdViEvent
{
    public static final int LENGTH = 16;

    public static final int ILLEGAL_DEV_TABLE_ENTRY = 0x1;
    public static final int IO_PAGE_FAULT = 0x2;
    public static final int ILLEGAL_COMMAND_ERROR = 0x5;
    /** A request the device may not make, such as ATS without DTE.I (layout as the generic event: UNVERIFIED). */
    public static final int INVALID_DEVICE_REQUEST = 0x8;
    public static final int RMP_PAGE_FAULT = 0xD;
    /** Not produced by the model (device TLB invalidations complete at once); listed for decoders. */
    public static final int IOTLB_INV_TIMEOUT = 0x7;

    public static final int CODE_SHIFT = 28;
    public static final int FLAGS_SHIFT = 16;
    public static final int FLAGS_MASK = 0xFFF;

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

    private AmdViEvent()
    {
    }

    /** Fill {@code words[offset..offset+1]} with an event. */
    public static void encode(final long[] words, final int offset, final int code, final int deviceId,
        final int domainOrPasid, final int flags, final long address)
    {
        final long dword0 = deviceId & 0xFFFFL;
        final long dword1 = ((long)code << CODE_SHIFT) | ((long)(flags & FLAGS_MASK) << FLAGS_SHIFT) | (domainOrPasid & 0xFFFFL);
        words[offset] = dword0 | (dword1 << 32);
        words[offset + 1] = address;
    }

    /**
     * Fill {@code words[offset..offset+1]} with an event for a request that carried a PASID: GN is set, PASID[15:0]
     * goes where the DomainID would and PASID[19:16] into dword0 bits 19:16.
     */
    public static void encodeGuest(final long[] words, final int offset, final int code, final int deviceId,
        final int pasid, final int flags, final long address)
    {
        encode(words, offset, code, deviceId, pasid & 0xFFFF, flags | FLAG_GN, address);
        words[offset] |= (long)((pasid >>> 16) & 0xF) << 16;
    }

    /** The PASID of an event with GN set. */
    public static int pasid(final long quadword0)
    {
        return (int)((quadword0 >>> 16) & 0xF) << 16 | (int)(quadword0 >>> 32) & 0xFFFF;
    }

    public static int code(final long quadword0)
    {
        return (int)(quadword0 >>> (32 + CODE_SHIFT)) & 0xF;
    }

    public static int flags(final long quadword0)
    {
        return (int)(quadword0 >>> (32 + FLAGS_SHIFT)) & FLAGS_MASK;
    }

    public static int deviceId(final long quadword0)
    {
        return (int)(quadword0 & 0xFFFF);
    }

    public static int domainId(final long quadword0)
    {
        return (int)(quadword0 >>> 32) & 0xFFFF;
    }
}
