package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tlp.AtsRange;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ATS: translation requests answered with completion entries, translated requests gated by the context. */
class VtdAtsTest extends VtdTestBed
{
    private static final long IOVA = 0x4000_0000L;

    @Test
    void legacyDeviceTlbContextAnswersTranslationRequests()
    {
        bringUp(false);
        final PageTable domain = secondStage(4);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_DEVICE_TLB, false);
        map(domain, IOVA, DATA, 2L << 20, Permissions.READ_WRITE);
        map4k(domain, IOVA + (4L << 20), DATA + (4L << 20), 4096, Permissions.READ);

        assertTrue(ats(DEVICE, -1, IOVA + 0x1_2000, AddressType.TRANSLATION_REQUEST, false));
        long entry = outcome.completionEntry();
        assertEquals(2L << 20, AtsRange.size(entry, (entry & TranslationCompletionEntry.S) != 0));
        assertEquals(DATA, AtsRange.base(entry, true));
        assertTrue((entry & TranslationCompletionEntry.R) != 0 && (entry & TranslationCompletionEntry.W) != 0);
        assertEquals(0, entry & (TranslationCompletionEntry.U | TranslationCompletionEntry.EXE | TranslationCompletionEntry.PRIV),
            "no first stage, no PASID");

        assertTrue(ats(DEVICE, -1, IOVA + (4L << 20), AddressType.TRANSLATION_REQUEST, false));
        entry = outcome.completionEntry();
        assertEquals(0, entry & TranslationCompletionEntry.S);
        assertEquals(DATA + (4L << 20), entry & TranslationCompletionEntry.ADDRESS_MASK);
        assertEquals(TranslationCompletionEntry.R, entry & (TranslationCompletionEntry.R | TranslationCompletionEntry.W));

        // No translation: R = W = 0, no fault recorded.
        assertTrue(ats(DEVICE, -1, IOVA + (8L << 20), AddressType.TRANSLATION_REQUEST, false));
        assertEquals(0, outcome.completionEntry() & (TranslationCompletionEntry.R | TranslationCompletionEntry.W));
        assertEquals(0, iommu.faultsRecorded());

        assertTrue(ats(DEVICE, -1, DATA + 0x40, AddressType.TRANSLATED, true));
        assertOk(DATA + 0x40);
    }

    /**
     * VT-d 3.4 section 3.14, as QEMU's intel_iommu quotes it: "Untranslated requests and translation requests that
     * result in an address in the interrupt range will be blocked with condition code LGN.4 or SGN.8". A translation
     * whose output is in 0xFEEx_xxxx is answered R = W = 0, and the fault (0xE legacy) is recorded.
     */
    @Test
    void aTranslationRequestWhoseResultIsInTheInterruptRangeIsBlocked()
    {
        bringUp(false);
        final PageTable domain = secondStage(4);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_DEVICE_TLB, false);
        map4k(domain, IOVA, 0xFEE0_0000L, 4096, Permissions.READ_WRITE);
        assertFalse(ats(DEVICE, -1, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertEquals(0, outcome.completionEntry() & (TranslationCompletionEntry.R | TranslationCompletionEntry.W));
        assertTrue(assertFault(VtdFaultReason.INTERRUPT_ADDRESS));
    }

    /**
     * A pass-through context (TT = 10b, an identity domain in legacy mode) passes untranslated requests through and
     * blocks translated and translation requests, as TT 00b does (VirtualBox's model, written from the specification:
     * "Translated and translation requests are blocked"): fault 0xD.
     */
    @Test
    void aPassThroughContextBlocksAts()
    {
        bringUp(false);
        driver.attachLegacyPassThrough(DEVICE, DOMAIN);
        assertTrue(dma(DEVICE, DATA + 0x40, true));
        assertOk(DATA + 0x40);
        assertFalse(ats(DEVICE, -1, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertTrue(assertFault(VtdFaultReason.CONTEXT_ENTRY_TT));
        assertFalse(ats(DEVICE, -1, DATA, AddressType.TRANSLATED, true));
        assertFault(VtdFaultReason.CONTEXT_ENTRY_TT);
    }

    @Test
    void withoutDeviceTlbAtsIsRefused()
    {
        bringUp(false);
        final PageTable domain = secondStage(4);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        assertFalse(ats(DEVICE, -1, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertTrue(assertFault(VtdFaultReason.CONTEXT_ENTRY_TT));
        assertEquals(0, outcome.completionEntry());
        assertFalse(ats(DEVICE, -1, DATA, AddressType.TRANSLATED, true));
        assertFault(VtdFaultReason.CONTEXT_ENTRY_TT);
        assertTrue(dma(DEVICE, IOVA, true), "untranslated requests still work");
    }

    @Test
    void scalableModeGatesAtsWithDte()
    {
        bringUp(true);
        driver.setScalableContext(DEVICE, 0, true, true, false, 0);
        driver.setScalableContext(DEVICE + 1, 0, true, false, false, 0);
        final PageTable fs = firstStage();
        map4k(fs, IOVA, DATA, 4096, Permissions.READ_WRITE | Permissions.USER);
        driver.attachFirstStage(DEVICE, 2, fs.root(), 4, DOMAIN, true, true);
        driver.attachFirstStage(DEVICE + 1, 2, fs.root(), 4, DOMAIN, true, true);

        assertTrue(ats(DEVICE, 2, IOVA, AddressType.TRANSLATION_REQUEST, false));
        final long entry = outcome.completionEntry();
        assertEquals(DATA, entry & TranslationCompletionEntry.ADDRESS_MASK);
        assertEquals(0, entry & TranslationCompletionEntry.U, "a user page is not 'untranslated access only' (PCIe 10.2.3.4)");
        assertTrue((entry & TranslationCompletionEntry.W) != 0);
        assertTrue(ats(DEVICE, 2, DATA, AddressType.TRANSLATED, false));

        assertFalse(ats(DEVICE + 1, 2, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertFault(VtdFaultReason.SM_DTE_CLEAR);
        assertFalse(ats(DEVICE + 1, 2, DATA, AddressType.TRANSLATED, false));
        assertFault(VtdFaultReason.SM_DTE_CLEAR);
    }

    @Test
    void structureFaultsOnTranslationRequestsAreRecorded()
    {
        bringUp(false);
        assertFalse(ats(0x0500, -1, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertTrue(assertFault(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT));
        assertFalse(ats(0x0500, -1, IOVA, AddressType.TRANSLATED, false));
        assertFault(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT);
    }

    @Test
    void withTranslationDisabledAtsIsIdentity()
    {
        bringUp(false);
        assertTrue(driver.enableTranslation(false));
        assertTrue(ats(DEVICE, -1, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertEquals(IOVA, outcome.completionEntry() & TranslationCompletionEntry.ADDRESS_MASK);
        assertTrue(ats(DEVICE, -1, DATA, AddressType.TRANSLATED, true));
        assertOk(DATA);
    }
}
