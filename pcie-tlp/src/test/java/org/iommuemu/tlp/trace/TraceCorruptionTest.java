package org.iommuemu.tlp.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Corrupted and truncated pcapng files end in a {@link TraceFormatException} (stop mode) or a summary that
 * accounts for every record (skip-bad mode); never in any other exception.
 */
class TraceCorruptionTest
{
    @TempDir
    Path dir;

    @Test
    void shouldFailCleanlyOnRandomCorruption() throws IOException
    {
        final Path clean = dir.resolve("clean.pcapng");
        try (PcapngTraceWriter out = new PcapngTraceWriter(clean, TraceRecord.NANOSECONDS))
        {
            new TraceGenerator(new TraceGenerator.Config().workload(Workload.RANDOM).devices(2).seed(8)
                .pasidFraction(0.5).teeFraction(0.5)).generate(out, 50);
        }
        final byte[] original = Files.readAllBytes(clean);
        final Random random = new Random(0xC0DEL);
        final Path file = dir.resolve("corrupt.pcapng");
        for (int round = 0; round < 300; round++)
        {
            final byte[] bytes = Arrays.copyOf(original, random.nextInt(4) == 0 ?
                random.nextInt(original.length) : original.length);
            final int flips = 1 + random.nextInt(4);
            for (int i = 0; i < flips && bytes.length > 0; i++)
            {
                bytes[random.nextInt(bytes.length)] ^= (byte)(1 << random.nextInt(8));
            }
            Files.write(file, bytes);
            for (final ErrorPolicy policy : ErrorPolicy.values())
            {
                try (TraceReader reader = new PcapngTraceReader(file, policy))
                {
                    long n = 0;
                    while (reader.next())
                    {
                        assertTrue(reader.record().tlp().isValid());
                        n++;
                    }
                    final TraceSummary summary = reader.summary();
                    assertEquals(n, summary.decoded());
                    assertEquals(summary.read(), summary.decoded() + summary.skipped());
                }
                catch (final TraceFormatException expected)
                {
                    assertTrue(expected.byteOffset() >= 0 && expected.byteOffset() <= bytes.length,
                        expected.getMessage());
                }
            }
        }
    }
}
