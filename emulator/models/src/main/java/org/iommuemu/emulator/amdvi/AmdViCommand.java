package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.InvalidationScope;

/**
 * AMD-Vi commands: 16 bytes, here as two little-endian quadwords; the opcode is dword1 bits 31:28
 * (quadword 0 bits 63:60).
 * <pre>
 * COMPLETION_WAIT (1):        q0: 0 S (store), 1 I (interrupt), 2 F, 31:3 store address[31:3], 51:32 address[51:32]
 *                             q1: the 64-bit store data
 * INVALIDATE_DEVTAB_ENTRY (2): q0: 15:0 DeviceID
 * INVALIDATE_IOMMU_PAGES (3): q0: 19:0 PASID, 47:32 DomainID
 *                             q1: 0 S (range), 1 PDE, 2 GN (PASID valid), 63:12 address
 * INVALIDATE_IOTLB_PAGES (4): q0: 15:0 DeviceID, 23:16 PASID[15:8], 31:24 MaxPend, 47:32 QueueID,
 *                                 55:48 PASID[7:0], 59:56 PASID[19:16]
 *                             q1: 0 S (range), 2 GN (PASID valid), 63:12 address
 * INVALIDATE_INTERRUPT_TABLE (5): q0: 15:0 DeviceID
 * COMPLETE_PPR_REQUEST (7):   q0: 15:0 DeviceID, 51:32 PASID
 *                             q1: 2 GN (PASID valid), 40:32 completion tag, 47:44 status
 * INVALIDATE_IOMMU_ALL (8):   no operands
 * </pre>
 * With S=1 the range is {@code 2^(1 + first zero bit of (address | 0xFFF))} bytes, aligned; a first zero bit
 * at 51 or above means the whole address space (Linux's CMD_INV_IOMMU_ALL_PAGES_ADDRESS). Sources: Linux
 * amd_iommu_types.h and iommu.c ({@code CMD_*}, {@code build_inv_iommu_pages}, {@code build_inv_address}),
 * FreeBSD amd_reg.h, QEMU {@code amdvi_decode_invalidation_size}; reference amd-vi-rmp.md 5.1.
 */
public final class AmdViCommand
{
    public static final int COMPLETION_WAIT = 0x1;
    public static final int INVALIDATE_DEVTAB_ENTRY = 0x2;
    public static final int INVALIDATE_IOMMU_PAGES = 0x3;
    public static final int INVALIDATE_IOTLB_PAGES = 0x4;
    public static final int INVALIDATE_INTERRUPT_TABLE = 0x5;
    public static final int PREFETCH_IOMMU_PAGES = 0x6;
    public static final int COMPLETE_PPR_REQUEST = 0x7;
    public static final int INVALIDATE_IOMMU_ALL = 0x8;

    public static final long COMPLETION_WAIT_STORE = 1L;
    public static final long COMPLETION_WAIT_INTERRUPT = 1L << 1;
    public static final long INVALIDATE_RANGE = 1L;
    public static final long INVALIDATE_PDE = 1L << 1;
    public static final long INVALIDATE_GN = 1L << 2;
    private static final int WHOLE_SPACE_ZERO_BIT = 51;
    private static final long WHOLE_SPACE_ADDRESS = 0x7FFF_FFFF_FFFF_F000L;

    private AmdViCommand()
    {
    }

    /** Quadword 0 with the opcode. */
    public static long opcode(final int opcode)
    {
        return (long)opcode << 60;
    }

    /** COMPLETION_WAIT storing {@code data} at {@code address} (8-byte aligned) and optionally interrupting. */
    public static void completionWait(final long[] words, final long address, final long data, final boolean interrupt)
    {
        words[0] = opcode(COMPLETION_WAIT) | COMPLETION_WAIT_STORE | (interrupt ? COMPLETION_WAIT_INTERRUPT : 0) |
            (address & 0xFFFF_FFF8L) | (((address >>> 32) & 0xF_FFFFL) << 32);
        words[1] = data;
    }

    public static long completionWaitAddress(final long q0)
    {
        return (q0 & 0xFFFF_FFF8L) | (((q0 >>> 32) & 0xF_FFFFL) << 32);
    }

    /** INVALIDATE_IOMMU_PAGES for {@code [address, address + size)} in a domain, encoded as Linux does. */
    public static void invalidatePages(final long[] words, final int domainId, final long address, final long size)
    {
        words[0] = opcode(INVALIDATE_IOMMU_PAGES) | ((long)(domainId & 0xFFFF) << 32);
        words[1] = encodeAddress(address, size) | INVALIDATE_PDE;
    }

    /** INVALIDATE_IOMMU_PAGES for {@code [address, address + size)} of one PASID of a domain (GN = 1). */
    public static void invalidatePasidPages(final long[] words, final int domainId, final int pasid, final long address,
        final long size)
    {
        invalidatePages(words, domainId, address, size);
        words[0] |= pasid & 0xF_FFFFL;
        words[1] |= INVALIDATE_GN;
    }

    /**
     * INVALIDATE_IOTLB_PAGES for {@code [address, address + size)} in the ATS cache of {@code deviceId}, for one
     * PASID (GN = 1) or, with {@link CacheTag#NO_PASID}, without; as Linux's build_inv_iotlb_pages (QueueID =
     * DeviceID).
     */
    public static void invalidateIotlbPages(final long[] words, final int deviceId, final int pasid, final int maxPending,
        final long address, final long size)
    {
        words[0] = opcode(INVALIDATE_IOTLB_PAGES) | (deviceId & 0xFFFFL) | ((long)(maxPending & 0xFF) << 24) |
            ((long)(deviceId & 0xFFFF) << 32);
        words[1] = encodeAddress(address, size);
        if (pasid != CacheTag.NO_PASID)
        {
            words[0] |= ((long)((pasid >>> 8) & 0xFF) << 16) | ((long)(pasid & 0xFF) << 48) | ((long)((pasid >>> 16) & 0xF) << 56);
            words[1] |= INVALIDATE_GN;
        }
    }

    /** INVALIDATE_INTERRUPT_TABLE for one device. */
    public static void invalidateInterruptTable(final long[] words, final int deviceId)
    {
        words[0] = opcode(INVALIDATE_INTERRUPT_TABLE) | (deviceId & 0xFFFFL);
        words[1] = 0;
    }

    /** PPR completion statuses (Linux {@code PPR_SUCCESS}, {@code PPR_INVALID}, {@code PPR_FAILURE}). */
    public static final int PPR_SUCCESS = 0x0;
    public static final int PPR_INVALID = 0x1;
    public static final int PPR_FAILURE = 0xF;
    private static final int PPR_TAG_SHIFT = 32;
    private static final int PPR_STATUS_SHIFT = 44;

    /**
     * COMPLETE_PPR_REQUEST for a device's page request with {@code tag}, for {@code pasid} (GN) or {@link CacheTag#NO_PASID},
     * as Linux's build_complete_ppr (tag bits 8:0, status bits 15:12 of the last dword).
     */
    public static void completePprRequest(final long[] words, final int deviceId, final int pasid, final int tag, final int status)
    {
        words[0] = opcode(COMPLETE_PPR_REQUEST) | (deviceId & 0xFFFFL) |
            (pasid == CacheTag.NO_PASID ? 0 : ((long)pasid & 0xF_FFFFL) << 32);
        words[1] = (pasid == CacheTag.NO_PASID ? 0 : INVALIDATE_GN) | ((long)(tag & 0x1FF) << PPR_TAG_SHIFT) |
            ((long)(status & 0xF) << PPR_STATUS_SHIFT);
    }

    /** COMPLETE_PPR_REQUEST's PASID, or {@link CacheTag#NO_PASID} when GN is clear. */
    public static int pprPasid(final long q0, final long q1)
    {
        return (q1 & INVALIDATE_GN) == 0 ? CacheTag.NO_PASID : (int)((q0 >>> 32) & 0xF_FFFFL);
    }

    public static int pprTag(final long q1)
    {
        return (int)((q1 >>> PPR_TAG_SHIFT) & 0x1FF);
    }

    public static int pprStatus(final long q1)
    {
        return (int)((q1 >>> PPR_STATUS_SHIFT) & 0xF);
    }

    /** DeviceID of INVALIDATE_DEVTAB_ENTRY, INVALIDATE_IOTLB_PAGES and INVALIDATE_INTERRUPT_TABLE. */
    public static int deviceId(final long q0)
    {
        return (int)(q0 & 0xFFFF);
    }

    /** The PASID of INVALIDATE_IOTLB_PAGES, or {@link CacheTag#NO_PASID} when GN is clear. */
    public static int iotlbPagesPasid(final long q0, final long q1)
    {
        if ((q1 & INVALIDATE_GN) == 0)
        {
            return CacheTag.NO_PASID;
        }
        return (int)((q0 >>> 56) & 0xF) << 16 | (int)((q0 >>> 16) & 0xFF) << 8 | (int)((q0 >>> 48) & 0xFF);
    }

    /** The address quadword with S: a single page, or every bit below the highest differing one set (Linux build_inv_address). */
    static long encodeAddress(final long address, final long size)
    {
        // Sizes are unsigned: 2^63 is a valid "everything".
        if (Long.compareUnsigned(size, 4096) <= 0)
        {
            return address & ~0xFFFL;
        }
        final long last = address + size - 1;
        final int msb = 63 - Long.numberOfLeadingZeros(address ^ last);
        final long encoded = msb >= WHOLE_SPACE_ZERO_BIT ? WHOLE_SPACE_ADDRESS : (address | ((1L << msb) - 1)) & ~(1L << msb);
        return (encoded & ~0xFFFL) | INVALIDATE_RANGE;
    }

    /** Whether an address quadword (S and address) means the whole address space. */
    static boolean wholeSpace(final long q1)
    {
        return (q1 & INVALIDATE_RANGE) != 0 && Long.numberOfTrailingZeros(~(q1 | 0xFFFL)) >= WHOLE_SPACE_ZERO_BIT;
    }

    /** First byte an address quadword covers (not meaningful for {@link #wholeSpace}). */
    static long rangeFirst(final long q1)
    {
        final long address = q1 & ~0xFFFL;
        return (q1 & INVALIDATE_RANGE) == 0 ? address : address & -rangeSize(q1);
    }

    /** Last byte (inclusive) an address quadword covers (not meaningful for {@link #wholeSpace}). */
    static long rangeLast(final long q1)
    {
        return rangeFirst(q1) + ((q1 & INVALIDATE_RANGE) == 0 ? 0xFFF : rangeSize(q1) - 1);
    }

    private static long rangeSize(final long q1)
    {
        return 1L << (Long.numberOfTrailingZeros(~(q1 | 0xFFFL)) + 1);
    }

    /** INVALIDATE_IOMMU_ALL. */
    public static void invalidateAll(final long[] words)
    {
        words[0] = opcode(INVALIDATE_IOMMU_ALL);
        words[1] = 0;
    }

    /** Decode an INVALIDATE_IOMMU_PAGES command into {@code scope}. */
    static InvalidationScope invalidationScope(final long q0, final long q1, final InvalidationScope scope)
    {
        final int domainId = (int)(q0 >>> 32) & 0xFFFF;
        final int pasid = (q1 & INVALIDATE_GN) != 0 ? (int)(q0 & 0xF_FFFFL) : CacheTag.NO_PASID;
        if (wholeSpace(q1))
        {
            return pasid == CacheTag.NO_PASID ? scope.domain(domainId) : scope.pasid(domainId, pasid);
        }
        return pasid == CacheTag.NO_PASID ? scope.range(domainId, rangeFirst(q1), rangeLast(q1)) :
            scope.pasidRange(domainId, pasid, rangeFirst(q1), rangeLast(q1));
    }

    /**
     * Decode an INVALIDATE_IOTLB_PAGES command into {@code scope} over the device TLB: the device's entries for
     * the PASID (GN = 1), or all of the device's entries (GN = 0, see {@link DeviceTlb}), in the address range.
     */
    static InvalidationScope iotlbPagesScope(final long q0, final long q1, final InvalidationScope scope)
    {
        final int deviceId = deviceId(q0);
        final int pasid = iotlbPagesPasid(q0, q1);
        if (wholeSpace(q1))
        {
            return pasid == CacheTag.NO_PASID ? scope.device(deviceId) : scope.devicePasid(deviceId, pasid);
        }
        return pasid == CacheTag.NO_PASID ? scope.deviceRange(deviceId, rangeFirst(q1), rangeLast(q1)) :
            scope.devicePasidRange(deviceId, pasid, rangeFirst(q1), rangeLast(q1));
    }
}
