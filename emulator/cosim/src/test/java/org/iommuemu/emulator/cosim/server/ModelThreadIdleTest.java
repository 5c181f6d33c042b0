package org.iommuemu.emulator.cosim.server;

import java.util.concurrent.locks.LockSupport;

import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The idle model thread of a session (serve --idle-poll) and the network thread's wait for a lone request's answer
 * (serve --answer-wait): whether the model thread polls for its next request or sleeps until woken, and whether the
 * network thread waits for the answer or is woken for it, every request of a guest-memory session is answered, through
 * the model thread, in order, whatever the pause before it.
 */
class ModelThreadIdleTest
{
    /** A guest-driven session whose guest has not enabled its IOMMU: every translation passes through. */
    private static final String GUEST = "platform:\n  iommu: amdvi\ncosim:\n  translation-requester: 0x100\n";

    @ParameterizedTest
    @CsvSource({"0, 0", "0, 50", "200, 0", "200, 50", "1000, 0", "1000, 50", "1000, 1000"})
    void requestsAfterShortAndLongPausesAreAnswered(final int idlePollMicros, final int answerWaitMicros) throws Exception
    {
        final int count = 60;
        try (Loopback loop = new Loopback(Loopback.scenario(GUEST), ServerOptions.defaults().withAddress("127.0.0.1", 0)
            .withIdlePollMicros(idlePollMicros).withAnswerWaitMicros(answerWaitMicros)))
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
            final long awaited = loop.json.get(0).at("/cosim/answers_awaited").asLong();
            if (answerWaitMicros == 0)
            {
                assertEquals(0, awaited, "the network thread never waits with --answer-wait 0");
            }
            else
            {
                assertTrue(awaited <= count, "at most one wait per request: " + awaited);
            }
            if (answerWaitMicros >= 1000)
            {
                // Sixty lone requests, each answered by the model thread in microseconds: a millisecond's wait
                // catches the answer of nearly all of them (the one after the 5 ms pause wakes a sleeping thread).
                assertTrue(awaited > count / 2, "the network thread wrote " + awaited + " of " + count + " answers itself");
            }
        }
    }

    @Test
    void aNegativePollIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.defaults().withIdlePollMicros(-1));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, ServerOptions.MAX_ANSWER_WAIT_MICROS + 1})
    void anAnswerWaitOutsideItsRangeIsRefused(final int micros)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> ServerOptions.defaults().withAnswerWaitMicros(micros));
        assertTrue(e.getMessage().contains("--answer-wait " + micros), e.getMessage());
    }
}
