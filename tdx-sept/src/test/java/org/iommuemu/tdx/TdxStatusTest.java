package org.iommuemu.tdx;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known answers for the status layout, the operand layout and the leaf numbers. */
class TdxStatusTest
{
    @Test
    void statusCodesAreTheReferenceValues()
    {
        assertEquals(0xC000_0100_0000_0000L, TdxStatus.OPERAND_INVALID);
        assertEquals(0x8000_0200_0000_0000L, TdxStatus.OPERAND_BUSY);
        assertEquals(0x8000_0201_0000_0000L, TdxStatus.PREVIOUS_TLB_EPOCH_BUSY);
        assertEquals(0xC000_0300_0000_0000L, TdxStatus.PAGE_METADATA_INCORRECT);
        assertEquals(0xC000_0B00_0000_0000L, TdxStatus.EPT_WALK_FAILED);
        assertEquals(0xC000_0B02_0000_0000L, TdxStatus.EPT_ENTRY_NOT_FREE);
        assertEquals(0xC000_0B08_0000_0000L, TdxStatus.TLB_TRACKING_NOT_DONE);
        assertEquals(0xC000_0B09_0000_0000L, TdxStatus.EPT_INVALID_PROMOTE_CONDITIONS);
        assertEquals(0xC000_0B0D_0000_0000L, TdxStatus.EPT_ENTRY_STATE_INCORRECT);
        assertEquals(0xC000_0811_0000_0000L, TdxStatus.KEY_STATE_INCORRECT);
        assertEquals(0x8000_0824_0000_0000L, TdxStatus.FLUSHVP_NOT_DONE);
    }

    @Test
    void operandIdsSitInTheLowBits()
    {
        final long busySept = TdxStatus.withOperand(TdxStatus.OPERAND_BUSY, TdxStatus.OPERAND_ID_SEPT);
        assertEquals(0x8000_0200_0000_0092L, busySept, "KVM's TDX_ERROR_SEPT_BUSY");
        assertEquals(TdxStatus.OPERAND_BUSY, TdxStatus.code(busySept));
        assertEquals(0x92, TdxStatus.operand(busySept));
        assertEquals(0xC000_0100_0000_0001L, TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX));
        assertEquals(0x8000_0201_0000_00A9L, TdxStatus.withOperand(TdxStatus.PREVIOUS_TLB_EPOCH_BUSY, TdxStatus.OPERAND_ID_TD_EPOCH));
        assertTrue(TdxStatus.isError(busySept));
        assertFalse(TdxStatus.isError(TdxStatus.SUCCESS));
        assertEquals("TDX_OPERAND_BUSY|0x92", TdxStatus.name(busySept));
        assertEquals(0x0201L, TdxStatus.levelState(1, SecureEptEntry.STATE_PENDING), "level 1, state PENDING (KVM's TDX_SEPT_PENDING 2)");
    }

    @Test
    void levelStateCarriesLevelAndStateCode()
    {
        // The state the module reports (its sept_special_flags_lookup public_state; KVM's enum tdx_sept_entry_state).
        assertEquals(0x0102L, TdxStatus.levelState(2, SecureEptEntry.STATE_BLOCKED), "BLOCKED 1");
        assertEquals(0x0000L, TdxStatus.levelState(0, SecureEptEntry.INIT_VALUE), "FREE 0");
        assertEquals(0x0400L, TdxStatus.levelState(0, SecureEptEntry.STATE_MAPPED), "PRESENT 4");
        assertEquals(0x0300L, TdxStatus.levelState(0, SecureEptEntry.STATE_PENDING_BLOCKED), "PENDING_BLOCKED 3");
        assertEquals(0x8401L, TdxStatus.levelState(1, SecureEptEntry.STATE_NL_MAPPED), "NL_MAPPED 0x84");
    }

    @Test
    void pageInfoLayout()
    {
        assertEquals(0x0000_0012_3456_7001L, PageInfo.encode(0x12_3456_7000L, 1));
        assertEquals(0x12_3456_7000L, PageInfo.gpa(0x0000_0012_3456_7001L));
        assertEquals(1, PageInfo.level(0x0000_0012_3456_7001L));
        assertTrue(PageInfo.hasReservedBits(0x0010_0000_0000_0000L));
        assertTrue(PageInfo.hasReservedBits(0x8L));
        assertFalse(PageInfo.hasReservedBits(0x000F_FFFF_FFFF_F007L));
        assertEquals(21, PageInfo.sizeLg2(PageInfo.LEVEL_2M));
    }

    @Test
    void leafNumbers()
    {
        assertEquals(2, SeamcallLeaf.TDH_MEM_PAGE_ADD);
        assertEquals(3, SeamcallLeaf.TDH_MEM_SEPT_ADD);
        assertEquals(6, SeamcallLeaf.TDH_MEM_PAGE_AUG);
        assertEquals(7, SeamcallLeaf.TDH_MEM_RANGE_BLOCK);
        assertEquals(15, SeamcallLeaf.TDH_MEM_PAGE_DEMOTE);
        assertEquals(23, SeamcallLeaf.TDH_MEM_PAGE_PROMOTE);
        assertEquals(28, SeamcallLeaf.TDH_PHYMEM_PAGE_RECLAIM);
        assertEquals(29, SeamcallLeaf.TDH_MEM_PAGE_REMOVE);
        assertEquals(30, SeamcallLeaf.TDH_MEM_SEPT_REMOVE);
        assertEquals(38, SeamcallLeaf.TDH_MEM_TRACK);
        assertEquals(39, SeamcallLeaf.TDH_MEM_RANGE_UNBLOCK);
        assertEquals(0x0001_001DL, SeamcallLeaf.rax(29, 1));
    }
}
