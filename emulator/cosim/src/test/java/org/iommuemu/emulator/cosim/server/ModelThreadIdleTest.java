package org.iommuemu.emulator.cosim.server;

import java.util.concurrent.locks.LockSupport;

import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The idle model thread of a session (serve --idle-poll): whether it polls for its next request or sleeps until woken,
 * every request of a guest-memory session is answered, through the model thread, whatever the pause before it.
 */
class ModelThreadIdleTest
{
    /** A guest-driven session whose guest has not enabled its IOMMU: every translation passes through. */
    private static final String GUEST = "platform:\n  iommu: amdvi\ncosim:\n  translation-requester: 0x100\n";

    @ParameterizedTest
    @ValueSource(ints = {0, 200, ServerOptions.DEFAULT_IDLE_POLL_MICROS})
    void requestsAfterShortAndLongPausesAreAnswered(final int idlePollMicros) throws Exception
    {
        final int count = 60;
        try (Loopback loop = new Loopback(Loopback.scenario(GUEST), ServerOptions.defaults().withAddress("127.0.0.1", 0)
            .withIdlePollMicros(idlePollMicros)))
        {
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(CosimClient.ALL_CAPABILITIES);
                for (int i = 0; i < count; i++)
                {
                    // Back to back, then a pause beyond any poll (the model thread asleep) and one of 0.3 ms.
                    if (i == 20)
                    {
                        Thread.sleep(5);
                    }
                    else if (i == 40)
                    {
                        LockSupport.parkNanos(300_000);
                    }
                    final long address = 0x1_0000_0000L + ((long)i << 12);
                    final Ats request = Ats.request().address(address).length(8).attributes(AtsLayout.ATTR_READ);
                    request.id(i).dev(4);
                    peer.send(request);
                    final Ats answer = assertInstanceOf(Ats.class, peer.receive());
                    assertEquals(i, answer.id());
                    assertEquals(AtsLayout.RESULT_OK, answer.result());
                    assertEquals(address, answer.address());
                }
            }
            loop.awaitEnded(1);
            assertEquals(0, loop.json.get(0).at("/cosim/answered_inline").asLong(), "a guest-memory session never answers inline");
            assertEquals(count, loop.json.get(0).at("/replay/traffic/dma_requests").asLong());
        }
    }

    @Test
    void aNegativePollIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.defaults().withIdlePollMicros(-1));
    }
}
