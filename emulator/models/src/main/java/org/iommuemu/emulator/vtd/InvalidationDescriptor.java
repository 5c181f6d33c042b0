package org.iommuemu.emulator.vtd;

/**
 * Queued-invalidation descriptors: 128 bits (two quadwords), or 256 with IQA.DW = 1 (the upper two quadwords
 * are then reserved and must be 0). The type is bits 3:0 with bits 11:9 as type bits 6:4.
 * <pre>
 * context-cache (1)   q0: 49:48 FM | 47:32 SID | 31:16 DID | 5:4 G (1 global, 2 domain, 3 device) | 3:0 type
 * IOTLB (2)           q0: 31:16 DID | 7 DR | 6 DW | 5:4 G (1 global, 2 domain, 3 page)
 *                     q1: 63:12 ADDR | 6 IH | 5:0 AM
 * device-TLB (3)      q0: 63:52 PFSID[15:4] | 47:32 SID | 20:16 QDEP | 15:12 PFSID[3:0]
 *                     q1: 63:12 ADDR | 0 S
 * IEC (4)             q0: 47:32 IIDX | 31:27 IM | 4 G (1 index-selective)
 * invalidation wait (5) q0: 63:32 status data | 7 PD | 6 FN | 5 SW | 4 IF
 *                     q1: 63:2 status address
 * PASID IOTLB (6)     q0: 51:32 PASID | 31:16 DID | 5:4 G (2 PASID, 3 page in PASID)
 *                     q1: 63:12 ADDR | 6 IH | 5:0 AM
 * PASID-cache (7)     q0: 51:32 PASID | 31:16 DID | 5:4 G (0 domain, 1 PASID, 3 global)
 * PASID device-TLB (8) q0: 63:52 PFSID[15:4] | 51:32 PASID | 31:16 SID | 15:12 PFSID[3:0] | 8:4 QDEP
 *                     q1: 63:12 ADDR | 11 S | 0 G
 * page group response (9) q0: 51:32 PASID | 31:16 RID | 15:12 response code | 4 PASID present
 *                     q1: 11:3 PRG index | 2 LPIG
 * </pre>
 * Reserved masks are QEMU's where it has them ({@code VTD_INV_DESC_*_RSVD*}); the others cover the bits no field
 * uses. Sources: Linux intel/iommu.h {@code QI_*} ({@code QI_PGRP_*} for the page group response); QEMU
 * {@code VTD_INV_DESC_*}; shared/reference/vtd-tdx.md 4.5.
 */
public final class InvalidationDescriptor
{
    public static final int CONTEXT_CACHE = 0x1;
    public static final int IOTLB = 0x2;
    public static final int DEVICE_TLB = 0x3;
    public static final int IEC = 0x4;
    public static final int WAIT = 0x5;
    public static final int PASID_IOTLB = 0x6;
    public static final int PASID_CACHE = 0x7;
    public static final int PASID_DEVICE_TLB = 0x8;
    public static final int PAGE_GROUP_RESPONSE = 0x9;

    public static final int G_SHIFT = 4;
    public static final int DID_SHIFT = 16;
    public static final int SID_SHIFT = 32;
    public static final int FM_SHIFT = 48;
    public static final int PASID_SHIFT = 32;
    public static final long PASID_MASK = 0xF_FFFFL;

    public static final long CC_RESERVED = 0xFFFC_0000_0000_F1C0L;
    public static final long IOTLB_DR = 1L << 7;
    public static final long IOTLB_DW = 1L << 6;
    public static final long IOTLB_RESERVED = 0xFFFF_FFFF_0000_F100L;
    public static final long ADDRESS = 0xFFFF_FFFF_FFFF_F000L;
    public static final long IH = 1L << 6;
    public static final long AM = 0x3FL;
    public static final long ADDRESS_RESERVED = 0xF80L;
    public static final long DEVICE_TLB_RESERVED = 0x000F_0000_FFE0_01F0L;
    public static final long DEVICE_TLB_RESERVED_Q1 = 0xFFEL;
    public static final long DEVICE_TLB_S = 1L;
    public static final long WAIT_IF = 1L << 4;
    public static final long WAIT_SW = 1L << 5;
    public static final long WAIT_FN = 1L << 6;
    public static final long WAIT_PD = 1L << 7;
    public static final long WAIT_RESERVED = 0xFFFF_F100L;
    public static final long WAIT_RESERVED_Q1 = 3L;
    public static final long WAIT_ADDRESS = ~3L;
    public static final long PIOTLB_RESERVED = 0xFFF0_0000_0000_F1C0L;
    public static final long PC_RESERVED = 0xFFF0_0000_0000_F1C0L;
    public static final long PASID_DEVICE_TLB_G = 1L;
    public static final long PASID_DEVICE_TLB_S = 1L << 11;
    public static final long PASID_DEVICE_TLB_RESERVED_Q1 = 0x7FEL;
    public static final long PGRP_PASID_PRESENT = 1L << 4;
    public static final int PGRP_RESPONSE_SHIFT = 12;
    public static final long PGRP_RESPONSE = 0xFL << PGRP_RESPONSE_SHIFT;
    public static final int PGRP_RID_SHIFT = 16;
    public static final long PGRP_LPIG = 1L << 2;
    public static final int PGRP_INDEX_SHIFT = 3;
    public static final long PGRP_INDEX = 0x1FFL << PGRP_INDEX_SHIFT;
    /** Bits of a page group response that no field uses (bit 5, Linux's former PDP, included). */
    public static final long PGRP_RESERVED = 0xFFF0_0000_0000_0FE0L;
    public static final long PGRP_RESERVED_Q1 = ~(PGRP_INDEX | PGRP_LPIG);

    private InvalidationDescriptor()
    {
    }

    /** The 7-bit type: q0 bits 3:0, with bits 11:9 as type bits 6:4. */
    public static int type(final long q0)
    {
        return (int)(q0 & 0xF) | (int)((q0 >>> 5) & 0x70);
    }

    public static int granularity(final long q0)
    {
        return (int)(q0 >>> G_SHIFT) & 3;
    }

    public static int domainId(final long q0)
    {
        return (int)(q0 >>> DID_SHIFT) & 0xFFFF;
    }

    public static int sourceId(final long q0)
    {
        return (int)(q0 >>> SID_SHIFT) & 0xFFFF;
    }

    public static int functionMask(final long q0)
    {
        return (int)(q0 >>> FM_SHIFT) & 3;
    }

    public static int pasid(final long q0)
    {
        return (int)((q0 >>> PASID_SHIFT) & PASID_MASK);
    }

    public static long address(final long q1)
    {
        return q1 & ADDRESS;
    }

    public static int addressMask(final long q1)
    {
        return (int)(q1 & AM);
    }

    public static int waitStatusData(final long q0)
    {
        return (int)(q0 >>> 32);
    }

    public static long waitStatusAddress(final long q1)
    {
        return q1 & WAIT_ADDRESS;
    }

    /** The PASID device-TLB descriptor carries the SID in bits 31:16. */
    public static int pasidDeviceTlbSourceId(final long q0)
    {
        return (int)(q0 >>> 16) & 0xFFFF;
    }

    // Composers: fill words[0..1] (the driver's side).

    public static void contextCache(final long[] words, final int granularity, final int domainId, final int sourceId,
        final int functionMask)
    {
        words[0] = CONTEXT_CACHE | ((long)(granularity & 3) << G_SHIFT) | ((long)(domainId & 0xFFFF) << DID_SHIFT) |
            ((long)(sourceId & 0xFFFF) << SID_SHIFT) | ((long)(functionMask & 3) << FM_SHIFT);
        words[1] = 0;
    }

    public static void iotlb(final long[] words, final int granularity, final int domainId, final long address,
        final int addressMask, final boolean hint)
    {
        words[0] = IOTLB | ((long)(granularity & 3) << G_SHIFT) | ((long)(domainId & 0xFFFF) << DID_SHIFT) | IOTLB_DR | IOTLB_DW;
        words[1] = granularity == VtdRegisters.IOTLB_PAGE ? (address & ADDRESS) | (hint ? IH : 0) | (addressMask & AM) : 0;
    }

    public static void deviceTlb(final long[] words, final int sourceId, final long address, final boolean size)
    {
        words[0] = DEVICE_TLB | ((long)(sourceId & 0xFFFF) << SID_SHIFT);
        words[1] = (address & ADDRESS) | (size ? DEVICE_TLB_S : 0);
    }

    public static void wait(final long[] words, final long statusAddress, final int statusData, final boolean interrupt,
        final boolean fence)
    {
        words[0] = WAIT | ((long)statusData << 32) | (statusAddress >= 0 ? WAIT_SW : 0) | (interrupt ? WAIT_IF : 0) |
            (fence ? WAIT_FN : 0);
        words[1] = statusAddress >= 0 ? statusAddress & WAIT_ADDRESS : 0;
    }

    public static void pasidIotlb(final long[] words, final int granularity, final int domainId, final int pasid,
        final long address, final int addressMask, final boolean hint)
    {
        words[0] = PASID_IOTLB | ((long)(granularity & 3) << G_SHIFT) | ((long)(domainId & 0xFFFF) << DID_SHIFT) |
            ((pasid & PASID_MASK) << PASID_SHIFT);
        words[1] = granularity == VtdRegisters.IOTLB_PAGE ? (address & ADDRESS) | (hint ? IH : 0) | (addressMask & AM) : 0;
    }

    /** @param granularity {@link #PC_DOMAIN}, {@link #PC_PASID} or {@link #PC_GLOBAL}. */
    public static void pasidCache(final long[] words, final int granularity, final int domainId, final int pasid)
    {
        words[0] = PASID_CACHE | ((long)(granularity & 3) << G_SHIFT) | ((long)(domainId & 0xFFFF) << DID_SHIFT) |
            ((pasid & PASID_MASK) << PASID_SHIFT);
        words[1] = 0;
    }

    public static void pasidDeviceTlb(final long[] words, final int sourceId, final int pasid, final long address,
        final boolean global, final boolean size)
    {
        words[0] = PASID_DEVICE_TLB | ((long)(sourceId & 0xFFFF) << 16) | ((pasid & PASID_MASK) << PASID_SHIFT);
        words[1] = (address & ADDRESS) | (size ? PASID_DEVICE_TLB_S : 0) | (global ? PASID_DEVICE_TLB_G : 0);
    }

    /** A page group response (type 9) to {@code requesterId}'s page request group {@code prgIndex}. */
    public static void pageGroupResponse(final long[] words, final int requesterId, final int pasid, final int prgIndex,
        final int responseCode, final boolean last)
    {
        words[0] = PAGE_GROUP_RESPONSE | ((long)(requesterId & 0xFFFF) << PGRP_RID_SHIFT) |
            ((long)(responseCode & 0xF) << PGRP_RESPONSE_SHIFT) |
            (pasid >= 0 ? PGRP_PASID_PRESENT | ((pasid & PASID_MASK) << PASID_SHIFT) : 0);
        words[1] = ((long)(prgIndex & 0x1FF) << PGRP_INDEX_SHIFT) | (last ? PGRP_LPIG : 0);
    }

    /** The requester a page group response goes to. */
    public static int pageGroupResponseRequester(final long q0)
    {
        return (int)(q0 >>> PGRP_RID_SHIFT) & 0xFFFF;
    }

    /** Its response code. */
    public static int pageGroupResponseCode(final long q0)
    {
        return (int)((q0 & PGRP_RESPONSE) >>> PGRP_RESPONSE_SHIFT);
    }

    /** Its PRG index. */
    public static int pageGroupResponseIndex(final long q1)
    {
        return (int)((q1 & PGRP_INDEX) >>> PGRP_INDEX_SHIFT);
    }

    /** PASID-cache granularities. */
    public static final int PC_DOMAIN = 0;
    public static final int PC_PASID = 1;
    public static final int PC_GLOBAL = 3;
    /** PASID-based IOTLB granularities. */
    public static final int PIOTLB_PASID = 2;
    public static final int PIOTLB_PAGE = 3;
}
