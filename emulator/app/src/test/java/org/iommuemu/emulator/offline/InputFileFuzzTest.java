package org.iommuemu.emulator.offline;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.management.ThreadMXBean;
import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.config.InputDataException;
import org.iommuemu.emulator.image.DecompressionProgress;
import org.iommuemu.emulator.image.ImageFormatException;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzz targets of the application's input files (docs/reliability.md): scenarios, timing
 * profiles, memory images (raw and compressed) and ELF cores, register values, and requests. Regression mode in
 * {@code mvn verify} runs the committed seeds ({@code src/test/resources/org/iommuemu/emulator/offline/
 * InputFileFuzzTestInputs/<target>/}); {@code bin/fuzz emulator/app InputFileFuzzTest#<target> 5m} fuzzes one.
 * <p>
 * Invariants: no exception but the documented input error of the boundary ({@link ConfigException} for scenarios
 * and profiles, {@link ImageFormatException} for images, {@link InputDataException} or, for a {@code --reg}
 * option, {@link IllegalArgumentException} for register values, {@link InputDataException} for requests), each
 * with a message that names its source; bounded time and heap per input; and a model brought up from fuzzed
 * registers over a fuzzed image answers requests without throwing.
 */
class InputFileFuzzTest
{
    static final String DURATION = "5m";
    /** Catches hangs and super-linear work; generous, since a fuzzing machine is shared and a stall is not a bug. */
    static final long MAX_NANOS = 60_000_000_000L;
    static final long MAX_ALLOCATED = 256L << 20;
    /** Compressed fuzz images decompress to at most this much (the command's cap is a parameter). */
    static final long IMAGE_CAP = 16L << 20;

    /** Jazzer's fuzzing mode (bin/fuzz), as opposed to regression mode. */
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty();
    private static final ThreadMXBean THREADS = (ThreadMXBean)ManagementFactory.getThreadMXBean();

    @FunctionalInterface
    private interface Target
    {
        void run() throws Exception;
    }

    /** Targets run once already in this JVM (see {@link #check}). */
    private static final Set<String> WARM = new HashSet<>();

    /**
     * Runs {@code target} on {@code input}; only {@code documented} exceptions may leave it, with a message naming
     * {@code source} and holding no Java internals (unless the input itself holds those words: messages quote it).
     * The first run of each target in a JVM is repeated unmeasured before the measured one: class loading and, when
     * fuzzing, Jazzer's instrumentation of every class on first use would otherwise count against the time and heap
     * budgets (the first fuzz campaigns reported exactly that, on seed inputs).
     */
    @SafeVarargs
    private static void check(final String name, final byte[] input, final String source, final Target target,
        final Class<? extends Exception>... documented)
    {
        if (WARM.add(name))
        {
            try
            {
                target.run();
            }
            catch (final Exception | AssertionError ignored)
            {
                // the measured run below judges it
            }
        }
        final String text = new String(input, StandardCharsets.ISO_8859_1);
        final long allocated = THREADS.getCurrentThreadAllocatedBytes();
        final long started = System.nanoTime();
        try
        {
            target.run();
        }
        catch (final Exception ex)
        {
            boolean known = false;
            for (final Class<? extends Exception> type : documented)
            {
                known |= type.isInstance(ex);
            }
            if (!known)
            {
                throw new AssertionError("undocumented " + ex, ex);
            }
            assertNotNull(ex.getMessage());
            assertTrue(ex.getMessage().contains(source), "the message names " + source + ": " + ex.getMessage());
            for (final String internal : new String[] {"Exception", "For input string", "exceeds range"})
            {
                assertTrue(!ex.getMessage().contains(internal) || text.contains(internal), "no Java internals: " + ex.getMessage());
            }
        }
        final long nanos = System.nanoTime() - started;
        assertTrue(nanos < MAX_NANOS, "took " + nanos / 1_000_000 + " ms");
        // While fuzzing, Jazzer's comparison hooks allocate in the instrumented code: there libFuzzer's RSS limit
        // bounds memory, and the heap budget applies in regression mode (mvn verify) only.
        assertTrue(FUZZING || THREADS.getCurrentThreadAllocatedBytes() - allocated < MAX_ALLOCATED, "allocated too much");
    }

    @FuzzTest(maxDuration = DURATION)
    void scenario(final byte[] data) throws IOException
    {
        final Path folder = Files.createTempDirectory("iommu-emu-fuzz-");
        try
        {
            check("scenario", data, "fuzz.yaml", () ->
            {
                final Scenario scenario = ScenarioReader.parse(new InputStreamReader(new ByteArrayInputStream(data),
                    StandardCharsets.UTF_8), "fuzz.yaml", folder);
                assertNotNull(scenario.platform());
            }, ConfigException.class);
        }
        finally
        {
            Files.deleteIfExists(folder);
        }
    }

    @FuzzTest(maxDuration = DURATION)
    void timingProfile(final byte[] data)
    {
        check("timingProfile", data, "fuzz-profile.yaml", () -> assertNotNull(TimingProfiles.parse(
            new InputStreamReader(new ByteArrayInputStream(data), StandardCharsets.UTF_8), "fuzz-profile.yaml")), ConfigException.class);
    }

    @FuzzTest(maxDuration = DURATION)
    void memoryImage(final FuzzedDataProvider data) throws IOException
    {
        final long base = data.consumeBoolean() ? 0 : data.consumeLong(0, 1L << 40) & ~0xFFFL;
        // Entry addresses as a walker passes them: 8-byte aligned, below 2^52 (others are a caller's bug).
        final long[] addresses = {data.consumeLong() & 0x000F_FFFF_FFFF_FFF8L, data.consumeLong(0, 1L << 32) & ~7L, base, base + 0x1000};
        image("memoryImage", data.consumeRemainingAsBytes(), base, addresses);
    }

    @FuzzTest(maxDuration = DURATION)
    void elfCore(final byte[] data) throws IOException
    {
        // The ELF magic in front, so every input reaches the ELF loader.
        final byte[] elf = new byte[data.length + 4];
        elf[0] = 0x7F;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        System.arraycopy(data, 0, elf, 4, data.length);
        image("elfCore", elf, 0, new long[] {0, 0x1000, 0x10_0000});
    }

    private static void image(final String name, final byte[] bytes, final long base, final long[] addresses) throws IOException
    {
        final Path file = Files.createTempFile("iommu-emu-fuzz-", ".img");
        try
        {
            Files.write(file, bytes);
            check(name, bytes, file.toString(), () ->
            {
                try (ImageMemory image = ImageMemory.open(file, base, DecompressionProgress.NONE, IMAGE_CAP))
                {
                    for (final long address : addresses)
                    {
                        // A read that is not wholly inside the image is counted (translate then answers no request
                        // from it); a read inside is not.
                        final long before = image.outsideReads();
                        final long value = image.readEntry(address);
                        final boolean covered = image.covers(address, 8);
                        assertEquals(covered ? before : before + 1, image.outsideReads(), () -> "read of 0x" +
                            Long.toHexString(address) + " (0x" + Long.toHexString(value) + ") in " + image.regions());
                    }
                    assertNotNull(image.description());
                }
            }, ImageFormatException.class);
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }

    @FuzzTest(maxDuration = DURATION)
    void registers(final FuzzedDataProvider data) throws IOException
    {
        final String option = data.consumeString(64);
        final byte[] file = data.consumeRemainingAsBytes();
        final Path regs = Files.createTempFile("iommu-emu-fuzz-", ".regs");
        try
        {
            Files.write(regs, file);
            final String source = option.isEmpty() ? regs.toString() : "";
            final byte[] input = (option + new String(file, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
            check("registers", input, source, () ->
            {
                final RegisterValues values = RegisterValues.parse(regs, option.isEmpty() ? List.of() : List.of(option));
                for (final IommuKind kind : IommuKind.values())
                {
                    final SparseMemory memory = new SparseMemory();
                    final OfflineModel model;
                    try
                    {
                        model = kind.factory().create(memory, values);
                    }
                    catch (final IllegalArgumentException | InputDataException refused)
                    {
                        continue; // the documented refusal of register values that cannot be applied
                    }
                    final DmaRequest request = new DmaRequest();
                    final RequestOutcome outcome = new RequestOutcome();
                    for (final long iova : new long[] {0, 0x1000, 0x4000_0000L, -4096L})
                    {
                        request.clear();
                        request.requesterId(0x10).address(iova).access(Permissions.READ);
                        model.port().handle(request, outcome);
                    }
                    model.dumpTables(new PrintWriter(new StringWriter()), -1);
                }
            }, InputDataException.class, IllegalArgumentException.class);
        }
        finally
        {
            Files.deleteIfExists(regs);
        }
    }

    @FuzzTest(maxDuration = DURATION)
    void requests(final byte[] data)
    {
        check("requests", data, "fuzz.csv", () ->
        {
            final RequestReader reader = new RequestReader(new ByteArrayInputStream(data), "fuzz.csv");
            final DmaRequest request = new DmaRequest();
            final String[] echo = new String[RequestReader.COLUMNS.length];
            long requests = 0;
            while (reader.next(request, echo))
            {
                assertTrue(++requests <= data.length, "more requests than bytes");
                assertTrue(request.requesterId() >= 0 && request.requesterId() <= 0xFFFF);
            }
        }, InputDataException.class);
    }
    /** Frames of the hostile-tables target's memory (every frame holds the fuzzed bytes, from where the last one ended). */
    private static final int TABLE_FRAMES = 8;

    /**
     * Hostile translation structures: a model brought up from register values (AMD-Vi: a device table at 0 with a
     * fuzzed size field, control and EFR; VT-d: a root table in one of the frames in legacy or scalable mode, CAP and
     * ECAP the defaults or fuzzed) over memory whose {@value #TABLE_FRAMES} frames hold the fuzzed bytes, most inputs
     * with every entry's address bits folded into those frames so that walks go deep into fuzzed tables (device table
     * and context entries, PASID directories and entries, GCR3 tables, page tables at every level). Then fuzzed
     * requests (any requester, address, access, address type, PASID) and the table dumps. The documented refusal of
     * register values that cannot be applied is allowed at bring-up; after that nothing may throw: a hostile table is
     * a fault, answered as a value, and a dump marks it; an answered translation keeps the request's offset in its page (of
     * 4 KiB or more), and a fault names its kind.
     */
    @FuzzTest(maxDuration = DURATION)
    void tables(final FuzzedDataProvider data)
    {
        final IommuKind kind = data.consumeBoolean() ? IommuKind.AMDVI : IommuKind.VTD;
        final List<String> registers = new ArrayList<>();
        if (kind == IommuKind.AMDVI)
        {
            // Mostly a small device table: the dump reads every entry of it (up to 64 K).
            registers.add("0x0=0x" + Long.toHexString(data.consumeBoolean() ? data.consumeInt(0, 1) : data.consumeInt(0, 0x1FF)));
            registers.add("0x18=0x" + Long.toHexString(data.consumeLong() | 1));
            if (data.consumeBoolean())
            {
                registers.add("0x30=0x" + Long.toHexString(data.consumeLong()));
            }
        }
        else
        {
            if (data.consumeBoolean())
            {
                registers.add("0x8=0x" + Long.toHexString(data.consumeLong()));
            }
            if (data.consumeBoolean())
            {
                registers.add("0x10=0x" + Long.toHexString(data.consumeLong()));
            }
            registers.add("0x20=0x" + Long.toHexString(((long)data.consumeInt(0, TABLE_FRAMES - 1) << 12) |
                (data.consumeBoolean() ? 1L << 10 : 0)));
            registers.add("0x1c=0x" + Long.toHexString(0xC000_0000L | data.consumeInt()));
        }
        final int requests = data.consumeInt(1, 8);
        final DmaRequest[] fuzzed = new DmaRequest[requests];
        for (int i = 0; i < requests; i++)
        {
            final DmaRequest request = new DmaRequest();
            request.requesterId(data.consumeBoolean() ? data.consumeInt(0, 7) : data.consumeInt(0, 0xFFFF))
                .address(data.consumeLong()).access(data.consumeInt(0, Permissions.READ | Permissions.WRITE | Permissions.EXECUTE))
                .addressType(data.pickValue(AddressType.values()));
            if (data.consumeBoolean())
            {
                request.pasid(data.consumeInt(0, 0xF_FFFF));
                request.privileged(data.consumeBoolean());
            }
            fuzzed[i] = request;
        }
        final boolean folded = data.consumeInt(0, 9) != 0;
        final byte[] bytes = data.consumeRemainingAsBytes();
        final byte[] input = (String.join("\n", registers) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        check("tables", input, "--reg", () ->
        {
            final RegisterValues values = RegisterValues.parse(null, registers);
            final SparseMemory memory = new SparseMemory();
            if (bytes.length > 0)
            {
                final int words = TABLE_FRAMES * 4096 / 8;
                for (int w = 0; w < words; w++)
                {
                    long value = 0;
                    for (int b = 0; b < 8; b++)
                    {
                        value |= (bytes[(w * 8 + b) % bytes.length] & 0xFFL) << (8 * b);
                    }
                    if (folded)
                    {
                        // The address field (bits 51:12) into the frames; every other bit as fuzzed.
                        value = (value & ~0x000F_FFFF_FFFF_F000L) | (((value >>> 12) % TABLE_FRAMES) << 12);
                    }
                    memory.writeEntry(w * 8L, value);
                }
            }
            final OfflineModel model;
            try
            {
                model = kind.factory().create(memory, values);
            }
            catch (final IllegalArgumentException refused)
            {
                return; // the documented refusal of register values that cannot be applied (checked by check())
            }
            final RequestOutcome outcome = new RequestOutcome();
            for (final DmaRequest request : fuzzed)
            {
                model.port().handle(request, outcome);
                if (outcome.isOk())
                {
                    assertTrue(outcome.pageSizeLg2() >= 12 && outcome.pageSizeLg2() <= 64, () -> "page size of " + outcome);
                    final long offsetMask = outcome.pageSizeLg2() >= 64 ? -1L : (1L << outcome.pageSizeLg2()) - 1;
                    assertEquals(request.address() & offsetMask, outcome.outputAddress() & offsetMask,
                        () -> "the offset in the page changed: " + request + " -> " + outcome);
                }
                else if (!outcome.interrupt())
                {
                    assertNotNull(outcome.fault(), () -> "a failed request without a fault: " + outcome);
                }
            }
            final StringWriter dump = new StringWriter();
            model.dumpTables(new PrintWriter(dump), -1);
            model.dumpTables(new PrintWriter(dump), fuzzed[0].requesterId());
            assertTrue(dump.getBuffer().length() < (64 << 20), "dump of " + dump.getBuffer().length() + " characters");
        }, IllegalArgumentException.class);
    }
}
