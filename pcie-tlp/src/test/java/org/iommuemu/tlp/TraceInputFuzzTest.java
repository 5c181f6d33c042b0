package org.iommuemu.tlp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.management.ThreadMXBean;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.nettlp.NetTlpPcapReader;
import org.iommuemu.tlp.qemu.QemuTraceLogReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.PcapngTraceReader;
import org.iommuemu.tlp.trace.TextTraceReader;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceSummary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzz targets of pcie-tlp's input boundaries (docs/reliability.md): the TLP decoder (non-flit and
 * flit), and the pcapng, NetTLP pcap, text and QEMU log readers. In {@code mvn verify} each target runs in
 * regression mode on its committed seeds ({@code src/test/resources/org/iommuemu/tlp/TraceInputFuzzTestInputs/
 * <target>/}) and the empty input; {@code JAZZER_FUZZ=1 mvn -o test -pl pcie-tlp -Dtest=TraceInputFuzzTest#<target>}
 * fuzzes one target for {@link #DURATION}.
 * <p>
 * Invariants checked on every input: the decoder returns an error value and never throws; a reader throws no
 * exception but {@link TraceFormatException} (in stop mode), and in skip-bad mode none at all; every record it
 * returns holds a valid TLP; {@code read = decoded + skipped}; records, skipped and ignored items are no more
 * than the input holds units (bytes of a minimal block, frame or line), so nothing is counted from nothing; the
 * text reader's records plus skipped lines are exactly the input's data lines; and each input costs bounded time
 * and heap ({@link #MAX_NANOS}, {@link #MAX_ALLOCATED}).
 */
class TraceInputFuzzTest
{
    /** How long one fuzzing run of a target lasts (fuzzing mode only). */
    static final String DURATION = "5m";
    /**
     * The most one input may take: inputs are at most a few KiB and the readers' work is linear in them, so this
     * catches hangs and super-linear work; generous, since a fuzzing machine is shared and a stall is not a bug.
     */
    static final long MAX_NANOS = 30_000_000_000L;
    /** The most heap one input may allocate: readers use fixed buffers (64 KiB lines, 1 MiB windows). */
    static final long MAX_ALLOCATED = 32L << 20;

    /** Jazzer's fuzzing mode (bin/fuzz), as opposed to regression mode. */
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty();
    private static final ThreadMXBean THREADS = (ThreadMXBean)ManagementFactory.getThreadMXBean();

    @FuzzTest(maxDuration = DURATION)
    void tlpDecoder(final byte[] data)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        final Tlp tlp = new Tlp();
        for (final int wire : new int[] {data.length, data.length + 64})
        {
            final TlpError error = TlpDecoder.decode(buffer, 0, data.length, wire, tlp);
            assertEquals(error, tlp.error());
            if (TlpError.NONE == error)
            {
                assertTrue(tlp.isValid());
                TlpFormatter.format(tlp, new StringBuilder()); // every decoded TLP can be printed
            }
            else
            {
                // Offsets count from the TLP's first byte on the wire: at most the wire length.
                assertTrue(tlp.errorOffset() >= 0 && tlp.errorOffset() <= Math.max(wire, data.length), "error offset " + tlp.errorOffset());
            }
        }
    }

    @FuzzTest(maxDuration = DURATION)
    void tlpDecoderFlit(final byte[] data)
    {
        final Tlp tlp = new Tlp();
        final TlpError error = TlpDecoder.decodeFlit(new UnsafeBuffer(data), 0, data.length, tlp);
        if (TlpError.NONE == error)
        {
            TlpFormatter.format(tlp, new StringBuilder());
        }
        else
        {
            assertNotEquals(TlpError.NONE, tlp.error());
        }
    }

    @FuzzTest(maxDuration = DURATION)
    void pcapng(final byte[] data) throws IOException
    {
        final long units = data.length / 12 + 1; // a block is at least 12 bytes
        readFile(data, units, (file, policy) -> new PcapngTraceReader(file, policy));
    }

    @FuzzTest(maxDuration = DURATION)
    void netTlp(final byte[] data) throws IOException
    {
        final long units = Math.max(0, data.length - 24) / 16 + 1; // a pcap record header is 16 bytes
        readFile(data, units, (file, policy) -> new NetTlpPcapReader(file, policy));
    }

    @FuzzTest(maxDuration = DURATION)
    void text(final byte[] data) throws IOException
    {
        for (final ErrorPolicy policy : ErrorPolicy.values())
        {
            final TraceSummary summary = read(new TextTraceReader("fuzz.txt", new ByteArrayInputStream(data), policy),
                policy, lines(data), data.length);
            if (summary != null && !summary.stoppedEarly())
            {
                assertEquals(dataLines(data), summary.read(), "every data line is a record or a skipped record");
                assertEquals(0, summary.ignored());
            }
        }
    }

    @FuzzTest(maxDuration = DURATION)
    void qemuLog(final byte[] data) throws IOException
    {
        for (final ErrorPolicy policy : ErrorPolicy.values())
        {
            // A translation line gives two records (request and completion).
            read(new QemuTraceLogReader("fuzz.log", new ByteArrayInputStream(data), policy), policy, 2 * lines(data), data.length);
        }
    }

    @FunctionalInterface
    private interface FileReaderFactory
    {
        TraceReader open(Path file, ErrorPolicy policy) throws IOException;
    }

    private static void readFile(final byte[] data, final long units, final FileReaderFactory factory) throws IOException
    {
        final Path file = Files.createTempFile("iommu-emu-fuzz-", ".bin");
        try
        {
            Files.write(file, data);
            for (final ErrorPolicy policy : ErrorPolicy.values())
            {
                final TraceReader reader;
                try
                {
                    reader = factory.open(file, policy);
                }
                catch (final TraceFormatException badMagic)
                {
                    continue; // the documented error of a file that is not of the format
                }
                read(reader, policy, units, data.length);
            }
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Reads every record, checking the invariants.
     *
     * @param units the most records, skipped records and ignored items the input can hold.
     * @param size  bytes of the input: every error's byte offset lies in it.
     * @return the summary, or null when the reader stopped with the documented error (stop mode).
     */
    private static TraceSummary read(final TraceReader reader, final ErrorPolicy policy, final long units, final long size)
        throws IOException
    {
        final long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        final long started = System.nanoTime();
        long records = 0;
        try (reader)
        {
            while (reader.next())
            {
                assertTrue(reader.record().tlp().isValid(), "a returned record holds a valid TLP");
                assertTrue(++records <= units, "more records than the input holds: " + records);
            }
        }
        catch (final TraceFormatException error)
        {
            if (ErrorPolicy.SKIP_BAD == policy && error.error().isRecoverable())
            {
                fail("skip-bad mode threw for a recoverable error: " + error.getMessage());
            }
            assertTrue(error.byteOffset() >= 0 && error.byteOffset() <= size + TextTraceReader.MAX_LINE,
                "the error's byte offset is in the file: " + error.getMessage());
            if (error.error() != TraceError.LINE_TOO_LONG)
            {
                assertTrue(error.byteOffset() <= size, "the error's byte offset is in the file: " + error.getMessage());
            }
            checkBudget(started, allocatedBefore);
            return null;
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError("undocumented exception from " + reader.source() + ": " + ex, ex);
        }
        final TraceSummary summary = reader.summary();
        assertTrue(summary.balanced(), summary.toString());
        for (final TraceFormatException skipped : summary.firstErrors())
        {
            assertTrue(skipped.byteOffset() >= 0 && (skipped.byteOffset() <= size ||
                skipped.error() == TraceError.LINE_TOO_LONG), "in the file: " + skipped.getMessage());
        }
        assertEquals(records, summary.decoded(), "decoded = records returned");
        assertTrue(summary.read() + summary.ignored() <= units, "counted from nothing: " + summary + " of " + units + " units");
        checkBudget(started, allocatedBefore);
        return summary;
    }

    private static void checkBudget(final long started, final long allocatedBefore)
    {
        final long nanos = System.nanoTime() - started;
        final long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
        assertTrue(nanos < MAX_NANOS, "took " + nanos / 1_000_000 + " ms");
        // While fuzzing, Jazzer's comparison hooks allocate in the instrumented code: there libFuzzer's RSS limit
        // bounds memory, and the heap budget applies in regression mode (mvn verify) only.
        assertTrue(FUZZING || allocated < MAX_ALLOCATED, "allocated " + allocated + " bytes");
    }

    /** Lines of the input (the last may lack its newline). */
    private static long lines(final byte[] data)
    {
        long lines = 1;
        for (final byte b : data)
        {
            lines += b == '\n' ? 1 : 0;
        }
        return lines;
    }

    /** Lines that are neither blank (spaces and tabs) nor comments: the text reader's records. */
    private static long dataLines(final byte[] data)
    {
        long count = 0;
        int start = 0;
        for (int i = 0; i <= data.length; i++)
        {
            if (i == data.length || data[i] == '\n')
            {
                int end = i;
                if (end > start && data[end - 1] == '\r')
                {
                    end--;
                }
                int first = start;
                while (first < end && (data[first] == ' ' || data[first] == '\t'))
                {
                    first++;
                }
                if (first < end && data[first] != '#')
                {
                    count++;
                }
                start = i + 1;
            }
        }
        return count;
    }
}
