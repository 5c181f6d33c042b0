package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.image.ImageMemory;
import picocli.CommandLine.Option;
import org.iommuemu.emulator.offline.HexField;
import org.iommuemu.emulator.offline.IommuKind;
import org.iommuemu.emulator.offline.OfflineModel;
import org.iommuemu.emulator.offline.RegisterValues;

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

    @Option(names = "--progress", description = "Show decompression progress on stderr even without a console.")
    boolean progress;

    /** The model factory; fails before anything is opened when the kind is unavailable. */
    OfflineModel.Factory factory()
    {
        return IommuKind.parse(iommu).factory();
    }

    RegisterValues registerValues() throws IOException
    {
        return RegisterValues.parse(registersFile, registers);
    }

    ImageMemory open(final PrintWriter err) throws IOException
    {
        final long base;
        try
        {
            base = HexField.parseNumber(memoryBase);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--memory-base \"" + memoryBase + "\" is not a number (0x hex or decimal)");
        }
        return ImageMemory.open(memory, base, new ProgressLine(err, memory.getFileName().toString(), progress || System.console() != null));
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
            err.printf("%d read%s outside the image (read as zero; first at %s)%n", image.outsideReads(),
                image.outsideReads() == 1 ? "" : "s", HexField.hex(image.firstOutsideAddress()));
        }
    }
}
