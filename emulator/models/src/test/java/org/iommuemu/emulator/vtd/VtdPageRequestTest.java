package org.iommuemu.emulator.vtd;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.platform.DeviceMessage;
import org.iommuemu.emulator.platform.DeviceMessageListener;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.tlp.PrgResponse;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Page requests (ECAP.PRS) and ATS invalidation messages, through registers, memory and device messages only: the page
 * request queue in memory, PRS.PPR and the page request event, the queue's overflow (PRS.PRO) and what becomes of the
 * requests it cannot take, the page group response descriptor and the PRG Response it sends, the Invalid Request answer
 * for a requester without PRE; device-TLB invalidation descriptors as Invalidate Requests with ITags, matched by the
 * device's Invalidate Completions.
 */
class VtdPageRequestTest extends VtdTestBed
{
    private static final int PASID = 9;
    private static final long ECAP = VtdRegisters.defaultEcap() | VtdRegisters.ECAP_PRS;
    private final DeviceMessage message = new DeviceMessage();
    private final List<String> sent = new ArrayList<>();

    private void bringUpWithQueue(final boolean pre)
    {
        bringUp(true, VtdRegisters.defaultCap(4), ECAP, null);
        iommu.messageListener(new DeviceMessageListener()
        {
            @Override
            public void atsInvalidateRequest(final int requesterId, final int pasid, final long address, final long size,
                final boolean global, final int itag)
            {
                sent.add(String.format("inv %04x pasid %d 0x%x+0x%x g %b itag %d", requesterId, pasid, address, size, global, itag));
            }

            @Override
            public void prgResponse(final int requesterId, final int pasid, final int prgIndex, final int responseCode,
                final boolean byHardware)
            {
                sent.add(String.format("prg %04x pasid %d index %d code %d%s", requesterId, pasid, prgIndex, responseCode,
                    byHardware ? " hw" : ""));
            }
        });
        driver.enablePageRequests(0);
        driver.setScalableContext(DEVICE, 0, true, true, pre, false, 0);
        driver.attachSecondStage(DEVICE, PASID, secondStage(4), DOMAIN);
    }

    private MessageResult pageRequest(final long address, final boolean last, final int prgIndex)
    {
        return iommu.message(message.pageRequest(DEVICE, PASID, address, true, true, last, prgIndex, false, false));
    }

    @Test
    void aPageRequestIsWrittenToTheQueueAndRaisesTheEventOnce()
    {
        bringUpWithQueue(true);
        final long base = iommu.readRegister(VtdRegisters.PQA, 8) & VtdRegisters.PQA_ADDRESS;
        assertEquals(MessageResult.PAGE_REQUEST_QUEUED, pageRequest(0x1234_5000L, false, 3));
        assertEquals(MessageResult.PAGE_REQUEST_QUEUED, pageRequest(0x1234_6000L, true, 3));
        final long q0 = memory.readEntry(base);
        final long q1 = memory.readEntry(base + 8);
        assertEquals(DEVICE, PageRequestDescriptor.requesterId(q0));
        assertEquals(PASID, PageRequestDescriptor.pasid(q0));
        assertEquals(0x1234_5000L, PageRequestDescriptor.address(q1));
        assertEquals(3, PageRequestDescriptor.prgIndex(q1));
        assertTrue(PageRequestDescriptor.read(q1) && PageRequestDescriptor.write(q1) && !PageRequestDescriptor.last(q1));
        assertTrue(PageRequestDescriptor.last(memory.readEntry(base + PageRequestDescriptor.SIZE + 8)));
        assertEquals(2 * PageRequestDescriptor.SIZE, iommu.readRegister(VtdRegisters.PQT, 8));
        assertEquals(VtdRegisters.PRS_PPR, iommu.readRegister(VtdRegisters.PRS, 4));
        assertEquals(1, iommu.pageRequestInterrupts(), "one interrupt while PPR stays set");

        final List<String> seen = new ArrayList<>();
        assertEquals(2, driver.servicePageRequests((rid, pasid, address, read, write, last, index) ->
        {
            seen.add(Long.toHexString(address) + (last ? " last" : ""));
            return PrgResponse.RESPONSE_SUCCESS;
        }));
        assertEquals(List.of("12345000", "12346000 last"), seen);
        assertEquals(List.of(String.format("prg %04x pasid 9 index 3 code 0", DEVICE)), sent, "one response per group");
        assertEquals(1, iommu.descriptorsProcessed(InvalidationDescriptor.PAGE_GROUP_RESPONSE));
        assertEquals(iommu.readRegister(VtdRegisters.PQT, 8), iommu.readRegister(VtdRegisters.PQH, 8), "software caught up");
        assertEquals(0, iommu.readRegister(VtdRegisters.PRS, 4), "PPR cleared by software");
        pageRequest(0x1234_7000L, true, 4);
        assertEquals(2, iommu.pageRequestInterrupts(), "PPR was clear again: a new event");

        // Masked, then serviced before unmasking: PECTL.IP clears with PPR, and unmasking sends nothing.
        driver.servicePageRequests((rid, pasid, address, read, write, last, index) -> PrgResponse.RESPONSE_SUCCESS);
        iommu.writeRegister(VtdRegisters.PECTL, 4, VtdRegisters.CTL_IM);
        pageRequest(0x1234_8000L, true, 5);
        assertEquals(VtdRegisters.CTL_IM | VtdRegisters.CTL_IP, iommu.readRegister(VtdRegisters.PECTL, 4));
        driver.servicePageRequests((rid, pasid, address, read, write, last, index) -> PrgResponse.RESPONSE_SUCCESS);
        assertEquals(VtdRegisters.CTL_IM, iommu.readRegister(VtdRegisters.PECTL, 4), "IP cleared with PPR");
        iommu.writeRegister(VtdRegisters.PECTL, 4, 0);
        assertEquals(2, iommu.pageRequestInterrupts());
    }

    @Test
    void aFullQueueOverflowsUntilSoftwareEmptiesItAndClearsPro()
    {
        bringUpWithQueue(true);
        final int usable = 4096 / PageRequestDescriptor.SIZE - 1;
        for (int i = 0; i < usable; i++)
        {
            assertEquals(MessageResult.PAGE_REQUEST_QUEUED, pageRequest(0x1000_0000L + i * 4096L, true, i & 0x1FF));
        }
        assertEquals(MessageResult.PAGE_REQUEST_OVERFLOW_RESPONDED, pageRequest(0x2000_0000L, true, 200));
        assertEquals(MessageResult.PAGE_REQUEST_OVERFLOW_DROPPED, pageRequest(0x2000_1000L, false, 201));
        assertEquals(VtdRegisters.PRS_PRO, iommu.readRegister(VtdRegisters.PRS, 4) & VtdRegisters.PRS_PRO);
        assertEquals(List.of(String.format("prg %04x pasid 9 index 200 code 0 hw", DEVICE)), sent,
            "the hardware answers the group it could not queue");
        assertEquals(2, iommu.pageRequestOverflows());

        sent.clear();
        assertEquals(usable, driver.servicePageRequests((rid, pasid, address, read, write, last, index) -> PrgResponse.RESPONSE_SUCCESS));
        assertEquals(usable, sent.size());
        assertEquals(0, iommu.readRegister(VtdRegisters.PRS, 4) & VtdRegisters.PRS_PRO, "empty: software cleared PRO");
        assertEquals(MessageResult.PAGE_REQUEST_QUEUED, pageRequest(0x3000_0000L, true, 5));

        config.pageRequestOverflow = PageRequestOverflow.DROP;
        for (int i = 1; i < usable; i++)
        {
            assertEquals(MessageResult.PAGE_REQUEST_QUEUED, pageRequest(0x4000_0000L + i * 4096L, true, 7));
        }
        sent.clear();
        assertEquals(MessageResult.PAGE_REQUEST_OVERFLOW_DROPPED, pageRequest(0x5000_0000L, true, 8), "the drop rule");
        assertTrue(sent.isEmpty());
    }

    @Test
    void aRequesterWithoutPreIsAnsweredInvalidRequest()
    {
        bringUpWithQueue(false);
        assertEquals(MessageResult.PAGE_REQUEST_INVALID, pageRequest(0x1000_0000L, true, 1));
        assertEquals(List.of(String.format("prg %04x pasid 9 index 1 code 1 hw", DEVICE)), sent);
        assertEquals(0, iommu.pageRequestsQueued());

        bringUp(true);
        assertEquals(MessageResult.NOT_HANDLED, iommu.message(message.pageRequest(DEVICE, -1, 0, true, false, true, 0, false, false)),
            "no ECAP.PRS: no page request queue");
    }

    @Test
    void deviceTlbInvalidationsAreInvalidateRequestsMatchedByTheirCompletions()
    {
        bringUpWithQueue(true);
        final long[] words = new long[4];
        InvalidationDescriptor.deviceTlb(words, DEVICE, 0x7000_0000L, false);
        driver.submit(words);
        InvalidationDescriptor.pasidDeviceTlb(words, DEVICE, PASID, 0x8000_0000L | 0x1F_F000L, true, true);
        driver.submit(words);
        assertEquals(List.of(String.format("inv %04x pasid -1 0x70000000+0x1000 g false itag 0", DEVICE),
            String.format("inv %04x pasid 9 0x80000000+0x400000 g true itag 1", DEVICE)), sent);
        assertEquals(0b11, iommu.outstandingItags(DEVICE));

        assertEquals(MessageResult.INVALIDATION_COMPLETED, iommu.message(message.invalidateCompletion(DEVICE, 0b01, 1)));
        assertEquals(0b10, iommu.outstandingItags(DEVICE));
        assertEquals(MessageResult.INVALIDATION_UNEXPECTED, iommu.message(message.invalidateCompletion(DEVICE, 0b01, 1)));
        iommu.invalidateRequestSeen(DEVICE, 5);
        assertEquals(MessageResult.INVALIDATION_COMPLETED, iommu.message(message.invalidateCompletion(DEVICE, 0b10_0010, 1)));
        assertEquals(0, iommu.outstandingItags(DEVICE));
        assertEquals(2, iommu.atsInvalidateRequests());
        assertEquals(2, iommu.atsInvalidateCompletions());
        assertEquals(1, iommu.atsUnexpectedCompletions());

        // With translation disabled (TES = 0) a completion is an Unsupported Request: nothing completes.
        InvalidationDescriptor.deviceTlb(words, DEVICE, 0x7000_0000L, false);
        driver.submit(words);
        assertTrue(driver.enableTranslation(false));
        assertEquals(MessageResult.INVALIDATION_UNSUPPORTED, iommu.message(message.invalidateCompletion(DEVICE, 0b01, 1)));
        assertEquals(0b01, iommu.outstandingItags(DEVICE), "still outstanding");
        assertEquals(2, iommu.atsInvalidateCompletions());
    }

    @Test
    void aPageGroupResponseNeedsPrs()
    {
        bringUp(true);
        final long[] words = new long[4];
        InvalidationDescriptor.pageGroupResponse(words, DEVICE, PASID, 1, 0, true);
        driver.submit(words);
        assertEquals(VtdRegisters.FSTS_IQE, iommu.readRegister(VtdRegisters.FSTS, 4) & VtdRegisters.FSTS_IQE);
    }
}
