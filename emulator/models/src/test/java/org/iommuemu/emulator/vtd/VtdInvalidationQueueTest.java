package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Queued invalidation: every descriptor kind, invalidation wait, and queue errors (IQE). */
class VtdInvalidationQueueTest extends VtdTestBed
{
    private static final long IOVA = 0x20_0000L;
    private final long[] words = new long[2];

    /** A device with 16 pages cached in the IOTLB, in legacy or scalable mode (PASID 0 second stage). */
    private PageTable warm(final boolean scalable)
    {
        bringUp(scalable);
        final PageTable domain = secondStage(4);
        if (scalable)
        {
            driver.setScalableContext(DEVICE, 0, true, true, false, 0);
            driver.attachSecondStage(DEVICE, 0, domain, DOMAIN);
        }
        else
        {
            driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        }
        map4k(domain, IOVA, DATA, 16 * 4096L, Permissions.READ_WRITE);
        for (int i = 0; i < 16; i++)
        {
            assertTrue(dma(DEVICE, IOVA + i * 4096L, false));
        }
        assertEquals(16, iommu.iotlb().occupancy());
        return domain;
    }

    private void submitAndWait()
    {
        driver.submit(words);
        assertTrue(driver.waitForCompletion(false));
    }

    @Test
    void iotlbDescriptorsGlobalDomainAndPage()
    {
        warm(false);
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_PAGE, DOMAIN, IOVA + 0x4000, 2, true);
        submitAndWait();
        assertEquals(12, iommu.iotlb().occupancy(), "AM 2 from IOVA + 16 KiB: four pages");
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_DOMAIN, DOMAIN + 1, 0, 0, false);
        submitAndWait();
        assertEquals(12, iommu.iotlb().occupancy());
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_DOMAIN, DOMAIN, 0, 0, false);
        submitAndWait();
        assertEquals(0, iommu.iotlb().occupancy());
        assertTrue(dma(DEVICE, IOVA, false));
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_GLOBAL, 0, 0, 0, false);
        submitAndWait();
        assertEquals(0, iommu.iotlb().occupancy());
        assertEquals(4, iommu.descriptorsProcessed(InvalidationDescriptor.IOTLB) - 1, "one more from bring-up");
    }

    @Test
    void contextCacheDescriptorsGlobalDomainAndDevice()
    {
        warm(false);
        assertEquals(1, iommu.contextCache().occupancy());
        InvalidationDescriptor.contextCache(words, VtdRegisters.GRANULARITY_DEVICE, DOMAIN, DEVICE + 1, 0);
        submitAndWait();
        assertEquals(1, iommu.contextCache().occupancy());
        InvalidationDescriptor.contextCache(words, VtdRegisters.GRANULARITY_DEVICE, DOMAIN, DEVICE, 0);
        submitAndWait();
        assertEquals(0, iommu.contextCache().occupancy());
        assertTrue(dma(DEVICE, IOVA, false));
        InvalidationDescriptor.contextCache(words, VtdRegisters.GRANULARITY_DOMAIN, DOMAIN, 0, 0);
        submitAndWait();
        assertEquals(0, iommu.contextCache().occupancy());
        assertTrue(dma(DEVICE, IOVA, false));
        InvalidationDescriptor.contextCache(words, VtdRegisters.GRANULARITY_GLOBAL, 0, 0, 0);
        submitAndWait();
        assertEquals(0, iommu.contextCache().occupancy());
    }

    @Test
    void pasidDescriptors()
    {
        warm(true);
        assertEquals(1, iommu.pasidCache().occupancy());
        InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PAGE, DOMAIN, 0, IOVA, 0, false);
        submitAndWait();
        assertEquals(15, iommu.iotlb().occupancy());
        InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PASID, DOMAIN, 1, 0, 0, false);
        submitAndWait();
        assertEquals(15, iommu.iotlb().occupancy(), "another PASID");
        InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PASID, DOMAIN, 0, 0, 0, false);
        submitAndWait();
        assertEquals(0, iommu.iotlb().occupancy());

        InvalidationDescriptor.pasidCache(words, InvalidationDescriptor.PC_PASID, DOMAIN, 1);
        submitAndWait();
        assertEquals(1, iommu.pasidCache().occupancy());
        InvalidationDescriptor.pasidCache(words, InvalidationDescriptor.PC_PASID, DOMAIN, 0);
        submitAndWait();
        assertEquals(0, iommu.pasidCache().occupancy());
        assertTrue(dma(DEVICE, IOVA, false));
        InvalidationDescriptor.pasidCache(words, InvalidationDescriptor.PC_DOMAIN, DOMAIN, 0);
        submitAndWait();
        assertEquals(0, iommu.pasidCache().occupancy());
        assertTrue(dma(DEVICE, IOVA, false));
        InvalidationDescriptor.pasidCache(words, InvalidationDescriptor.PC_GLOBAL, 0, 0);
        submitAndWait();
        assertEquals(0, iommu.pasidCache().occupancy());

        InvalidationDescriptor.pasidDeviceTlb(words, DEVICE, 0, IOVA, false, false);
        submitAndWait();
        InvalidationDescriptor.deviceTlb(words, DEVICE, IOVA, false);
        submitAndWait();
        assertEquals(1, iommu.descriptorsProcessed(InvalidationDescriptor.PASID_DEVICE_TLB));
        assertEquals(1, iommu.descriptorsProcessed(InvalidationDescriptor.DEVICE_TLB));
        assertEquals(3, iommu.descriptorsProcessed(InvalidationDescriptor.PASID_IOTLB));
    }

    @Test
    void interruptEntryCacheDescriptorsAreAccepted()
    {
        bringUp(false);
        words[0] = InvalidationDescriptor.IEC;
        words[1] = 0;
        submitAndWait();
        assertEquals(1, iommu.descriptorsProcessed(InvalidationDescriptor.IEC));
    }

    @Test
    void invalidationWaitWritesStatusAndInterrupts()
    {
        bringUp(false);
        iommu.writeRegister(VtdRegisters.IECTL, 4, 0);
        assertTrue(driver.waitForCompletion(true));
        assertEquals(1, iommu.invalidationWaitInterrupts());
        assertEquals(VtdRegisters.ICS_IWC, iommu.readRegister(VtdRegisters.ICS, 4));
        iommu.writeRegister(VtdRegisters.ICS, 4, VtdRegisters.ICS_IWC);
        assertEquals(0, iommu.readRegister(VtdRegisters.ICS, 4));

        iommu.writeRegister(VtdRegisters.IECTL, 4, VtdRegisters.CTL_IM);
        assertTrue(driver.waitForCompletion(true));
        assertEquals(1, iommu.invalidationWaitInterrupts(), "masked");
        assertEquals(VtdRegisters.CTL_IM | VtdRegisters.CTL_IP, iommu.readRegister(VtdRegisters.IECTL, 4));
        iommu.writeRegister(VtdRegisters.IECTL, 4, 0);
        assertEquals(2, iommu.invalidationWaitInterrupts(), "unmasking delivers the pending interrupt");
        assertEquals(0, iommu.readRegister(VtdRegisters.IECTL, 4));

        // IWC still set: another wait with IF is not a new interrupt condition.
        assertTrue(driver.waitForCompletion(true));
        assertEquals(2, iommu.invalidationWaitInterrupts(), "IWC was already set");
        iommu.writeRegister(VtdRegisters.ICS, 4, VtdRegisters.ICS_IWC);

        // Masked, then serviced (IWC cleared) before unmasking: nothing is pending any more.
        iommu.writeRegister(VtdRegisters.IECTL, 4, VtdRegisters.CTL_IM);
        assertTrue(driver.waitForCompletion(true));
        assertEquals(VtdRegisters.CTL_IM | VtdRegisters.CTL_IP, iommu.readRegister(VtdRegisters.IECTL, 4));
        iommu.writeRegister(VtdRegisters.ICS, 4, VtdRegisters.ICS_IWC);
        assertEquals(VtdRegisters.CTL_IM, iommu.readRegister(VtdRegisters.IECTL, 4), "IP cleared with IWC");
        iommu.writeRegister(VtdRegisters.IECTL, 4, 0);
        assertEquals(2, iommu.invalidationWaitInterrupts());
    }

    @Test
    void aBadDescriptorStopsTheQueueWithIqe()
    {
        warm(false);
        final long faultsBefore = iommu.faultInterrupts();
        final long headBefore = iommu.readRegister(VtdRegisters.IQH, 8);
        driver.submit(0xF, 0); // type 15 does not exist
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_GLOBAL, 0, 0, 0, false);
        driver.submit(words);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0);
        assertEquals(headBefore, iommu.readRegister(VtdRegisters.IQH, 8), "IQH stays on the bad descriptor");
        assertEquals(16, iommu.iotlb().occupancy(), "nothing after it ran");
        assertEquals(faultsBefore + 1, iommu.faultInterrupts(), "IQE raises a fault event");
        assertEquals(VtdRegisters.IQEI_DESCRIPTOR_TYPE, iqei(), "IQERCD says why");

        // Software replaces it (as Linux copies a wait descriptor over it) and clears IQE: the queue resumes.
        final long bad = headBefore;
        final long queueBase = iommu.readRegister(VtdRegisters.IQA, 8) & VtdRegisters.IQA_ADDRESS;
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_DOMAIN, DOMAIN + 5, 0, 0, false);
        memory.writeEntry(queueBase + bad, words[0]);
        memory.writeEntry(queueBase + bad + 8, words[1]);
        iommu.writeRegister(VtdRegisters.FSTS, 4, VtdRegisters.FSTS_IQE);
        assertEquals(0, iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE);
        assertEquals(0, iommu.iotlb().occupancy(), "the global invalidation behind it ran");
        assertEquals(iommu.readRegister(VtdRegisters.IQT, 8), iommu.readRegister(VtdRegisters.IQH, 8));
    }

    @Test
    void reservedBitsAndWideDescriptorErrors()
    {
        bringUp(true);
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_GLOBAL, 0, 0, 0, false);
        driver.submit(words[0] | (1L << 40), words[1]);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0, "reserved bit in an IOTLB descriptor");
        assertEquals(VtdRegisters.IQEI_RESERVED_FIELD, iqei());
        iommu.writeRegister(VtdRegisters.FSTS, 4, VtdRegisters.FSTS_IQE);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0, "still bad: IQE again");

        // A fresh unit: the upper half of a 256-bit descriptor must be zero; IQT bit 4 must be zero.
        bringUp(true);
        final long base = iommu.readRegister(VtdRegisters.IQA, 8) & VtdRegisters.IQA_ADDRESS;
        final long tail = iommu.readRegister(VtdRegisters.IQT, 8);
        InvalidationDescriptor.wait(words, -1, 0, false, false);
        memory.writeEntry(base + tail, words[0]);
        memory.writeEntry(base + tail + 8, 0);
        memory.writeEntry(base + tail + 16, 1);
        memory.writeEntry(base + tail + 24, 0);
        iommu.writeRegister(VtdRegisters.IQT, 8, tail + 32);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0);
        assertEquals(VtdRegisters.IQEI_RESERVED_FIELD, iqei(), "the upper half is reserved in a wait descriptor");
        assertEquals(tail, iommu.readRegister(VtdRegisters.IQH, 8));

        bringUp(true);
        iommu.writeRegister(VtdRegisters.IQT, 8, iommu.readRegister(VtdRegisters.IQT, 8) + 16);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0, "IQT bit 4 with DW = 1");
        assertEquals(VtdRegisters.IQEI_TAIL_MISALIGNED, iqei());
    }

    @Test
    void hostileAddressesAreQueueErrorsNotEmulatorErrors()
    {
        bringUp(false);
        InvalidationDescriptor.wait(words, 1L << 60, 1, false, false);
        driver.submit(words);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0, "status address beyond HAW");
        assertEquals(VtdRegisters.IQEI_RESERVED_FIELD, iqei());

        bringUp(false);
        driver.globalCommand(VtdRegisters.QIE, false);
        iommu.writeRegister(VtdRegisters.IQA, 8, 0xFFFF_FFFF_FFFF_F007L);
        driver.globalCommand(VtdRegisters.QIE, true);
        iommu.writeRegister(VtdRegisters.IQT, 8, 0x10);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0, "queue beyond HAW");
        assertEquals(VtdRegisters.IQEI_FETCH, iqei(), "the descriptors cannot be fetched");
    }

    @Test
    void pasidDescriptorsNeedScalableModeSupport()
    {
        final long ecap = VtdRegisters.defaultEcap() & ~VtdRegisters.ECAP_SMTS;
        bringUp(false, VtdRegisters.defaultCap(4), ecap, null);
        InvalidationDescriptor.pasidCache(words, InvalidationDescriptor.PC_GLOBAL, 0, 0);
        driver.submit(words);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0);
        assertEquals(VtdRegisters.IQEI_DESCRIPTOR_TYPE, iqei(), "a type the unit does not support");
    }

    /**
     * An IQT beyond the queue IQA describes is an invalidation queue error with IQEI 1 (QEMU's vtd_fetch_inv_desc and
     * VirtualBox's model both refuse it); before, the index wrapped and the queue ran descriptors software never wrote.
     */
    @Test
    void aTailBeyondTheQueueIsAnError()
    {
        warm(false);
        final long head = iommu.readRegister(VtdRegisters.IQH, 8);
        final long queueBytes = (long)PhysicalMemory.FRAME_SIZE << (int)(iommu.readRegister(VtdRegisters.IQA, 8) & VtdRegisters.IQA_QS);
        final long faultsBefore = iommu.faultInterrupts();
        iommu.writeRegister(VtdRegisters.IQT, 8, queueBytes + head + 16);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0);
        assertEquals(VtdRegisters.IQEI_TAIL_POINTER, iqei());
        assertEquals(head, iommu.readRegister(VtdRegisters.IQH, 8), "nothing was fetched");
        assertEquals(16, iommu.iotlb().occupancy());
        assertEquals(faultsBefore + 1, iommu.faultInterrupts());
        assertEquals(0, iommu.readRegister(VtdRegisters.IQERCD, 8) >>> 4, "ITESID and ICESID stay 0 (no time-outs modelled)");

        // Software puts IQT back where it was and clears IQE: the queue is usable again, and IQERCD is read-only.
        iommu.writeRegister(VtdRegisters.IQT, 8, head);
        iommu.writeRegister(VtdRegisters.FSTS, 4, VtdRegisters.FSTS_IQE);
        iommu.writeRegister(VtdRegisters.IQERCD, 8, 0);
        assertEquals(VtdRegisters.IQEI_TAIL_POINTER, iqei(), "read-only");
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_GLOBAL, 0, 0, 0, false);
        submitAndWait();
        assertEquals(0, iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE);
        assertEquals(0, iommu.iotlb().occupancy());
    }

    /**
     * In scalable mode (TTM 01) 128-bit descriptors are invalid (VT-d 3.0 section 6.5.2, as Linux's 256-bit descriptor
     * patch quotes it): a queue set up with DW = 0 stops at its first descriptor with IQE (IQEI 3, VirtualBox's code).
     */
    @Test
    void narrowDescriptorsAreInvalidInScalableMode()
    {
        bringUp(true);
        final long base = iommu.readRegister(VtdRegisters.IQA, 8) & VtdRegisters.IQA_ADDRESS;
        driver.globalCommand(VtdRegisters.QIE, false);
        iommu.writeRegister(VtdRegisters.IQA, 8, base);   // DW = 0: 128-bit descriptors
        driver.globalCommand(VtdRegisters.QIE, true);
        InvalidationDescriptor.iotlb(words, VtdRegisters.IOTLB_GLOBAL, 0, 0, 0, false);
        memory.writeEntry(base, words[0]);
        memory.writeEntry(base + 8, words[1]);
        iommu.writeRegister(VtdRegisters.IQT, 8, 16);
        assertTrue((iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE) != 0);
        assertEquals(VtdRegisters.IQEI_DESCRIPTOR_TYPE, iqei());
        assertEquals(0, iommu.readRegister(VtdRegisters.IQH, 8), "IQH stays on the descriptor");
    }

    private long iqei()
    {
        return iommu.readRegister(VtdRegisters.IQERCD, 8) & VtdRegisters.IQERCD_IQEI;
    }
}
