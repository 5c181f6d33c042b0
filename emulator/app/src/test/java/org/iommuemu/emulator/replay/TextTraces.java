package org.iommuemu.emulator.replay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TextTraceReader;

/** Small text traces for scenario tests: TLP bytes as hex, and a scenario replayed over such a trace. */
final class TextTraces
{
    private TextTraces()
    {
    }

    /** The first {@code length} bytes of {@code buffer} as lowercase hex, as a text trace's {@code tlp=} field takes them. */
    static String hex(final UnsafeBuffer buffer, final int length)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            text.append(String.format("%02x", buffer.getByte(i) & 0xFF));
        }
        return text.toString();
    }

    /** Replay {@code trace} (text format) through the platform {@code yaml} describes; one {@code describe} result per record. */
    static List<String> replay(final String yaml, final String trace, final Function<ReplayRecord, String> describe)
        throws IOException
    {
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "s.yaml", null);
        final List<String> outcomes = new ArrayList<>();
        try (TextTraceReader reader = new TextTraceReader("t.txt", new ByteArrayInputStream(trace.getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.STOP))
        {
            new Replay(Platform.build(scenario)).run(reader, r -> outcomes.add(describe.apply(r)), Replay.ProgressListener.NONE);
        }
        return outcomes;
    }
}
