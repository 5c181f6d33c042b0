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
        if (size <= 4096)
        {
            words[1] = (address & ~0xFFFL) | INVALIDATE_PDE;
            return;
        }
        // Set every address bit below the highest bit that differs between the first and the last byte.
        final long last = address + size - 1;
        final int msb = 63 - Long.numberOfLeadingZeros(address ^ last);
        final long encoded = msb >= WHOLE_SPACE_ZERO_BIT ? 0x7FFF_FFFF_FFFF_F000L : (address | ((1L << msb) - 1)) & ~(1L << msb);
        words[1] = (encoded & ~0xFFFL) | INVALIDATE_RANGE | INVALIDATE_PDE;
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
        final long address = q1 & ~0xFFFL;
        final long first;
        final long last;
        if ((q1 & INVALIDATE_RANGE) == 0)
        {
            first = address;
            last = address + 0xFFF;
        }
        else
        {
            final int zeroBit = Long.numberOfTrailingZeros(~(address | 0xFFFL));
            if (zeroBit >= WHOLE_SPACE_ZERO_BIT)
            {
                return pasid == CacheTag.NO_PASID ? scope.domain(domainId) : scope.pasid(domainId, pasid);
            }
            final long size = 1L << (zeroBit + 1);
            first = address & -size;
            last = first + size - 1;
        }
        return pasid == CacheTag.NO_PASID ? scope.range(domainId, first, last) : scope.pasidRange(domainId, pasid, first, last);
    }
}
