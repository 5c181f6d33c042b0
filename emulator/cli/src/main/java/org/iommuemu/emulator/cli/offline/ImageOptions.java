package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.config.InputDataException;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.emulator.offline.IommuKind;
import org.iommuemu.emulator.offline.OfflineModel;
import org.iommuemu.emulator.offline.RegisterValues;
import picocli.CommandLine.Option;

/** The options {@code translate} and {@code tables} share: which IOMMU, which image, which register values. */
final class ImageOptions
{
    @Option(names = "--iommu", required = true, paramLabel = "vtd|amdvi", description = "The IOMMU to act as: amdvi or vtd.")
    String iommu;

    @Option(names = "--memory", required = true, paramLabel = "IMAGE",
        description = "Physical memory image: raw (pmemsave) or ELF core (dump-guest-memory), optionally gzip- or xz-compressed.")
    Path memory;

    @Option(names = "--memory-base", paramLabel = "ADDR", defaultValue = "0",
        description = "Physical address of the first byte of a raw image. Default: ${DEFAULT-VALUE}.")
    String memoryBase;

    @Option(names = "--reg", paramLabel = "OFFSET=VALUE",
        description = "A register value (hex offset into the MMIO block = hex value), repeatable; overrides --regs.")
    List<String> registers = new ArrayList<>();

    @Option(names = "--regs", paramLabel = "FILE", description = "Register values, one OFFSET=VALUE per line; # comments.")
    Path registersFile;

    @Option(names = "--progress", negatable = true,
        description = "Show decompression progress with an estimated time left on stderr. Default: on when a console is attached.")
    Boolean progress;

    @Option(names = "--max-image-size", paramLabel = "SIZE", defaultValue = "64G",
        description = "Largest size a compressed image may decompress to (K/M/G/T suffixes or 0x hex). Default: ${DEFAULT-VALUE}.")
    String maxImageSize;

    @Option(names = "--switch", paramLabel = "KEY=VALUE",
        description = "A model switch, repeatable: the keys of a scenario's platform.vtd section (VT-d) or the switch keys of " +
            "its amdvi section (AMD-Vi), e.g. second-stage-fault-codes=scalable or ats-fault-events=silent (docs/offline.md).")
    List<String> switches = new ArrayList<>();

    /** The model factory; fails before anything is opened when the kind is unavailable. */
    OfflineModel.Factory factory()
    {
        return IommuKind.parse(iommu).factory(switches);
    }

    RegisterValues registerValues() throws IOException
    {
        return RegisterValues.parse(registersFile, registers);
    }

    /** The image, mapped; a missing image file is a usage error. */
    ImageMemory open(final PrintWriter err) throws IOException
    {
        if (!Files.isRegularFile(memory))
        {
            throw new IllegalArgumentException("--memory " + memory + ": " +
                (Files.exists(memory) ? "not a regular file" : "no such file"));
        }
        final long base;
        try
        {
            base = Numbers.parseNumber(memoryBase);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--memory-base \"" + memoryBase + "\" is not a number (0x hex or decimal)");
        }
        final long cap;
        try
        {
            cap = Numbers.parseSize(maxImageSize);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--max-image-size \"" + maxImageSize + "\" is not a size (4G, 0x100000000, ...)");
        }
        if (cap <= 0)
        {
            throw new IllegalArgumentException("--max-image-size \"" + maxImageSize + "\" must be a positive size (4G, 0x100000000, ...)");
        }
        return ImageMemory.open(memory, base, new ProgressLine(err, memory.getFileName().toString(), progress != null ? progress :
            System.console() != null),
            cap);
    }

    /** Print the model's notes from its bring-up. */
    static void report(final PrintWriter err, final OfflineModel model)
    {
        for (final String note : model.notes())
        {
            err.println("note: " + note);
        }
    }

    /** Print, if any, how many reads fell outside the image. */
    static void reportOutside(final PrintWriter err, final ImageMemory image)
    {
        if (image.outsideReads() > 0)
        {
            err.printf("%d read%s outside the image (first at %s)%n", image.outsideReads(),
                image.outsideReads() == 1 ? "" : "s", Numbers.hex(image.firstOutsideAddress()));
        }
    }

    /**
     * Bring the model up; bring-up that reads memory the image does not hold (a command buffer outside it, say) is
     * bad input: the model would start from zeros that are not in the image.
     */
    static OfflineModel bringUp(final OfflineModel.Factory factory, final ImageMemory memory, final RegisterValues registers)
    {
        final long before = memory.outsideReads();
        final OfflineModel model = factory.create(memory, registers);
        if (memory.outsideReads() != before)
        {
            throw new InputDataException(memory.file() + ": bringing the IOMMU up from the register " +
                "values read physical address " + Numbers.hex(memory.firstOutsideAddress()) + ", which the image (" +
                memory.description() + ") does not hold: check --memory-base and the register values");
        }
        return model;
    }
}
