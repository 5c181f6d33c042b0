package org.iommuemu.emulator.vtd;

import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every fault reason the model defines is reachable: runs the driver-level tests (each test method on a fresh
 * instance, whatever order the build runs classes in) and checks that together they provoked every
 * {@link VtdFaultReason}. Also pins the codes against the reference's table.
 */
class VtdFaultReasonsTest
{
    private static final Class<?>[] PROVOKING = {
        VtdLegacyTranslationTest.class, VtdScalableTranslationTest.class, VtdAtsTest.class, VtdFaultRecordingTest.class,
        VtdRegistersTest.class, VtdInvalidationQueueTest.class};

    @Test
    void everyFaultReasonIsProvokedByTheDriverLevelTests() throws Exception
    {
        for (final Class<?> type : PROVOKING)
        {
            for (final Method method : type.getDeclaredMethods())
            {
                if (method.isAnnotationPresent(Test.class))
                {
                    final Object instance = type.getDeclaredConstructor().newInstance();
                    method.setAccessible(true);
                    method.invoke(instance);
                }
            }
        }
        final Set<VtdFaultReason> missing = EnumSet.allOf(VtdFaultReason.class);
        missing.removeAll(VtdTestBed.PROVOKED);
        assertTrue(missing.isEmpty(), "never provoked: " + missing);
    }

    @Test
    void codesAreDistinctAndMatchTheReference()
    {
        final Set<Integer> codes = new HashSet<>();
        for (final VtdFaultReason reason : VtdFaultReason.values())
        {
            assertTrue(codes.add(reason.faultCode()), reason + " repeats a code");
            assertEquals(reason.name(), reason.faultName());
        }
        assertEquals(0x1, VtdFaultReason.ROOT_ENTRY_NOT_PRESENT.faultCode());
        assertEquals(0x7, VtdFaultReason.PAGING_ENTRY_ACCESS.faultCode());
        assertEquals(0xD, VtdFaultReason.CONTEXT_ENTRY_TT.faultCode());
        assertEquals(0x5B, VtdFaultReason.SM_PASID_ENTRY_INVALID.faultCode());
        assertEquals(0x87, VtdFaultReason.SM_INTERRUPT_ADDRESS.faultCode());
        assertTrue(!VtdFaultReason.ROOT_TABLE_ACCESS.qualified() && !VtdFaultReason.SM_PASID_DIR_ACCESS.qualified() &&
            VtdFaultReason.READ.qualified());
    }
}
