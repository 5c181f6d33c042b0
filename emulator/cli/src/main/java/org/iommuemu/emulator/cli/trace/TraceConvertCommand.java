package org.iommuemu.emulator.cli.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.iommuemu.emulator.cli.CommandFiles;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.TraceFormat;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code trace convert IN OUT}: pcie-tlp text, pcie-tlp pcapng, NetTLP pcap or QEMU log in; pcapng or text out.
 * On failure the partial output file is deleted.
 */
@Command(
    name = "convert",
    header = "Convert a trace between formats.",
    mixinStandardHelpOptions = true,
    description = {
        "Convert a trace: text <-> pcapng, NetTLP pcap -> pcapng or text, QEMU IOMMU log -> pcapng or text.",
        "The input format is detected from the content (--from overrides it); the output format from the " +
            "extension: .pcapng is pcapng, anything else is text (--to overrides it).",
        "Every decoded record is copied; with --skip-bad bad records are left out and counted. On error OUT is deleted.",
        "The summary (records read, decoded, skipped, written) goes to stderr.",
        "Example: trace convert --downstream-source 192.168.10.3 x520-64B-16pkt.pcap x520.pcapng"})
public final class TraceConvertCommand extends TraceCommandBase
{
    @Mixin
    TraceInputOptions input;

    @Option(names = "--to", paramLabel = "FORMAT", defaultValue = "auto",
        description = "Output format: auto (from the extension), pcapng, text. Default: ${DEFAULT-VALUE}.")
    String to;

    @Option(names = "--timestamps", paramLabel = "UNIT", defaultValue = "auto",
        description = "pcapng output timestamp resolution: ns, ps, or auto (ps when the first record is in ps, " +
            "else ns). Text output keeps each record's own unit. Default: ${DEFAULT-VALUE}.")
    String timestamps;

    @Parameters(index = "0", paramLabel = "IN", description = "Input trace.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output file (created or overwritten).")
    Path outFile;

    @Override
    public Integer call()
    {
        final TraceFormat outFormat = outputFormat(to, outFile);
        final int forcedExponent = exponent(timestamps);
        TraceInputOptions.requireFile(in);
        new CommandFiles().input("IN", in).output("OUT", outFile).check();

        TraceReader reader = null;
        TraceWriter writer = null;
        boolean ok = false;
        try
        {
            final TraceFormat inFormat = input.format(in);
            reader = input.open(in, inFormat);
            final Progress progress = newProgress("trace convert", Files.size(in));
            while (reader.next())
            {
                final TraceRecord record = reader.record();
                if (null == writer)
                {
                    writer = create(outFormat, forcedExponent > 0 ? forcedExponent :
                        TraceRecord.PICOSECONDS == record.timestampExponent() ? TraceRecord.PICOSECONDS : TraceRecord.NANOSECONDS);
                }
                try
                {
                    writer.write(record);
                }
                catch (final IllegalArgumentException ex)
                {
                    // e.g. a timestamp that overflows the pcapng resolution: the input is fine, the output cannot hold it
                    err().println(spec.commandLine().getColorScheme().errorText("iommu-emu: " + in + ": record " +
                        record.recordIndex() + " at byte offset " + record.fileOffset() + ": cannot be written to " +
                        outFile + ": " + ex.getMessage()));
                    printSummary(in, reader.summary(), ", stopped by the error, nothing written (" + outFile + " removed)");
                    return BAD_TRACE;
                }
                progress.tick(reader.summary().read(), record.fileOffset());
            }
            progress.done();
            if (null == writer)
            {
                writer = create(outFormat, forcedExponent > 0 ? forcedExponent : TraceRecord.NANOSECONDS);
            }
            final long written = writer.recordsWritten();
            writer.close();
            writer = null;
            ok = true;
            printSummary(in, reader.summary(), ", written " + written + " to " + outFile + " (" +
                TraceInputOptions.name(inFormat) + " -> " + TraceInputOptions.name(outFormat) + ")");
            return OK;
        }
        catch (final TraceFormatException ex)
        {
            final int code = badTrace(ex);
            if (null != reader)
            {
                printSummary(in, reader.summary(), ", stopped by the error, nothing written (" + outFile + " removed)");
            }
            return code;
        }
        catch (final IOException ex)
        {
            return ioError(in, ex);
        }
        finally
        {
            TraceDumpCommand.close(reader);
            if (null != writer)
            {
                try
                {
                    writer.close();
                }
                catch (final IOException ignored)
                {
                    // the output is deleted below
                }
            }
            if (!ok)
            {
                try
                {
                    Files.deleteIfExists(outFile);
                }
                catch (final IOException ignored)
                {
                    // best effort
                }
            }
        }
    }

    private TraceWriter create(final TraceFormat format, final int exponent) throws IOException
    {
        return TraceFiles.create(outFile, format, exponent);
    }

    /**
     * @param text {@code auto}, {@code pcapng} or {@code text}.
     * @param path output file, for auto.
     * @return the output format.
     */
    static TraceFormat outputFormat(final String text, final Path path)
    {
        switch (text.toLowerCase(Locale.ROOT))
        {
            case "pcapng":
                return TraceFormat.PCAPNG;
            case "text":
            case "txt":
                return TraceFormat.TEXT;
            case "auto":
                final String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
                if (name.endsWith(".pcap"))
                {
                    throw new IllegalArgumentException("cannot write classic pcap (" + path +
                        "): name the output .pcapng, or pass --to pcapng or --to text");
                }
                return name.endsWith(".pcapng") ? TraceFormat.PCAPNG : TraceFormat.TEXT;
            default:
                throw new IllegalArgumentException("--to \"" + text + "\" is not an output format (auto, pcapng, text)");
        }
    }

    /** @return 9, 12, or 0 for auto. */
    static int exponent(final String text)
    {
        switch (text.toLowerCase(Locale.ROOT))
        {
            case "auto":
                return 0;
            case "ns":
                return TraceRecord.NANOSECONDS;
            case "ps":
                return TraceRecord.PICOSECONDS;
            default:
                throw new IllegalArgumentException("--timestamps \"" + text + "\" is not ns, ps or auto");
        }
    }
}
