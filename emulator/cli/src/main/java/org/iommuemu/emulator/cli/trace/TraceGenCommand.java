package org.iommuemu.emulator.cli.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.iommuemu.emulator.cli.CommandFiles;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.tlp.TlpFormatter;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.io.TraceFiles;
import org.iommuemu.tlp.trace.TraceFormat;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code trace gen}: a synthetic, deterministic trace from {@link TraceGenerator}. */
@Command(
    name = "gen",
    header = "Generate a synthetic DMA trace.",
    mixinStandardHelpOptions = true,
    description = {
        "Generate a synthetic trace of upstream DMA (MRd/MWr), deterministic for a given seed and options: " +
            "the same command line writes the same bytes. Devices are bus 0x10+i (10:00.0, 11:00.0, ...).",
        "The summary goes to stderr.",
        "Example: trace gen --workload nvme-read --devices 4 --footprint 1G --pasid 0.5 --tee 0.25 --count 1000000 -o nvme.pcapng"})
public final class TraceGenCommand extends TraceCommandBase
{
    @Option(names = {"-w", "--workload"}, paramLabel = "NAME", defaultValue = "nic-rx",
        description = "nic-rx, nic-tx (descriptor ring + packet + write-back + MSI-X), nvme-read, nvme-write " +
            "(SQ entry, PRP list, data pages, CQ entry, MSI-X), random, strided. Default: ${DEFAULT-VALUE}.")
    String workload;

    @Option(names = {"-c", "--count"}, paramLabel = "N", defaultValue = "100000",
        description = "Number of TLPs to write, at most 10^9. Default: ${DEFAULT-VALUE}.")
    long count;

    @Option(names = {"-d", "--devices"}, paramLabel = "N", defaultValue = "1",
        description = "Number of devices taking turns, 1-240. Default: ${DEFAULT-VALUE}.")
    int devices;

    @Option(names = "--footprint", paramLabel = "SIZE", defaultValue = "256M",
        description = "Host memory used by all devices together (at least 4M per device); K/M/G suffixes or 0x hex. " +
            "Default: ${DEFAULT-VALUE}.")
    String footprint;

    @Option(names = "--base", paramLabel = "ADDRESS", defaultValue = "0x100000000",
        description = "First address of the footprint, 2 MiB aligned. Default: ${DEFAULT-VALUE}.")
    String base;

    @Option(names = "--huge-pages", paramLabel = "FRACTION", defaultValue = "0",
        description = "Page-size mix: fraction (0-1) of buffers placed on 2 MiB pages, the rest on 4 KiB pages. " +
            "Default: ${DEFAULT-VALUE}.")
    double hugePages;

    @Option(names = "--tee", paramLabel = "FRACTION", defaultValue = "0",
        description = "Fraction (0-1) of devices that are TEE devices (IDE prefix with T=1), drawn per device. " +
            "Default: ${DEFAULT-VALUE}.")
    double tee;

    @Option(names = "--pasid", paramLabel = "FRACTION", defaultValue = "0",
        description = "Fraction (0-1) of operations whose TLPs carry a PASID prefix (PASID 1+device). " +
            "Default: ${DEFAULT-VALUE}.")
    double pasid;

    @Option(names = "--pasids", paramLabel = "LIST", split = ",",
        description = "PASIDs to draw from for the operations that carry one (comma list, each 1-0xfffff; default PASID 1+device).")
    int[] pasids = new int[0];

    @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "1",
        description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--mps", paramLabel = "BYTES", defaultValue = "256",
        description = "Max_Payload_Size (128-4096, power of two): MWr split size. Default: ${DEFAULT-VALUE}.")
    int maxPayload;

    @Option(names = "--mrrs", paramLabel = "BYTES", defaultValue = "512",
        description = "Max_Read_Request_Size (128-4096, power of two): MRd split size. Default: ${DEFAULT-VALUE}.")
    int maxReadRequest;

    @Option(names = "--transfer-size", paramLabel = "BYTES", defaultValue = "1500",
        description = "Packet size of the NIC workloads and transfer size of strided, 1-65536. Default: ${DEFAULT-VALUE}.")
    int transferSize;

    @Option(names = "--nvme-blocks", paramLabel = "N", defaultValue = "8",
        description = "4 KiB blocks per NVMe command, 1-256 (more than 2 adds a PRP-list read). Default: ${DEFAULT-VALUE}.")
    int nvmeBlocks;

    @Option(names = "--stride", paramLabel = "SIZE", defaultValue = "4K",
        description = "Stride of the strided workload. Default: ${DEFAULT-VALUE}.")
    String stride;

    @Option(names = "--timestamps", paramLabel = "UNIT", defaultValue = "ns",
        description = "Timestamp unit: ns or ps. Default: ${DEFAULT-VALUE}.")
    String timestamps;

    @Option(names = "--to", paramLabel = "FORMAT", defaultValue = "auto",
        description = "Output format: auto (.pcapng is pcapng, anything else text), pcapng, text. Default: ${DEFAULT-VALUE}.")
    String to;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "Output file (created or overwritten).")
    Path output;

    @Override
    public Integer call()
    {
        if (count < 0 || count > TraceGenerator.MAX_COUNT)
        {
            throw new IllegalArgumentException("--count must be 0 to " + TraceGenerator.MAX_COUNT +
                " (10^9, see docs/reliability.md), not " +
                count);
        }
        new CommandFiles().output("--output", output).check();
        final TraceFormat format = TraceConvertCommand.outputFormat(to, output);
        final int exponent = TraceConvertCommand.exponent(timestamps);
        if (0 == exponent)
        {
            throw new IllegalArgumentException("--timestamps \"" + timestamps + "\" is not ns or ps");
        }
        final TraceGenerator.Config config = new TraceGenerator.Config()
            .workload(parseWorkload(workload))
            .devices(devices)
            .footprint(parseSize(footprint, "--footprint"))
            .baseAddress(parseSize(base, "--base"))
            .hugePageFraction(hugePages)
            .teeFraction(tee)
            .pasidFraction(pasid)
            .pasids(pasids)
            .seed(seed)
            .maxPayload(maxPayload)
            .maxReadRequest(maxReadRequest)
            .transferSize(transferSize)
            .nvmeBlocks(nvmeBlocks)
            .stride(parseSize(stride, "--stride"))
            .timestampExponent(exponent);
        final TraceGenerator generator = new TraceGenerator(config);

        boolean ok = false;
        final Progress progress = newProgress("trace gen", count);
        try (TraceWriter writer = TraceFiles.create(output, format, exponent))
        {
            final TraceRecord record = new TraceRecord();
            for (long i = 0; i < count; i++)
            {
                writer.write(generator.next(record));
                progress.tick(i + 1, i + 1);
            }
            ok = true;
        }
        catch (final IOException ex)
        {
            return ioError(output, ex);
        }
        finally
        {
            progress.done();
            if (!ok)
            {
                deleteQuietly(output);
            }
        }

        final StringBuilder teeDevices = new StringBuilder();
        for (int i = 0; i < devices; i++)
        {
            if (generator.isTeeDevice(i))
            {
                TlpFormatter.bdf(teeDevices.append(teeDevices.length() == 0 ? "" : ","), TraceGenerator.requesterId(i));
            }
        }
        err().println("trace gen: wrote " + count + " records to " + output + " (" + TraceInputOptions.name(format) +
            ", workload " + workload.toLowerCase(Locale.ROOT) + ", " + devices + " device(s) from " +
            TlpFormatter.bdf(new StringBuilder(), TraceGenerator.requesterId(0)) + ", seed " + seed +
            ", TEE devices: " + (teeDevices.length() == 0 ? "none" : teeDevices) + ")");
        err().flush();
        return OK;
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignored)
        {
            // best effort
        }
    }

    static Workload parseWorkload(final String text)
    {
        final String name = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (final Workload w : Workload.values())
        {
            if (w.name().equals(name))
            {
                return w;
            }
        }
        throw new IllegalArgumentException("--workload \"" + text +
            "\" is not a workload (nic-rx, nic-tx, nvme-read, nvme-write, random, strided)");
    }

    /** {@code 0x1000}, {@code 4096}, {@code 4K}, {@code 2M}, {@code 1G}, {@code 1T}, underscores allowed. */
    static long parseSize(final String text, final String what)
    {
        final long size = Numbers.parse(text, what);
        if (size < 0)
        {
            throw new IllegalArgumentException(what + " \"" + text + "\" is beyond 2^63 bytes");
        }
        return size;
    }
}
