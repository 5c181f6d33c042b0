package org.iommuemu.tdx;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.junit.jupiter.api.Test;

import static org.iommuemu.tdx.TdxTestBed.TDR;
import static org.iommuemu.tdx.TdxTestBed.dataPage;
import static org.iommuemu.tdx.TdxTestBed.fails;
import static org.iommuemu.tdx.TdxTestBed.info;
import static org.iommuemu.tdx.TdxTestBed.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TDISP states, T-bit routing and the seed stories (003: the T=0 to T=1 flip; 004: bind ordering). */
class TdxConnectTest
{
    private static final int RID = 0x0100;
    private static final long PRIVATE_MMIO = 0xF000_0000L;
    private static final long SHARED_MMIO = 0xF001_0000L;
    private static final long MMIO_GPA = 0x8000_0000L;

    private final TdxTestBed bed = new TdxTestBed();
    private final TdxConnect connect = new TdxConnect(bed.module, UntrustedDmaRule.ABORT);
    private final Tdi tdi = connect.addTdi(RID, new MmioRange(PRIVATE_MMIO, 0x1_0000, false), new MmioRange(SHARED_MMIO, 0x1000, true));
    private final MachineCheckRecord mce = new MachineCheckRecord();
    private final DmaOutcome dma = new DmaOutcome();
    private final TrustDomain td = bed.td;

    TdxConnectTest()
    {
        bed.finalizeTd();
    }

    private void run()
    {
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertEquals(TdiStatus.OK, connect.start(tdi));
    }

    @Test
    void tdispStateMachine()
    {
        assertEquals(TdispState.CONFIG_UNLOCKED, tdi.state());
        assertEquals(TdiStatus.WRONG_STATE, connect.start(tdi));
        assertEquals(TdiStatus.WRONG_STATE, connect.stop(tdi));
        assertEquals(TdiStatus.WRONG_TD, connect.unbind(tdi));
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertEquals(TdispState.CONFIG_LOCKED, tdi.state());
        assertEquals(td, tdi.td());
        assertEquals(TdiStatus.WRONG_STATE, connect.bind(tdi, td, mce));
        assertEquals(TdiStatus.WRONG_STATE, connect.unbind(tdi));
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertEquals(TdispState.RUN, tdi.state());
        assertEquals(TdiStatus.WRONG_STATE, connect.start(tdi));
        assertEquals(TdiStatus.OK, connect.error(tdi));
        assertEquals(TdispState.ERROR, tdi.state());
        assertEquals(TdiStatus.WRONG_STATE, connect.start(tdi));
        assertEquals(TdiStatus.OK, connect.stop(tdi));
        assertEquals(TdispState.CONFIG_UNLOCKED, tdi.state());
        assertEquals(TdiStatus.OK, connect.unbind(tdi));
        assertEquals(null, tdi.td());
    }

    @Test
    void trustedDmaFromARunningTdiTranslatesThroughTheSept()
    {
        bed.mapPrivate(0x5000, dataPage(5));
        run();
        assertTrue(connect.trustedDma(RID, 0x5123, 8, false, dma), dma.toString());
        assertEquals(DmaOutcome.OK, dma.status());
        assertEquals(dataPage(5) + 0x123, dma.outputAddress());
        assertEquals(12, dma.pageSizeLg2());
        assertFalse(dma.viaSharedEpt());
        assertEquals("MAPPED", SecureEptEntry.stateName(dma.septEntry()));
        assertEquals(4, dma.walk().entryCount(), "a 4-level S-EPT walk");

        // A shared GPA goes to the shared EPT.
        assertEquals(MapStatus.OK, td.sharedEpt().map(td.sharedBit() | 0x6000, 0x9100_0000L, 4096, Permissions.READ_WRITE,
            PageSizePolicy.FORCED_4K));
        assertTrue(connect.trustedDma(RID, td.sharedBit() | 0x6010, 8, true, dma));
        assertTrue(dma.viaSharedEpt());
        assertEquals(0x9100_0010L, dma.outputAddress());
    }

    @Test
    void trustedDmaIsRefusedUnlessTheTdiRuns()
    {
        bed.mapPrivate(0x5000, dataPage(5));
        assertFalse(connect.translateTrusted(0x0999, 0x5000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_NO_TDI, dma.status());
        assertFalse(connect.translateTrusted(RID, 0x5000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_NO_TDI, dma.status(), "not bound to any TD");
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertFalse(connect.translateTrusted(RID, 0x5000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_TDI_NOT_RUN, dma.status(), "CONFIG_LOCKED");
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertTrue(connect.translateTrusted(RID, 0x5000, Permissions.READ, dma));
        connect.error(tdi);
        assertFalse(connect.translateTrusted(RID, 0x5000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_TDI_NOT_RUN, dma.status(), "ERROR");
    }

    /** Once the VMM began tearing the TD down (VPFLUSHDONE), its TDI's T=1 requests are refused (a model choice). */
    @Test
    void trustedDmaIsRefusedOnceTheTdIsTornDown()
    {
        bed.mapPrivate(0x5000, dataPage(5));
        run();
        assertTrue(connect.translateTrusted(RID, 0x5000, Permissions.READ, dma));
        ok(bed.module.vpFlushDone(TDR, bed.out));
        assertFalse(connect.trustedDma(RID, 0x5000, 8, false, dma));
        assertEquals(DmaOutcome.REFUSED_TD_KEYS_NOT_CONFIGURED, dma.status());
        assertEquals(null, connect.trustedDomain(RID, dma), "the per-request check of a cached translation refuses too");
        assertEquals("REFUSED_TD_KEYS_NOT_CONFIGURED", DmaOutcome.statusName(dma.status()));
    }

    @Test
    void trustedDmaSeesBlockedPendingAndMissingMappings()
    {
        bed.mapPrivate(0x5000, dataPage(5));
        bed.mapPrivate(0x6000, dataPage(6));
        bed.septPath(0x7000, 1);
        ok(bed.module.pageAug(info(0x7000, 0), TDR, dataPage(7), bed.out));
        run();
        assertFalse(connect.translateTrusted(RID, 0x7000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_PENDING, dma.status());
        assertFalse(connect.translateTrusted(RID, 0x8000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_NOT_MAPPED, dma.status());
        ok(bed.module.rangeBlock(info(0x5000, 0), TDR, bed.out));
        assertFalse(connect.translateTrusted(RID, 0x5000, Permissions.WRITE, dma));
        assertEquals(DmaOutcome.REFUSED_BLOCKED, dma.status());
        ok(bed.module.rangeBlock(info(0, 1), TDR, bed.out));
        assertFalse(connect.translateTrusted(RID, 0x7000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_PENDING, dma.status());
        assertFalse(connect.translateTrusted(RID, 0x6000, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_BLOCKED, dma.status(), "a MAPPED leaf under an NL_BLOCKED table");
        assertEquals("MAPPED", SecureEptEntry.stateName(dma.septEntry()));
    }

    @Test
    void aTrustedReadOfPoisonedMemoryIsAMachineCheckRecord()
    {
        bed.mapPrivate(0x5000, dataPage(5));
        run();
        connect.untrustedDmaRule(UntrustedDmaRule.POISON);
        assertTrue(connect.untrustedDma(0x0300, dataPage(5) + 0x80, 4, true, dma));
        assertEquals(DmaOutcome.WRITE_POISONED, dma.status());
        assertFalse(connect.trustedDma(RID, 0x5080, 64, false, dma));
        assertEquals(DmaOutcome.MACHINE_CHECK, dma.status());
        assertEquals(dataPage(5) + 0x80, dma.machineCheck().address());
        assertEquals(Requester.TRUSTED_DEVICE, dma.machineCheck().requesterKind());
        assertEquals(RID, dma.machineCheck().requesterId());
        assertEquals(td.id(), dma.machineCheck().tdId());
        assertTrue(connect.trustedDma(RID, 0x5080, 64, true, dma), "a full-line trusted write rewrites the line");
        assertTrue(connect.trustedDma(RID, 0x5080, 64, false, dma));
    }

    /**
     * The parts of trustedDma a cache of trusted translations needs apart: the TDISP check and the per-access
     * integrity check give the same answers as trustedDma does.
     */
    @Test
    void theTdiCheckAndTheIntegrityCheckStandAlone()
    {
        bed.mapPrivate(0x5000, dataPage(5));
        assertEquals(null, connect.trustedDomain(RID, dma));
        assertEquals(DmaOutcome.REFUSED_NO_TDI, dma.status());
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertEquals(null, connect.trustedDomain(RID, dma));
        assertEquals(DmaOutcome.REFUSED_TDI_NOT_RUN, dma.status());
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertEquals(td, connect.trustedDomain(RID, dma));
        assertEquals(DmaOutcome.OK, dma.status());

        connect.untrustedDmaRule(UntrustedDmaRule.POISON);
        assertTrue(connect.untrustedDma(0x0300, dataPage(5) + 0x80, 4, true, dma));
        connect.trustedDomain(RID, dma);
        assertFalse(connect.trustedAccess(RID, dataPage(5) + 0x80, 64, false, dma));
        assertEquals(DmaOutcome.MACHINE_CHECK, dma.status());
        assertEquals(dataPage(5) + 0x80, dma.machineCheck().address());
        assertEquals(Requester.TRUSTED_DEVICE, dma.machineCheck().requesterKind());
        connect.trustedDomain(RID, dma);
        assertTrue(connect.trustedAccess(RID, dataPage(5) + 0x80, 64, true, dma), "a full-line write clears the poison");
        assertTrue(connect.trustedAccess(RID, dataPage(5) + 0x80, 64, false, dma));
        assertEquals(DmaOutcome.OK, dma.status());
        assertFalse(dma.machineCheck().isValid());
    }

    @Test
    void untrustedDmaToPrivateMemoryFollowsTheConfiguredRule()
    {
        bed.mapPrivate(0x5000, dataPage(5));
        assertTrue(connect.untrustedDma(0x0300, dataPage(50), 64, true, dma), "host memory: fine");
        assertEquals(DmaOutcome.OK, dma.status());
        assertFalse(connect.untrustedDma(0x0300, dataPage(5), 64, true, dma));
        assertEquals(DmaOutcome.REFUSED_PRIVATE_T0, dma.status());
        assertEquals(0, bed.module.integrity().poisonedLineCount(), "an aborted write changes nothing");
        connect.untrustedDmaRule(UntrustedDmaRule.POISON);
        assertTrue(connect.untrustedDma(0x0300, dataPage(5), 8, false, dma));
        assertEquals(DmaOutcome.READ_ZEROS, dma.status());
        assertTrue(connect.untrustedDma(0x0300, dataPage(5), 8, true, dma));
        assertEquals(DmaOutcome.WRITE_POISONED, dma.status());
        assertTrue(bed.module.integrity().isPoisoned(dataPage(5)));
    }

    @Test
    void seed004WrongOrderBindWithTheSharedMappingStillPresentRecordsTheMachineCheck()
    {
        // The VMM still maps the private MMIO through the shared EPT (KVM) when the TDI is bound.
        assertEquals(MapStatus.OK, td.sharedEpt().map(td.sharedBit() | MMIO_GPA, PRIVATE_MMIO + 0x2000, 4096,
            Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertEquals(TdiStatus.MACHINE_CHECK, connect.bind(tdi, td, mce));
        assertTrue(mce.isValid());
        assertEquals(PRIVATE_MMIO + 0x2000, mce.address());
        assertEquals(MachineCheckRecord.CAUSE_SHARED_MMIO_MAPPING_AT_BIND, mce.cause());
        assertEquals(RID, mce.requesterId());
        assertEquals(td.id(), mce.tdId());
        assertEquals(TdispState.ERROR, tdi.state());
        assertFalse(connect.translateTrusted(RID, 0, Permissions.READ, dma));
        assertEquals(DmaOutcome.REFUSED_TDI_NOT_RUN, dma.status());
    }

    @Test
    void seed004AnIommuMappingOfPrivateMmioAtBindAlsoRecordsTheMachineCheck()
    {
        connect.addHypervisorMappings((hpa, length) -> PRIVATE_MMIO + 0xF000 >= hpa && PRIVATE_MMIO + 0xF000 < hpa + length ?
            PRIVATE_MMIO + 0xF000 : -1);
        assertEquals(TdiStatus.MACHINE_CHECK, connect.bind(tdi, td, mce));
        assertEquals(PRIVATE_MMIO + 0xF000, mce.address());
    }

    /** What an IOMMU still caches after an unmap without invalidation; -1 once "invalidated". */
    private long staleOutput = PRIVATE_MMIO + 0x3000;

    private long cached(final long hpa, final long length)
    {
        return staleOutput >= hpa && staleOutput < hpa + length ? staleOutput : -1;
    }

    @Test
    void theRulesDefaultToPoisonForMemoryAndAbortForMmioAndAStaleTranslationIsAMachineCheck()
    {
        assertEquals(UntrustedDmaRule.POISON, UntrustedDmaRule.DEFAULT);
        assertEquals(UntrustedMmioRule.ABORT, UntrustedMmioRule.DEFAULT);
        assertEquals(StaleTranslationRule.MACHINE_CHECK, StaleTranslationRule.DEFAULT);
        assertEquals(UntrustedMmioRule.DEFAULT, connect.untrustedMmioRule());
        assertEquals(StaleTranslationRule.DEFAULT, connect.staleTranslationRule());
    }

    @Test
    void seed004AStaleCachedTranslationOfPrivateMmioAtBindIsTheMachineCheck()
    {
        connect.addCachedTranslations(this::cached);
        assertEquals(TdiStatus.MACHINE_CHECK, connect.bind(tdi, td, mce));
        assertEquals(MachineCheckRecord.CAUSE_CACHED_MMIO_TRANSLATION_AT_BIND, mce.cause());
        assertEquals("CACHED_MMIO_TRANSLATION_AT_BIND", MachineCheckRecord.causeName(mce.cause()));
        assertEquals(PRIVATE_MMIO + 0x3000, mce.address());
        assertEquals(RID, mce.requesterId());
        assertEquals(TdispState.ERROR, tdi.state());
        assertEquals(td, tdi.td(), "still bound, so it can be stopped and unbound");
    }

    @Test
    void seed004UnderTheRefuseRuleAStaleTranslationRefusesTheBindUntilInvalidated()
    {
        connect.addCachedTranslations(this::cached);
        connect.staleTranslationRule(StaleTranslationRule.REFUSE);
        assertEquals(TdiStatus.STALE_TRANSLATION, connect.bind(tdi, td, mce));
        assertFalse(mce.isValid());
        assertEquals(PRIVATE_MMIO + 0x3000, connect.lastStaleTranslation());
        assertEquals(TdispState.CONFIG_UNLOCKED, tdi.state());
        assertEquals(null, tdi.td());
        assertTrue(connect.untrustedDma(0x0300, PRIVATE_MMIO + 0x3000, 64, true, dma), "not locked: the MMIO is not private yet");

        staleOutput = -1;   // the VMM's invalidation
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertEquals(-1, connect.lastStaleTranslation());
        assertEquals(TdispState.CONFIG_LOCKED, tdi.state());
    }

    @Test
    void aTableMappingIsCheckedBeforeTheCachesAndIsAMachineCheckUnderEitherRule()
    {
        connect.addCachedTranslations(this::cached);
        connect.staleTranslationRule(StaleTranslationRule.REFUSE);
        connect.addHypervisorMappings((hpa, length) -> PRIVATE_MMIO + 0x8000 >= hpa && PRIVATE_MMIO + 0x8000 < hpa + length ?
            PRIVATE_MMIO + 0x8000 : -1);
        assertEquals(TdiStatus.MACHINE_CHECK, connect.bind(tdi, td, mce));
        assertEquals(MachineCheckRecord.CAUSE_SHARED_MMIO_MAPPING_AT_BIND, mce.cause());
        assertEquals(PRIVATE_MMIO + 0x8000, mce.address());
    }

    @Test
    void aCachedTranslationOfTheSharedMmioDoesNotCount()
    {
        staleOutput = SHARED_MMIO + 0x100;
        connect.addCachedTranslations(this::cached);
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
    }

    @Test
    void untrustedDmaToPrivateMmioOfALockedTdiIsRefused()
    {
        assertTrue(connect.untrustedDma(0x0300, PRIVATE_MMIO + 0x40, 64, true, dma), "unbound: ordinary MMIO");
        assertEquals(DmaOutcome.OK, dma.status());
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertFalse(connect.untrustedDma(0x0300, PRIVATE_MMIO + 0x40, 64, true, dma));
        assertEquals(DmaOutcome.REFUSED_PRIVATE_MMIO_T0, dma.status());
        assertEquals("REFUSED_PRIVATE_MMIO_T0", DmaOutcome.statusName(dma.status()));
        assertFalse(connect.untrustedDma(0x0300, PRIVATE_MMIO - 8, 16, false, dma), "a request straddling the range start");
        assertEquals(DmaOutcome.REFUSED_PRIVATE_MMIO_T0, dma.status());
        assertTrue(connect.untrustedDma(0x0300, PRIVATE_MMIO + 0x1_0000, 64, true, dma), "just past the private range");
        assertTrue(connect.untrustedDma(0x0300, SHARED_MMIO, 64, true, dma), "the range the report keeps shared");
        assertEquals(DmaOutcome.OK, dma.status());

        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertFalse(connect.untrustedDma(0x0300, PRIVATE_MMIO, 4, false, dma), "RUN: locked");
        assertEquals(TdiStatus.OK, connect.error(tdi));
        assertFalse(connect.untrustedDma(0x0300, PRIVATE_MMIO, 4, false, dma), "ERROR: locked until STOP");
        assertEquals(TdiStatus.OK, connect.stop(tdi));
        assertTrue(connect.untrustedDma(0x0300, PRIVATE_MMIO, 4, false, dma), "STOP unlocks the interface");
        assertEquals(TdiStatus.OK, connect.unbind(tdi));
        assertTrue(connect.untrustedDma(0x0300, PRIVATE_MMIO, 4, false, dma));
    }

    @Test
    void underTheMachineCheckRuleUntrustedDmaToLockedPrivateMmioRaisesOne()
    {
        connect.untrustedMmioRule(UntrustedMmioRule.MACHINE_CHECK);
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertFalse(connect.untrustedDma(0x0300, PRIVATE_MMIO + 0x2040, 64, true, dma));
        assertEquals(DmaOutcome.MACHINE_CHECK, dma.status());
        final MachineCheckRecord record = dma.machineCheck();
        assertTrue(record.isValid());
        assertEquals(MachineCheckRecord.CAUSE_UNTRUSTED_PRIVATE_MMIO, record.cause());
        assertEquals(PRIVATE_MMIO + 0x2040, record.address());
        assertEquals(Requester.UNTRUSTED_DEVICE, record.requesterKind());
        assertEquals(0x0300, record.requesterId());
        assertEquals(td.id(), record.tdId());
        assertTrue(connect.untrustedDma(0x0300, SHARED_MMIO, 64, true, dma));
        assertFalse(dma.machineCheck().isValid());
    }

    @Test
    void lockedRangesOfSeveralTdisAreAllChecked()
    {
        final Tdi other = connect.addTdi(0x0400, new MmioRange(0xE000_0000L, 0x4000, false));
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertEquals(TdiStatus.OK, connect.bind(other, td, mce));
        assertFalse(connect.untrustedDma(0x0300, 0xE000_3FC0L, 64, true, dma));
        assertFalse(connect.untrustedDma(0x0300, PRIVATE_MMIO, 64, true, dma));
        assertEquals(TdiStatus.OK, connect.stop(tdi));
        assertTrue(connect.untrustedDma(0x0300, PRIVATE_MMIO, 64, true, dma));
        assertFalse(connect.untrustedDma(0x0300, 0xE000_0000L, 64, true, dma));
    }

    @Test
    void seed004RightOrderUnmapSharedThenBindThenMapPrivate()
    {
        // A shared mapping of the range that stays shared is fine.
        assertEquals(MapStatus.OK, td.sharedEpt().map(td.sharedBit() | 0x9000_0000L, SHARED_MMIO, 4096,
            Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, td.sharedEpt().map(td.sharedBit() | MMIO_GPA, PRIVATE_MMIO, 4096,
            Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        bed.septPath(MMIO_GPA, 1);
        // Private MMIO cannot go into the S-EPT before bind.
        fails(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_R8, connect.mmioMap(td, info(MMIO_GPA, 0), PRIVATE_MMIO, bed.out));

        assertEquals(MapStatus.OK, td.sharedEpt().unmap(td.sharedBit() | MMIO_GPA, 4096));
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, mce));
        assertFalse(mce.isValid());
        fails(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_R8, connect.mmioMap(td, info(MMIO_GPA, 0), SHARED_MMIO, bed.out));
        ok(connect.mmioMap(td, info(MMIO_GPA, 0), PRIVATE_MMIO, bed.out));
        assertEquals(0x4100_0000_F000_0080L, bed.module.septEntry(td, info(MMIO_GPA, 0)), "MMIO_PENDING, TDIO, UC, no SVE");
        ok(bed.module.accept(td, info(MMIO_GPA, 0), bed.out));
        assertEquals(0xC000_0000_F000_0083L, bed.module.septEntry(td, info(MMIO_GPA, 0)), "MMIO_MAPPED, RW");
        final WalkResult walk = new WalkResult();
        assertTrue(bed.module.translate(td, MMIO_GPA + 0x40, Permissions.WRITE, walk));
        assertEquals(PRIVATE_MMIO + 0x40, walk.outputAddress());
        assertEquals(Pamt.PT_MMIO, bed.module.pamt().pageType(PRIVATE_MMIO));

        // Unbind order: STOP, unmap private MMIO from the S-EPT, then unbind.
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertEquals(TdiStatus.OK, connect.stop(tdi));
        assertEquals(TdiStatus.MMIO_STILL_MAPPED, connect.unbind(tdi));
        ok(bed.module.rangeBlock(info(MMIO_GPA, 0), TDR, bed.out));
        ok(bed.module.track(TDR, bed.out));
        ok(bed.module.pageRemove(info(MMIO_GPA, 0), TDR, bed.out));
        assertEquals(TdiStatus.OK, connect.unbind(tdi));
    }

    @Test
    void seed003TheFlipFromTZeroToTOneLeavesEarlierDmaAddressesUnusable()
    {
        final Tdi nic = connect.addTdi(0x0200).privateIovaLimit(-1L);   // Alexey's V1: X = all ones, all private
        final long bounce = 0x9100_0000L;                               // swiotlb bounce buffer, host memory
        final long dmaAddr1 = td.sharedBit() | 0x10_0000L;              // dma_map() under T=0: a shared address
        assertEquals(MapStatus.OK, td.sharedEpt().map(dmaAddr1, bounce, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));

        // T=0: the VMM's translation (the shared EPT stands in for the untrusted IOMMU domain) then the check.
        final WalkResult untrusted = new WalkResult();
        assertTrue(td.sharedEpt().translate(dmaAddr1 + 0x10, Permissions.WRITE, untrusted));
        assertTrue(connect.untrustedDma(0x0200, untrusted.outputAddress(), 8, true, dma));
        assertEquals(DmaOutcome.OK, dma.status());
        assertFalse(connect.translateTrusted(0x0200, dmaAddr1, Permissions.WRITE, dma));

        // goto_t_1(): bind, start, and the device now sends T=1.
        assertEquals(TdiStatus.OK, connect.bind(nic, td, mce));
        assertEquals(TdiStatus.OK, connect.start(nic));
        final long dmaAddr2 = 0x20_0000L;                               // dma_map() under T=1: private memory
        bed.mapPrivate(dmaAddr2, dataPage(20));
        assertTrue(connect.trustedDma(0x0200, dmaAddr2 + 0x10, 8, true, dma), dma.toString());
        assertEquals(dataPage(20) + 0x10, dma.outputAddress());
        assertFalse(dma.viaSharedEpt());

        assertFalse(connect.trustedDma(0x0200, dmaAddr1 + 0x10, 8, true, dma), "dma_addr1 stops being usable");
        assertEquals(DmaOutcome.REFUSED_NOT_MAPPED, dma.status());

        // With X below the shared half, the same address is shared again and reaches the bounce buffer.
        nic.privateIovaLimit(1L << 32);
        assertTrue(connect.trustedDma(0x0200, dmaAddr1 + 0x10, 8, true, dma));
        assertTrue(dma.viaSharedEpt());
        assertEquals(bounce + 0x10, dma.outputAddress());
        assertTrue(connect.trustedDma(0x0200, dmaAddr2, 8, false, dma), "below X: private");
        assertFalse(dma.viaSharedEpt());
    }
}
