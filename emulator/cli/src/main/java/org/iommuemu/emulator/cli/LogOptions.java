package org.iommuemu.emulator.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.iommuemu.emulator.log.KernelLog;
import org.iommuemu.emulator.log.QemuTraceLog;
import org.iommuemu.emulator.replay.ReplayListener;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import picocli.CommandLine.Option;

/** {@code --log qemu[=FILE]} and {@code --log dmesg[=FILE]}: the replay as QEMU trace events or kernel fault messages. */
final class LogOptions
{
    /** One log asked for: its kind and file (null: standard output). */
    record Log(String kind, Path file)
    {
    }

    @Option(names = "--log", paramLabel = "KIND[=FILE]",
        description = {"Also write the replay as a log people already read: qemu (QEMU's amdvi_*/vtd_* trace events: translations, " +
            "IOTLB fills, invalidations, faults) or dmesg (faults as the Linux AMD-Vi and DMAR drivers print them). " +
            "To FILE, or to standard output before the summary. Repeatable."})
    List<String> logs = new ArrayList<>();

    /** The logs asked for, checked. */
    List<Log> parsed()
    {
        final List<Log> result = new ArrayList<>();
        for (final String text : logs)
        {
            final int equals = text.indexOf('=');
            final String kind = (equals < 0 ? text : text.substring(0, equals)).toLowerCase(Locale.ROOT);
            if (!kind.equals("qemu") && !kind.equals("dmesg"))
            {
                throw new IllegalArgumentException("--log " + text + ": the kinds are qemu and dmesg");
            }
            if (equals == text.length() - 1)
            {
                throw new IllegalArgumentException("--log " + text + ": no file after =");
            }
            for (final Log other : result)
            {
                if (other.kind().equals(kind))
                {
                    throw new IllegalArgumentException("--log " + kind + " is given twice");
                }
            }
            result.add(new Log(kind, equals < 0 ? null : Path.of(text.substring(equals + 1))));
        }
        return result;
    }

    /** The log files, for the check that none of them is an input or another output. */
    void outputs(final CommandFiles files)
    {
        for (final Log log : parsed())
        {
            files.output("--log " + log.kind(), log.file());
        }
    }

    /** The listeners that write the logs asked for about {@code platform}; close them after the replay. */
    static Listeners open(final List<Log> logs, final Platform platform, final PrintWriter out) throws IOException
    {
        final Listeners listeners = new Listeners();
        for (final Log log : logs)
        {
            Writer writer = out;
            if (log.file() != null)
            {
                if (log.file().toAbsolutePath().getParent() != null)
                {
                    Files.createDirectories(log.file().toAbsolutePath().getParent());
                }
                writer = Files.newBufferedWriter(log.file(), StandardCharsets.UTF_8);
                listeners.closeables.add(writer);
            }
            listeners.all.add(log.kind().equals("qemu") ? new QemuTraceLog(platform, writer) : new KernelLog(platform, writer));
        }
        return listeners;
    }

    /** The platform's IOMMU in the names QEMU's trace events use, for messages. */
    static String qemuPrefix(final Scenario scenario)
    {
        return scenario.platform().iommu() == Scenario.IommuKind.AMDVI ? "amdvi_*" : "vtd_*";
    }

    /** Every log's listener as one, and the files to close. */
    static final class Listeners implements Closeable
    {
        private final List<ReplayListener> all = new ArrayList<>();
        private final List<Closeable> closeables = new ArrayList<>();

        /** {@link ReplayListener#NONE} when no log was asked for, so the replay's per-TLP path stays as it is. */
        ReplayListener listener()
        {
            return ReplayListener.all(all);
        }

        @Override
        public void close() throws IOException
        {
            for (final Closeable closeable : closeables)
            {
                closeable.close();
            }
        }
    }
}
