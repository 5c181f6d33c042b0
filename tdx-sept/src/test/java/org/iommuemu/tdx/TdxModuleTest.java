package org.iommuemu.tdx;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.iommuemu.tdx.TdxStatus.OPERAND_ID_R8;
import static org.iommuemu.tdx.TdxStatus.OPERAND_ID_R9;
import static org.iommuemu.tdx.TdxStatus.OPERAND_ID_RAX;
import static org.iommuemu.tdx.TdxStatus.OPERAND_ID_RCX;
import static org.iommuemu.tdx.TdxStatus.OPERAND_ID_RDX;
import static org.iommuemu.tdx.TdxStatus.OPERAND_ID_SEPT;
import static org.iommuemu.tdx.TdxTestBed.TDR;
import static org.iommuemu.tdx.TdxTestBed.dataPage;
import static org.iommuemu.tdx.TdxTestBed.fails;
import static org.iommuemu.tdx.TdxTestBed.info;
import static org.iommuemu.tdx.TdxTestBed.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each memory SEAMCALL's success and failure codes, and the S-EPT state machine through them. */
class TdxModuleTest
{
    private final TdxTestBed bed = new TdxTestBed();
    private final TdxModule module = bed.module;
    private final TrustDomain td = bed.td;
    private final SeamcallResult out = bed.out;
    private final WalkResult walk = new WalkResult();

    @Test
    void createTdSetsTheSharedBitAndOwnsItsPages()
    {
        assertEquals(1L << 47, td.sharedBit());
        assertEquals(4, td.septFormat().levels());
        assertEquals(Pamt.PT_TDR, module.pamt().pageType(TDR));
        assertEquals(Pamt.PT_SEPT, module.pamt().pageType(TdxTestBed.SEPT_ROOT));
        assertEquals(SecureEptEntry.INIT_VALUE, bed.memory.readEntry(TdxTestBed.SEPT_ROOT + 8 * 100));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_RCX,
            module.createTd(TDR, 0x20_0000, 48, 1, new FrameAllocator(bed.memory, 0x8_0000_0000L, 1 << 20), out));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, operandIdRdx(),
            module.createTd(0x30_0000, TdxTestBed.SEPT_ROOT, 48, 1, new FrameAllocator(bed.memory, 0x8_0000_0000L, 1 << 20), out));
        assertThrows(IllegalArgumentException.class,
            () -> module.createTd(0x30_0000, 0x31_0000, 50, 1, new FrameAllocator(bed.memory, 0x8_0000_0000L, 1 << 20), out));
    }

    private static int operandIdRdx()
    {
        return TdxStatus.OPERAND_ID_RDX;
    }

    @Test
    void fiveLevelTdUsesGpa51AsTheSharedBit()
    {
        final TdxTestBed big = new TdxTestBed(TrustDomain.GPAW_52, HostReadMode.ZEROS);
        assertEquals(1L << 51, big.td.sharedBit());
        assertEquals(5, big.td.septFormat().levels());
        big.finalizeTd();
        final long gpa = 0x7_1234_5678_9000L;  // above 2^47: private only with a 52-bit GPA width
        big.mapPrivate(gpa, dataPage(1));
        assertTrue(big.module.translate(big.td, gpa + 0x10, Permissions.READ, walk), walk.toString());
        assertEquals(dataPage(1) + 0x10, walk.outputAddress());
        assertEquals(5, walk.entryCount());
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, big.module.pageAug(info(gpa | 1L << 51, 0), TDR, dataPage(2), big.out));
    }

    @Test
    void septAddBuildsTheTreeTopDownAndRefusesMisuse()
    {
        final long gpa = 0x1234_5000L;
        // Level 1 before the upper tables exist: the walk stops at the FREE root entry.
        fails(TdxStatus.EPT_WALK_FAILED, OPERAND_ID_RCX, module.septAdd(info(gpa & ~0x1F_FFFFL, 1), TDR, bed.nextSeptPage(), out));
        assertEquals(SecureEptEntry.INIT_VALUE, out.rcx());
        assertEquals(3, out.rdx(), "level_state: the root entry (level 3), state FREE (public state 0)");

        final long l2Page = 0x200_0000L;
        ok(module.septAdd(info(0, 3), TDR, bed.nextSeptPage(), out));
        ok(module.septAdd(info(0, 2), TDR, l2Page, out));
        assertEquals(0x0000_0000_0200_0007L, module.septEntry(td, info(0, 2)), "NL_MAPPED RWX over the new page");
        assertEquals(SecureEptEntry.INIT_VALUE, bed.memory.readEntry(l2Page + 8 * 511), "the new page is all FREE");
        assertEquals(Pamt.PT_SEPT, module.pamt().pageType(l2Page));
        assertEquals(td.id(), module.pamt().owner(l2Page));

        fails(TdxStatus.EPT_ENTRY_STATE_INCORRECT, OPERAND_ID_RCX, module.septAdd(info(0, 2), TDR, bed.nextSeptPage(), out));
        assertEquals(0x0000_0000_0200_0007L, out.rcx());
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_R8, module.septAdd(info(0, 1), TDR, l2Page, out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_R8, module.septAdd(info(0, 1), TDR, 0x123, out)); // misaligned
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.septAdd(info(0, 0), TDR, bed.nextSeptPage(), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.septAdd(info(1L << 47, 1), TDR, bed.nextSeptPage(), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.septAdd(info(0x1000, 1), TDR, bed.nextSeptPage(), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.septAdd(info(0, 1) | 0x8, TDR, bed.nextSeptPage(), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.septAdd(info(0, 4), TDR, bed.nextSeptPage(), out));
        // Not a TDR page: PAGE_METADATA_INCORRECT on RDX; a misaligned one: OPERAND_INVALID on RDX (check_lock_and_map_explicit_tdr).
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_RDX, module.septAdd(info(0, 1), 0x55_0000, bed.nextSeptPage(), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RDX, module.septAdd(info(0, 1), 0x55_0008, bed.nextSeptPage(), out));
        ok(module.septAdd(info(0, 1), TDR, bed.nextSeptPage(), out));
    }

    @Test
    void pageAddCopiesTheSourceBeforeFinalizeOnly()
    {
        bed.septPath(0, 1);
        final long source = 0x9000_0000L;
        bed.memory.write(source + 64, new UnsafeBuffer(new byte[] {1, 2, 3, 4}), 0, 4);
        ok(module.pageAdd(info(0x3000, 0), TDR, dataPage(0), source, out));
        assertEquals(0x8000_0000_4000_00F7L, module.septEntry(td, info(0x3000, 0)), "MAPPED, RWX, WB, IPAT, PS, SVE");
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[4]);
        bed.memory.read(dataPage(0) + 64, copy, 0, 4);
        assertEquals(0x04030201, copy.getInt(0));
        assertEquals(Pamt.PT_REG, module.pamt().pageType(dataPage(0)));

        fails(TdxStatus.EPT_ENTRY_STATE_INCORRECT, OPERAND_ID_RCX, module.pageAdd(info(0x3000, 0), TDR, dataPage(1), source, out));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_R8, module.pageAdd(info(0x4000, 0), TDR, dataPage(0), source, out));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_R9, module.pageAdd(info(0x4000, 0), TDR, dataPage(1), dataPage(0), out));
        // The module checks the source (R9: aligned, a valid address) before the new page (R8), as tdh_mem_page_add does.
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_R9, module.pageAdd(info(0x4000, 0), TDR, dataPage(0), source + 8, out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.pageAdd(info(0x20_0000, 1), TDR, 0x8000_0000L, source, out));
        fails(TdxStatus.EPT_WALK_FAILED, OPERAND_ID_RCX, module.pageAdd(info(0x4000_0000L, 0), TDR, dataPage(1), source, out));
        bed.finalizeTd();
        fails(TdxStatus.OP_STATE_INCORRECT, 0, module.pageAdd(info(0x4000, 0), TDR, dataPage(1), source, out));
        fails(TdxStatus.OP_STATE_INCORRECT, 0, module.finalizeTd(TDR, out));
    }

    @Test
    void aPageCannotBeAddedToTwoTds()
    {
        final FrameAllocator pool = new FrameAllocator(bed.memory, 0x8_0000_0000L, 1 << 20);
        ok(module.createTd(0x50_0000L, 0x50_1000L, 48, 1, pool, out));
        final TrustDomain other = module.td(0x50_0000L);
        bed.finalizeTd();
        ok(module.finalizeTd(0x50_0000L, out));
        bed.septPath(0, 1);
        for (int level = 3; level >= 1; level--)
        {
            ok(module.septAdd(info(0, level), 0x50_0000L, 0x60_0000L + 4096L * level, out));
        }
        ok(module.pageAug(info(0x1000, 0), TDR, dataPage(7), out));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_R8, module.pageAug(info(0x1000, 0), 0x50_0000L, dataPage(7), out));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_R8, module.septAdd(info(0x20_0000L, 1), 0x50_0000L, dataPage(7), out));
        assertEquals(td.id(), module.pamt().owner(dataPage(7)));
        assertTrue(other.id() != td.id());
    }

    @Test
    void augThenAcceptMakesAPendingPageUsable()
    {
        bed.septPath(0x5000, 1);
        // Before finalize AUG is allowed too (the module's op-state table admits it in INITIALIZED): a page in 0x6000.
        bed.memory.writeEntry(dataPage(6) + 8, 0xBEEFL);
        ok(module.pageAug(info(0x6000, 0), TDR, dataPage(6), out));
        assertEquals(0, bed.memory.readEntry(dataPage(6) + 8));
        bed.finalizeTd();
        bed.memory.writeEntry(dataPage(0) + 128, 0xDEADL);
        ok(module.pageAug(info(0x5000, 0), TDR, dataPage(0), out));
        assertEquals(0, bed.memory.readEntry(dataPage(0) + 128), "AUG zeroes the page");
        assertEquals(0x0100_0000_4000_00F0L, module.septEntry(td, info(0x5000, 0)), "PENDING: no RWX, no SVE");
        assertFalse(module.translate(td, 0x5000, Permissions.READ, walk));
        assertEquals(WalkFault.PERMISSION, walk.fault());

        fails(TdxStatus.EPT_ENTRY_STATE_INCORRECT, OPERAND_ID_RCX, module.pageAug(info(0x5000, 0), TDR, dataPage(1), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.pageAug(info(0, 2), TDR, dataPage(1), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_R8, module.pageAug(info(0x20_0000, 1), TDR, dataPage(1), out)); // not 2M-aligned

        ok(module.accept(td, info(0x5000, 0), out));
        assertEquals(0x8000_0000_4000_00F7L, module.septEntry(td, info(0x5000, 0)));
        assertTrue(module.translate(td, 0x5008, Permissions.WRITE, walk));
        assertEquals(dataPage(0) + 8, walk.outputAddress());
        // Accepted already: the warning with the level (tdg_mem_page_accept); a level that is missing: an EPT-violation exit.
        fails(TdxStatus.PAGE_ALREADY_ACCEPTED, 0, module.accept(td, info(0x5000, 0), out));
        assertFalse(TdxStatus.isError(out.status()), "a warning");
        assertEquals(TdxStatus.EPT_VIOLATION_EXIT, module.accept(td, info(0x4000_0000L, 0), out).status());
        // A 2 MiB accept where a table of 4 KiB entries is: PAGE_SIZE_MISMATCH with the level, the guest retries smaller.
        fails(TdxStatus.PAGE_SIZE_MISMATCH, 1, module.accept(td, info(0, 1), out));
    }

    @Test
    void removeNeedsBlockThenTrackThenEveryVcpuOut()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x7000, dataPage(3));
        fails(TdxStatus.GPA_RANGE_NOT_BLOCKED, OPERAND_ID_RCX, module.pageRemove(info(0x7000, 0), TDR, out));

        td.vcpuEnter(0);                       // enters in epoch 0
        ok(module.rangeBlock(info(0x7000, 0), TDR, out));
        assertEquals(0x8080_0000_4000_30F0L, module.septEntry(td, info(0x7000, 0)), "BLOCKED, RWX cleared");
        fails(TdxStatus.GPA_RANGE_ALREADY_BLOCKED, OPERAND_ID_RCX, module.rangeBlock(info(0x7000, 0), TDR, out));
        fails(TdxStatus.TLB_TRACKING_NOT_DONE, OPERAND_ID_RCX, module.pageRemove(info(0x7000, 0), TDR, out));

        ok(module.track(TDR, out));            // epoch 1; vCPU 0 still counted in epoch 0
        assertEquals(1, td.epoch());
        fails(TdxStatus.TLB_TRACKING_NOT_DONE, OPERAND_ID_RCX, module.pageRemove(info(0x7000, 0), TDR, out));
        fails(TdxStatus.PREVIOUS_TLB_EPOCH_BUSY, 0, module.track(TDR, out));

        td.vcpuExit(0);
        ok(module.pageRemove(info(0x7000, 0), TDR, out));
        assertEquals(dataPage(3), out.rcx(), "RCX returns the removed page's HPA (tdh_mem_page_remove)");
        assertEquals(0, out.rdx());
        assertEquals(SecureEptEntry.INIT_VALUE, module.septEntry(td, info(0x7000, 0)));
        assertEquals(Pamt.PT_NDA, module.pamt().pageType(dataPage(3)), "the page is the host's again");
        assertFalse(module.translate(td, 0x7000, Permissions.READ, walk));
        assertEquals(WalkFault.NOT_PRESENT, walk.fault());
        fails(TdxStatus.EPT_ENTRY_STATE_INCORRECT, OPERAND_ID_RCX, module.pageRemove(info(0x7000, 0), TDR, out));
    }

    /**
     * RELOCATE (UNVERIFIED beyond its leaf number): the preconditions of REMOVE, a host page as target, 4 KiB only; the
     * content moves, the leaf is MAPPED over the target, the old page is the host's; with the switch off the leaf
     * stays BLOCKED until UNBLOCK, which needs no second TRACK.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void relocateMovesABlockedTrackedPageWithItsContent(final boolean unblocks)
    {
        module.relocateUnblocks(unblocks);
        bed.finalizeTd();
        bed.mapPrivate(0x7000, dataPage(3));
        bed.mapPrivate(0x8000, dataPage(4));
        final UnsafeBuffer data = new UnsafeBuffer(new byte[8]);
        data.putLong(0, 0x1122_3344_5566_7788L);
        bed.memory.write(dataPage(3) + 0x40, data, 0, 8);
        final long target = dataPage(9);

        fails(TdxStatus.GPA_RANGE_NOT_BLOCKED, OPERAND_ID_RCX, module.pageRelocate(info(0x7000, 0), TDR, target, out));
        ok(module.rangeBlock(info(0x7000, 0), TDR, out));
        // The mapped page itself as the target: OPERAND_INVALID | R8, checked before tracking as tdh_mem_page_relocate does.
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_R8, module.pageRelocate(info(0x7000, 0), TDR, dataPage(3), out));
        fails(TdxStatus.TLB_TRACKING_NOT_DONE, OPERAND_ID_RCX, module.pageRelocate(info(0x7000, 0), TDR, target, out));
        ok(module.track(TDR, out));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_R8, module.pageRelocate(info(0x7000, 0), TDR, dataPage(4), out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_R8, module.pageRelocate(info(0x7000, 0), TDR, target + 8, out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.pageRelocate(info(0, 1), TDR, target, out));

        ok(module.seamcall(SeamcallLeaf.rax(SeamcallLeaf.TDH_MEM_PAGE_RELOCATE, 0), info(0x7000, 0), TDR, target, 0, out));
        assertEquals(dataPage(3), out.rcx(), "RCX returns the old page's HPA, as tdh_mem_page_relocate does");
        assertEquals(0, out.rdx());
        final long moved = module.septEntry(td, info(0x7000, 0));
        assertEquals(target, SecureEptEntry.hpa(moved));
        assertEquals(unblocks ? SecureEptEntry.STATE_MAPPED : SecureEptEntry.STATE_BLOCKED, SecureEptEntry.state(moved));
        assertEquals(Pamt.PT_NDA, module.pamt().pageType(dataPage(3)), "the old page is the host's again");
        assertEquals(Pamt.PT_REG, module.pamt().pageType(target));
        final UnsafeBuffer read = new UnsafeBuffer(new byte[8]);
        bed.memory.read(target + 0x40, read, 0, 8);
        assertEquals(0x1122_3344_5566_7788L, read.getLong(0), "the module copied the content");
        if (!unblocks)
        {
            assertFalse(module.translate(td, 0x7000, Permissions.READ, walk));
            ok(module.rangeUnblock(info(0x7000, 0), TDR, out));
        }
        assertTrue(module.translate(td, 0x7040, Permissions.WRITE, walk));
        assertEquals(target + 0x40, walk.outputAddress());
        fails(TdxStatus.GPA_RANGE_NOT_BLOCKED, OPERAND_ID_RCX, module.pageRelocate(info(0x7000, 0), TDR, dataPage(10), out));
    }

    /** Tracking listeners hear every successful BLOCK (with its range) and TRACK (with the new epoch), nothing else. */
    @Test
    void trackingListenersHearSuccessfulBlocksAndTracksOnly()
    {
        final StringBuilder heard = new StringBuilder();
        module.addTrackingListener(new TlbTrackingListener()
        {
            public void blocked(final TrustDomain blockedTd, final long gpa, final int sizeLg2)
            {
                heard.append("block ").append(blockedTd.id()).append(" 0x").append(Long.toHexString(gpa)).append('/')
                    .append(sizeLg2).append(';');
            }

            public void tracked(final TrustDomain trackedTd, final long epoch)
            {
                heard.append("track ").append(trackedTd.id()).append(' ').append(epoch).append(';');
            }
        });
        bed.finalizeTd();
        bed.mapPrivate(0x7000, dataPage(3));
        td.vcpuEnter(0);
        ok(module.rangeBlock(info(0x7000, 0), TDR, out));
        fails(TdxStatus.GPA_RANGE_ALREADY_BLOCKED, OPERAND_ID_RCX, module.rangeBlock(info(0x7000, 0), TDR, out));
        ok(module.rangeBlock(info(0, 1), TDR, out));
        ok(module.track(TDR, out));
        fails(TdxStatus.PREVIOUS_TLB_EPOCH_BUSY, 0, module.track(TDR, out));
        td.vcpuExit(0);
        ok(module.seamcall(SeamcallLeaf.TDH_MEM_TRACK, TDR, 0, 0, 0, out));
        assertEquals("block " + td.id() + " 0x7000/12;block " + td.id() + " 0x0/21;track " + td.id() + " 1;track " + td.id() +
            " 2;", heard.toString());
    }

    @Test
    void trackAloneIsEnoughWhenNoVcpuRuns()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x7000, dataPage(3));
        ok(module.rangeBlock(info(0x7000, 0), TDR, out));
        td.vcpuEnter(1);                        // entered after the block, in the same epoch
        ok(module.track(TDR, out));
        fails(TdxStatus.TLB_TRACKING_NOT_DONE, OPERAND_ID_SEPT, module.rangeUnblock(info(0x7000, 0), TDR, out));
        td.vcpuExit(1);
        td.vcpuEnter(1);                        // re-enters in epoch 1: no stale TLB entry
        ok(module.rangeUnblock(info(0x7000, 0), TDR, out));
        assertEquals(0x8000_0000_4000_30F7L, module.septEntry(td, info(0x7000, 0)), "MAPPED, RWX restored");
        assertThrows(IllegalStateException.class, () -> td.vcpuEnter(1));
    }

    @Test
    void unblockRestoresEachBlockedState()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x1000, dataPage(1));
        bed.septPath(0x2000, 1);
        ok(module.pageAug(info(0x2000, 0), TDR, dataPage(2), out));
        fails(TdxStatus.EPT_ENTRY_STATE_INCORRECT, OPERAND_ID_RCX, module.rangeUnblock(info(0x1000, 0), TDR, out));
        ok(module.rangeBlock(info(0x1000, 0), TDR, out));
        ok(module.rangeBlock(info(0x2000, 0), TDR, out));
        ok(module.rangeBlock(info(0, 1), TDR, out));
        assertEquals(SecureEptEntry.STATE_PENDING_BLOCKED, bed.state(0x2000, 0));
        assertEquals(SecureEptEntry.STATE_NL_BLOCKED, bed.state(0, 1));
        ok(module.track(TDR, out));
        ok(module.rangeUnblock(info(0x1000, 0), TDR, out));
        ok(module.rangeUnblock(info(0x2000, 0), TDR, out));
        ok(module.rangeUnblock(info(0, 1), TDR, out));
        assertEquals(SecureEptEntry.STATE_MAPPED, bed.state(0x1000, 0));
        assertEquals(SecureEptEntry.STATE_PENDING, bed.state(0x2000, 0));
        assertEquals(SecureEptEntry.STATE_NL_MAPPED, bed.state(0, 1));
        assertTrue(module.translate(td, 0x1000, Permissions.READ, walk));
    }

    @Test
    void demoteSplitsABlockedTwoMegabyteLeafIntoMappedChildren()
    {
        bed.finalizeTd();
        final long gpa = 0x20_0000L;
        bed.septPath(gpa, 2);
        ok(module.pageAug(info(gpa, 1), TDR, TdxTestBed.HUGE_PAGE, out));
        ok(module.accept(td, info(gpa, 1), out));
        assertTrue(module.translate(td, gpa + 0x12_3456, Permissions.WRITE, walk));
        assertEquals(21, walk.pageSizeLg2());

        final long newPage = bed.nextSeptPage();
        fails(TdxStatus.GPA_RANGE_NOT_BLOCKED, OPERAND_ID_RCX, module.pageDemote(info(gpa, 1), TDR, newPage, out));
        ok(module.rangeBlock(info(gpa, 1), TDR, out));
        fails(TdxStatus.TLB_TRACKING_NOT_DONE, OPERAND_ID_RCX, module.pageDemote(info(gpa, 1), TDR, newPage, out));
        ok(module.track(TDR, out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.pageDemote(info(gpa, 0), TDR, newPage, out));
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_R8, module.pageDemote(info(gpa, 1), TDR, TdxTestBed.SEPT_ROOT, out));
        ok(module.pageDemote(info(gpa, 1), TDR, newPage, out));

        assertEquals(SecureEptEntry.STATE_NL_MAPPED, bed.state(gpa, 1));
        assertEquals(0x8000_0000_8000_00F7L, bed.memory.readEntry(newPage), "child 0: MAPPED 4 KiB");
        assertEquals(0x8000_0000_801F_F0F7L, bed.memory.readEntry(newPage + 8 * 511), "child 511");
        assertTrue(module.translate(td, gpa + 0x12_3456, Permissions.WRITE, walk));
        assertEquals(TdxTestBed.HUGE_PAGE + 0x12_3456, walk.outputAddress());
        assertEquals(12, walk.pageSizeLg2());
        assertEquals(Pamt.PT_SEPT, module.pamt().pageType(newPage));
        fails(TdxStatus.EPT_ENTRY_STATE_INCORRECT, OPERAND_ID_RCX, module.pageDemote(info(gpa, 1), TDR, bed.nextSeptPage(), out));
    }

    @Test
    void demoteOfAPendingBlockedLeafGivesPendingChildren()
    {
        bed.finalizeTd();
        final long gpa = 0x40_0000L;
        bed.septPath(gpa, 2);
        ok(module.pageAug(info(gpa, 1), TDR, TdxTestBed.HUGE_PAGE, out));
        ok(module.rangeBlock(info(gpa, 1), TDR, out));
        ok(module.track(TDR, out));
        ok(module.pageDemote(info(gpa, 1), TDR, bed.nextSeptPage(), out));
        assertEquals(SecureEptEntry.STATE_PENDING, bed.state(gpa + 0x5000, 0));
        ok(module.accept(td, info(gpa + 0x5000, 0), out));
        assertEquals(SecureEptEntry.STATE_MAPPED, bed.state(gpa + 0x5000, 0));
        assertEquals(SecureEptEntry.STATE_PENDING, bed.state(gpa + 0x6000, 0));
    }

    @Test
    void promoteMergesUniformChildrenAndReturnsTheSeptPage()
    {
        bed.finalizeTd();
        final long gpa = 0x20_0000L;
        bed.septPath(gpa, 2);
        ok(module.pageAug(info(gpa, 1), TDR, TdxTestBed.HUGE_PAGE, out));
        ok(module.accept(td, info(gpa, 1), out));
        ok(module.rangeBlock(info(gpa, 1), TDR, out));
        ok(module.track(TDR, out));
        final long septPage = bed.nextSeptPage();
        ok(module.pageDemote(info(gpa, 1), TDR, septPage, out));

        fails(TdxStatus.GPA_RANGE_NOT_BLOCKED, OPERAND_ID_RCX, module.pagePromote(info(gpa, 1), TDR, out));
        ok(module.rangeBlock(info(gpa, 1), TDR, out));
        fails(TdxStatus.TLB_TRACKING_NOT_DONE, OPERAND_ID_RCX, module.pagePromote(info(gpa, 1), TDR, out));
        ok(module.track(TDR, out));
        ok(module.pagePromote(info(gpa, 1), TDR, out));
        assertEquals(septPage, out.rcx(), "the freed S-EPT page");
        assertEquals(Pamt.PT_NDA, module.pamt().pageType(septPage));
        assertEquals(0x8000_0000_8000_00F7L, module.septEntry(td, info(gpa, 1)), "one MAPPED 2 MiB leaf");
        assertTrue(module.translate(td, gpa + 0x1F_F000, Permissions.READ, walk));
        assertEquals(21, walk.pageSizeLg2());
    }

    @Test
    void promoteRefusesAHoleWithTheOffendingChild()
    {
        bed.finalizeTd();
        final long gpa = 0x20_0000L;
        bed.septPath(gpa, 2);
        ok(module.pageAug(info(gpa, 1), TDR, TdxTestBed.HUGE_PAGE, out));
        ok(module.accept(td, info(gpa, 1), out));
        ok(module.rangeBlock(info(gpa, 1), TDR, out));
        ok(module.track(TDR, out));
        ok(module.pageDemote(info(gpa, 1), TDR, bed.nextSeptPage(), out));
        ok(module.rangeBlock(info(gpa + 0x3000, 0), TDR, out));
        ok(module.track(TDR, out));
        ok(module.pageRemove(info(gpa + 0x3000, 0), TDR, out));
        ok(module.rangeBlock(info(gpa, 1), TDR, out));
        ok(module.track(TDR, out));
        fails(TdxStatus.EPT_INVALID_PROMOTE_CONDITIONS, OPERAND_ID_RCX, module.pagePromote(info(gpa, 1), TDR, out));
        assertEquals(module.septEntry(td, info(gpa, 1)), out.rcx(), "the merged (parent) entry, as tdh_mem_page_promote reports it");
        assertEquals(SecureEptEntry.STATE_NL_BLOCKED, bed.state(gpa, 1), "nothing changed");
    }

    @Test
    void promoteRefusesMisalignedOrMixedChildren()
    {
        bed.finalizeTd();
        bed.septPath(0, 1);
        for (int i = 0; i < 512; i++)
        {
            ok(module.pageAug(info(0x1000L * i, 0), TDR, dataPage(1 + i), out));   // contiguous but not 2 MiB aligned
        }
        ok(module.rangeBlock(info(0, 1), TDR, out));
        ok(module.track(TDR, out));
        fails(TdxStatus.EPT_INVALID_PROMOTE_CONDITIONS, OPERAND_ID_RCX, module.pagePromote(info(0, 1), TDR, out));
        assertEquals(module.septEntry(td, info(0, 1)), out.rcx(), "the merged (parent) entry: the first child is misaligned");
        assertEquals(0x8101L, out.rdx(), "level 1, NL_BLOCKED (0x81)");
    }

    @Test
    void septRemoveNeedsABlockedEmptyTable()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x1000, dataPage(1));
        fails(TdxStatus.GPA_RANGE_NOT_BLOCKED, OPERAND_ID_RCX, module.septRemove(info(0, 1), TDR, out));
        ok(module.rangeBlock(info(0, 1), TDR, out));
        fails(TdxStatus.TLB_TRACKING_NOT_DONE, OPERAND_ID_RCX, module.septRemove(info(0, 1), TDR, out));
        ok(module.track(TDR, out));
        fails(TdxStatus.EPT_PAGE_NOT_FREE, OPERAND_ID_RCX, module.septRemove(info(0, 1), TDR, out));
        assertEquals(module.septEntry(td, info(0, 1)), out.rcx(), "the page's (parent) entry, as the module reports it");
        ok(module.rangeBlock(info(0x1000, 0), TDR, out));
        ok(module.track(TDR, out));
        ok(module.pageRemove(info(0x1000, 0), TDR, out));
        final long table = SecureEptEntry.hpa(module.septEntry(td, info(0, 1)));
        ok(module.septRemove(info(0, 1), TDR, out));
        assertEquals(table, out.rcx());
        assertEquals(SecureEptEntry.INIT_VALUE, module.septEntry(td, info(0, 1)));
        assertEquals(Pamt.PT_NDA, module.pamt().pageType(table));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.septRemove(info(0, 0), TDR, out));
    }

    @Test
    void aHeldEntryLockMakesSeamcallsBusy()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x1000, dataPage(1));
        assertTrue(module.holdHostLock(td, info(0x1000, 0)));
        fails(TdxStatus.OPERAND_BUSY, OPERAND_ID_RCX, module.rangeBlock(info(0x1000, 0), TDR, out));
        assertTrue(module.translate(td, 0x1000, Permissions.READ, walk), "the lock bit is ignored by the hardware walk");
        assertTrue(module.releaseHostLock(td, info(0x1000, 0)));
        ok(module.rangeBlock(info(0x1000, 0), TDR, out));
        assertFalse(module.holdHostLock(td, info(0x4000_0000L, 0)));
    }

    /**
     * Teardown in the module's order (KVM's tdx_mmu_release_hkid and page reclaim): VPFLUSHDONE (refused while a vCPU
     * is associated), CACHE.WB, KEY.FREEID, then RECLAIM of every page with the TDR last; each step out of order answers
     * as intel/tdx-module 1.5 does.
     */
    @Test
    void teardownFollowsTheModulesLifecycle()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x1000, dataPage(1));
        assertEquals(TrustDomain.Lifecycle.KEYS_CONFIGURED, td.lifecycle());
        fails(TdxStatus.LIFECYCLE_STATE_INCORRECT, 0, module.reclaim(dataPage(1), out));
        assertEquals(Pamt.PT_REG, out.rcx(), "RCX and RDX name the page's type and owner even when RECLAIM fails");
        assertEquals(TDR, out.rdx());
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_RCX, module.reclaim(dataPage(9), out));
        fails(TdxStatus.LIFECYCLE_STATE_INCORRECT, 0, module.freeKeyId(TDR, out));
        assertEquals(TdxStatus.NO_HKID_READY_TO_WBCACHE, module.cacheWriteback(SeamcallLeaf.CACHE_WB_START, out).status());

        td.vcpuEnter(0);
        assertEquals(TdxStatus.FLUSHVP_NOT_DONE, module.vpFlushDone(TDR, out).status());
        td.vcpuExit(0);
        ok(module.vpFlushDone(TDR, out));
        assertEquals(TrustDomain.Lifecycle.BLOCKED, td.lifecycle());
        assertThrows(IllegalStateException.class, () -> td.vcpuEnter(0), "no vCPU enters a blocked TD");
        fails(TdxStatus.LIFECYCLE_STATE_INCORRECT, 0, module.vpFlushDone(TDR, out));
        fails(TdxStatus.TD_KEYS_NOT_CONFIGURED, 0, module.rangeBlock(info(0x1000, 0), TDR, out));
        fails(TdxStatus.TD_KEYS_NOT_CONFIGURED, 0, module.track(TDR, out));
        fails(TdxStatus.TD_KEYS_NOT_CONFIGURED, 0, module.finalizeTd(TDR, out));
        assertEquals(TdxStatus.WBCACHE_NOT_COMPLETE, module.freeKeyId(TDR, out).status());
        fails(TdxStatus.LIFECYCLE_STATE_INCORRECT, 0, module.reclaim(dataPage(1), out));

        assertEquals(TdxStatus.WBCACHE_RESUME_ERROR, module.cacheWriteback(SeamcallLeaf.CACHE_WB_RESUME, out).status());
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RCX, module.cacheWriteback(2, out));
        ok(module.seamcall(SeamcallLeaf.rax(SeamcallLeaf.TDH_PHYMEM_CACHE_WB, 0), SeamcallLeaf.CACHE_WB_START, 0, 0, 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(SeamcallLeaf.TDH_MNG_KEY_FREEID, 0), TDR, 0, 0, 0, out));
        assertEquals(TrustDomain.Lifecycle.TEARDOWN, td.lifecycle());
        assertTrue(td.isKeyFreed());
        fails(TdxStatus.LIFECYCLE_STATE_INCORRECT, 0, module.freeKeyId(TDR, out));
        fails(TdxStatus.TD_KEYS_NOT_CONFIGURED, 0, module.rangeBlock(info(0x1000, 0), TDR, out));

        fails(TdxStatus.TD_ASSOCIATED_PAGES_EXIST, 0, module.reclaim(TDR, out));
        ok(module.reclaim(dataPage(1), out));
        assertEquals(Pamt.PT_REG, out.rcx());
        assertEquals(TDR, out.rdx());
        for (long page = TdxTestBed.SEPT_PAGES; page < TdxTestBed.SEPT_PAGES + 3 * 4096; page += 4096)
        {
            ok(module.reclaim(page, out));
            assertEquals(Pamt.PT_SEPT, out.rcx());
        }
        ok(module.reclaim(TdxTestBed.SEPT_ROOT, out));
        ok(module.reclaim(TDR, out));
        assertNull(module.td(TDR));
        assertEquals(0, module.pamt().size());
    }

    /** Reclaiming a whole torn-down TD: every frame, the TDR last; refused (nothing reclaimed) before teardown. */
    @Test
    void reclaimAllDestroysATornDownTd()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x1000, dataPage(1));
        bed.mapPrivate(0x2000, dataPage(2));
        final long owned = td.ownedFrames();
        fails(TdxStatus.LIFECYCLE_STATE_INCORRECT, 0, module.reclaimAll(TDR, out));
        assertEquals(0, out.rcx(), "nothing reclaimed");
        assertEquals(owned, td.ownedFrames());
        ok(module.vpFlushDone(TDR, out));
        ok(module.cacheWriteback(SeamcallLeaf.CACHE_WB_START, out));
        ok(module.freeKeyId(TDR, out));
        ok(module.reclaimAll(TDR, out));
        assertEquals(owned, out.rcx(), "every frame, the TDR included");
        assertEquals(TDR, out.rdx());
        assertNull(module.td(TDR));
        assertEquals(0, module.pamt().size());
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_RCX, module.reclaimAll(TDR, out));
    }

    /** VPFLUSHDONE through the register interface (leaf 19, RCX = TDR), as KVM calls it. */
    @Test
    void vpFlushDoneIsLeaf19()
    {
        ok(module.seamcall(SeamcallLeaf.rax(SeamcallLeaf.TDH_MNG_VPFLUSHDONE, 0), TDR, 0, 0, 0, out));
        assertEquals(TrustDomain.Lifecycle.BLOCKED, td.lifecycle());
        fails(TdxStatus.PAGE_METADATA_INCORRECT, OPERAND_ID_RCX,
            module.seamcall(SeamcallLeaf.rax(SeamcallLeaf.TDH_MNG_VPFLUSHDONE, 0), TDR + 0x1000, 0, 0, 0, out));
    }

    @Test
    void seamcallDecodesLeafNumbersFromRax()
    {
        final long pageInfo = info(0, 3);
        ok(module.seamcall(SeamcallLeaf.rax(SeamcallLeaf.TDH_MEM_SEPT_ADD, 0), pageInfo, TDR, bed.nextSeptPage(), 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(3, 0), info(0, 2), TDR, bed.nextSeptPage(), 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(3, 0), info(0, 1), TDR, bed.nextSeptPage(), 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(2, 0), info(0x1000, 0), TDR, dataPage(0), 0x9000_0000L, out));
        ok(module.seamcall(SeamcallLeaf.rax(17, 0), TDR, 0, 0, 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(6, 0), info(0x2000, 0), TDR, dataPage(1), 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(7, 0), info(0x1000, 0), TDR, 0, 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(38, 0), TDR, 0, 0, 0, out)); // TDH.MEM.TRACK: the TDR in RCX (tdh_mem_track)
        ok(module.seamcall(SeamcallLeaf.rax(39, 0), info(0x1000, 0), TDR, 0, 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(7, 0), info(0x1000, 0), TDR, 0, 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(38, 0), TDR, 0, 0, 0, out));
        ok(module.seamcall(SeamcallLeaf.rax(29, 1), info(0x1000, 0), TDR, 0, 0, out));
        fails(TdxStatus.OPERAND_INVALID, OPERAND_ID_RAX, module.seamcall(SeamcallLeaf.rax(99, 0), 0, TDR, 0, 0, out));
        assertEquals(29, SeamcallLeaf.leaf(SeamcallLeaf.rax(29, 1)));
        assertEquals(1, SeamcallLeaf.version(SeamcallLeaf.rax(29, 1)));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void sharedGpasGoToTheSharedEptOwnedByTheVmm(final int fiveLevel)
    {
        final TdxTestBed b = fiveLevel == 0 ? bed : new TdxTestBed(TrustDomain.GPAW_52, HostReadMode.ZEROS);
        final long shared = b.td.sharedBit() | 0x1000;
        assertEquals(MapStatus.OK,
            b.td.sharedEpt().map(shared, 0x9900_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertTrue(b.module.translate(b.td, shared + 4, Permissions.WRITE, walk));
        assertEquals(0x9900_0004L, walk.outputAddress());
        assertFalse(b.module.translate(b.td, 0x1000, Permissions.READ, walk), "the private alias is not mapped");
    }
}
