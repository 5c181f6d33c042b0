package org.iommuemu.tdx;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.junit.jupiter.api.Test;

import static org.iommuemu.tdx.TdxTestBed.TDR;
import static org.iommuemu.tdx.TdxTestBed.dataPage;
import static org.iommuemu.tdx.TdxTestBed.info;
import static org.iommuemu.tdx.TdxTestBed.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link TdxModule#tdAccess}: the TD's own loads and stores through its EPTs and the integrity check. */
class TdAccessTest
{
    private final TdxTestBed bed = new TdxTestBed();
    private final TdxModule module = bed.module;
    private final TrustDomain td = bed.td;
    private final WalkResult walk = new WalkResult();
    private final MachineCheckRecord mce = new MachineCheckRecord();
    private final long page = dataPage(7);

    TdAccessTest()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x7000, page);
    }

    @Test
    void aTdReadOfALinePoisonedByAnUntrustedWriteIsTheMachineCheck()
    {
        assertEquals(TdxModule.TD_ACCESS_OK, module.tdAccess(td, 0x7100, 64, false, walk, mce));
        assertFalse(mce.isValid());
        assertEquals(page + 0x100, walk.outputAddress());

        module.integrity().write(Requester.UNTRUSTED_DEVICE, page + 0x110, 16);   // a T=0 descriptor write-back
        assertEquals(TdxModule.TD_ACCESS_MACHINE_CHECK, module.tdAccess(td, 0x7100, 64, false, walk, mce));
        assertTrue(mce.isValid());
        assertEquals(page + 0x100, mce.address());
        assertEquals(Requester.TD, mce.requesterKind());
        assertEquals(td.id(), mce.requesterId());
        assertEquals(td.id(), mce.tdId());
        assertEquals(MachineCheckRecord.CAUSE_POISON_CONSUMED, mce.cause());
        assertEquals(TdxModule.TD_ACCESS_OK, module.tdAccess(td, 0x7140, 64, false, walk, mce), "the next line is clean");
    }

    @Test
    void aFullLineTdWriteClearsThePoisonAndAPartialOneDoesNot()
    {
        module.integrity().write(Requester.HOST_CPU, page, 128);
        assertEquals(TdxModule.TD_ACCESS_OK, module.tdAccess(td, 0x7000, 8, true, walk, mce));
        assertEquals(TdxModule.TD_ACCESS_MACHINE_CHECK, module.tdAccess(td, 0x7000, 64, false, walk, mce), "partial: still poisoned");
        assertEquals(TdxModule.TD_ACCESS_OK, module.tdAccess(td, 0x7000, 64, true, walk, mce));
        assertEquals(TdxModule.TD_ACCESS_OK, module.tdAccess(td, 0x7000, 64, false, walk, mce));
        assertEquals(TdxModule.TD_ACCESS_MACHINE_CHECK, module.tdAccess(td, 0x7040, 64, false, walk, mce), "only that line");
    }

    @Test
    void anUnmappedOrPendingGpaIsAnEptViolationAndMovesNothing()
    {
        assertEquals(TdxModule.TD_ACCESS_EPT_VIOLATION, module.tdAccess(td, 0x9000, 64, false, walk, mce));
        assertEquals(WalkFault.NOT_PRESENT, walk.fault());
        bed.septPath(0xA000, 1);
        ok(module.pageAug(info(0xA000, 0), TDR, dataPage(10), bed.out));
        assertEquals(TdxModule.TD_ACCESS_EPT_VIOLATION, module.tdAccess(td, 0xA000, 64, true, walk, mce), "pending: not accepted");
        assertEquals(WalkFault.PERMISSION, walk.fault());
        assertFalse(mce.isValid());
    }

    @Test
    void aSharedGpaIsAHostAccessOfWhatTheSharedEptMaps()
    {
        final long shared = td.sharedBit() | 0x1_0000_0000L;
        assertEquals(MapStatus.OK, td.sharedEpt().map(shared, dataPage(40), 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertEquals(TdxModule.TD_ACCESS_OK, module.tdAccess(td, shared + 0x40, 64, true, walk, mce));
        assertEquals(0, module.integrity().poisonedLineCount(), "host memory has no integrity state");
        // A shared-EPT mapping of the TD's own private page: a shared-KeyID access, so zeros on a read.
        assertEquals(MapStatus.OK, td.sharedEpt().map(shared + 0x1000, page, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertEquals(TdxModule.TD_ACCESS_READ_ZEROS, module.tdAccess(td, shared + 0x1000, 64, false, walk, mce));
        assertEquals(TdxModule.TD_ACCESS_OK, module.tdAccess(td, shared + 0x1000, 64, true, walk, mce));
        assertTrue(module.integrity().isPoisoned(page), "and a write poisons it");
        assertEquals(TdxModule.TD_ACCESS_MACHINE_CHECK, module.tdAccess(td, 0x7000, 64, false, walk, mce));
        assertEquals(Requester.TD, mce.requesterKind());
    }
}
