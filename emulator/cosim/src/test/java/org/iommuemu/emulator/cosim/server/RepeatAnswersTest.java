package org.iommuemu.emulator.cosim.server;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest-memory session (the guest's AMD-Vi tables in the client's memory, every fetch a READ round trip) answers
 * on its network thread only repeats of a clean IOTLB hit ({@link RepeatHits}, docs/protocol.md 1). The network
 * thread can never wait for the peer: a request it took on that then needed a READ would end the session as an
 * emulator bug. So after everything that can make a repeated request walk again (its IOTLB entry evicted by other
 * requests' walks, the guest's invalidation after a remap) the session must still answer every request, and answer
 * it from a fresh walk.
 */
class RepeatAnswersTest
{
    private static final String SCENARIO = "name: repeats\nplatform:\n  iommu: amdvi\n";
    private static final int DEVICE = 0x0100;
    private static final int DOMAIN = 1;
    private static final long IOVA = 0x1_0000_0000L;
    private static final long SPA = 0x8000_0000L;
    private static final long OTHER_SPA = 0xC000_0000L;

    @Test
    void repeatsAreAnsweredInlineAndWhatMakesThemWalkSendsThemBackToTheModelThread() throws Exception
    {
        try (Loopback loop = new Loopback(SCENARIO); GuestSide guest = new GuestSide(loop, AmdViRegisters.SIZE))
        {
            final AmdViDriver driver = new AmdViDriver(guest.port, guest.memory, AmdViDriver.Layout.DEFAULT).bringUp();
            final PageTable domain = driver.newDomain(3);
            assertEquals(MapStatus.OK, domain.map(IOVA, SPA, 16L << 20, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            driver.attach(DEVICE, domain, DOMAIN, true, true);
            final long x = IOVA + 0x5000;

            // The first request walks (READs of the guest's tables); its repeats hit, most of them answered inline.
            assertFalse(iotlbHit(translate(guest, x, SPA + 0x5000)));
            final long readsAfterWalk = guest.client.memoryReads();
            for (int i = 0; i < 30; i++)
            {
                assertTrue(iotlbHit(translate(guest, x + (i & 0xF) * 8, SPA + 0x5000 + (i & 0xF) * 8)));
            }
            assertEquals(readsAfterWalk, guest.client.memoryReads(), "the repeats read no guest memory");
            final long inlineAfterRepeats = guest.inlineAnswers();
            assertTrue(inlineAfterRepeats >= 10, "repeats answered inline: " + inlineAfterRepeats);

            // 2048 other pages walked: x's IOTLB entry (512 entries, 4 ways) is gone, and x walks again, through the
            // model thread (on the network thread its READ would have ended the session).
            for (int page = 16; page < 16 + 2048; page++)
            {
                translate(guest, IOVA + ((long)page << 12), SPA + ((long)page << 12));
            }
            Thread.sleep(5);
            final long reads = guest.client.memoryReads();
            assertFalse(iotlbHit(translate(guest, x, SPA + 0x5000)), "x was evicted");
            assertTrue(guest.client.memoryReads() > reads, "x walked again");
            for (int i = 0; i < 10; i++)
            {
                assertTrue(iotlbHit(translate(guest, x, SPA + 0x5000)));
            }

            // The guest remaps x and invalidates it (MMIO: the command buffer's tail): the next request for x walks to
            // the new page, through the model thread.
            assertEquals(MapStatus.OK, domain.unmap(x, 0x1000));
            assertEquals(MapStatus.OK, domain.map(x, OTHER_SPA, 0x1000, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            driver.invalidatePages(DOMAIN, x, 0x1000);
            Thread.sleep(5); // the model thread idle: the network thread would take a repeat
            final long readsBeforeRemapped = guest.client.memoryReads();
            assertFalse(iotlbHit(translate(guest, x, OTHER_SPA)));
            assertTrue(guest.client.memoryReads() > readsBeforeRemapped, "the remapped x walked");
            for (int i = 0; i < 10; i++)
            {
                assertTrue(iotlbHit(translate(guest, x, OTHER_SPA)));
            }
            assertTrue(guest.inlineAnswers() > inlineAfterRepeats, "repeats after the remap answered inline too");
            assertFalse(loop.log.stream().anyMatch(line -> line.contains("emulator bug")), String.join("\n", loop.log));
        }
    }

    /**
     * VT-d the same way: the guest's intel-iommu-like driver ({@link VtdCosimTest.Guest}: root and context tables,
     * queued invalidation, 2 MiB pages) in remote memory; repeats answered inline, and after a remap with a
     * page-selective IOTLB invalidation (the invalidation queue's tail register) the next request walks to the new page.
     */
    @Test
    void vtdRepeatsAreAnsweredInlineUntilTheGuestInvalidates() throws Exception
    {
        try (Loopback loop = new Loopback(VtdCosimTest.SCENARIO); GuestSide guest = new GuestSide(loop, 0x1000))
        {
            final VtdCosimTest.Guest g = new VtdCosimTest.Guest(guest.port, guest.memory);
            final int device = VtdCosimTest.DEVICE;
            final long x = VtdCosimTest.IOVA + 0x1240;
            final long spa = VtdCosimTest.SPA + 0x1240;
            assertFalse(iotlbHit(translate(guest, device, x, spa)));
            for (int i = 0; i < 20; i++)
            {
                assertTrue(iotlbHit(translate(guest, device, x, spa)));
            }
            final long inlineAfterRepeats = guest.inlineAnswers();
            assertTrue(inlineAfterRepeats >= 5, "repeats answered inline: " + inlineAfterRepeats);

            final long otherSpa = VtdCosimTest.SPA + (64L << 20);
            assertEquals(MapStatus.OK, g.domain.unmap(VtdCosimTest.IOVA, 2L << 20));
            assertEquals(MapStatus.OK, g.domain.map(VtdCosimTest.IOVA, otherSpa, 2L << 20, Permissions.READ_WRITE,
                PageSizePolicy.X86_SIZES));
            assertTrue(g.driver.invalidateIotlbPages(VtdCosimTest.DOMAIN, VtdCosimTest.IOVA, 9));
            // Let the model thread go idle, so that the network thread would take the next request if it were a repeat.
            Thread.sleep(5);
            final long reads = guest.client.memoryReads();
            assertFalse(iotlbHit(translate(guest, device, x, otherSpa + 0x1240)));
            assertTrue(guest.client.memoryReads() > reads, "the remapped page walked");
            for (int i = 0; i < 20; i++)
            {
                assertTrue(iotlbHit(translate(guest, device, x, otherSpa + 0x1240)));
            }
            assertTrue(guest.inlineAnswers() > inlineAfterRepeats, "repeats after the remap answered inline too");
            assertFalse(loop.log.stream().anyMatch(line -> line.contains("emulator bug")), String.join("\n", loop.log));
        }
    }

    private static Ats translate(final GuestSide guest, final long address, final long expected)
    {
        return translate(guest, DEVICE, address, expected);
    }

    private static Ats translate(final GuestSide guest, final int device, final long address, final long expected)
    {
        final Ats answer = guest.client.translate(CosimClient.Translation.of(device, address, false));
        assertEquals(AtsLayout.RESULT_OK, answer.result(), answer::describe);
        assertEquals(expected, answer.address(), answer::describe);
        return answer;
    }

    private static boolean iotlbHit(final Ats answer)
    {
        return TranslateWords.outcomeIotlbHit(answer.reserved(0));
    }
}
