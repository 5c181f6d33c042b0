package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.cli.ExitCodes;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.emulator.offline.OfflineModel;
import org.iommuemu.emulator.offline.RegisterValues;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Show an IOMMU's device, context or PASID tables and page tables in a memory image, like a kernel debugfs view. */
@Command(
    name = "tables",
    header = "Dump an IOMMU's translation tables from a memory image.",
    mixinStandardHelpOptions = true,
    description = {
        "Dump the translation structures of an IOMMU in a physical memory image: the valid device table entries",
        "and GCR3 tables (AMD-Vi) or the root, context and PASID entries (VT-d), and each device's (or PASID's)",
        "page-table trees, contiguous leaves coalesced into one line per run.",
        "Example: tables --iommu amdvi --memory mem.elf.xz --reg 0x0=0x100000001ff --device 00:02.0"})
public final class TablesCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Option(names = "--device", paramLabel = "BDF", description = "Only this device (00:02.0 or a 0x requester ID).")
    String device;

    public Integer call() throws IOException
    {
        final PrintWriter err = spec.commandLine().getErr();
        final PrintWriter out = spec.commandLine().getOut();
        final OfflineModel.Factory factory = image.factory();
        final RegisterValues registers = image.registerValues();
        int requesterId = -1;
        if (device != null)
        {
            try
            {
                requesterId = Numbers.parseRequesterId(device);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("--device: " + ex.getMessage());
            }
        }
        try (ImageMemory memory = image.open(err))
        {
            final OfflineModel model = ImageOptions.bringUp(factory, memory, registers);
            ImageOptions.report(err, model);
            out.println("image: " + memory.file() + " (" + memory.description() + ")");
            final long before = memory.outsideReads();
            model.dumpTables(out, requesterId);
            out.flush();
            ImageOptions.reportOutside(err, memory);
            final long reads = memory.outsideReads() - before;
            final long structures = memory.structuresOutside();
            if (reads > 0 || structures > 0)
            {
                // The dump is printed, with the structures the image does not hold marked '!'; but a dump with holes
                // is not a clean answer (exit code 1, as translate's requests the image cannot answer).
                err.println("iommu-emu: " + memory.file() + ": the tables reach memory the image does not hold (" + structures +
                    " structure" + (structures == 1 ? "" : "s") + " marked ! in the dump, " + reads + " read" + (reads == 1 ? "" : "s") +
                    " outside): is --memory-base right, and does the image hold the tables the registers point at?");
                err.flush();
                return ExitCodes.BAD_INPUT;
            }
        }
        return 0;
    }
}
