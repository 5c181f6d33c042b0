package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The structure layouts against the values the reference quotes from Linux and QEMU. */
class VtdStructuresTest
{
    private final SparseMemory memory = new SparseMemory();

    @Test
    void legacyRootAndContextEntries()
    {
        RootEntry.write(memory, 0x1000, 3, 0x5000);
        assertEquals(0x5001, memory.readEntry(0x1000 + 3 * 16));
        assertEquals(0xFFEL, RootEntry.RESERVED_LOW, "QEMU VTD_ROOT_ENTRY_RSVD below HAW");
        assertFalse(RootEntry.reserved(0x5001, 0, 32));
        assertTrue(RootEntry.reserved(1L << 40 | 1, 0, 40), "CTP bits at or above HAW");
        assertTrue(RootEntry.reserved(0x5001, 1, 48), "the high quadword must be 0");

        final long lo = ContextEntry.low(0x7000, ContextEntry.TT_DEVICE_TLB, true);
        final long hi = ContextEntry.high(2, 0xABCD);
        assertEquals(0x7000 | 0b0111, lo, "P, FPD, TT = 01 in bits 3:2");
        assertEquals(0xABCD02L, hi, "Linux context_set_domain_id: DID << 8; AW in 2:0");
        assertEquals(0xABCD, ContextEntry.domainId(hi));
        assertEquals(2, ContextEntry.addressWidth(hi));
        assertEquals(ContextEntry.TT_DEVICE_TLB, ContextEntry.translationType(lo));
        assertEquals(0xFFFF_FFFF_FF00_0080L, ContextEntry.RESERVED_HIGH, "QEMU VTD_CONTEXT_ENTRY_RSVD_HI");
        assertEquals(0xFF0L, ContextEntry.RESERVED_LOW, "QEMU VTD_CONTEXT_ENTRY_RSVD_LO below HAW");
    }

    @Test
    void scalableModeEntries()
    {
        assertTrue(ScalableRootEntry.upper(0x80) && !ScalableRootEntry.upper(0x7F));
        assertEquals(0x1000 + 0x7F * 32, ScalableContextEntry.address(0x1000, 0xFF));
        final long q0 = ScalableContextEntry.q0(0x9000, 2, true, true, false);
        assertEquals(0x9000 | (2 << 9) | 0b1101, q0);
        assertEquals(1 << 9, ScalableContextEntry.directoryEntries(q0), "2^(PDTS + 7)");
        assertEquals(0x1E0L, ScalableContextEntry.RESERVED_Q0, "QEMU VTD_SM_CONTEXT_ENTRY_RSVD_VAL0");
        assertEquals(0xFFFF_FFFF_FFE0_0000L, ScalableContextEntry.RESERVED_Q1, "QEMU VTD_SM_CONTEXT_ENTRY_RSVD_VAL1");

        assertEquals(0x2000 + 2 * 8, PasidDirectoryEntry.address(0x2000, 130), "PASID[19:6]");
        assertEquals(0x3000 + 2 * 64, PasidEntry.address(0x3000, 130), "PASID[5:0]");
        final long p0 = PasidEntry.q0(PasidEntry.PGTT_NESTED, 0x4000, 2, true, true);
        assertEquals(0x4000 | (3 << 6) | (1 << 5) | (2 << 2) | 0b11, p0);
        final long p2 = PasidEntry.q2(0x8000, 5, true, false);
        assertEquals(0x8000 | (1 << 2) | 1, p2, "FLPM in 131:130, SRE bit 128");
        assertEquals(5, PasidEntry.firstStageLevels(p2));
        assertFalse(PasidEntry.executeRequests(p2));
    }

    @Test
    void faultRecordFields()
    {
        final long hi = FaultRecord.high(0x0310, 0x81, true, 0xABCDE, true, false);
        assertEquals(0x0310, FaultRecord.sourceId(hi));
        assertEquals(0x81, FaultRecord.reason(hi));
        assertEquals(0x81L << 32, hi & FaultRecord.FR, "FR in high-qword bits 39:32");
        assertEquals(0xABCDEL << 40, hi & FaultRecord.PV, "PV in 59:40 (20 bits)");
        assertTrue(FaultRecord.read(hi) && FaultRecord.pasidPresent(hi) && FaultRecord.fault(hi) && FaultRecord.execute(hi));
        assertFalse(FaultRecord.privileged(hi));
        assertEquals(1L << 31, FaultRecord.PP, "QEMU VTD_FRCD_PP");
    }

    @Test
    void descriptorTypesAndFields()
    {
        final long[] words = new long[2];
        InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PAGE, 0x12, 0x345, 0x7000, 3, true);
        assertEquals(InvalidationDescriptor.PASID_IOTLB, InvalidationDescriptor.type(words[0]));
        assertEquals(0x12, InvalidationDescriptor.domainId(words[0]));
        assertEquals(0x345, InvalidationDescriptor.pasid(words[0]));
        assertEquals(0x7000 | 0x40 | 3, words[1]);
        assertEquals(0x15, InvalidationDescriptor.type(0x15 & 0xF | (1L << 9)), "type bits 6:4 from 11:9");
        InvalidationDescriptor.wait(words, 0x9004, 0x1234, true, false);
        assertEquals(0x1234, InvalidationDescriptor.waitStatusData(words[0]));
        assertEquals(0x9004, InvalidationDescriptor.waitStatusAddress(words[1]));
        assertEquals(0x30L | InvalidationDescriptor.WAIT, words[0] & 0xFF, "SW bit 5, IF bit 4");
    }
}
