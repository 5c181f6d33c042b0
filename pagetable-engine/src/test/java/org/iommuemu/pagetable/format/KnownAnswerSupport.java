package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-built tables (literal entries) walked to their expected outputs. */
abstract class KnownAnswerSupport
{
    static final long ROOT = 0x1000;
    final SparseMemory memory = new SparseMemory();
    final WalkResult result = new WalkResult();

    void entry(final long address, final long value)
    {
        memory.writeEntry(address, value);
    }

    void expectTranslation(final PageTableFormat format, final long iova, final int access, final long oa, final int sizeLg2,
        final int permissions)
    {
        assertTrue(Walker.walk(format, memory, ROOT, iova, access, Permissions.ALL, result), result.toString());
        assertEquals(oa, result.outputAddress(), result.toString());
        assertEquals(sizeLg2, result.pageSizeLg2(), result.toString());
        assertEquals(permissions, result.permissions(), result.toString());
    }

    void expectFault(final PageTableFormat format, final long iova, final int access, final WalkFault fault, final int level)
    {
        assertFalse(Walker.walk(format, memory, ROOT, iova, access, Permissions.ALL, result), result.toString());
        assertEquals(fault, result.fault(), result.toString());
        assertEquals(level, result.level(), result.toString());
    }
}
