package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.fixtures.OffsetMemory;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scalable mode: root, context, PASID directory and PASID table; first-stage, second-stage, nested and
 * pass-through PASID entries; the scalable-mode fault reasons.
 */
class VtdScalableTranslationTest extends VtdTestBed
{
    private static final long IOVA = 0x7000_0000L;
    private static final int PASID = 3;
    private static final long NOWHERE = 1L << 41;
    private static final int USER_RW = Permissions.READ_WRITE | Permissions.USER;

    private void context(final boolean pasidEnable, final int ridPasid)
    {
        bringUp(true);
        driver.setScalableContext(DEVICE, 0, pasidEnable, false, false, ridPasid);
    }

    @Test
    void secondStageOnlyForRequestsWithoutPasidThroughRidPasid()
    {
        context(true, 0);
        final PageTable ss = secondStage(4);
        driver.attachSecondStage(DEVICE, 0, ss, DOMAIN);
        map4k(ss, IOVA, DATA, 4096, Permissions.READ_WRITE);
        assertTrue(dma(DEVICE, IOVA + 4, true));
        assertOk(DATA + 4);
        assertEquals(DOMAIN, outcome.domainId());
        assertTrue(dma(DEVICE, IOVA + 8, false));
        assertTrue(outcome.iotlbHit());
        assertEquals(1, iommu.pasidCache().occupancy(), "one slot holds the whole PASID entry");

        // A second PASID with its own domain.
        final PageTable other = secondStage(4);
        driver.attachSecondStage(DEVICE, PASID, other, DOMAIN + 1);
        map4k(other, IOVA, DATA + 0x10_0000, 4096, Permissions.READ);
        assertTrue(dma(DEVICE, PASID, IOVA, Permissions.READ, false));
        assertOk(DATA + 0x10_0000);
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.WRITE, false));
        assertFault(VtdFaultReason.SS_PERMISSION);
        final long[] record = takeFault();
        assertEquals(0x79, FaultRecord.reason(record[1]));
        assertTrue(FaultRecord.pasidPresent(record[1]));
        assertEquals(PASID, FaultRecord.pasid(record[1]));

        config.scalableSecondStageCodes = false;
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.WRITE, false));
        assertFault(VtdFaultReason.WRITE);
    }

    @Test
    void secondStageFaults()
    {
        context(true, 0);
        final PageTable ss = secondStage(3);
        driver.attachSecondStage(DEVICE, 0, ss, DOMAIN);
        map4k(ss, IOVA, DATA, 4096, Permissions.READ_WRITE);
        map4k(ss, IOVA + 0x1000, 0xFEE0_0000L, 4096, Permissions.READ_WRITE);
        assertFalse(dma(DEVICE, 1L << 40, false));
        assertFault(VtdFaultReason.SM_ADDRESS_BEYOND_MAX);
        assertFalse(dma(DEVICE, IOVA + 0x1000, true));
        assertFault(VtdFaultReason.SM_INTERRUPT_ADDRESS);

        final long top = ss.root() + ((IOVA >>> 30) & 511) * 8;
        memory.writeEntry(top, memory.readEntry(top) | VtdSecondStageFormat.SNP);
        assertFalse(dma(DEVICE, IOVA, false));
        assertFault(VtdFaultReason.SS_ENTRY_RESERVED);

        config.memoryLimit = 1L << 40;
        memory.writeEntry(top, NOWHERE | VtdSecondStageFormat.R | VtdSecondStageFormat.W);
        assertFalse(dma(DEVICE, IOVA, false));
        assertFault(VtdFaultReason.SS_ENTRY_ACCESS);

        driver.writePasidEntry(DEVICE, PASID, PasidEntry.q0(PasidEntry.PGTT_SECOND_STAGE, NOWHERE, 2, false, false),
            PasidEntry.q1(DOMAIN), 0);
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.READ, false));
        assertFault(VtdFaultReason.SS_ROOT_ACCESS);
    }

    @Test
    void firstStageWithUserSupervisorWriteAndExecute()
    {
        context(true, 0);
        final PageTable fs = firstStage();
        driver.attachFirstStage(DEVICE, PASID, fs.root(), 4, DOMAIN, true, true);
        map4k(fs, IOVA, DATA, 4096, USER_RW | Permissions.EXECUTE);
        map4k(fs, IOVA + 0x1000, DATA + 0x1000, 4096, Permissions.READ_WRITE);
        map4k(fs, IOVA + 0x2000, DATA + 0x2000, 4096, Permissions.READ | Permissions.USER);

        assertTrue(dma(DEVICE, PASID, IOVA + 0x40, Permissions.WRITE | Permissions.EXECUTE, false));
        assertOk(DATA + 0x40);
        assertFalse(dma(DEVICE, PASID, IOVA + 0x1000, Permissions.READ, false), "a user request to a supervisor page");
        assertFault(VtdFaultReason.FS_USER);
        assertTrue(dma(DEVICE, PASID, IOVA + 0x1000, Permissions.READ, true));
        assertFalse(dma(DEVICE, PASID, IOVA + 0x2000, Permissions.WRITE, false));
        assertFault(VtdFaultReason.FS_WRITE);
        assertFalse(dma(DEVICE, PASID, IOVA + 0x2000, Permissions.READ | Permissions.EXECUTE, false));
        assertFault(VtdFaultReason.FS_EXECUTE);
        final long[] record = takeFault();
        assertEquals(0x81, FaultRecord.reason(record[1]), "the first pending record, from FRI");
        assertFalse(dma(DEVICE, PASID, IOVA + 0x3000, Permissions.READ, false));
        assertFault(VtdFaultReason.FS_ENTRY_NOT_PRESENT);
        assertFalse(dma(DEVICE, PASID, 0x0000_8000_0000_0000L, Permissions.READ, false));
        assertFault(VtdFaultReason.FS_NOT_CANONICAL);

        memory.writeEntry(fs.root(), memory.readEntry(fs.root()) | X86Format.PS);
        assertFalse(dma(DEVICE, PASID, IOVA + 0x2000, Permissions.READ, false), "PS in a PML4E is reserved");
        assertFault(VtdFaultReason.FS_ENTRY_RESERVED);
    }

    @Test
    void firstStageLargePagesAndFs1gp()
    {
        context(true, 0);
        final PageTable fs = firstStage();
        driver.attachFirstStage(DEVICE, PASID, fs.root(), 4, DOMAIN, true, true);
        map(fs, 1L << 30, DATA, 1L << 30, USER_RW);
        map(fs, 0x20_0000L, DATA + (1L << 30), 2L << 20, USER_RW);
        assertTrue(dma(DEVICE, PASID, (1L << 30) + 0x1234_5678L, Permissions.READ, false));
        assertOk(DATA + 0x1234_5678L);
        assertEquals(30, outcome.pageSizeLg2());
        assertTrue(dma(DEVICE, PASID, 0x21_0000L, Permissions.WRITE, false));
        assertOk(DATA + (1L << 30) + 0x1_0000L);
        assertEquals(21, outcome.pageSizeLg2());
    }

    @Test
    void firstStageGigabytePagesWithoutFs1gpAreReservedBitFaults()
    {
        bringUp(true, VtdRegisters.defaultCap(4) & ~VtdRegisters.CAP_FS1GP, VtdRegisters.defaultEcap(), null);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        final PageTable fs = new PageTable(new X86Format(4), domains);
        driver.attachFirstStage(DEVICE, PASID, fs.root(), 4, DOMAIN, true, true);
        map(fs, 1L << 30, DATA, 1L << 30, USER_RW);
        assertFalse(dma(DEVICE, PASID, 1L << 30, Permissions.READ, false));
        assertFault(VtdFaultReason.FS_ENTRY_RESERVED);
    }

    @Test
    void fiveLevelTablesWhenSagawAndFs5lpAllow()
    {
        final long cap = VtdRegisters.defaultCap(4) | (0x8L << VtdRegisters.CAP_SAGAW_SHIFT) | VtdRegisters.CAP_FS5LP |
            (56L << VtdRegisters.CAP_MGAW_SHIFT);
        config.hostAddressWidth = 52;
        bringUp(true, cap, VtdRegisters.defaultEcap(), null);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        final PageTable ss = secondStage(5);
        driver.attachSecondStage(DEVICE, 0, ss, DOMAIN);
        map4k(ss, 1L << 52, DATA, 4096, Permissions.READ_WRITE);
        assertTrue(dma(DEVICE, (1L << 52) + 8, false));
        assertOk(DATA + 8);
        final PageTable fs = new PageTable(iommu.firstStageFormat(5), domains);
        driver.attachFirstStage(DEVICE, PASID, fs.root(), 5, DOMAIN, true, true);
        map4k(fs, 1L << 50, DATA, 4096, USER_RW);
        assertTrue(dma(DEVICE, PASID, (1L << 50) + 8, Permissions.READ, false));
        assertOk(DATA + 8);
    }

    @Test
    void supervisorWritesIgnoreReadOnlyPagesWithoutWpe()
    {
        context(true, 0);
        final PageTable fs = firstStage();
        map4k(fs, IOVA, DATA, 4096, Permissions.READ | Permissions.USER);
        driver.attachFirstStage(DEVICE, PASID, fs.root(), 4, DOMAIN, true, false);
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.WRITE, true), "WPE set by the driver");
        assertFault(VtdFaultReason.FS_WRITE);
        driver.writePasidEntry(DEVICE, PASID + 1, PasidEntry.q0(PasidEntry.PGTT_FIRST_STAGE, 0, 2, false, false),
            PasidEntry.q1(DOMAIN), PasidEntry.q2(fs.root(), 4, true, false));
        assertTrue(dma(DEVICE, PASID + 1, IOVA, Permissions.WRITE, true), "WPE clear: CR0.WP = 0 semantics");
        assertTrue((outcome.permissions() & Permissions.WRITE) != 0);
        assertTrue(dma(DEVICE, PASID + 1, IOVA + 4, Permissions.WRITE, true));
        assertTrue(outcome.iotlbHit());
        assertFalse(dma(DEVICE, PASID + 1, IOVA + 8, Permissions.WRITE, false), "user writes still need R/W");
        assertFault(VtdFaultReason.FS_WRITE);
    }

    /**
     * SRE is Reserved(0) on a unit without ECAP.SRS (the specification's words, as Linux's fix "Set SRE bit only when
     * hardware has SRS cap" quotes them with the resulting 0x5A fault): a PASID entry with SRE there is a reserved-field
     * fault; the same entry without SRE translates.
     */
    @Test
    void sreIsReservedWithoutSrs()
    {
        bringUp(true, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap() & ~VtdRegisters.ECAP_SRS, null);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        final PageTable fs = firstStage();
        map4k(fs, IOVA, DATA, 4096, USER_RW);
        driver.writePasidEntry(DEVICE, PASID, PasidEntry.q0(PasidEntry.PGTT_FIRST_STAGE, 0, 2, false, false),
            PasidEntry.q1(DOMAIN), PasidEntry.q2(fs.root(), 4, true, false));
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASID_ENTRY_RESERVED);
        driver.writePasidEntry(DEVICE, PASID + 1, PasidEntry.q0(PasidEntry.PGTT_FIRST_STAGE, 0, 2, false, false),
            PasidEntry.q1(DOMAIN), PasidEntry.q2(fs.root(), 4, false, false));
        assertTrue(dma(DEVICE, PASID + 1, IOVA, Permissions.READ, false));
        assertOk(DATA);
    }

    @Test
    void firstStageRequestFlagsNeedSreAndEre()
    {
        context(true, 0);
        final PageTable fs = firstStage();
        driver.attachFirstStage(DEVICE, PASID, fs.root(), 4, DOMAIN, false, false);
        map4k(fs, IOVA, DATA, 4096, USER_RW | Permissions.EXECUTE);
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.READ, true));
        assertFault(VtdFaultReason.SM_SRE_CLEAR);
        final long[] record = takeFault();
        assertTrue(FaultRecord.privileged(record[1]));
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.READ | Permissions.EXECUTE, false));
        assertFault(VtdFaultReason.SM_ERE_CLEAR);
        assertTrue(FaultRecord.execute(takeFault()[1]));
        assertTrue(dma(DEVICE, PASID, IOVA, Permissions.READ, false));
    }

    @Test
    void firstStageAccessErrors()
    {
        context(true, 0);
        final PageTable fs = firstStage();
        map4k(fs, IOVA, DATA, 4096, USER_RW);
        config.memoryLimit = 1L << 40;
        driver.attachFirstStage(DEVICE, PASID, NOWHERE, 4, DOMAIN, true, true);
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.READ, false));
        assertFault(VtdFaultReason.FS_ROOT_ACCESS);
        driver.attachFirstStage(DEVICE, PASID + 1, fs.root(), 4, DOMAIN, true, true);
        memory.writeEntry(fs.root(), NOWHERE | X86Format.P | X86Format.RW | X86Format.US);
        assertFalse(dma(DEVICE, PASID + 1, IOVA, Permissions.READ, false));
        assertFault(VtdFaultReason.FS_ENTRY_ACCESS);
    }

    /** Guest memory: GPA g lives at HPA g + GUEST_OFFSET; the second stage says so. */
    private static final long GUEST_OFFSET = 0x3_0000_0000L;
    private static final long GUEST_TABLES = 0x1000_0000L;
    private static final long GUEST_DATA = 0x2000_0000L;

    private PageTable nestedSecondStage(final int levels)
    {
        final PageTable ss = secondStage(levels);
        map4k(ss, GUEST_TABLES, GUEST_TABLES + GUEST_OFFSET, 64 * 4096L, Permissions.READ_WRITE);
        map(ss, GUEST_DATA, GUEST_DATA + GUEST_OFFSET, 2L << 20, Permissions.READ_WRITE);
        return ss;
    }

    private PageTable guestFirstStage()
    {
        return new PageTable(iommu.firstStageFormat(4), new FrameAllocator(new OffsetMemory(memory, GUEST_OFFSET), GUEST_TABLES,
            64 * 4096L));
    }

    @Test
    void nestedTranslationTranslatesEveryFirstStageFetch()
    {
        context(true, 0);
        final PageTable ss = nestedSecondStage(4);
        final PageTable fs = guestFirstStage();
        assertEquals(GUEST_TABLES, fs.root(), "the first-stage root is a GPA");
        assertEquals(0, memory.readEntry(GUEST_TABLES), "nothing at that address in host memory");
        map4k(fs, IOVA, GUEST_DATA + 0x5000, 4096, USER_RW);
        driver.attachNested(DEVICE, PASID, fs.root(), 4, ss, DOMAIN, true, false);
        assertTrue(dma(DEVICE, PASID, IOVA + 0x10, Permissions.WRITE, false));
        assertOk(GUEST_DATA + GUEST_OFFSET + 0x5010);
        assertEquals(12, outcome.pageSizeLg2());

        // The final GPA not mapped by the second stage.
        map4k(fs, IOVA + 0x1000, 0x3000_0000L, 4096, USER_RW);
        assertFalse(dma(DEVICE, PASID, IOVA + 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SS_PERMISSION);

        // The second stage stops mapping a lower first-stage table: the nested cache keeps the old translation
        // (a stale hit) until the host invalidates that GPA in the domain.
        map4k(fs, IOVA + 0x4000_0000L, GUEST_DATA, 4096, USER_RW);
        final long lowerTable = GUEST_TABLES + 0x1000;
        assertEquals(MapStatus.OK, ss.unmap(lowerTable, 4096));
        assertTrue(dma(DEVICE, PASID, IOVA + 0x4000_0000L, Permissions.READ, false), "stale nested-cache hit");
        assertTrue(driver.invalidateIotlbPages(DOMAIN, lowerTable, 0));
        assertFalse(dma(DEVICE, PASID, IOVA + 0x4000_1000L, Permissions.READ, false));
        assertFault(VtdFaultReason.NESTED_FS_ENTRY_READ);
        // Then the root.
        assertEquals(MapStatus.OK, ss.unmap(GUEST_TABLES, 4096));
        assertTrue(driver.invalidateIotlbPages(DOMAIN, GUEST_TABLES, 0));
        assertFalse(dma(DEVICE, PASID, IOVA + 0x8000_0000L, Permissions.READ, false));
        assertFault(VtdFaultReason.NESTED_FS_ROOT_READ);
        assertTrue(iommu.nestedCache().hits() > 0);
    }

    @Test
    void nestedFaultsInTheSecondStage()
    {
        context(true, 0);
        final PageTable ss = nestedSecondStage(3);
        final PageTable fs = guestFirstStage();
        map4k(fs, IOVA, 1L << 40, 4096, USER_RW);
        map4k(fs, IOVA + 0x1000, GUEST_DATA, 4096, USER_RW);
        driver.attachNested(DEVICE, PASID, fs.root(), 4, ss, DOMAIN, true, false);
        assertFalse(dma(DEVICE, PASID, IOVA, Permissions.READ, false), "the GPA is beyond the 39-bit second stage");
        assertFault(VtdFaultReason.NESTED_FS_ADDRESS_BEYOND_MGAW);

        memory.writeEntry(ss.root(), memory.readEntry(ss.root()) | VtdSecondStageFormat.SNP);
        assertFalse(dma(DEVICE, PASID, IOVA + 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SS_ENTRY_RESERVED);
    }

    @Test
    void passThroughPasidEntry()
    {
        context(true, 0);
        driver.attachPassThrough(DEVICE, 0, DOMAIN);
        assertTrue(dma(DEVICE, 0x1234_5000L, true));
        assertOk(0x1234_5000L);
    }

    @Test
    void rootAndContextFaults()
    {
        context(true, 0);
        assertFalse(dma(0x0500, 0x1000, false));
        assertFault(VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT);
        assertFalse(dma(DEVICE + 1, 0x1000, false));
        assertFault(VtdFaultReason.SM_CONTEXT_ENTRY_NOT_PRESENT);
        driver.writeScalableContext(DEVICE + 2, ScalableContextEntry.q0(DATA, 0, true, false, false), 0, 1, 0);
        assertFalse(dma(DEVICE + 2, 0x1000, false));
        assertFault(VtdFaultReason.SM_CONTEXT_ENTRY_RESERVED);

        ScalableRootEntry.write(memory, driver.rootTable(), 0x06, DATA, -1);
        memory.writeEntry(RootEntry.address(driver.rootTable(), 0x06), DATA | ScalableRootEntry.PRESENT | 0x2);
        assertFalse(dma(0x0600, 0x1000, false));
        assertFault(VtdFaultReason.SM_ROOT_ENTRY_RESERVED);
        assertFalse(dma(0x0680, 0x1000, false), "the upper half is not present");
        assertFault(VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT);

        config.memoryLimit = 1L << 40;
        ScalableRootEntry.write(memory, driver.rootTable(), 0x07, NOWHERE, -1);
        assertFalse(dma(0x0700, 0x1000, false));
        assertFault(VtdFaultReason.SM_CONTEXT_ENTRY_ACCESS);
        config.memoryLimit = TABLE_POOL;
        assertFalse(dma(0x0800, 0x1000, false));
        assertFault(VtdFaultReason.SM_ROOT_TABLE_ADDRESS);
    }

    @Test
    void reservedTtmIsAnInvalidRootTable()
    {
        bringUp(true);
        assertTrue(driver.setRootTable(driver.rootTable(), 3));
        assertFalse(dma(DEVICE, 0x1000, false));
        assertFault(VtdFaultReason.SM_ROOT_TABLE_ADDRESS);
    }

    @Test
    void pasidFaults()
    {
        context(false, 0);
        driver.attachPassThrough(DEVICE, 0, DOMAIN);
        assertFalse(dma(DEVICE, PASID, 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASIDE_CLEAR);

        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        driver.invalidateDevice(DEVICE, DOMAIN);
        assertFalse(dma(DEVICE, 0x3000, 0x1000, Permissions.READ, false), "PDTS 0: 128 directory entries, PASIDs below 0x2000");
        assertFault(VtdFaultReason.SM_PASID_TOO_LARGE);
        assertFalse(dma(DEVICE, 64, 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASID_DIR_NOT_PRESENT);
        assertFalse(dma(DEVICE, 7, 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT);

        driver.setScalableContext(DEVICE + 1, 0, true, false, false, 0x4000);
        assertFalse(dma(DEVICE + 1, 0x1000, false));
        assertFault(VtdFaultReason.SM_RID_PASID_ERROR);

        final long directory = driver.pasidDirectory(DEVICE);
        memory.writeEntry(PasidDirectoryEntry.address(directory, 128), DATA | PasidDirectoryEntry.P | 0x4);
        assertFalse(dma(DEVICE, 128, 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASID_DIR_RESERVED);

        clearFaults();
        config.memoryLimit = 1L << 40;
        memory.writeEntry(PasidDirectoryEntry.address(directory, 192), NOWHERE | PasidDirectoryEntry.P);
        assertFalse(dma(DEVICE, 192, 0x1000, Permissions.READ, false));
        assertTrue(assertFault(VtdFaultReason.SM_PASID_TABLE_ACCESS));
        driver.writeScalableContext(DEVICE + 2, ScalableContextEntry.q0(NOWHERE, 0, true, false, false), 0, 0, 0);
        assertFalse(dma(DEVICE + 2, 0x1000, false));
        assertTrue(assertFault(VtdFaultReason.SM_PASID_DIR_ACCESS));
    }

    @Test
    void pasidEntryFaults()
    {
        context(true, 0);
        driver.writePasidEntry(DEVICE, 1, PasidEntry.q0(PasidEntry.PGTT_PASS_THROUGH, 0, 2, false, false), PasidEntry.q1(DOMAIN) |
            (1L << 16), 0);
        assertFalse(dma(DEVICE, 1, 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASID_ENTRY_RESERVED);
        driver.writePasidEntry(DEVICE, 2, PasidEntry.q0(5, 0, 2, false, false), PasidEntry.q1(DOMAIN), 0);
        assertFalse(dma(DEVICE, 2, 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASID_ENTRY_INVALID);
        driver.writePasidEntry(DEVICE, 3, PasidEntry.q0(PasidEntry.PGTT_SECOND_STAGE, DATA, 3, false, false), PasidEntry.q1(DOMAIN), 0);
        assertFalse(dma(DEVICE, 3, 0x1000, Permissions.READ, false), "AW 3 is not in SAGAW");
        assertFault(VtdFaultReason.SM_PASID_ENTRY_INVALID);
        driver.writePasidEntry(DEVICE, 4, PasidEntry.q0(PasidEntry.PGTT_FIRST_STAGE, 0, 2, false, false), PasidEntry.q1(DOMAIN),
            PasidEntry.q2(DATA, 5, true, true));
        assertFalse(dma(DEVICE, 4, 0x1000, Permissions.READ, false), "5-level first stage without FS5LP");
        assertFault(VtdFaultReason.SM_PASID_ENTRY_INVALID);
    }

    @Test
    void repeatedRequestsOfOneContextCountEveryContextAndPasidCacheLookup()
    {
        context(true, 0);
        final PageTable ss = secondStage(4);
        driver.attachSecondStage(DEVICE, 0, ss, DOMAIN);
        driver.attachSecondStage(DEVICE, PASID, ss, DOMAIN + 1);
        map4k(ss, IOVA, DATA, 4096, Permissions.READ_WRITE);
        final TranslationCache contexts = iommu.contextCache();
        final TranslationCache pasids = iommu.pasidCache();
        final long contextLookups = contexts.lookups();
        final long contextHits = contexts.hits();
        final long pasidLookups = pasids.lookups();
        final long pasidHits = pasids.hits();
        for (int i = 0; i < 5; i++)
        {
            assertTrue(dma(DEVICE, IOVA + 8L * i, false));
            assertEquals(DOMAIN, outcome.domainId());
        }
        // The PASID-tagged requests switch PASID entries (and domains), then go back: nothing leaks across the switch.
        assertTrue(dma(DEVICE, PASID, IOVA, Permissions.READ, false));
        assertEquals(DOMAIN + 1, outcome.domainId());
        assertFalse(dma(DEVICE, PASID + 1, IOVA, Permissions.READ, false), "a PASID without an entry");
        assertFault(VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT);
        assertTrue(dma(DEVICE, IOVA, false));
        assertEquals(DOMAIN, outcome.domainId());
        assertTrue(dma(DEVICE, IOVA, false));
        // Every request looked up the context cache and the PASID cache once, as the hardware does: 9 requests; the
        // context misses once (the first request), the PASID cache once per PASID entry first used (2) and once for
        // the missing entry.
        assertEquals(contextLookups + 9, contexts.lookups());
        assertEquals(contextHits + 8, contexts.hits());
        assertEquals(pasidLookups + 9, pasids.lookups());
        assertEquals(pasidHits + 6, pasids.hits());
    }

    @Test
    void aStalePasidEntryLastsUntilThePasidCacheIsInvalidated()
    {
        context(true, 0);
        driver.attachPassThrough(DEVICE, PASID, DOMAIN);
        assertTrue(dma(DEVICE, PASID, 0x1000, Permissions.READ, false));
        driver.writePasidEntry(DEVICE, PASID, 0, 0, 0);
        assertTrue(dma(DEVICE, PASID, 0x1000, Permissions.READ, false), "the PASID cache still holds the entry");
        assertTrue(driver.invalidatePasid(DOMAIN, PASID));
        assertFalse(dma(DEVICE, PASID, 0x1000, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT);
    }
}
