package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.AtsInvalidateCompletion;
import org.iommuemu.tlp.AtsInvalidateRequest;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TextTraceWriter;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.iommuemu.emulator.replay.ScenarioErrors.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, page requests and ATS invalidation messages in replay. The bundled vtd-pri (a device with ATS and PRI
 * faulting its pages in on demand) is checked page by page: the first Translation Request of a page gets no
 * translation, its Page Request is queued and the OS maps the page and answers the group, the retried Translation
 * Request gets the page, and an unmap sends the device an ATS Invalidate Request. Variants: the queue serviced only by
 * the timeline, so it overflows and the hardware answers what it cannot queue; a requester without PRE; and a trace's
 * Invalidate Request and Completions matched by ITag.
 */
class VtdPageRequestReplayTest
{
    private static final long R_W = TranslationCompletionEntry.R | TranslationCompletionEntry.W;

    @TempDir
    Path folder;

    /** Per page: what its Translation Requests got, counted. */
    private static final class Pages
    {
        final Set<Long> faulted = new HashSet<>();
        long noTranslation;
        long translated;
        long queued;
        long overflowed;
        long translatedWrites;
    }

    private static ResultSink pageCheck(final Pages pages, final boolean everyRetrySucceeds)
    {
        return record ->
        {
            if (record.trafficClass() == TrafficClass.MESSAGE)
            {
                final MessageResult result = record.messageResult();
                if (result == MessageResult.PAGE_REQUEST_QUEUED)
                {
                    pages.queued++;
                }
                else
                {
                    assertTrue(result == MessageResult.PAGE_REQUEST_OVERFLOW_RESPONDED, "TLP " + record.index() + ": " + result);
                    pages.overflowed++;
                }
                return;
            }
            assertEquals(TrafficClass.DMA, record.trafficClass());
            assertTrue(record.outcome().isOk(), () -> "TLP " + record.index() + " " + record.outcome());
            final long page = record.request().address() & ~0xFFFL;
            if (record.request().addressType() == AddressType.TRANSLATED)
            {
                pages.translatedWrites++;
                return;
            }
            assertEquals(AddressType.TRANSLATION_REQUEST, record.request().addressType());
            final long entry = record.outcome().completionEntry();
            if (pages.faulted.add(page))
            {
                assertEquals(0, entry & R_W, "TLP " + record.index() + ": the first request for a page finds nothing");
                pages.noTranslation++;
            }
            else if ((entry & R_W) == R_W)
            {
                assertEquals(page, entry & TranslationCompletionEntry.ADDRESS_MASK, "identity, 4 KiB");
                pages.translated++;
            }
            else
            {
                assertTrue(!everyRetrySucceeds, "TLP " + record.index() + ": the retry after the page request finds the page");
                pages.noTranslation++;
            }
        };
    }

    @Test
    void aDeviceFaultsItsPagesInOnDemand() throws IOException
    {
        final Pages pages = new Pages();
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("vtd-pri"), pageCheck(pages, true));
        final long faulted = pages.faulted.size();
        assertTrue(faulted > 200, "pages: " + faulted);
        assertEquals(faulted, pages.noTranslation, "one failed translation per page");
        assertEquals(faulted, pages.translated, "one successful retry per page");
        assertEquals(faulted, pages.queued);
        assertTrue(pages.translatedWrites > 5000);
        final ReplayStatistics s = result.statistics();
        assertEquals(faulted, (long)s.messageResults().get("page-request-queued"));
        final Platform.MessageCounts sent = s.messagesSent();
        assertEquals(faulted, sent.pagesFaultedIn());
        assertEquals(faulted, sent.prgResponses(), "the OS answers every group");
        assertEquals(0, sent.prgResponsesByHardware());
        assertEquals(1, sent.atsInvalidateRequests(), "the unmap at TLP 5000 invalidates the device's TLB");
        assertEquals(0, s.faults());
    }

    @Test
    void aQueueTheOsDoesNotServiceInTimeOverflowsAndTheHardwareAnswers() throws IOException
    {
        final String yaml = TdxSeamcallReplayTest.bundledText("vtd-pri")
            .replace("page-requests: {queue-pages: 1, service: immediate}", "page-requests: {queue-pages: 1, service: timeline}")
            .replace("timeline:\n", "timeline:\n  - {at: 3000, action: service-page-requests}\n");
        final Pages pages = new Pages();
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(yaml), "slow.yaml", null),
            pageCheck(pages, false));
        assertEquals(2 * 127, pages.queued, "one page of 32-byte descriptors holds 127 (the ring keeps one slot free), filled " +
            "before and after the service");
        assertTrue(pages.overflowed > 20, "overflowed: " + pages.overflowed);
        assertEquals(pages.faulted.size(), pages.queued + pages.overflowed, "one page request per page");
        final Platform.MessageCounts sent = result.statistics().messagesSent();
        assertEquals(pages.overflowed, sent.prgResponsesByHardware(), "each overflowed group answered by the hardware");
        assertEquals(127, sent.pagesFaultedIn(), "the OS serviced the queue once, at TLP 3000");
        assertTrue(pages.noTranslation > pages.faulted.size(), "retries after an overflow find no page");
        final List<Boolean> overflowEvents = result.events().stream().filter(PlatformEvent.PageRequestOverflow.class::isInstance)
            .map(e -> ((PlatformEvent.PageRequestOverflow)e).set()).toList();
        assertEquals(List.of(true, false, true), overflowEvents, "overflow, cleared by the service at 3000, overflow again");
    }

    @Test
    void aRequesterWithoutPreIsAnsweredInvalidRequest() throws IOException
    {
        final String yaml = TdxSeamcallReplayTest.bundledText("vtd-pri").replace("    pri: true\n", "");
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(yaml), "nopri.yaml", null),
            ResultSink.NONE);
        final long invalid = result.statistics().messageResults().get("page-request-invalid");
        assertTrue(invalid > 200);
        assertEquals(invalid, result.statistics().messagesSent().prgResponsesByHardware());
        assertEquals(0, result.statistics().messagesSent().pagesFaultedIn());
    }

    @Test
    void aTracesInvalidateRequestsAndCompletionsAreMatchedByItag() throws IOException
    {
        final Path trace = folder.resolve("inv.txt");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final TraceRecord record = new TraceRecord();
        try (TextTraceWriter out = new TextTraceWriter(trace, false))
        {
            buffer.setMemory(0, 64, (byte)0);
            new AtsInvalidateRequest().wrap(buffer, 0).initialise().requesterId(0).destinationId(0x1000);
            new AtsInvalidateRequest().wrap(buffer, 0).itag(3).range(0x1_0000_0000L, 4096, false);
            out.write(record.set(1, TraceRecord.NANOSECONDS, Direction.DOWNSTREAM, 0).ide(false, false, 0)
                .tlpBytes(false, buffer, 0, 24, 24));
            for (final int vector : new int[] {1 << 3, 1 << 3, 1})
            {
                buffer.setMemory(0, 64, (byte)0);
                new AtsInvalidateCompletion().wrap(buffer, 0).initialise().requesterId(0x1000).destinationId(0);
                new AtsInvalidateCompletion().wrap(buffer, 0).completionCount(1).itagVector(vector);
                out.write(record.set(2, TraceRecord.NANOSECONDS, Direction.UPSTREAM, 0).ide(false, false, 0)
                    .tlpBytes(false, buffer, 0, 16, 16));
            }
        }
        // The platform's own Invalidate Request (the unmap before the first TLP) takes ITag 0 of 10:00.0.
        final String yaml = TdxSeamcallReplayTest.bundledText("vtd-pri").replace("{at: 5000, action: unmap", "{at: 0, action: unmap");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "inv.yaml", null);
        final List<String> outcomes = new ArrayList<>();
        try (TraceReader reader = TraceFiles.open(trace, ErrorPolicy.STOP))
        {
            new Replay(Platform.build(scenario)).run(reader, r -> outcomes.add(r.outcomeLabel()), Replay.ProgressListener.NONE);
        }
        assertEquals(List.of("downstream", "ats-invalidation-completed", "ats-invalidation-unexpected", "ats-invalidation-completed"),
            outcomes, "ITag 3 from the trace's request, once; ITag 0 from the platform's own");
    }

    @Test
    void badPageRequestInputIsAScenarioError()
    {
        final String base = TdxSeamcallReplayTest.bundledText("vtd-pri");
        assertError(base.replace("queue-pages: 1,", "queue-pages: 3,"), "page-requests:", "platform.page-requests.queue-pages", "128");
        assertError(base.replace("service: immediate", "service: never"), "page-requests:", "platform.page-requests.service", "never");
        assertError(base.replace("    ats: true\n", ""), "pri: true", "devices[0].pri", "ats");
        assertError(base.replace("  mode: scalable\n", "").replace("    stage: first\n", "")
                .replace("    pasids:\n      - {pasid: 1, domain: 11}\n", ""),
            "page-requests:", "platform.page-requests", "scalable");
    }
}
