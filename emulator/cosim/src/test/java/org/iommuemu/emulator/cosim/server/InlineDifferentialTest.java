package org.iommuemu.emulator.cosim.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential: a random guest session (AMD-Vi, its tables in the client's memory, every fetch a READ round trip)
 * of translations over a small working set, remaps with and without the guest's invalidation, faults on unmapped
 * pages (event log writes and MSIs), register reads and clock advances, played once with inline answers
 * ({@link RepeatHits}, docs/protocol.md 1) and once with every request through the model thread: every answer (the
 * address, the length, the permissions, the outcome words, the completion time) and everything the guest sees
 * (the emulator's writes to its memory, interrupts, ATS invalidations) must be the same, in the same order.
 */
class InlineDifferentialTest
{
    private static final int DEVICE = 0x0100;
    private static final int DOMAIN = 1;
    private static final long IOVA = 0x1_0000_0000L;
    private static final long SPA = 0x8000_0000L;
    private static final long OTHER_SPA = 0xC000_0000L;
    private static final int PAGES = 12;
    private static final int STEPS = 700;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void theSameSessionGivesTheSameAnswersWithAndWithoutInlineAnswers(final long seed) throws Exception
    {
        final long[] inline = new long[1];
        final List<String> withInline = play(seed, true, inline);
        final List<String> withoutInline = play(seed, false, new long[1]);
        assertEquals(withoutInline.size(), withInline.size());
        for (int i = 0; i < withInline.size(); i++)
        {
            assertEquals(withoutInline.get(i), withInline.get(i), "step " + i + " of seed " + seed);
        }
        assertTrue(inline[0] > 0, "the network thread answered some repeats: " + inline[0]);
    }

    private static List<String> play(final long seed, final boolean inlineAnswers, final long[] inline) throws Exception
    {
        final List<String> seen = new ArrayList<>();
        final ServerOptions options = ServerOptions.defaults().withAddress("127.0.0.1", 0).withInlineAnswers(inlineAnswers);
        try (Loopback loop = new Loopback(Loopback.scenario("name: differential\nplatform:\n  iommu: amdvi\n"), options);
            GuestSide guest = new GuestSide(loop, AmdViRegisters.SIZE))
        {
            guest.port.writeRegister(AmdViRegisters.MSI_ADDRESS_LOW, 4, 0xFEE0_0000L);
            guest.port.writeRegister(AmdViRegisters.MSI_DATA, 4, 0x41);
            final AmdViDriver driver = new AmdViDriver(guest.port, guest.memory, AmdViDriver.Layout.DEFAULT).bringUp();
            final PageTable domain = driver.newDomain(3);
            assertEquals(MapStatus.OK, domain.map(IOVA, SPA, (long)PAGES << 12, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            driver.attach(DEVICE, domain, DOMAIN, true, true);
            guest.takeEvents();
            final boolean[] mapped = new boolean[PAGES];
            final boolean[] moved = new boolean[PAGES];
            Arrays.fill(mapped, true);
            final Random random = new Random(seed);
            for (int step = 0; step < STEPS; step++)
            {
                guest.client.timestamp(1000L * step + random.nextInt(1000));
                final int op = random.nextInt(100);
                final int page = random.nextInt(PAGES);
                final long iova = IOVA + ((long)page << 12);
                final String did;
                if (op < 75)
                {
                    final Ats a = guest.client.translate(CosimClient.Translation.of(DEVICE, iova + 8L * random.nextInt(4),
                        random.nextInt(5) == 0));
                    did = "translate " + Long.toHexString(iova) + ": " + a.result() + " " + Long.toHexString(a.address()) + " " +
                        a.length() + " " + a.attributes() + " @" + a.timestamp() + " " + Long.toHexString(a.reserved(0)) + " " +
                        a.reserved(1) + " " + Long.toHexString(a.reserved(2)) + " " + Long.toHexString(a.reserved(3));
                }
                else if (op < 83)
                {
                    // Remap (or map again) and invalidate the page, as a driver does.
                    if (mapped[page])
                    {
                        assertEquals(MapStatus.OK, domain.unmap(iova, 0x1000));
                    }
                    moved[page] = !moved[page];
                    assertEquals(MapStatus.OK, domain.map(iova, (moved[page] ? OTHER_SPA : SPA) + ((long)page << 12), 0x1000,
                        Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
                    mapped[page] = true;
                    driver.invalidatePages(DOMAIN, iova, 0x1000);
                    did = "remap " + Long.toHexString(iova);
                }
                else if (op < 88)
                {
                    // Unmap without invalidating: the IOTLB may still hold the page (as on hardware).
                    if (mapped[page])
                    {
                        assertEquals(MapStatus.OK, domain.unmap(iova, 0x1000));
                        mapped[page] = false;
                    }
                    did = "unmap " + Long.toHexString(iova);
                }
                else if (op < 94)
                {
                    did = "control " + Long.toHexString(guest.port.readRegister(AmdViRegisters.CONTROL, 8)) + " status " +
                        Long.toHexString(guest.port.readRegister(AmdViRegisters.STATUS, 8));
                }
                else
                {
                    // Read and acknowledge what the event log holds, as the guest's interrupt handler does.
                    final long[] event = new long[2];
                    final StringBuilder events = new StringBuilder("events");
                    while (driver.nextEvent(event))
                    {
                        events.append(' ').append(Long.toHexString(event[0])).append('/').append(Long.toHexString(event[1]));
                    }
                    did = events.toString();
                }
                seen.add(did + " | " + String.join("; ", guest.takeEvents()));
            }
            inline[0] = guest.inlineAnswers();
            assertTrue(loop.log.stream().noneMatch(line -> line.contains("emulator bug")), String.join("\n", loop.log));
        }
        return seen;
    }
}
