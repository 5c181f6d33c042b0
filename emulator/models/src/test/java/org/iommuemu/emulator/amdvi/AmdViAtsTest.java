package org.iommuemu.emulator.amdvi;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpTable;
import org.iommuemu.tlp.AtsRange;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ATS through the AMD-Vi model: translation requests answered with completion entries, translated requests gated by DTE.I. */
class AmdViAtsTest extends AmdViTestBed
{
    @Test
    void atsNeedsTheDeviceTableIBit()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        assertEquals(0, iommu.translationRequest(DEVICE, 0x4000_0000L, out));
        assertEquals(AmdViFault.INVALID_DEVICE_REQUEST, out.fault());
        long[] event = nextEvent();
        assertEquals(AmdViEvent.INVALID_DEVICE_REQUEST, AmdViEvent.code(event[0]));
        assertEquals(AmdViEvent.FLAG_TR, AmdViEvent.flags(event[0]));
        assertFalse(iommu.translatedRequest(DEVICE, 0x8_0000_0000L, true, out));
        assertEquals(AmdViFault.INVALID_DEVICE_REQUEST, out.fault());
        event = nextEvent();
        assertEquals(AmdViEvent.FLAG_RW, AmdViEvent.flags(event[0]));
        assertEquals(0x8_0000_0000L, event[1]);
    }

    @Test
    void translationRequestsAreAnsweredWithCompletionEntries()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        DeviceTableEntry.allowAts(memory, DEVICE_TABLE, DEVICE, true);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0020_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        assertEquals(MapStatus.OK, domain.map(0x5000_0000L, 0x9_0000_0000L, 4096, Permissions.READ, PageSizePolicy.FORCED_4K));

        final long huge = iommu.translationRequest(DEVICE, 0x4001_2345L, out);
        assertTrue(out.isOk(), out.toString());
        assertEquals(TranslationCompletionEntry.R | TranslationCompletionEntry.W | TranslationCompletionEntry.S,
            huge & (TranslationCompletionEntry.R | TranslationCompletionEntry.W | TranslationCompletionEntry.S));
        assertEquals(2L << 20, AtsRange.size(huge & AtsRange.ADDRESS_MASK, true), "the S-bit size encoding of a 2 MiB leaf");
        assertEquals(0x8_0020_0000L, AtsRange.base(huge & AtsRange.ADDRESS_MASK, true));

        final long small = iommu.translationRequest(DEVICE, 0x5000_0abcL, out);
        assertEquals(0x9_0000_0000L | TranslationCompletionEntry.R, small, "a read-only 4 KiB page: R, no W, no S");

        assertEquals(0, iommu.translationRequest(DEVICE, 0x6000_0000L, out), "no mapping: R = W = 0");
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        assertEquals(AmdViEvent.FLAG_TR, AmdViEvent.flags(nextEvent()[0]));
    }

    /**
     * With {@code ats-fault-events: silent} (VirtualBox's reading of the specification's 2.1.3.2 "I/O Page Faults") a
     * translation request that finds no translation is answered R = W = 0 and logs nothing; an untranslated request's
     * fault is still logged, and so is an ATS request the DTE refuses (INVALID_DEVICE_REQUEST).
     */
    @Test
    void silentAtsFaultEventsAnswerWithoutLogging()
    {
        bringUp(null, 9, AmdViOptions.DEFAULT.withAtsFaultEvents(AmdViOptions.AtsFaultEvents.SILENT));
        attach(DEVICE, true, true, 3);
        DeviceTableEntry.allowAts(memory, DEVICE_TABLE, DEVICE, true);
        assertEquals(MapStatus.OK, domain.map(0x5000_0000L, 0x9_0000_0000L, 4096, Permissions.READ, PageSizePolicy.FORCED_4K));
        assertEquals(0, iommu.translationRequest(DEVICE, 0x6000_0000L, out), "no mapping: R = W = 0");
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        assertFalse(out.recordLogged());
        assertEquals(0, driver.pendingEvents(), "nothing logged");
        assertFalse(iommu.dma(DEVICE, 0x6000_0000L, false, out));
        assertTrue(out.recordLogged(), "untranslated requests still log");
        assertEquals(0, AmdViEvent.flags(nextEvent()[0]));
        DeviceTableEntry.allowAts(memory, DEVICE_TABLE, DEVICE, false);
        driver.invalidateDeviceTableEntry(DEVICE);
        assertEquals(0, iommu.translationRequest(DEVICE, 0x5000_0000L, out));
        assertEquals(AmdViEvent.INVALID_DEVICE_REQUEST, AmdViEvent.code(nextEvent()[0]));
    }

    @Test
    void translatedRequestsAreCheckedAgainstTheRmp()
    {
        final RmpTable rmp = RmpTable.contiguousCovering(memory, 0x2_0000_0000L, 1L << 30);
        final PageStateConversion conversion = new PageStateConversion(new RmpInstructions(rmp, RmpConfig.DEFAULT));
        bringUp(new DmaRmpCheck(rmp, RmpConfig.DEFAULT), 9);
        attach(DEVICE, true, true, 3);
        DeviceTableEntry.allowAts(memory, DEVICE_TABLE, DEVICE, true);
        assertEquals(RmpReturnCode.SUCCESS, conversion.makePrivate(0x0600_0000L, 0x8000_0000L, 9, RmpEntry.PAGE_SIZE_4K));
        assertTrue(iommu.translatedRequest(DEVICE, 0x0600_1000L, true, out), "a shared page");
        assertEquals(0x0600_1000L, out.outputAddress());
        assertFalse(iommu.translatedRequest(DEVICE, 0x0600_0040L, true, out), "the private page");
        assertEquals(AmdViFault.RMP_PAGE_FAULT, out.fault());
        assertEquals(AmdViEvent.RMP_PAGE_FAULT, AmdViEvent.code(nextEvent()[0]));
    }
}
