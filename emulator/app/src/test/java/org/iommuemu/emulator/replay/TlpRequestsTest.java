package org.iommuemu.emulator.replay;

import java.io.IOException;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.TlpError;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TLP conversion's handling of the reserved AT value 11 in flit mode (the non-flit case: ReplayAccountingTest). */
class TlpRequestsTest
{
    @Test
    void aFlitRequestWithTheReservedAtValueIsUntranslatedAndSaysSo() throws IOException
    {
        final DmaRequest request = new DmaRequest();
        final TraceRecord copy = new TraceRecord();
        try (GeneratedTraceReader reader = new GeneratedTraceReader(ScenarioReader.bundled("vtd-flit").traffic()))
        {
            TraceRecord source = null;
            while (source == null && reader.next())
            {
                final TraceRecord record = reader.record();
                if (record.tlp().isFlit() && TlpRequests.toRequest(record, request) == TrafficClass.DMA &&
                    request.addressType() == AddressType.UNTRANSLATED)
                {
                    source = record;
                }
            }
            assertTrue(source != null, "vtd-flit's traffic has flit memory requests");
            assertFalse(request.reservedAt(), "AT 00");
            final byte[] bytes = new byte[source.capturedLength()];
            source.buffer().getBytes(source.tlpOffset(), bytes);
            copy.set(source.timestamp(), source.timestampExponent(), source.direction(), 0)
                .tlpBytes(true, new UnsafeBuffer(bytes), 0, bytes.length, bytes.length);
            assertEquals(TlpError.NONE, copy.decode());
            copy.tlp().flitHeader().at(3);
            assertEquals(3, copy.tlp().flitHeader().at());
            assertEquals(TrafficClass.DMA, TlpRequests.toRequest(copy, request));
            assertTrue(request.reservedAt());
            assertEquals(AddressType.UNTRANSLATED, request.addressType());
            assertEquals(TrafficClass.DMA, TlpRequests.toRequest(source, request));
            assertFalse(request.reservedAt(), "a reused request does not keep the flag");
        }
    }
}
