package org.iommuemu.emulator.cli.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.iommuemu.emulator.cli.CommandFiles;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code trace stats FILE}: counts by type and requester, bytes, address footprint. */
@Command(
    name = "stats",
    header = "Count a trace's TLPs by type and requester.",
    mixinStandardHelpOptions = true,
    description = {
        "Count the TLPs of a trace: by type, by requester, bytes on the wire and of data, T bit and PASID, and the " +
            "address footprint (distinct 4 KiB pages touched by memory requests, lowest and highest address).",
        "The report goes to stdout, the summary (records read, decoded, skipped) to stderr.",
        "--type and --requester restrict the report to matching TLPs."})
public final class TraceStatsCommand extends TraceCommandBase
{
    @Mixin
    TraceInputOptions input;

    @Mixin
    TlpFilterOptions filter;

    @Parameters(paramLabel = "FILE", description = "Trace to count (pcapng, text, NetTLP pcap or QEMU log).")
    Path file;

    @picocli.CommandLine.Option(names = "--json", paramLabel = "OUT",
        description = "Also write the counts and the record accounting as JSON (docs/results.schema.json).")
    Path json;

    @Override
    public Integer call()
    {
        filter.parse();
        new CommandFiles().input("FILE", file).output("--json", json).check();
        final boolean filtering = !filter.isEmpty();
        final TraceStats stats = new TraceStats();
        TraceReader reader = null;
        try
        {
            reader = input.open(file, input.format(file));
            final Progress progress = newProgress("trace stats", Files.size(file));
            while (reader.next())
            {
                final TraceRecord record = reader.record();
                progress.tick(reader.summary().read(), record.fileOffset());
                if (!filtering || filter.matches(record))
                {
                    stats.accept(record);
                }
            }
            progress.done();
            out().print(stats.report(new StringBuilder(1024)));
            out().flush();
            printSummary(file, reader.summary(), filtering ? ", matching the filters " + stats.records() : null);
            if (json != null)
            {
                JsonReport.write(JsonReport.traceStats(file.toString(), stats,
                    reader.summary(), filtering), json);
            }
            return OK;
        }
        catch (final TraceFormatException ex)
        {
            final int code = badTrace(ex);
            if (null != reader)
            {
                printSummary(file, reader.summary(), ", stopped by the error, no report");
            }
            return code;
        }
        catch (final IOException ex)
        {
            return ioError(file, ex);
        }
        finally
        {
            TraceDumpCommand.close(reader);
        }
    }
}
