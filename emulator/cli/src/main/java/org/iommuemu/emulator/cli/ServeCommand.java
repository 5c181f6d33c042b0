package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.cosim.server.CosimServer;
import org.iommuemu.emulator.cosim.server.ServerOptions;
import org.iommuemu.emulator.cosim.server.SessionOutputs;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.scenario.Scenario;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code serve}: the co-simulation server (docs/protocol.md) for a QEMU or SystemC peer, or the Java and C clients. */
@Command(
    name = "serve",
    header = "Serve co-simulation sessions to QEMU over a socket.",
    mixinStandardHelpOptions = true,
    description = {
        "Serve the platform a scenario describes to co-simulating peers over remote-port 4.3 (docs/protocol.md): each",
        "connection gets its own platform; by default the guest's own IOMMU driver brings it up through MMIO, its tables",
        "are read from the peer's memory, its MSIs and ATS invalidations go to the peer. Prints where it listens, and each",
        "session's statistics when it ends. Loopback only unless --listen says otherwise. Ctrl-C shuts down gracefully.",
        "Example: serve --scenario my-platform.yaml --listen 127.0.0.1:7575"})
final class ServeCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = {"-s", "--scenario"}, required = true, paramLabel = "SCENARIO",
        description = "Scenario file (YAML) or bundled name: the platform (IOMMU, SNP/TDX, devices, timing profile) and its cosim section.")
    String scenario;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "TCP address to listen on. Default: 127.0.0.1:7575 (port 0: any).")
    String listen;

    @Option(names = "--unix", paramLabel = "PATH",
        description = "Listen on a UNIX domain socket instead (QEMU -machine-path: DIR/qemu-rport-NAME).")
    Path unix;

    @Option(names = "--setup", paramLabel = "WHO",
        description = "guest (the guest brings the IOMMU up; default) or scenario (built as replay builds it).")
    String setup;

    @Option(names = "--channel", paramLabel = "NAME=DEV", split = ",",
        description = "A channel's dev number: mmio, memory, interrupts, translation, tlp (defaults 1-5).")
    List<String> channels = new ArrayList<>();

    @Option(names = "--interrupts", paramLabel = "MODE", description = "wire (INTERRUPT packets; default) or msi-write.")
    String interrupts;

    @Option(names = "--memory", paramLabel = "BACKING",
        description = "remote (every fetch a READ; default) or shared (with --shared-file).")
    String memory;

    @Option(names = "--shared-file", paramLabel = "FILE", description = "The peer's guest RAM file (memory-backend-file,share=on).")
    Path sharedFile;

    @Option(names = "--shared-range", paramLabel = "GPA:OFFSET:SIZE",
        description = "A guest-physical range of the shared file (repeat for q35's RAM below and above 4 GiB).")
    List<String> sharedRanges = new ArrayList<>();

    @Option(names = "--mmio-base", paramLabel = "ADDR", description = "MMIO address of register offset 0. Default 0 (relative addresses).")
    String mmioBase;

    @Option(names = "--sync", paramLabel = "MODE", description = "free-running (default) or lock-step (docs/protocol.md 8).")
    String sync;

    @Option(names = "--clock", paramLabel = "UNIT", description = "Unit of the peer's timestamps: ns (default) or ps.")
    String clock;

    @Option(names = "--max-frame", paramLabel = "BYTES", description = "Largest packet accepted, header included. Default 65556.")
    Integer maxFrame;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "Close sessions idle this long; 0 never. Default 1800.")
    Integer idleTimeout;

    @Option(names = "--grace", paramLabel = "MS", description = "At shutdown, time to finish queued requests. Default 2000.")
    Long grace;

    @Option(names = "--memory-timeout", paramLabel = "MS", description = "Wait for the peer's memory answers. Default 5000.")
    Long memoryTimeout;

    @Option(names = "--idle-poll", paramLabel = "US", description = "How long an idle session's model thread keeps polling, " +
        "yielding the CPU, for the next request before it sleeps (saves a wake-up per request to a peer with one " +
        "request outstanding). 0: sleep at once. Default 1000.")
    Integer idlePoll;

    @Option(names = "--answer-wait", paramLabel = "US", description = "How long the network thread, having queued a lone " +
        "request for a guest-memory session's model thread, waits (yielding the CPU) for the answer to write it itself " +
        "(saves a wake-up per request to a peer with one request outstanding). 0-1000; 0: never. Default 50.")
    Integer answerWait;

    @Option(names = "--inline-answers", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Let the network thread answer an ATS_REQ itself where the model cannot need the peer for it (a " +
        "lone request to a session on the scenario's own memory with wire interrupts; a repeat of a clean IOTLB hit in " +
        "any other session). --no-inline-answers: every request goes through the session's model thread. Default on.")
    boolean inlineAnswers;

    @Option(names = "--max-sessions", paramLabel = "N", description = "Shut down after N sessions have ended (0: run until stopped).")
    int maxSessions;

    @Option(names = "--json", paramLabel = "FILE",
        description = "Write each ended session's statistics as JSON, one document per line (docs/results.md, kind cosim_session).")
    Path json;

    @Option(names = "--results", paramLabel = "FOLDER",
        description = "Write each session's requests (ATS_REQ and IE_TLP) to FOLDER/session-N.csv, in the replay's CSV columns " +
            "(docs/replay.md); sessions then answer on their model thread only.")
    Path results;

    @Option(names = "--results-format", paramLabel = "FORMAT",
        description = "csv (default: FOLDER/session-N.csv) or bin (replay's binary format, FOLDER/session-N.bin; docs/replay.md).")
    String resultsFormat;

    @Option(names = "--log", paramLabel = "KIND", split = ",",
        description = "With --results, also write each session's log to FOLDER/session-N.KIND.log: qemu (QEMU's amdvi_*/vtd_* " +
            "trace events) or dmesg (faults as the Linux drivers print them; --setup scenario only). Repeatable.")
    List<String> logs = new ArrayList<>();

    public Integer call() throws IOException, InterruptedException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Scenario loaded = withOverrides(ReplaySupport.scenario(scenario));
        checkGuestDriven(loaded, err);
        final SessionOutputs outputs = outputs(loaded);
        ReplaySupport.files(List.of(loaded), null).input("--shared-file", sharedFile).output("--json", json)
            .outputFolder("--results", results, SessionOutputs.FILE_NAMES).check();
        ServerOptions options = ServerOptions.defaults();
        if (listen != null)
        {
            final int colon = listen.lastIndexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException("--listen " + listen + ": expected HOST:PORT");
            }
            options = options.withAddress(listen.substring(0, colon), (int)Numbers.parse(listen.substring(colon + 1), "--listen port"));
        }
        if (unix != null)
        {
            options = options.withUnixPath(unix);
        }
        if (maxFrame != null)
        {
            options = options.withMaxFrame(maxFrame);
        }
        if (idleTimeout != null)
        {
            options = options.withIdleSeconds(idleTimeout);
        }
        if (grace != null)
        {
            options = options.withGraceMillis(grace);
        }
        if (memoryTimeout != null)
        {
            options = options.withMemoryTimeoutMillis(memoryTimeout);
        }
        if (idlePoll != null)
        {
            options = options.withIdlePollMicros(idlePoll);
        }
        if (answerWait != null)
        {
            options = options.withAnswerWaitMicros(answerWait);
        }
        options = options.withInlineAnswers(inlineAnswers);
        if (results != null)
        {
            Files.createDirectories(results);
        }
        // Opened once every option is accepted: a refused option leaves no --json file behind.
        final Writer jsonLines = json == null ? null : Files.newBufferedWriter(json, StandardCharsets.UTF_8);
        final CountDownLatch done = new CountDownLatch(1);
        final int[] ended = {0};
        final CosimServer server = new CosimServer(loaded, options, line ->
        {
            synchronized (err)
            {
                err.println(line);
                err.flush();
            }
        }, text ->
        {
            synchronized (out)
            {
                out.print(text);
                out.flush();
            }
            synchronized (ended)
            {
                ended[0]++;
                if (maxSessions > 0 && ended[0] >= maxSessions)
                {
                    done.countDown();
                }
            }
        });
        server.sessionOutputs(outputs);
        if (jsonLines != null)
        {
            server.jsonStatistics(document ->
            {
                synchronized (jsonLines)
                {
                    try
                    {
                        jsonLines.write(JsonReport.line(document));
                        jsonLines.flush();
                    }
                    catch (final IOException ex)
                    {
                        err.println("iommu-emu: --json " + json + ": " + ex.getMessage());
                        err.flush();
                    }
                }
            });
        }
        final String address = server.start();
        out.println("iommu-emu: listening on " + address);
        out.flush();
        final Thread hook = new Thread(() ->
        {
            server.close();
            done.countDown();
        }, "iommu-emu-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try
        {
            done.await();
        }
        finally
        {
            server.close();
            if (jsonLines != null)
            {
                synchronized (jsonLines)
                {
                    jsonLines.close();
                }
            }
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // The hook is running: the JVM is exiting already.
            }
        }
        return 0;
    }

    /** {@code --results} and {@code --log}, checked against the platform's setup. */
    private SessionOutputs outputs(final Scenario loaded)
    {
        boolean qemu = false;
        boolean dmesg = false;
        for (final String kind : logs)
        {
            switch (kind.trim().toLowerCase(Locale.ROOT))
            {
                case "qemu" -> qemu = true;
                case "dmesg" -> dmesg = true;
                default -> throw new IllegalArgumentException("--log " + kind + ": the kinds are qemu and dmesg");
            }
        }
        if ((qemu || dmesg) && results == null)
        {
            throw new IllegalArgumentException("--log writes beside each session's results: give --results FOLDER too");
        }
        final boolean binary;
        if (resultsFormat == null || resultsFormat.equalsIgnoreCase("csv"))
        {
            binary = false;
        }
        else if (resultsFormat.equalsIgnoreCase("bin"))
        {
            binary = true;
        }
        else
        {
            throw new IllegalArgumentException("--results-format " + resultsFormat + ": csv or bin");
        }
        if (resultsFormat != null && results == null)
        {
            throw new IllegalArgumentException("--results-format needs --results FOLDER");
        }
        if (dmesg && loaded.cosim().setup() == Scenario.CosimSetup.GUEST)
        {
            throw new IllegalArgumentException("--log dmesg: with --setup guest the guest's own IOMMU driver reads the fault " +
                "log and prints these messages in the guest's dmesg; the emulator would take its records away (use --log qemu)");
        }
        return new SessionOutputs(results, qemu, dmesg, binary);
    }

    /** The scenario with the command line's co-simulation settings in place of its cosim section's. */
    Scenario withOverrides(final Scenario s)
    {
        final Scenario.CosimSpec c = s.cosim();
        int mmio = c.mmioChannel();
        int mem = c.memoryChannel();
        int irq = c.interruptChannel();
        int ats = c.translationChannel();
        int tlp = c.tlpChannel();
        for (final String channel : channels)
        {
            final int eq = channel.indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException("--channel " + channel + ": expected NAME=DEV");
            }
            final int dev = (int)Numbers.parse(channel.substring(eq + 1), "--channel " + channel);
            switch (channel.substring(0, eq))
            {
                case "mmio" -> mmio = dev;
                case "memory" -> mem = dev;
                case "interrupts" -> irq = dev;
                case "translation" -> ats = dev;
                case "tlp" -> tlp = dev;
                default -> throw new IllegalArgumentException("--channel " + channel + ": the channels are mmio, memory, interrupts, " +
                    "translation and tlp");
            }
        }
        if (new HashSet<>(List.of(mmio, mem, irq, ats, tlp)).size() != 5)
        {
            throw new IllegalArgumentException("the five channels need five different numbers: mmio " + mmio + ", memory " + mem +
                ", interrupts " + irq + ", translation " + ats + ", tlp " + tlp);
        }
        final Scenario.CosimSetup who = setup == null ? c.setup() : value(Scenario.CosimSetup.class, setup, "--setup");
        final Scenario.CosimMemory backing = memory == null ? c.memory() : value(Scenario.CosimMemory.class, memory, "--memory");
        final Path file = sharedFile != null ? sharedFile : c.sharedFile();
        List<Scenario.SharedRange> ranges = c.sharedRanges();
        if (!sharedRanges.isEmpty())
        {
            ranges = new ArrayList<>();
            for (final String range : sharedRanges)
            {
                final String[] parts = range.split(":");
                if (parts.length != 3)
                {
                    throw new IllegalArgumentException("--shared-range " + range + ": expected GPA:OFFSET:SIZE");
                }
                final long gpa = Numbers.parse(parts[0], "--shared-range GPA");
                final long offset = Numbers.parse(parts[1], "--shared-range OFFSET");
                final long size = Numbers.parse(parts[2], "--shared-range SIZE");
                if (((gpa | offset | size) & 0xFFF) != 0 || size <= 0)
                {
                    throw new IllegalArgumentException("--shared-range " + range +
                        ": GPA, OFFSET and SIZE are positive multiples of 4 KiB");
                }
                ranges.add(new Scenario.SharedRange(gpa, offset, size));
            }
        }
        if (backing == Scenario.CosimMemory.SHARED && file == null)
        {
            throw new IllegalArgumentException("--memory shared needs --shared-file (or memory.file in the scenario's cosim section)");
        }
        if (backing == Scenario.CosimMemory.SHARED && ranges.isEmpty())
        {
            throw new IllegalArgumentException("--memory shared needs the ranges of the file that are guest memory: --shared-range " +
                "GPA:OFFSET:SIZE (q35: 0:0:BELOW_4G and 4G:BELOW_4G:ABOVE_4G)");
        }
        if (who == Scenario.CosimSetup.SCENARIO && backing == Scenario.CosimMemory.SHARED)
        {
            throw new IllegalArgumentException("--setup scenario keeps the platform in the emulator's own memory; " +
                "--memory shared needs --setup guest");
        }
        final Scenario.CosimSpec spec = new Scenario.CosimSpec(who, mmio, mem, irq, ats, tlp,
            interrupts == null ? c.interrupts() : value(Scenario.CosimInterrupts.class, interrupts, "--interrupts"), backing, file,
            List.copyOf(ranges), mmioBase == null ? c.mmioBase() : Numbers.parse(mmioBase, "--mmio-base"), c.requester(),
            c.translationRequester(), sync == null ? c.sync() : value(Scenario.CosimSync.class, sync, "--sync"),
            clock == null ? c.clock() : value(Scenario.CosimClock.class, clock, "--clock"), c.errorsReadAsOnes());
        return new Scenario(s.name(), s.description(), s.source(), s.directory(), s.platform(), s.rmp(), s.tdx(), s.snp(), s.amdvi(),
            s.domains(), s.devices(), s.timeline(), s.traffic(), spec);
    }

    /** A guest-driven platform cannot carry out the scenario's domain actions; say what is ignored. */
    private static void checkGuestDriven(final Scenario s, final PrintWriter err)
    {
        if (s.cosim().setup() != Scenario.CosimSetup.GUEST)
        {
            return;
        }
        for (final Scenario.TimedAction action : s.timeline())
        {
            final Scenario.Action a = action.action();
            if (!(a instanceof Scenario.MakePrivateAction || a instanceof Scenario.MakeSharedAction ||
                a instanceof Scenario.TdiBindAction ||
                a instanceof Scenario.TdiStartAction || a instanceof Scenario.TdiStopAction || a instanceof Scenario.TdiUnbindAction ||
                a instanceof Scenario.MmioMapAction))
            {
                throw new IllegalArgumentException(s.source() + ":" + action.line() +
                    ": timeline: the guest programs the IOMMU's domains " +
                    "and devices in co-simulation (setup: guest); use --setup scenario, or remove this action");
            }
        }
        if (!s.domains().isEmpty() || !s.devices().isEmpty())
        {
            err.println("iommu-emu: note: the guest's driver builds its own tables (setup: guest); the scenario's " + s.domains().size() +
                " domain(s) and " + s.devices().size() + " device(s) are not built");
        }
    }

    private static <E extends Enum<E>> E value(final Class<E> type, final String text, final String option)
    {
        final String name = text.trim().replace('-', '_').toUpperCase(Locale.ROOT);
        for (final E constant : type.getEnumConstants())
        {
            if (constant.name().equals(name))
            {
                return constant;
            }
        }
        final List<String> spellings = new ArrayList<>();
        for (final E constant : type.getEnumConstants())
        {
            spellings.add(constant.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        throw new IllegalArgumentException(option + " " + text + ": expected one of " + spellings);
    }

    static int requester(final String text)
    {
        return Numbers.parseRequesterId(text);
    }
}
