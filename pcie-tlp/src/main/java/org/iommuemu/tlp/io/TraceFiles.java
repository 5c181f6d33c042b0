package org.iommuemu.tlp.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.iommuemu.tlp.nettlp.NetTlpPcapReader;
import org.iommuemu.tlp.qemu.QemuTraceLogReader;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.Pcapng;
import org.iommuemu.tlp.trace.PcapngTraceReader;
import org.iommuemu.tlp.trace.PcapngTraceWriter;
import org.iommuemu.tlp.trace.TextTraceReader;
import org.iommuemu.tlp.trace.TextTraceWriter;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormat;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceSummary;
import org.iommuemu.tlp.trace.TraceWriter;

/**
 * Entry point for the {@code trace} commands: opens any supported trace by sniffing its first bytes, makes
 * writers, and converts between formats.
 * <pre>{@code
 * try (TraceReader in = TraceFiles.open(input, ErrorPolicy.SKIP_BAD);
 *      TraceWriter out = TraceFiles.create(output, TraceFiles.formatForName(output), TraceRecord.NANOSECONDS))
 * {
 *     TraceSummary summary = TraceFiles.copy(in, out);
 * }
 * }</pre>
 */
public final class TraceFiles
{
    private static final int SNIFF_LENGTH = 4096;
    private static final Pattern QEMU_EVENT = Pattern.compile("^\\s*(\\d+@\\d+\\.\\d+:)?\\s*(vtd|amdvi)_\\w+( |$).*");

    private TraceFiles()
    {
    }

    /**
     * Guesses the format from the first bytes: pcapng Section Header Block, pcap magic (either byte order,
     * us or ns), a first non-comment line that is a QEMU {@code vtd_*} / {@code amdvi_*} trace event, otherwise
     * the pcie-tlp text format. A file whose first 4 KiB hold a control byte (other than tab, CR, LF) is neither
     * text nor a known capture: a {@link TraceError#BAD_MAGIC} error, whatever the error policy.
     *
     * @param path of an existing file.
     * @return its format.
     * @throws TraceFormatException when it is binary without a known magic number.
     * @throws IOException          when it cannot be read.
     */
    public static TraceFormat detect(final Path path) throws IOException
    {
        final byte[] head = new byte[SNIFF_LENGTH];
        int n = 0;
        try (InputStream in = Files.newInputStream(path))
        {
            int r;
            while (n < SNIFF_LENGTH && (r = in.read(head, n, SNIFF_LENGTH - n)) > 0)
            {
                n += r;
            }
        }
        if (n < 4)
        {
            return TraceFormat.TEXT;
        }
        final int le = (head[0] & 0xFF) | (head[1] & 0xFF) << 8 | (head[2] & 0xFF) << 16 | (head[3] & 0xFF) << 24;
        if (Pcapng.SHB_TYPE == le)
        {
            return TraceFormat.PCAPNG;
        }
        final int be = Integer.reverseBytes(le);
        if (0xA1B2C3D4 == le || 0xA1B23C4D == le || 0xA1B2C3D4 == be || 0xA1B23C4D == be)
        {
            return TraceFormat.NETTLP_PCAP;
        }
        for (int i = 0; i < n; i++)
        {
            final int b = head[i] & 0xFF;
            if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F)
            {
                // Not text: a capture whose magic number is damaged must not fall through to the text reader, where
                // --skip-bad would skip every "line" and report success.
                throw new TraceFormatException(path.toString(), TraceError.BAD_MAGIC, 0, i, String.format(
                    "not a trace of a known format (tried pcapng, NetTLP pcap, QEMU log, text): the file starts with " +
                    "%02x %02x %02x %02x, which is no pcapng or pcap magic number, and byte %d (0x%02x) is not text",
                    head[0] & 0xFF, head[1] & 0xFF, head[2] & 0xFF, head[3] & 0xFF, i, b));
            }
        }
        for (final String line : new String(head, 0, n, StandardCharsets.ISO_8859_1).split("\n"))
        {
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
            return QEMU_EVENT.matcher(line).matches() ? TraceFormat.QEMU_LOG : TraceFormat.TEXT;
        }
        return TraceFormat.TEXT;
    }

    /**
     * @param path output file name.
     * @return {@link TraceFormat#PCAPNG} for names ending in .pcapng, else {@link TraceFormat#TEXT}.
     */
    public static TraceFormat formatForName(final Path path)
    {
        return path.getFileName().toString().endsWith(".pcapng") ? TraceFormat.PCAPNG : TraceFormat.TEXT;
    }

    /**
     * Opens a trace of any supported format.
     *
     * @param path   of the trace.
     * @param policy on bad records.
     * @return a reader; close it.
     * @throws IOException when the file cannot be opened or its magic is wrong.
     */
    public static TraceReader open(final Path path, final ErrorPolicy policy) throws IOException
    {
        switch (detect(path))
        {
            case PCAPNG:
                return new PcapngTraceReader(path, policy);
            case NETTLP_PCAP:
                return new NetTlpPcapReader(path, policy);
            case QEMU_LOG:
                return new QemuTraceLogReader(path, policy);
            default:
                return new TextTraceReader(path, policy);
        }
    }

    /**
     * Creates a writer.
     *
     * @param path              to create or truncate.
     * @param format            {@link TraceFormat#PCAPNG} or {@link TraceFormat#TEXT}.
     * @param timestampExponent for pcapng, 9 (ns) or 12 (ps); text keeps each record's own unit.
     * @return a writer; close it.
     * @throws IOException when the file cannot be created.
     */
    public static TraceWriter create(final Path path, final TraceFormat format, final int timestampExponent)
        throws IOException
    {
        switch (format)
        {
            case PCAPNG:
                return new PcapngTraceWriter(path, timestampExponent);
            case TEXT:
                return new TextTraceWriter(path, true);
            default:
                throw new IllegalArgumentException(format + " cannot be written");
        }
    }

    /**
     * Copies every decodable record from a reader to a writer.
     *
     * @param in  source.
     * @param out destination.
     * @return the reader's summary.
     * @throws IOException on a read error (in STOP mode, a bad record) or a write error.
     */
    public static TraceSummary copy(final TraceReader in, final TraceWriter out) throws IOException
    {
        while (in.next())
        {
            out.write(in.record());
        }
        return in.summary();
    }
}
