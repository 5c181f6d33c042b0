package org.iommuemu.emulator.vtd;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tdx.DmaOutcome;
import org.iommuemu.tdx.MachineCheckRecord;
import org.iommuemu.tdx.PageInfo;
import org.iommuemu.tdx.Requester;
import org.iommuemu.tdx.SeamcallResult;
import org.iommuemu.tdx.Tdi;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The TEE-tagged IOTLB of TDX Connect (issue 7): trusted translations are cached under the trusted tag and the TD's
 * trusted DID, stay usable until the TDX module's TLB tracking invalidates them, never serve T=0 requests, survive
 * the VMM's invalidations, and do not cache the TDISP state or the integrity check.
 */
class VtdTrustedIotlbTest extends VtdTdxTestBed
{
    /** The VMM's (untrusted) IOVA over the same TD private page as GPA 0x5000 (for the POISON rule). */
    private static final long ALIAS_IOVA = 0x6000_1000L;

    private PageTable domain;

    /**
     * A TD with private GPAs 0x5000 and 0x6000, its TDI bound and running; the device's VMM domain maps IOVA 0x5000
     * (the same number as the private GPA) to ordinary memory and {@link #ALIAS_IOVA} onto the TD's page at 0x5000.
     */
    private void setUp(final UntrustedDmaRule rule)
    {
        domain = setUpTdAndUnit(rule);
        mapPrivate(0x5000, PRIVATE_PAGES + 0x5000, true);
        mapPrivate(0x6000, PRIVATE_PAGES + 0x6000, true);
        map4k(domain, 0x5000, DATA + 0x5000, 4096, Permissions.READ_WRITE);
        map4k(domain, ALIAS_IOVA, PRIVATE_PAGES + 0x5000, 4096, Permissions.READ_WRITE);
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(tdi));
    }

    @Test
    void aTrustedTranslationIsCachedUnderTheTrustedTagAndDid()
    {
        setUp(UntrustedDmaRule.ABORT);
        final int did = iommu.trustedDomainId(td);
        assertEquals(0x8000 | td.id(), did, "16-bit DIDs: the MSB is the TDX module's");
        assertEquals(0, iommu.iotlb().occupancy());

        assertTrue(trusted(0x5010, false));
        assertOk(PRIVATE_PAGES + 0x5010);
        assertFalse(outcome.iotlbHit(), "first T=1 DMA walks the S-EPT");
        assertEquals(did, outcome.domainId());
        assertEquals(1, iommu.iotlb().occupancy());
        final long tag = iommu.iotlb().tag(slotOfOnlyEntry());
        assertTrue(CacheTag.isTrusted(tag));
        assertEquals(did, CacheTag.domainId(tag));
        assertEquals(DEVICE, CacheTag.requesterId(tag));

        final long hitsBefore = iommu.iotlb().hits();
        assertTrue(trusted(0x5ff8, true));
        assertOk(PRIVATE_PAGES + 0x5ff8);
        assertTrue(outcome.iotlbHit(), "second T=1 DMA to the page hits");
        assertEquals(hitsBefore + 1, iommu.iotlb().hits());
        assertEquals(1, iommu.iotlb().occupancy());

        request.set(DEVICE, 0x5000, false).trusted(true).addressType(AddressType.TRANSLATION_REQUEST);
        assertTrue(iommu.handle(request, outcome));
        assertTrue(outcome.iotlbHit(), "an ATS translation request is answered from the trusted entry");
        assertEquals(PRIVATE_PAGES + 0x5000 | TranslationCompletionEntry.R | TranslationCompletionEntry.W, outcome.completionEntry());
    }

    @Test
    void trustedAndUntrustedRequestsNeverShareAnEntry()
    {
        setUp(UntrustedDmaRule.ABORT);
        // T=0 first: the VMM's translation of IOVA 0x5000 is cached untrusted.
        assertTrue(dma(DEVICE, 0x5000, false));
        assertOk(DATA + 0x5000);
        assertFalse(outcome.iotlbHit());
        assertTrue(dma(DEVICE, 0x5008, false));
        assertTrue(outcome.iotlbHit());

        // T=1 to the same requester and address: the untrusted entry must not answer.
        assertTrue(trusted(0x5000, false));
        assertOk(PRIVATE_PAGES + 0x5000);
        assertFalse(outcome.iotlbHit(), "a T=1 request does not hit the untrusted entry");
        assertTrue(trusted(0x5000, false));
        assertTrue(outcome.iotlbHit());
        assertOk(PRIVATE_PAGES + 0x5000);

        // And T=0 again: the trusted entry (filled last) must not answer either.
        assertTrue(dma(DEVICE, 0x5000, false));
        assertOk(DATA + 0x5000);
        assertTrue(outcome.iotlbHit(), "the untrusted entry is still there");
        assertEquals(2, iommu.iotlb().occupancy());
    }

    @Test
    void anotherTdiOfTheSameTdHasItsOwnEntries()
    {
        setUp(UntrustedDmaRule.ABORT);
        assertTrue(trusted(0x6000, false));
        // Another TDI of the same TD: same trusted DID, but its own entries (the tag carries the requester).
        final Tdi other = connect.addTdi(DEVICE + 1);
        assertEquals(TdiStatus.OK, connect.bind(other, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(other));
        request.set(DEVICE + 1, 0x6000, false).trusted(true);
        assertTrue(iommu.handle(request, outcome));
        assertFalse(outcome.iotlbHit(), "trusted entries are per requester (the IOVA split is per TDI)");
        assertOk(PRIVATE_PAGES + 0x6000);
    }

    @Test
    void aBlockedPageStaysUsableUntilTrackThenIsRefused()
    {
        setUp(UntrustedDmaRule.ABORT);
        td.vcpuEnter(0);
        assertTrue(trusted(0x5000, false));
        assertTrue(trusted(0x6000, false));
        ok(module.rangeBlock(PageInfo.encode(0x5000, 0), TDR, out));

        assertTrue(trusted(0x5000, false), "hardware semantics: the cached translation is used until invalidated");
        assertTrue(outcome.iotlbHit());
        assertOk(PRIVATE_PAGES + 0x5000);

        // The first TRACK (no vCPU of the previous epoch) succeeds and flushes the TD's trusted domain.
        ok(module.track(TDR, out));
        assertEquals(0, iommu.iotlb().occupancy(), "TRACK dropped every trusted entry of the TD");
        assertFalse(trusted(0x5000, false));
        assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
        assertFalse(outcome.iotlbHit());
        assertTrue(trusted(0x6000, false), "an unblocked page is walked and cached again");
        assertFalse(outcome.iotlbHit());
        assertEquals(1, iommu.iotlb().occupancy());

        // A TRACK the module refuses (a vCPU of the previous epoch still runs) invalidates nothing.
        ok(module.rangeBlock(PageInfo.encode(0x6000, 0), TDR, out));
        final SeamcallResult busy = module.track(TDR, out);
        assertEquals(TdxStatus.PREVIOUS_TLB_EPOCH_BUSY, busy.status(), busy::toString);
        assertTrue(trusted(0x6000, false), "the refused TRACK left the stale entry");
        assertTrue(outcome.iotlbHit());
        td.vcpuExit(0);
        ok(module.track(TDR, out));
        assertFalse(trusted(0x6000, false));
        assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
    }

    @Test
    void theBlockSwitchInvalidatesTheBlockedRangeAtBlock()
    {
        config.trustedInvalidation = TrustedInvalidation.BLOCK;
        setUp(UntrustedDmaRule.ABORT);
        assertTrue(trusted(0x5000, false));
        assertTrue(trusted(0x6000, false));
        ok(module.rangeBlock(PageInfo.encode(0x5000, 0), TDR, out));
        assertFalse(trusted(0x5000, false), "no stale hit: BLOCK invalidated the page");
        assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
        assertTrue(trusted(0x6000, false));
        assertTrue(outcome.iotlbHit(), "only the blocked range went");
        ok(module.track(TDR, out));
        assertTrue(trusted(0x6000, false));
        assertTrue(outcome.iotlbHit(), "under BLOCK, TRACK invalidates nothing");
    }

    @Test
    void leavingRunStopsTrustedDmaDespiteCachedTranslations()
    {
        setUp(UntrustedDmaRule.ABORT);
        assertTrue(trusted(0x5000, true));
        assertTrue(trusted(0x5000, false));
        assertTrue(outcome.iotlbHit());

        assertEquals(TdiStatus.OK, connect.error(tdi));
        assertFalse(trusted(0x5000, false));
        assertEquals(TrustedDmaFault.TDX_TDI_NOT_RUN, outcome.fault(), "ERROR: refused although the translation is cached");
        assertEquals(TdiStatus.OK, connect.stop(tdi));
        assertEquals(TdiStatus.OK, connect.unbind(tdi));
        assertFalse(trusted(0x5000, true));
        assertEquals(TrustedDmaFault.TDX_NO_TDI, outcome.fault(), "unbound: refused although the translation is cached");
        assertEquals(1, iommu.iotlb().occupancy(), "the entry is still cached: the TDI check is what refused");

        // Bound and started again to the same TD: the cached translation (still valid, nothing was tracked) hits.
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertTrue(trusted(0x5000, false));
        assertTrue(outcome.iotlbHit());
    }

    @Test
    void theVmmsInvalidationsLeaveTrustedEntriesAlone()
    {
        setUp(UntrustedDmaRule.ABORT);
        final int did = iommu.trustedDomainId(td);
        assertTrue(trusted(0x5000, false));
        assertTrue(dma(DEVICE, 0x5000, false));
        assertEquals(2, iommu.iotlb().occupancy());

        assertTrue(driver.invalidateDevice(DEVICE, DOMAIN), "domain-selective IOTLB invalidation of the VMM's DID");
        assertEquals(1, iommu.iotlb().occupancy());
        assertTrue(driver.invalidateDevice(DEVICE, did), "the VMM naming the trusted DID (MSB set) reaches nothing");
        assertTrue(driver.invalidateIotlbPages(did, 0x5000, 0));
        driver.invalidateAll();
        assertEquals(1, iommu.iotlb().occupancy(), "no VMM invalidation drops the trusted entry");
        assertTrue(trusted(0x5000, false));
        assertTrue(outcome.iotlbHit());
        assertTrue(dma(DEVICE, 0x5000, false));
        assertFalse(outcome.iotlbHit(), "the untrusted entry went");
    }

    @Test
    void integrityIsCheckedOnEveryHit()
    {
        setUp(UntrustedDmaRule.POISON);
        assertTrue(trusted(0x5000, false));
        assertTrue(trusted(0x5000, false));
        assertTrue(outcome.iotlbHit());

        // The VMM's alias of the TD page: under POISON the T=0 write completes and poisons the line.
        request.set(DEVICE, ALIAS_IOVA + 0x40, true).length(8);
        assertTrue(iommu.handle(request, outcome));
        assertTrue(module.integrity().isPoisoned(PRIVATE_PAGES + 0x5040));

        request.set(DEVICE, 0x5040, false).length(8).trusted(true);
        assertFalse(iommu.handle(request, outcome));
        assertTrue(outcome.iotlbHit(), "translated from the cache");
        assertEquals(TrustedDmaFault.TDX_MACHINE_CHECK, outcome.fault(), "the poison is consumed on a hit");
        final DmaOutcome tdxOutcome = iommu.lastTrustedOutcome();
        assertEquals(DmaOutcome.MACHINE_CHECK, tdxOutcome.status());
        assertEquals(MachineCheckRecord.CAUSE_POISON_CONSUMED, tdxOutcome.machineCheck().cause());
        assertEquals(PRIVATE_PAGES + 0x5040, tdxOutcome.machineCheck().address());
        assertEquals(Requester.TRUSTED_DEVICE, tdxOutcome.machineCheck().requesterKind());

        // Another line of the page is clean; a full-line trusted write (a hit) clears the poison.
        request.set(DEVICE, 0x5080, false).length(8).trusted(true);
        assertTrue(iommu.handle(request, outcome));
        assertTrue(outcome.iotlbHit());
        request.set(DEVICE, 0x5040, true).length(64).trusted(true);
        assertTrue(iommu.handle(request, outcome));
        assertTrue(outcome.iotlbHit());
        assertFalse(module.integrity().isPoisoned(PRIVATE_PAGES + 0x5040), "the trusted write on a hit cleared the line");
        request.set(DEVICE, 0x5040, false).length(8).trusted(true);
        assertTrue(iommu.handle(request, outcome));
    }

    @Test
    void withTheSwitchOffNothingIsCached()
    {
        config.trustedIotlb = false;
        setUp(UntrustedDmaRule.ABORT);
        assertTrue(trusted(0x5000, false));
        assertTrue(trusted(0x5000, false));
        assertFalse(outcome.iotlbHit());
        assertEquals(0, outcome.domainId());
        assertEquals(0, iommu.iotlb().occupancy());
        ok(module.rangeBlock(PageInfo.encode(0x5000, 0), TDR, out));
        assertFalse(trusted(0x5000, false), "uncached: BLOCK takes effect for the next trusted DMA");
        assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
        ok(module.track(TDR, out));
        assertEquals(0, iommu.dispatcher().entriesRemoved());
    }

    @Test
    void trustedHitsAndMissesAllocateNothing()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter on this JVM");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        setUp(UntrustedDmaRule.ABORT);
        final long thread = Thread.currentThread().getId();
        long allocated = Long.MAX_VALUE;
        for (int window = 0; window < 20; window++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 2_000; i++)
            {
                assertTrue(trusted(0x5000 + (i & 0xFF0), (i & 1) == 0));
                assertTrue(trusted(0x6000, false));
                assertFalse(trusted(0x9000, false), "a refusal is a value");
                if ((i & 63) == 0 && module.track(TDR, out).status() != TdxStatus.SUCCESS)
                {
                    fail("TRACK failed");   // no assertion message supplier here: it would allocate
                }
            }
            allocated = Math.min(allocated, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, allocated, "bytes allocated by trusted hits, misses, refusals and TRACK invalidations");
    }

    private int slotOfOnlyEntry()
    {
        for (int slot = 0; slot < iommu.iotlb().entries(); slot++)
        {
            if (iommu.iotlb().tag(slot) != 0)
            {
                return slot;
            }
        }
        throw new AssertionError("no entry");
    }
}
