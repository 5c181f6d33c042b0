package org.iommuemu.emulator.sevtio;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViFault;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.amdvi.SecureDeviceTableEntry;
import org.iommuemu.emulator.amdvi.SevTioFault;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.GuestRmpCheck;
import org.iommuemu.rmp.GuestRmpInstructions;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpTable;
import org.iommuemu.tdx.TdispState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SEV-TIO firmware's commands: the TDISP state machine as the PSP drives it, its status codes, fences, SDTE_WRITE. */
class SevTioFirmwareTest
{
    static final int DEVICE = 0x1000;
    static final int ASID = 9;
    static final long TABLE = 0x140_0000L;

    SparseMemory memory;
    RmpTable rmp;
    RmpInstructions instructions;
    AmdViIommu iommu;
    AmdViDriver driver;
    SevTioFirmware firmware;

    private void build(final AmdViOptions options, final SevTioFirmware.AsidFenceRule rule)
    {
        memory = new SparseMemory();
        rmp = RmpTable.contiguousCovering(memory, 0x2_0000_0000L, 4L << 30);
        instructions = new RmpInstructions(rmp, RmpConfig.DEFAULT);
        iommu = new AmdViIommu(memory, AmdViRegisters.EFR_SNP_SUP, new DmaRmpCheck(rmp, RmpConfig.DEFAULT), AmdViIommu.defaultIotlb(),
            options);
        driver = new AmdViDriver(iommu, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        firmware = new SevTioFirmware(memory, iommu, instructions, TABLE, rule);
    }

    @Test
    void tioInitNeedsTheIommusSevTioAndHappensOnce()
    {
        build(AmdViOptions.DEFAULT, SevTioFirmware.AsidFenceRule.ON_UNBIND_FROM_RUN);
        assertEquals(0, firmware.tioStatus(), "no SEV-TIO on the IOMMU: tio_en clear");
        assertEquals(TioStatus.INVALID_PLATFORM_STATE, firmware.tioInit());
        assertEquals(TioStatus.INVALID_PLATFORM_STATE, firmware.devCreate(DEVICE, 0), "nothing before TIO_INIT");
        iommu.sevTio(firmware, new GuestRmpCheck(rmp));
        assertEquals(TioStatus.SUCCESS, firmware.tioInit());
        assertEquals(TioStatus.INVALID_PLATFORM_STATE, firmware.tioInit());
        assertThrows(IllegalStateException.class, () -> new AmdViIommu(new SparseMemory(), 0, null, AmdViIommu.defaultIotlb())
            .sevTio(firmware, new GuestRmpCheck(rmp)), "SEV-TIO needs SNP");
    }

    @Test
    void theTdispStateMachineAsThePspDrivesIt()
    {
        build(AmdViOptions.DEFAULT, SevTioFirmware.AsidFenceRule.ON_UNBIND_FROM_RUN);
        iommu.sevTio(firmware, new GuestRmpCheck(rmp));
        firmware.tioInit();
        firmware.registerGuest(ASID);
        assertEquals(TioStatus.INVALID_DEV_CTX, firmware.devConnect(DEVICE, 0));
        assertEquals(TioStatus.SUCCESS, firmware.devCreate(DEVICE, 3));
        assertEquals(TioStatus.INVALID_DEV_STATE, firmware.devCreate(DEVICE, 3));
        assertEquals(TioStatus.INVALID_DEV_STATE, firmware.tdiCreate(DEVICE), "a TDI needs a connected device");
        assertEquals(TioStatus.SUCCESS, firmware.devConnect(DEVICE, 7));
        assertNull(firmware.tdispState(DEVICE));
        assertEquals(-1, firmware.tdiInfo(DEVICE));
        assertEquals(TioStatus.INVALID_TDI_CTX, firmware.tdiBind(DEVICE, ASID, DEVICE, false));
        assertEquals(TioStatus.SUCCESS, firmware.tdiCreate(DEVICE));
        assertEquals(TdispState.CONFIG_UNLOCKED, firmware.tdispState(DEVICE));
        assertEquals(TioStatus.TDI_UNBOUND, firmware.tdiInfo(DEVICE));
        assertEquals(TioStatus.INVALID_TDI_STATE, firmware.tdiBind(DEVICE, ASID, DEVICE, true), "START before LOCK");
        assertEquals(TioStatus.INVALID_GUEST, firmware.tdiBind(DEVICE, 77, DEVICE, false), "no such guest context");
        assertEquals(TioStatus.SDTE_TDI_NOT_BOUND, firmware.sdteWrite(ASID, DEVICE, true, true, true, 0, true, 1L << 32));
        assertEquals(TioStatus.SUCCESS, firmware.tdiBind(DEVICE, ASID, 0x0300, false));
        assertEquals(TdispState.CONFIG_LOCKED, firmware.tdispState(DEVICE));
        assertEquals(TioStatus.TDI_BIND_LOCKED, firmware.tdiInfo(DEVICE));
        assertEquals(TioStatus.INVALID_TDI_STATE, firmware.tdiBind(DEVICE, ASID, DEVICE, false), "already locked");
        firmware.registerGuest(10);
        assertEquals(TioStatus.INVALID_GUEST, firmware.tdiBind(DEVICE, 10, DEVICE, true), "START for another guest");
        assertEquals(TioStatus.SDTE_INVALID_TDI, firmware.sdteWrite(10, DEVICE, true, true, true, 0, true, 1L << 32),
            "another guest's TDI");
        assertEquals(TioStatus.SUCCESS, firmware.tdiBind(DEVICE, ASID, DEVICE, true));
        assertEquals(TdispState.RUN, firmware.tdispState(DEVICE));
        assertEquals(TioStatus.TDI_BIND_RUN, firmware.tdiInfo(DEVICE));
        assertEquals(TioStatus.SDTE_RESERVED, firmware.sdteWrite(ASID, DEVICE, true, true, true, 4, true, 1L << 32));
        assertEquals(TioStatus.SDTE_RESERVED, firmware.sdteWrite(ASID, DEVICE, true, true, true, 0, true, (1L << 32) + 4096),
            "vTOM is in 2 MiB units");
        assertEquals(TioStatus.SDTE_SUCCESS, firmware.sdteWrite(ASID, DEVICE, true, true, false, 0, true,
            SecureDeviceTableEntry.VTOM_ALL));
        final long entry = SecureDeviceTableEntry.address(TABLE, DEVICE);
        assertEquals(0x0300, SecureDeviceTableEntry.guestDeviceId(memory.readEntry(entry + 24)));
        assertEquals(3, SecureDeviceTableEntry.rootPort(memory.readEntry(entry + 40)));
        assertEquals(7, memory.readEntry(entry + 32), "the IDE stream of TC0");
        assertEquals(SecureDeviceTableEntry.VTOM_ALL, SecureDeviceTableEntry.vtom(memory.readEntry(entry + 40)));
        assertEquals(TioStatus.IN_USE, firmware.devDisconnect(DEVICE, false));
        assertEquals(TioStatus.INVALID_DEV_STATE, firmware.devReclaim(DEVICE), "a connected device is not reclaimed");
        assertEquals(TioStatus.INVALID_TDI_STATE, firmware.tdiReclaim(DEVICE), "a bound TDI is not reclaimed");

        assertTrue(firmware.tdiError(DEVICE));
        assertEquals(TdispState.ERROR, firmware.tdispState(DEVICE));
        assertEquals(TioStatus.SUCCESS, firmware.tdiUnbind(DEVICE));
        assertEquals(TdispState.CONFIG_UNLOCKED, firmware.tdispState(DEVICE));
        assertFalse(SecureDeviceTableEntry.valid(memory.readEntry(entry)), "unbind clears the sDTE");
        assertEquals(1, firmware.asidFenceStatus(3, ASID), "unbound from ERROR: fenced on its root port");
        assertEquals(0, firmware.asidFenceStatus(2, ASID));
        assertEquals(TioStatus.INVALID_TDI_STATE, firmware.tdiUnbind(DEVICE), "not bound any more");
        assertEquals(TioStatus.SUCCESS, firmware.asidFenceClear(ASID, 3));
        assertEquals(0, firmware.asidFenceStatus(3, ASID));
        assertEquals(TioStatus.SUCCESS, firmware.devDisconnect(DEVICE, false));
        assertEquals(TioStatus.RECLAIM_REQUIRED, firmware.devReclaim(DEVICE), "its TDI first");
        assertEquals(TioStatus.SUCCESS, firmware.tdiReclaim(DEVICE));
        assertNull(firmware.tdispState(DEVICE));
        assertEquals(TioStatus.SUCCESS, firmware.devReclaim(DEVICE));
        assertTrue(firmware.commands() > 30);
    }

    @Test
    void aForcedDisconnectUnbindsAndNeverFencesUnderThatRule()
    {
        build(AmdViOptions.DEFAULT, SevTioFirmware.AsidFenceRule.NEVER);
        iommu.sevTio(firmware, new GuestRmpCheck(rmp));
        firmware.tioInit();
        firmware.registerGuest(ASID);
        firmware.devCreate(DEVICE, 0);
        firmware.devConnect(DEVICE, 0);
        firmware.tdiCreate(DEVICE);
        firmware.tdiBind(DEVICE, ASID, DEVICE, false);
        firmware.tdiBind(DEVICE, ASID, DEVICE, true);
        assertEquals(TioStatus.SUCCESS, firmware.devDisconnect(DEVICE, true));
        assertEquals(TdispState.CONFIG_UNLOCKED, firmware.tdispState(DEVICE));
        assertEquals(0, firmware.boundAsid(DEVICE));
        assertEquals(0, firmware.asidFenceStatus(0, ASID), "the NEVER rule fences nothing");
    }

    /**
     * vTOM's shared side: with STRIP the IOMMU translates address - vTOM, with ALIAS the address itself, which the VMM
     * maps as an alias; a T = 1 request with a PASID or as ATS is not taken through the trusted path. Trusted requests,
     * hits and misses, private and shared, allocate nothing.
     */
    @Test
    void theSharedSideOfVtomAndTheHotPath()
    {
        for (final AmdViOptions.VtomSharedAddress rule : AmdViOptions.VtomSharedAddress.values())
        {
            build(AmdViOptions.DEFAULT.withVtomSharedAddress(rule), SevTioFirmware.AsidFenceRule.ON_UNBIND_FROM_RUN);
            iommu.sevTio(firmware, new GuestRmpCheck(rmp));
            firmware.tioInit();
            firmware.registerGuest(ASID);
            final long vtom = 1L << 40;
            final PageTable domain = driver.newDomain(4);
            // Private pages at GPA 0, shared at 4 GiB; the alias of the shared pages at vTOM + 4 GiB.
            assertEquals(MapStatus.OK, domain.map(0, 0x4000_0000L, 1L << 20, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            assertEquals(MapStatus.OK, domain.map(1L << 32, 0x5000_0000L, 1L << 20, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            if (rule == AmdViOptions.VtomSharedAddress.ALIAS)
            {
                assertEquals(MapStatus.OK, domain.map(vtom + (1L << 32), 0x5000_0000L, 1L << 20, Permissions.READ_WRITE,
                    PageSizePolicy.FORCED_4K));
            }
            driver.attach(DEVICE, domain, 1, true, true);
            final PageStateConversion conversion = new PageStateConversion(instructions);
            final GuestRmpInstructions guest = new GuestRmpInstructions(rmp);
            final GuestRmpResult result = new GuestRmpResult();
            for (long page = 0; page < (1L << 20); page += 4096)
            {
                conversion.makePrivate(0x4000_0000L + page, page, ASID, RmpEntry.PAGE_SIZE_4K);
                guest.pvalidate(0x4000_0000L + page, page, ASID, 0, 0, true, result);
            }
            firmware.devCreate(DEVICE, 0);
            firmware.devConnect(DEVICE, 0);
            firmware.tdiCreate(DEVICE);
            firmware.tdiBind(DEVICE, ASID, DEVICE, false);
            firmware.tdiBind(DEVICE, ASID, DEVICE, true);
            firmware.sdteWrite(ASID, DEVICE, true, true, true, 0, true, vtom);

            final DmaRequest request = new DmaRequest();
            final RequestOutcome out = new RequestOutcome();
            assertTrue(iommu.handle(request.set(DEVICE, vtom + (1L << 32) + 0x123, true).trusted(true), out), rule + ": " + out);
            assertEquals(0x5000_0123L, out.outputAddress());
            assertTrue(iommu.handle(request.set(DEVICE, 0x2000, true).trusted(true), out), out.toString());
            assertEquals(0x4000_2000L, out.outputAddress());
            assertFalse(iommu.handle(request.set(DEVICE, 0x2000, true).trusted(false), out), "T = 0 to private memory");
            assertEquals(AmdViFault.RMP_PAGE_FAULT, out.fault());
            assertFalse(iommu.handle(request.set(DEVICE, 0x2000, true).trusted(true).pasid(1), out));
            assertEquals(SevTioFault.TIO_UNSUPPORTED_REQUEST, out.fault());
            assertFalse(iommu.handle(request.set(DEVICE, 0x2000, false).trusted(true).addressType(AddressType.TRANSLATION_REQUEST), out));
            assertEquals(SevTioFault.TIO_UNSUPPORTED_REQUEST, out.fault());
            assertTrue(iommu.handle(request.set(DEVICE, 0xFEE0_0000L, true).trusted(true), out), "an MSI write is routed first");
            assertTrue(out.interrupt());

            if (rule == AmdViOptions.VtomSharedAddress.STRIP)
            {
                assertNoAllocation(request, out, vtom);
            }
        }
    }

    private void assertNoAllocation(final DmaRequest request, final RequestOutcome out, final long vtom)
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        final long thread = Thread.currentThread().getId();
        long least = Long.MAX_VALUE;
        long sink = 0;
        for (int round = 0; round < 12; round++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 4096; i++)
            {
                final long page = (long)(i % 256) << 12;
                sink += iommu.handle(request.set(DEVICE, page, (i & 1) == 0).trusted(true), out) ? out.outputAddress() : 1;
                sink += iommu.handle(request.set(DEVICE, vtom + (1L << 32) + page, true).trusted(true), out) ? out.outputAddress() : 1;
                sink += iommu.handle(request.set(DEVICE, (1L << 32) + page, true).trusted(true), out) ? 0 : 1; // RMP fault
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, least, "bytes allocated by 12288 trusted requests, least of twelve rounds (sink " + sink + ")");
    }
}
