package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

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
            model.dumpTables(out, requesterId);
            out.flush();
            ImageOptions.reportOutside(err, memory);
        }
        return 0;
    }
}
