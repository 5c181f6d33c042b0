package org.iommuemu.emulator.cosim.server;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.RemotePortEncoder;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ATS_REQs that the network thread answers itself (docs/protocol.md 1): a session whose model never needs the peer
 * (the scenario's own memory, wire interrupts) answers a single outstanding request on the event loop, with exactly
 * the answers, completion times and statistics of the model thread; requests and responses keep their order when
 * queued requests and inline answers alternate; a session whose model may need the peer (here for its MSI writes)
 * answers inline only repeats of a clean IOTLB hit ({@link RepeatHits}), again exactly as its model thread does.
 */
class InlineAnswersTest
{
    private static final long IOVA = 0x1_0000_0000L;
    private static final long SPA = 0x8000_0000L;

    /** The scenario's own tables: 64 MiB at IOVA in 4 KiB pages (so that some requests walk), interrupts as given. */
    private static String scenario(final String interrupts)
    {
        return String.join("\n", "name: inline", "platform:", "  iommu: amdvi", "cosim:", "  setup: scenario",
            "  interrupts: " + interrupts, "domains:",
            "  - {id: 1, levels: 3, policy: forced-4k, mappings: [{iova: 0x100000000, spa: 0x80000000, size: 64M}]}",
            "devices:", "  - {requester: 0x100, domain: 1}", "");
    }

    private static Ats request(final int id, final long offset, final long timestamp)
    {
        final Ats ats = Ats.request().address(IOVA + offset).length(8).attributes(AtsLayout.ATTR_READ);
        ats.timestamp(timestamp);
        ats.id(id).dev(4);
        return ats;
    }

    /** One request at a time; each answer as text (address, length, permissions, completion time, the outcome words). */
    private static List<String> singleRequests(final String yaml, final boolean inline, final int count, final ObjectNode[] json)
        throws Exception
    {
        final List<String> answers = new ArrayList<>();
        try (Loopback loop = new Loopback(Loopback.scenario(yaml), ServerOptions.defaults().withAddress("127.0.0.1", 0)
            .withInlineAnswers(inline)))
        {
            try (RawPeer peer = new RawPeer(loop.address))
            {
                peer.handshake(CosimClient.ALL_CAPABILITIES);
                for (int i = 0; i < count; i++)
                {
                    // 8 pages revisited in turn, and a new page every 16th request: IOTLB hits and walks.
                    final long offset = (i % 16 == 15 ? 64 + i : i & 7) << 12;
                    peer.send(request(i, offset, 1000L * i));
                    final Ats answer = assertInstanceOf(Ats.class, peer.receive());
                    assertEquals(i, answer.id());
                    assertEquals(AtsLayout.RESULT_OK, answer.result());
                    assertEquals(SPA + offset, answer.address());
                    answers.add(Long.toHexString(answer.address()) + " " + answer.length() + " " + answer.attributes() + " @" +
                        answer.timestamp() + " " + Long.toHexString(answer.reserved(0)) + " " + answer.reserved(1));
                }
            }
            loop.awaitEnded(1);
            json[0] = loop.json.get(0);
        }
        return answers;
    }

    @Test
    void theNetworkThreadAnswersExactlyAsTheModelThreadDoes() throws Exception
    {
        final int count = 400;
        final long inlineAnswers = inlineAnswersEqualToTheModelThreads("wire", count);
        // The first requests may find the model thread still building the platform or not yet idle: most, not all.
        assertTrue(inlineAnswers >= count / 2 && inlineAnswers <= count, "inline answers: " + inlineAnswers);
    }

    /**
     * MSI writes may need the peer's answer, so a session with them answers inline only a repeat of a request that hit
     * the IOTLB cleanly with nothing else carried out since; its answers and statistics are still those of its model
     * thread alone.
     */
    @Test
    void aSessionThatMayNeedThePeerAnswersCleanRepeatsExactlyAsItsModelThreadDoes() throws Exception
    {
        final int count = 400;
        final long inlineAnswers = inlineAnswersEqualToTheModelThreads("msi-write", count);
        // Eight pages revisited in turn, every 16th request a new page's walk, which forgets the repeats: of each 16
        // requests, the walk and the first visit of each of the eight pages after it go through the model thread, the
        // other seven may be answered inline.
        assertTrue(inlineAnswers > count / 16 && inlineAnswers <= 7L * count / 16, "inline answers: " + inlineAnswers);
    }

    /**
     * The same single requests to a session with inline answers and to one without (--no-inline-answers, the
     * reference: every request through the model thread): the same answers, completion times and replay statistics,
     * some requests walking. Returns how many the first answered inline.
     */
    private static long inlineAnswersEqualToTheModelThreads(final String interrupts, final int count) throws Exception
    {
        final ObjectNode[] inline = new ObjectNode[1];
        final ObjectNode[] queued = new ObjectNode[1];
        final List<String> answeredInline = singleRequests(scenario(interrupts), true, count, inline);
        final List<String> answeredByModel = singleRequests(scenario(interrupts), false, count, queued);
        assertEquals(answeredByModel, answeredInline);
        assertEquals(List.of(), ResultsSchema.validate(inline[0]), inline[0].toPrettyString());
        assertEquals(0, queued[0].at("/cosim/answered_inline").asLong(), queued[0].get("cosim").toString());
        for (final String key : List.of("traffic", "dma", "faults", "caches", "walks"))
        {
            assertEquals(queued[0].at("/replay/" + key), inline[0].at("/replay/" + key), key);
        }
        assertTrue(inline[0].at("/replay/walks/requests").asLong() > 0, "some requests walked: " + inline[0].get("replay"));
        return inline[0].at("/cosim/answered_inline").asLong();
    }

    @Test
    void queuedRequestsAndInlineAnswersKeepTheirOrder() throws Exception
    {
        try (Loopback loop = new Loopback(scenario("wire")); RawPeer peer = new RawPeer(loop.address))
        {
            peer.handshake(CosimClient.ALL_CAPABILITIES);
            int id = 0;
            for (int round = 0; round < 300; round++)
            {
                // A register read (always the model thread's), then a translation in a packet of its own, which the
                // network thread answers when the model thread is idle by then: the answers come in request order.
                final BusAccess read = BusAccess.read().address(AmdViRegisters.CONTROL).length(8).streamWidth(8);
                read.id(id++).dev(1);
                peer.send(read);
                final long offset = (round & 31) << 12;
                peer.send(request(id++, offset, 0));
                final RpPacket first = peer.receive();
                final RpPacket second = peer.receive();
                assertEquals(id - 2, first.id(), "the register read is answered first");
                assertEquals(RemotePort.RESP_OK, assertInstanceOf(BusAccess.class, first).responseCode());
                assertEquals(id - 1, second.id());
                assertEquals(SPA + offset, assertInstanceOf(Ats.class, second).address());
            }
            // A burst in one write: answered in order, every address right.
            final ByteBuf buf = Unpooled.buffer();
            final int first = id;
            for (int i = 0; i < 200; i++)
            {
                RemotePortEncoder.encode(request(id++, (i & 63) << 12, 0), buf);
            }
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
            peer.sendBytes(bytes.toByteArray());
            for (int i = 0; i < 200; i++)
            {
                final Ats answer = assertInstanceOf(Ats.class, peer.receive());
                assertEquals(first + i, answer.id());
                assertEquals(SPA + ((i & 63) << 12), answer.address());
            }
        }
    }

    @Test
    void sessionsAnsweredOnTheOneNetworkThreadAtOnceStayApart() throws Exception
    {
        final int sessions = 4;
        final int count = 500;
        try (Loopback loop = new Loopback(scenario("wire")))
        {
            final ExecutorService peers = Executors.newFixedThreadPool(sessions);
            try
            {
                final List<Future<Integer>> done = new ArrayList<>();
                for (int s = 0; s < sessions; s++)
                {
                    final int session = s;
                    done.add(peers.submit(() ->
                    {
                        try (RawPeer peer = new RawPeer(loop.address))
                        {
                            peer.handshake(CosimClient.ALL_CAPABILITIES);
                            for (int i = 0; i < count; i++)
                            {
                                // Each session its own pages: an answer from another session's state would show.
                                final long offset = ((session * 64L) + (i & 31)) << 12;
                                peer.send(request(i, offset, 0));
                                final Ats answer = assertInstanceOf(Ats.class, peer.receive());
                                assertEquals(i, answer.id());
                                assertEquals(SPA + offset, answer.address());
                            }
                        }
                        return count;
                    }));
                }
                for (final Future<Integer> f : done)
                {
                    assertEquals(count, f.get(60, TimeUnit.SECONDS));
                }
            }
            finally
            {
                peers.shutdownNow();
            }
            loop.awaitEnded(sessions);
            long inline = 0;
            for (final ObjectNode json : loop.json)
            {
                assertEquals(count, json.at("/replay/traffic/dma_requests").asLong(), json.get("replay").toString());
                inline += json.at("/cosim/answered_inline").asLong();
            }
            assertTrue(inline > 0, "some requests were answered on the network thread");
        }
    }
}
