package org.iommuemu.tdx;

import org.junit.jupiter.api.Test;

import static org.iommuemu.tdx.TdxTestBed.TDR;
import static org.iommuemu.tdx.TdxTestBed.dataPage;
import static org.iommuemu.tdx.TdxTestBed.info;
import static org.iommuemu.tdx.TdxTestBed.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Poison on untrusted writes, machine checks on consumption, and the host-read switch. */
class MemoryIntegrityTest
{
    private final TdxTestBed bed = new TdxTestBed();
    private final MemoryIntegrity integrity = bed.module.integrity();
    private final MachineCheckRecord mce = new MachineCheckRecord();
    private final long page = dataPage(4);

    MemoryIntegrityTest()
    {
        bed.finalizeTd();
        bed.mapPrivate(0x4000, page);
    }

    @Test
    void aHostWriteToPrivateMemoryPoisonsTheLinesAndTheTdsReadConsumesIt()
    {
        assertEquals(MemoryIntegrity.WRITE_POISONED, integrity.write(Requester.HOST_CPU, page + 0x100 + 8, 8));
        assertTrue(integrity.isPoisoned(page + 0x100));
        assertFalse(integrity.isPoisoned(page + 0x140));
        assertEquals(1, integrity.poisonedLineCount());

        assertEquals(MemoryIntegrity.ACCESS_OK, integrity.read(Requester.TD, bed.td.id(), page + 0x140, 64, mce));
        assertFalse(mce.isValid());
        assertEquals(MemoryIntegrity.MACHINE_CHECK, integrity.read(Requester.TD, bed.td.id(), page + 0xF0, 0x20, mce));
        assertTrue(mce.isValid());
        assertEquals(page + 0x100, mce.address());
        assertEquals(Requester.TD, mce.requesterKind());
        assertEquals(bed.td.id(), mce.requesterId());
        assertEquals(bed.td.id(), mce.tdId());
        assertEquals(MachineCheckRecord.CAUSE_POISON_CONSUMED, mce.cause());
    }

    @Test
    void aFullLineHostWriteAlsoPoisonsAndAnUntrustedDeviceWriteToo()
    {
        assertEquals(MemoryIntegrity.WRITE_POISONED, integrity.write(Requester.HOST_CPU, page, 64));
        assertEquals(MemoryIntegrity.WRITE_POISONED, integrity.write(Requester.UNTRUSTED_DEVICE, page + 0xFC0, 128));
        assertEquals(2, integrity.poisonedLineCount(), "the write that runs past the page poisons only the private line");
    }

    @Test
    void hostWritesToHostMemoryAndTdWritesNeverPoison()
    {
        assertEquals(MemoryIntegrity.ACCESS_OK, integrity.write(Requester.HOST_CPU, dataPage(40), 4096));
        assertEquals(MemoryIntegrity.ACCESS_OK, integrity.write(Requester.TD, page, 4096));
        assertEquals(MemoryIntegrity.ACCESS_OK, integrity.write(Requester.TRUSTED_DEVICE, page, 8));
        assertEquals(0, integrity.poisonedLineCount());
        assertEquals(MemoryIntegrity.ACCESS_OK, integrity.read(Requester.HOST_CPU, 0, dataPage(40), 4096, mce));
    }

    @Test
    void aTrustedFullLineWriteClearsPoisonAPartialOneDoesNot()
    {
        integrity.write(Requester.HOST_CPU, page, 128);
        integrity.write(Requester.TD, page + 8, 8);
        assertTrue(integrity.isPoisoned(page));
        integrity.write(Requester.TD, page, 64);
        assertFalse(integrity.isPoisoned(page));
        assertTrue(integrity.isPoisoned(page + 64));
    }

    @Test
    void hostReadsOfPrivateMemoryGiveZerosOrAMachineCheckBySwitch()
    {
        assertEquals(HostReadMode.ZEROS, integrity.hostReadMode());
        assertEquals(MemoryIntegrity.READ_ZEROS, integrity.read(Requester.HOST_CPU, 0, page + 16, 32, mce));
        assertFalse(mce.isValid());
        integrity.hostReadMode(HostReadMode.MACHINE_CHECK);
        assertEquals(MemoryIntegrity.MACHINE_CHECK, integrity.read(Requester.HOST_CPU, 0, page + 16, 32, mce));
        assertEquals(page + 16, mce.address());
        assertEquals(Requester.HOST_CPU, mce.requesterKind());
        assertEquals(MachineCheckRecord.CAUSE_HOST_READ_PRIVATE, mce.cause());
        assertEquals(bed.td.id(), mce.tdId());
    }

    @Test
    void aHostReadOfAPoisonedLineIsAMachineCheckInEitherMode()
    {
        integrity.write(Requester.HOST_CPU, page, 8);
        assertEquals(MemoryIntegrity.MACHINE_CHECK, integrity.read(Requester.HOST_CPU, 0, page, 8, mce));
        assertEquals(MachineCheckRecord.CAUSE_POISON_CONSUMED, mce.cause());
    }

    @Test
    void theModuleReinitialisesPagesItHandsOut()
    {
        final long gpa = 0x9000;
        bed.septPath(gpa, 1);
        ok(bed.module.pageAug(info(gpa, 0), TDR, dataPage(9), bed.out));
        integrity.write(Requester.HOST_CPU, dataPage(9), 8);
        assertTrue(integrity.isPoisoned(dataPage(9)));
        ok(bed.module.accept(bed.td, info(gpa, 0), bed.out));
        assertFalse(integrity.isPoisoned(dataPage(9)), "accept zeroes the page with the TD's key");
    }

    @Test
    void removedPagesAreHostPagesAgain()
    {
        ok(bed.module.rangeBlock(info(0x4000, 0), TDR, bed.out));
        ok(bed.module.track(TDR, bed.out));
        ok(bed.module.pageRemove(info(0x4000, 0), TDR, bed.out));
        assertEquals(MemoryIntegrity.ACCESS_OK, integrity.write(Requester.HOST_CPU, page, 8));
        assertEquals(MemoryIntegrity.ACCESS_OK, integrity.read(Requester.HOST_CPU, 0, page, 8, mce));
    }
}
