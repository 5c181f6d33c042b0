package org.iommuemu.emulator.cli.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.nettlp.NetTlpPcapReader;
import org.iommuemu.tlp.qemu.QemuTraceLogReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.PcapngTraceReader;
import org.iommuemu.tlp.trace.TextTraceReader;
import org.iommuemu.tlp.trace.TraceFormat;
import org.iommuemu.tlp.trace.TraceReader;
import picocli.CommandLine.Option;

/** Options for reading a trace: bad-record policy, format override and the NetTLP direction rule. */
public final class TraceInputOptions
{
    @Option(names = "--skip-bad",
        description = "Count and skip bad records instead of stopping at the first one (exit code stays 0).")
    boolean skipBad;

    @Option(names = "--from", paramLabel = "FORMAT",
        description = "Input format: auto (detect from content), pcapng, text, nettlp, qemu. Default: ${DEFAULT-VALUE}.",
        defaultValue = "auto")
    String from = "auto";

    @Option(names = "--downstream-source", paramLabel = "IPV4",
        description = "NetTLP input: frames from this IPv4 source are downstream, others upstream. " +
            "Default: ${DEFAULT-VALUE} (right for simple-nic; use 192.168.10.3 for the nic-and-nvme captures).",
        defaultValue = "192.168.10.1")
    String downstreamSource = "192.168.10.1";

    /** @return the bad-record policy. */
    public ErrorPolicy policy()
    {
        return skipBad ? ErrorPolicy.SKIP_BAD : ErrorPolicy.STOP;
    }

    /**
     * @param path input file.
     * @return the format to read it as (override or detected).
     * @throws IOException when the file cannot be read.
     */
    public TraceFormat format(final Path path) throws IOException
    {
        requireFile(path);
        final TraceFormat forced = parseInputFormat(from);
        return null != forced ? forced : TraceFiles.detect(path);
    }

    /**
     * Opens the input.
     *
     * @param path   input file.
     * @param format from {@link #format(Path)}.
     * @return a reader; close it.
     * @throws IOException when it cannot be opened (a wrong magic is a TraceFormatException).
     */
    public TraceReader open(final Path path, final TraceFormat format) throws IOException
    {
        final ErrorPolicy policy = policy();
        switch (format)
        {
            case PCAPNG:
                return new PcapngTraceReader(path, policy);
            case NETTLP_PCAP:
                return new NetTlpPcapReader(path, policy, parseIpv4(downstreamSource));
            case QEMU_LOG:
                return new QemuTraceLogReader(path, policy);
            case TEXT:
            default:
                return new TextTraceReader(path, policy);
        }
    }

    static void requireFile(final Path path)
    {
        if (!Files.isRegularFile(path))
        {
            throw new IllegalArgumentException(
                (Files.exists(path) ? "not a regular file: " : "no such file: ") + path);
        }
        if (!Files.isReadable(path))
        {
            throw new IllegalArgumentException("cannot read " + path);
        }
    }

    private static int parseIpv4(final String text)
    {
        try
        {
            return NetTlpPcapReader.parseIpv4(text);
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalArgumentException("--downstream-source \"" + text + "\" is not an IPv4 address");
        }
    }

    /** @return null for auto. */
    static TraceFormat parseInputFormat(final String text)
    {
        switch (text.toLowerCase(Locale.ROOT))
        {
            case "auto":
                return null;
            case "pcapng":
                return TraceFormat.PCAPNG;
            case "text":
            case "txt":
                return TraceFormat.TEXT;
            case "nettlp":
            case "pcap":
                return TraceFormat.NETTLP_PCAP;
            case "qemu":
                return TraceFormat.QEMU_LOG;
            default:
                throw new IllegalArgumentException(
                    "--from \"" + text + "\" is not a trace format (auto, pcapng, text, nettlp, qemu)");
        }
    }

    /** @return the lower-case name used on the command line. */
    static String name(final TraceFormat format)
    {
        switch (format)
        {
            case PCAPNG:
                return "pcapng";
            case NETTLP_PCAP:
                return "nettlp";
            case QEMU_LOG:
                return "qemu";
            case TEXT:
            default:
                return "text";
        }
    }
}
