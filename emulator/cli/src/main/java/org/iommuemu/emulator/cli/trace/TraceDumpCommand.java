package org.iommuemu.emulator.cli.trace;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.iommuemu.tlp.TlpFormatter;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code trace dump FILE}: one decoded line per TLP on stdout, the summary on stderr. */
@Command(
    name = "dump",
    header = "Decode a trace, one line per TLP.",
    mixinStandardHelpOptions = true,
    description = {
        "Decode a trace, one line per TLP: record index, timestamp, direction, port, [flit] [T], then the decoded TLP.",
        "The summary (records read, decoded, skipped) goes to stderr, so stdout can be piped.",
        "Example: trace dump --type MWr,MRd --requester 1b:00.0 --limit 20 capture.pcapng"})
public final class TraceDumpCommand extends TraceCommandBase
{
    private static final int FLUSH_CHARS = 1 << 16;

    @Mixin
    TraceInputOptions input;

    @Mixin
    TlpFilterOptions filter;

    @Option(names = {"-n", "--limit"}, paramLabel = "N",
        description = "Print at most N TLPs (after filtering), then stop reading. Default: no limit.")
    long limit = -1;

    @Parameters(paramLabel = "FILE", description = "Trace to decode (pcapng, text, NetTLP pcap or QEMU log).")
    Path file;

    @Override
    public Integer call()
    {
        if (limit < -1)
        {
            throw new IllegalArgumentException("--limit must be at least 0: " + limit);
        }
        filter.parse();
        final PrintWriter out = out();
        final StringBuilder text = new StringBuilder(FLUSH_CHARS + 1024);
        TraceReader reader = null;
        long printed = 0;
        boolean limited = false;
        try
        {
            reader = input.open(file, input.format(file));
            final Progress progress = newProgress("trace dump", Files.size(file));
            while (true)
            {
                if (limit >= 0 && printed >= limit)
                {
                    limited = true;
                    break;
                }
                if (!reader.next())
                {
                    break;
                }
                final TraceRecord record = reader.record();
                progress.tick(reader.summary().read(), record.fileOffset());
                if (!filter.matches(record))
                {
                    continue;
                }
                line(record, text);
                final String annotation = reader.annotation();
                if (annotation != null)
                {
                    text.setLength(text.length() - 1);
                    text.append("  # ").append(annotation).append('\n');
                }
                printed++;
                if (text.length() >= FLUSH_CHARS)
                {
                    out.append(text);
                    text.setLength(0);
                }
            }
            progress.done();
            out.append(text);
            out.flush();
            printSummary(file, reader.summary(), ", printed " + printed + (limited ? " (stopped at --limit)" : ""));
            return OK;
        }
        catch (final TraceFormatException ex)
        {
            out.append(text);
            out.flush();
            final int code = badTrace(ex);
            if (null != reader)
            {
                printSummary(file, reader.summary(), ", printed " + printed + ", stopped by the error");
            }
            return code;
        }
        catch (final IOException ex)
        {
            out.append(text);
            out.flush();
            return ioError(file, ex);
        }
        finally
        {
            close(reader);
        }
    }

    /**
     * Appends one dump line: {@code INDEX TIMESTAMPunit DIR port=N [flit] [T] DECODED}.
     *
     * @param record decoded record.
     * @param text   to append to.
     */
    static void line(final TraceRecord record, final StringBuilder text)
    {
        text.append(record.recordIndex()).append(' ').append(record.timestamp()).append(unit(record.timestampExponent()))
            .append(' ').append(record.direction().token()).append(" port=").append(record.port());
        if (record.flit())
        {
            text.append(" flit");
        }
        if (record.effectiveT())
        {
            text.append(" T");
        }
        TlpFormatter.format(record.tlp(), text.append(' ')).append('\n');
    }

    static void close(final TraceReader reader)
    {
        if (null != reader)
        {
            try
            {
                reader.close();
            }
            catch (final IOException ignored)
            {
                // reading is over; nothing to report
            }
        }
    }
}
