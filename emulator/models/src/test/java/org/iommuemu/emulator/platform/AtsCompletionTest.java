package org.iommuemu.emulator.platform;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one ATS answer composer, read back through pcie-tlp's layout. */
class AtsCompletionTest
{
    private final TranslationCompletionEntry entry =
        new TranslationCompletionEntry().wrap(new UnsafeBuffer(new byte[TranslationCompletionEntry.LENGTH]), 0);

    @Test
    void theRangeIsThePageOfTheTranslation()
    {
        entry.value(AtsCompletion.entry(0x8_0020_1234L, 21, Permissions.READ_WRITE | Permissions.EXECUTE, false, false, false));
        assertEquals(0x8_0020_0000L, entry.rangeBase());
        assertEquals(2L << 20, entry.rangeSize());
        assertTrue(entry.s() && entry.r() && entry.w());
        assertFalse(entry.exe(), "Exe only where the model reports it");
        assertFalse(entry.u() || entry.priv());

        entry.value(AtsCompletion.entry(0x9_0000_5678L, 12, Permissions.READ | Permissions.EXECUTE, true, true, true));
        assertEquals(0x9_0000_5000L, entry.rangeBase());
        assertEquals(4096, entry.rangeSize());
        assertFalse(entry.s() || entry.w());
        assertTrue(entry.r() && entry.u() && entry.exe() && entry.priv());
    }

    @Test
    void noPermissionIsNoTranslation()
    {
        entry.value(AtsCompletion.entry(0x4000_1008L, 12, 0));
        assertFalse(entry.r() || entry.w());
        assertEquals(0x4000_1000L, entry.rangeBase());
    }
}
