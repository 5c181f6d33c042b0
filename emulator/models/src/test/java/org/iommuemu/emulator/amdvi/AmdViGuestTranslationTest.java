package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guest (v2) translation driven like Linux's v2 and nested paths: a GCR3 table per device, a guest CR3 per
 * PASID, x86-64 guest tables, and, nested, a host (v1) table under them. Outcomes are read back from the event
 * log.
 */
class AmdViGuestTranslationTest extends AmdViTestBed
{
    @ParameterizedTest
    @CsvSource({"4, 1, 0x45", "4, 2, 0x2345", "5, 1, 0x1ff", "5, 2, 0x3fe01"})
    void translatesThroughTheGcr3TableAndFourOrFiveLevelGuestTables(final int guestLevels, final int gcr3Levels, final int pasid)
    {
        bringUp(null, 9);
        final PageTable guest = guestOnly(pasid, gcr3Levels, guestLevels, false);
        // 5-level tables decode 57 bits: this address is beyond a 4-level table's 48.
        final long gva = guestLevels == 5 ? 0x00AB_0000_4000_0000L : 0x7F00_4000_0000L;
        assertEquals(MapStatus.OK, guest.map(gva, 0x8_0000_0000L, 2L << 20, USER_RW, PageSizePolicy.LARGEST));

        assertTrue(iommu.dma(DEVICE, pasid, gva + 0x1234, Permissions.WRITE, false, out), out.toString());
        assertEquals(0x8_0000_1234L, out.outputAddress());
        assertEquals(21, out.pageSizeLg2());
        assertTrue(out.firstStage());
        assertFalse(out.iotlbHit());
        assertTrue(iommu.dma(DEVICE, pasid, gva + 0x1000, Permissions.READ, false, out));
        assertTrue(out.iotlbHit());
        assertEquals(0, driver.pendingEvents());

        if (guestLevels == 4)
        {
            assertFalse(iommu.dma(DEVICE, pasid, 0x00AB_0000_4000_0000L, Permissions.READ, false, out), "not canonical for 48 bits");
            assertEquals(WalkFault.ADDRESS_WIDTH, out.walkFault());
            final long[] event = nextEvent();
            assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US, AmdViEvent.flags(event[0]));
            assertEquals(pasid, AmdViEvent.pasid(event[0]));
        }
    }

    @Test
    void aUserRequestToASupervisorPageFaultsWithUs()
    {
        bringUp(null, 9);
        final int pasid = 0x1_2345; // 17 bits: PASID[19:16] lands in dword0
        final PageTable guest = guestOnly(pasid, 3, 4, false);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, 0x8_0000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));

        assertFalse(iommu.dma(DEVICE, pasid, 0x4000_0010L, Permissions.WRITE, false, out));
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        assertEquals(WalkFault.PERMISSION, out.walkFault());
        final long[] event = nextEvent();
        assertEquals(AmdViEvent.IO_PAGE_FAULT, AmdViEvent.code(event[0]));
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US | AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE | AmdViEvent.FLAG_RW,
            AmdViEvent.flags(event[0]));
        assertEquals(pasid, AmdViEvent.pasid(event[0]), "PASID[15:0] in dword1, PASID[19:16] in dword0");
        assertEquals(DEVICE, AmdViEvent.deviceId(event[0]));
        assertEquals(0x4000_0010L, event[1], "the guest virtual address");

        assertTrue(iommu.dma(DEVICE, pasid, 0x4000_0010L, Permissions.WRITE, true, out), "a privileged request may");
    }

    @Test
    void anExecuteRequestToANoExecutePageFaultsWithNx()
    {
        bringUp(null, 9);
        final PageTable guest = guestOnly(7, 1, 4, false);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, 0x8_0000_0000L, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, guest.map(0x4000_1000L, 0x8_0000_1000L, 4096, USER_RW | Permissions.EXECUTE, PageSizePolicy.FORCED_4K));

        assertFalse(iommu.dma(DEVICE, 7, 0x4000_0000L, Permissions.READ | Permissions.EXECUTE, false, out));
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_NX | AmdViEvent.FLAG_US | AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE,
            AmdViEvent.flags(nextEvent()[0]));
        assertTrue(iommu.dma(DEVICE, 7, 0x4000_1000L, Permissions.READ | Permissions.EXECUTE, false, out));
        assertTrue(iommu.dma(DEVICE, 7, 0x4000_0000L, Permissions.READ, false, out), "reading is fine");
    }

    @Test
    void aPasidWithoutAGuestCr3OrBeyondTheGcr3LevelsFaults()
    {
        bringUp(null, 9);
        guestOnly(3, 2, 4, false);
        assertFalse(iommu.dma(DEVICE, 4, 0x1000, Permissions.READ, true, out));
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        long[] event = nextEvent();
        assertEquals(AmdViEvent.FLAG_GN, AmdViEvent.flags(event[0]), "not present, privileged read");
        assertEquals(4, AmdViEvent.pasid(event[0]));
        assertFalse(iommu.dma(DEVICE, 0x4_0000, 0x1000, Permissions.READ, true, out), "19 bits do not fit two GCR3 levels");
        event = nextEvent();
        assertEquals(0x4_0000, AmdViEvent.pasid(event[0]));
    }

    @Test
    void aReservedBitInAGuestEntryFaultsWithRz()
    {
        bringUp(null, 9);
        final PageTable guest = guestOnly(9, 1, 4, false);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, 0x8_0000_0000L, 2L << 20, USER_RW, PageSizePolicy.LARGEST));
        final WalkResult walk = new WalkResult();
        assertTrue(guest.translate(0x4000_0000L, 0, walk));
        final long leaf = walk.entryAddress(walk.entryCount() - 1);
        memory.writeEntry(leaf, memory.readEntry(leaf) | (1L << 13)); // reserved in a 2 MiB leaf
        assertFalse(iommu.dma(DEVICE, 9, 0x4000_0000L, Permissions.READ, false, out));
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US | AmdViEvent.FLAG_PR | AmdViEvent.FLAG_RZ,
            AmdViEvent.flags(nextEvent()[0]));
    }

    @Test
    void requestsWithoutAPasidUseTheHostTableOrWithGiovPasidZerosTable()
    {
        bringUp(null, 9);
        // GIOV = 0, Mode 0: no host table, so a request without a PASID passes untranslated.
        guestOnly(0, 1, 4, false);
        final PageTable pasidZero = new PageTable(new X86Format(4, false, 52, true), driver.tableFrames());
        driver.setGuestCr3(gcr3, 1, DOMAIN, 0, pasidZero.root());
        final long high = 0x8000_0000_0000L; // bit 47: not canonical, but PASID 0 does not sign-extend
        assertEquals(MapStatus.OK, pasidZero.map(high, 0x8_0000_0000L, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        assertTrue(iommu.dma(DEVICE, high, false, out));
        assertEquals(high, out.outputAddress());
        assertFalse(out.firstStage());
        assertEquals(CacheTag.NO_PASID, out.tagPasid());

        driver.attachGuest(DEVICE, null, DOMAIN, gcr3, 1, 4, true);
        assertTrue(iommu.dma(DEVICE, high + 8, true, out), out.toString());
        assertEquals(0x8_0000_0008L, out.outputAddress());
        assertTrue(out.firstStage());
        assertEquals(0, out.tagPasid(), "cached under PASID 0, where INVALIDATE_IOMMU_PAGES with GN for PASID 0 finds it");
        assertTrue(iommu.dma(DEVICE, 0, high, Permissions.READ, false, out), "PASID 0 explicitly: the same table");
        assertEquals(0, out.tagPasid());

        // Another PASID with the same table is sign-extended: the address is not canonical there.
        driver.setGuestCr3(gcr3, 1, DOMAIN, 5, pasidZero.root());
        assertFalse(iommu.dma(DEVICE, 5, high, Permissions.READ, false, out));
        assertEquals(WalkFault.ADDRESS_WIDTH, out.walkFault());

        // A host table with GIOV = 0: requests without a PASID use it.
        assertEquals(MapStatus.OK, domain.map(0x7000_0000L, 0x7_0000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        driver.attachGuest(DEVICE, domain, DOMAIN, gcr3, 1, 4, false);
        assertTrue(iommu.dma(DEVICE, 0x7000_0000L, true, out));
        assertEquals(0x7_0000_0000L, out.outputAddress());
        assertFalse(out.firstStage());
        assertEquals(CacheTag.NO_PASID, out.tagPasid());
    }

    @Test
    void nestedTranslationComposesTheGuestAndHostWalks()
    {
        bringUp(null, 9);
        final PageTable guest = nested(0x21, 4);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, DATA_GPA + 0x5000, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, guest.map(0x6000_0000L, DATA_GPA, 2L << 20, USER_RW, PageSizePolicy.LARGEST));

        assertTrue(iommu.dma(DEVICE, 0x21, 0x4000_0123L, Permissions.WRITE, false, out), out.toString());
        assertEquals(DATA_SPA + 0x5123, out.outputAddress());
        assertEquals(12, out.pageSizeLg2(), "the smaller of the guest's 4 KiB and the host's 2 MiB");
        assertTrue(iommu.dma(DEVICE, 0x21, 0x6001_2345L, Permissions.READ, false, out));
        assertEquals(DATA_SPA + 0x1_2345L, out.outputAddress());
        assertEquals(21, out.pageSizeLg2(), "2 MiB over 2 MiB");

        // The final GPA is not mapped by the host table: a host-stage fault, reported with the GVA and the PASID.
        assertEquals(MapStatus.OK, guest.map(0x5000_0000L, 0x2000_0000L, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        assertFalse(iommu.dma(DEVICE, 0x21, 0x5000_0000L, Permissions.READ, false, out));
        long[] event = nextEvent();
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US, AmdViEvent.flags(event[0]));
        assertEquals(0x21, AmdViEvent.pasid(event[0]));
        assertEquals(0x5000_0000L, event[1]);

        // The host maps the data read-only: a write faults at the host stage with PR and PE.
        assertEquals(MapStatus.OK, domain.protect(DATA_GPA, 2L << 20, Permissions.READ));
        driver.invalidateAll();
        assertFalse(iommu.dma(DEVICE, 0x21, 0x4000_0000L, Permissions.WRITE, false, out));
        assertEquals(WalkFault.PERMISSION, out.walkFault());
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US | AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE | AmdViEvent.FLAG_RW,
            AmdViEvent.flags(nextEvent()[0]));
    }

    @Test
    void aGuestTableTheHostDoesNotMapFaultsWithTheGuestOrTheHostAddress()
    {
        for (final AmdViOptions.NestedFaultAddress report : AmdViOptions.NestedFaultAddress.values())
        {
            memory.zero(0, 1L << 40);
            bringUp(null, 9, AmdViOptions.DEFAULT.withNestedFaultAddress(report));
            nested(0x30, 4);
            final long unmappedCr3 = 0x3000_0000L; // a GPA the host table does not map
            driver.setGuestCr3(gcr3, 1, DOMAIN, 0x31, unmappedCr3);
            assertFalse(iommu.dma(DEVICE, 0x31, 0x4000_0000L, Permissions.READ, false, out));
            assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
            final long[] event = nextEvent();
            if (report == AmdViOptions.NestedFaultAddress.REQUEST_ADDRESS)
            {
                assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US, AmdViEvent.flags(event[0]));
                assertEquals(0x31, AmdViEvent.pasid(event[0]));
                assertEquals(0x4000_0000L, event[1]);
            }
            else
            {
                assertEquals(0, AmdViEvent.flags(event[0]), "host stage: no GN");
                assertEquals(DOMAIN, AmdViEvent.domainId(event[0]));
                assertEquals(unmappedCr3, event[1] & ~0xFFFL, "the GPA of the guest's top table");
            }
        }
    }

    @Test
    void withGcr3TrpModeTheGcr3TableIsAGuestPhysicalStructure()
    {
        bringUp(null, 9);
        final PageTable guest = nested(0x40, 4);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, DATA_GPA, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        // Put a GCR3 table at a guest-physical page of the guest's pool and point the DTE at its GPA.
        final long gcr3Gpa = GUEST_POOL_GPA + GUEST_POOL_SIZE - 4096;
        memory.writeEntry(GUEST_POOL_SPA + (gcr3Gpa - GUEST_POOL_GPA) + GuestCr3TableEntry.offset(0x40, 0),
            GuestCr3TableEntry.make(guest.root()));
        driver.attachGuest(DEVICE, domain, DOMAIN, gcr3Gpa, 1, 4, false);
        assertFalse(iommu.dma(DEVICE, 0x40, 0x4000_0000L, Permissions.READ, false, out), "read as an SPA: no entry there");
        nextEvent();
        iommu.writeRegister(AmdViRegisters.CONTROL, 8,
            iommu.readRegister(AmdViRegisters.CONTROL, 8) | AmdViRegisters.CONTROL_GCR3_TRP_MODE);
        driver.invalidateDeviceTableEntry(DEVICE);
        assertTrue(iommu.dma(DEVICE, 0x40, 0x4000_0000L, Permissions.READ, false, out), out.toString());
        assertEquals(DATA_SPA, out.outputAddress());
    }

    @Test
    void illegalGuestFieldsAreIllegalDeviceTableEntries()
    {
        bringUp(null, 9);
        guestOnly(1, 1, 4, false);
        final long q0 = memory.readEntry(DEVICE_TABLE + DEVICE * 32L);
        final long q1 = memory.readEntry(DEVICE_TABLE + DEVICE * 32L + 8);
        driver.writeDeviceTableEntry(DEVICE, q0 | DeviceTableEntry.GLX, q1, 0, 0); // GLX = 3 is reserved
        assertFalse(iommu.dma(DEVICE, 1, 0x1000, Permissions.WRITE, false, out));
        assertEquals(AmdViFault.ILLEGAL_DEV_TABLE_ENTRY, out.fault());
        final long[] event = nextEvent();
        assertEquals(AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY, AmdViEvent.code(event[0]));
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_RZ | AmdViEvent.FLAG_RW, AmdViEvent.flags(event[0]));
        assertEquals(1, AmdViEvent.pasid(event[0]));
        driver.writeDeviceTableEntry(DEVICE, q0, q1, 2L << DeviceTableEntry.GPM_SHIFT, 0); // GPM 2 is reserved
        assertFalse(iommu.dma(DEVICE, 1, 0x1000, Permissions.READ, false, out));
        assertEquals(AmdViFault.ILLEGAL_DEV_TABLE_ENTRY, out.fault());
    }

    @Test
    void aPasidRequestWithoutGuestTranslationUsesTheHostTableOrIsRefused()
    {
        for (final AmdViOptions.PasidWithoutGuest choice : AmdViOptions.PasidWithoutGuest.values())
        {
            bringUp(null, 9, AmdViOptions.DEFAULT.withPasidWithoutGuest(choice));
            attach(DEVICE, true, true, 3);
            assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            final boolean allowed = iommu.dma(DEVICE, 3, 0x4000_0000L, Permissions.READ, false, out);
            if (choice == AmdViOptions.PasidWithoutGuest.HOST_TRANSLATION)
            {
                assertTrue(allowed);
                assertEquals(0x8_0000_0000L, out.outputAddress());
            }
            else
            {
                assertFalse(allowed);
                assertEquals(AmdViFault.INVALID_DEVICE_REQUEST, out.fault());
                assertEquals(AmdViEvent.INVALID_DEVICE_REQUEST, AmdViEvent.code(nextEvent()[0]));
            }
            // GV set but Control.GTEn clear: GV is ignored the same way.
            memory.writeEntry(DEVICE_TABLE + DEVICE * 32L, memory.readEntry(DEVICE_TABLE + DEVICE * 32L) | DeviceTableEntry.GV);
            driver.invalidateDeviceTableEntry(DEVICE);
            assertEquals(choice == AmdViOptions.PasidWithoutGuest.HOST_TRANSLATION, iommu.dma(DEVICE, 3, 0x4000_0000L, Permissions.READ,
                false, out));
        }
    }

    @Test
    void aTranslationRequestWithAPasidIsAnsweredFromTheGuestTable()
    {
        bringUp(null, 9);
        final PageTable guest = guestOnly(0x11, 1, 4, false);
        DeviceTableEntry.allowAts(memory, DEVICE_TABLE, DEVICE, true);
        driver.invalidateDeviceTableEntry(DEVICE);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, 0x8_0000_0000L, 4096, USER_RW | Permissions.EXECUTE, PageSizePolicy.FORCED_4K));
        final long entry = iommu.translationRequest(DEVICE, 0x11, 0x4000_0000L, true, out);
        assertEquals(0x8_0000_0000L | TranslationCompletionEntry.R | TranslationCompletionEntry.W |
            TranslationCompletionEntry.EXE | TranslationCompletionEntry.PRIV, entry);
        assertEquals(0, iommu.translationRequest(DEVICE, 0x11, 0x5000_0000L, false, out));
        final long[] event = nextEvent();
        assertEquals(AmdViEvent.FLAG_TR | AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US, AmdViEvent.flags(event[0]));
        assertEquals(0x11, AmdViEvent.pasid(event[0]));
        assertTrue(iommu.deviceTlb().holds(DEVICE, 0x11, 0x4000_0abcL));
        assertFalse(iommu.deviceTlb().holds(DEVICE, CacheTag.NO_PASID, 0x4000_0abcL));
    }
}
