package org.iommuemu.rmp;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RmpEntryTest
{
    private static final long ADDRESS = 0x10_0000L;
    private final SparseMemory memory = new SparseMemory();
    private final RmpEntry entry = new RmpEntry().wrap(memory, ADDRESS);

    private static byte[] bytes(final int... values)
    {
        final byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            b[i] = (byte)values[i];
        }
        return b;
    }

    private byte[] raw()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RmpEntry.LENGTH]);
        memory.read(ADDRESS, buffer, 0, RmpEntry.LENGTH);
        return buffer.byteArray();
    }

    private void raw(final byte[] bytes)
    {
        memory.write(ADDRESS, new UnsafeBuffer(bytes), 0, bytes.length);
    }

    @Test
    void layoutConstantsChainToTheDocumentedBits()
    {
        assertEquals(0, RmpEntry.ASSIGNED_BIT);
        assertEquals(1, RmpEntry.PAGE_SIZE_BIT);
        assertEquals(2, RmpEntry.IMMUTABLE_BIT);
        assertEquals(3, RmpEntry.SUBPAGE_COUNT_SHIFT);
        assertEquals(12, RmpEntry.GPA_SHIFT);
        assertEquals(51, RmpEntry.ASID_SHIFT);
        assertEquals(61, RmpEntry.VMSA_BIT);
        assertEquals(62, RmpEntry.VALIDATED_BIT);
        assertEquals(63, RmpEntry.LOCK_BIT);
        assertEquals(32, RmpEntry.IMPLICIT_KEY_SELECT_BIT);
        assertEquals(-1L, RmpEntry.ASSIGNED_MASK | RmpEntry.PAGE_SIZE_MASK | RmpEntry.IMMUTABLE_MASK |
            RmpEntry.SUBPAGE_COUNT_MASK | RmpEntry.GPA_FIELD_MASK | RmpEntry.ASID_MASK | RmpEntry.VMSA_MASK |
            RmpEntry.VALIDATED_MASK | RmpEntry.LOCK_MASK, "quadword 0 fields tile all 64 bits");
    }

    @Test
    void encodesAValidatedGuest2MEntry()
    {
        // Assigned, 2M, GPA 0x12345000, ASID 5, Validated; VMPL0 RWXuXs, VMPL1 R.
        entry.quadword0(0).quadword1(0)
            .assigned(true).pageSize(RmpEntry.PAGE_SIZE_2M).gpa(0x1234_5000L).asid(5).validated(true)
            .vmplPermissions(0, 0x0F).vmplPermissions(1, RmpEntry.PERMISSION_READ);
        // q0 = 0x4028_0000_1234_5003, q1 = 0x010F
        assertArrayEquals(bytes(
            0x03, 0x50, 0x34, 0x12, 0x00, 0x00, 0x28, 0x40,
            0x0F, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), raw());
    }

    @Test
    void encodesEveryFieldAtItsLimit()
    {
        entry.quadword0(0).quadword1(0)
            .assigned(true).immutable(true).subpageCount(511).gpa(RmpEntry.GPA_LIMIT - RmpTable.PAGE_4K)
            .asid(RmpEntry.MAX_ASID).vmsa(true).lock(true)
            .vmplPermissions(3, RmpEntry.PERMISSION_ALL);
        // q0 = Lock|VMSA|ASID 0x3FF|GPA all ones|subpages 0x1FF|Imm|Asg = 0xBFFF_FFFF_FFFF_FFFD
        assertArrayEquals(bytes(
            0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBF,
            0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00), raw());
    }

    @Test
    void decodesALiteralEntry()
    {
        // A 4K guest page: GPA 0xABCDE000, ASID 0x12, subpage count 3 (only meaningful at 2M alignment),
        // Validated, VMSA; VMPL2 = W|R.
        // q0 = (1<<62)|(1<<61)|(0x12<<51)|0xABCDE000|(3<<3)|1 = 0x6090_0000_ABCD_E019
        raw(bytes(
            0x19, 0xE0, 0xCD, 0xAB, 0x00, 0x00, 0x90, 0x60,
            0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00));
        assertTrue(entry.assigned());
        assertEquals(RmpEntry.PAGE_SIZE_4K, entry.pageSize());
        assertFalse(entry.immutable());
        assertEquals(3, entry.subpageCount());
        assertEquals(0xABCD_E000L, entry.gpa());
        assertEquals(0x12, entry.asid());
        assertTrue(entry.vmsa());
        assertTrue(entry.validated());
        assertFalse(entry.lock());
        assertEquals(0, entry.vmplPermissions(0));
        assertEquals(RmpEntry.PERMISSION_READ | RmpEntry.PERMISSION_WRITE, entry.vmplPermissions(2));
        assertTrue((entry.quadword1() >>> RmpEntry.IMPLICIT_KEY_SELECT_BIT & 1) == 1);
    }

    @Test
    void settersLeaveOtherFieldsAlone()
    {
        entry.quadword0(-1L).quadword1(-1L);
        entry.asid(0);
        assertEquals(~RmpEntry.ASID_MASK, entry.quadword0());
        entry.quadword0(-1L).gpa(0);
        assertEquals(~RmpEntry.GPA_FIELD_MASK, entry.quadword0());
        entry.vmplPermissions(2, 0);
        assertEquals(~(0xFFL << 16), entry.quadword1());
    }

    @Test
    void everyAccessGoesThroughTheMemoryListener()
    {
        final RmpFixture.CountingListener counter = new RmpFixture.CountingListener();
        memory.listener(counter);
        entry.validated(true);
        assertEquals(1, counter.reads);
        assertEquals(1, counter.writes);
        entry.vmplPermissions(1);
        assertEquals(2, counter.reads);
    }

    @Test
    void rejectsEmulatorBugs()
    {
        assertThrows(IllegalArgumentException.class, () -> new RmpEntry().wrap(memory, ADDRESS + 8));
        assertThrows(IllegalArgumentException.class, () -> entry.asid(RmpEntry.MAX_ASID + 1));
        assertThrows(IllegalArgumentException.class, () -> entry.gpa(0x1001));
        assertThrows(IllegalArgumentException.class, () -> entry.gpa(RmpEntry.GPA_LIMIT));
        assertThrows(IllegalArgumentException.class, () -> entry.subpageCount(512));
        assertThrows(IllegalArgumentException.class, () -> entry.vmplPermissions(4, 1));
    }
}
