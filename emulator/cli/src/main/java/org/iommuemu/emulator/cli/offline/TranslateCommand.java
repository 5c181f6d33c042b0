package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.cli.CommandFiles;
import org.iommuemu.emulator.cli.ExitCodes;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.emulator.offline.OfflineModel;
import org.iommuemu.emulator.offline.RegisterValues;
import org.iommuemu.emulator.offline.RequestReader;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Act as a machine's IOMMU on its memory image: translate each request of a CSV file as the hardware would. */
@Command(
    name = "translate",
    header = "Translate DMA requests over a memory image.",
    mixinStandardHelpOptions = true,
    description = {
        "Translate DMA requests through an IOMMU brought up from captured register values over a physical memory image.",
        "Requests: CSV with header requester_id,pasid,iova,access. Results: CSV with",
        "requester_id,pasid,iova,access,outcome,output_address,page_size,permissions,fault, one line per request, in order.",
        "Example: translate --iommu amdvi --memory mem.raw --reg 0x0=0x100000001ff --requests reqs.csv"})
public final class TranslateCommand implements Callable<Integer>
{
    static final String RESULT_HEADER = "requester_id,pasid,iova,access,outcome,output_address,page_size,permissions,fault";

    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Option(names = "--requests", required = true, paramLabel = "REQS.csv", description = "The requests to translate.")
    Path requests;

    @Option(names = "--out", paramLabel = "RESULTS.csv", description = "Where to write the results (default: standard output).")
    Path output;

    public Integer call() throws IOException
    {
        final PrintWriter err = spec.commandLine().getErr();
        final OfflineModel.Factory factory = image.factory();
        final RegisterValues registers = image.registerValues();
        if (!Files.isRegularFile(requests))
        {
            throw new IllegalArgumentException("--requests " + requests + ": no such file");
        }
        new CommandFiles().input("--memory", image.memory).input("--regs", image.registersFile).input("--requests", requests)
            .output("--out", output).check();
        try (ImageMemory memory = image.open(err))
        {
            final OfflineModel model = ImageOptions.bringUp(factory, memory, registers);
            ImageOptions.report(err, model);
            final Map<String, long[]> faults = new LinkedHashMap<>();
            final Answers answers = new Answers(factory, memory, registers, model);
            final Writer out = output == null ? spec.commandLine().getOut() :
                Files.newBufferedWriter(output, StandardCharsets.UTF_8);
            try (InputStream in = Files.newInputStream(requests))
            {
                translateAll(answers, new RequestReader(in, requests.toString()), out, faults);
            }
            finally
            {
                if (output == null)
                {
                    out.flush();
                }
                else
                {
                    out.close();
                }
            }
            final long total = answers.ok + answers.faults + answers.errors;
            final StringBuilder summary = new StringBuilder().append(total).append(" request")
                .append(total == 1 ? "" : "s").append(": ").append(answers.ok).append(" ok, ")
                .append(answers.faults).append(" fault").append(answers.faults == 1 ? "" : "s");
            faults.forEach((name, count) -> summary.append(", ").append(name).append(' ').append(count[0]));
            if (answers.errors > 0)
            {
                summary.append(", ").append(answers.errors).append(" not answered (they need memory the image does not hold)");
            }
            err.println(summary.append(" (").append(memory.description()).append(')'));
            ImageOptions.reportOutside(err, memory);
            if (answers.errors > 0)
            {
                err.println("iommu-emu: " + requests + ": " + answers.errors + " request" + (answers.errors == 1 ? "" : "s") +
                    " could not be answered from " + memory.file() + " (outcome \"error\"): is --memory-base right, and does the " +
                    "image hold the tables the registers point at?");
                err.flush();
                return ExitCodes.BAD_INPUT;
            }
        }
        return 0;
    }

    /**
     * The model that answers, and the counts. A request whose walk read memory the image does not hold is not
     * answered (its zeros would make up a translation or a fault): it is an {@code error}, and the model is brought
     * up again from the register values, so nothing derived from those zeros stays in its caches.
     */
    private static final class Answers
    {
        private final OfflineModel.Factory factory;
        private final ImageMemory memory;
        private final RegisterValues registers;
        private IommuPort port;
        long ok;
        long faults;
        long errors;

        Answers(final OfflineModel.Factory factory, final ImageMemory memory, final RegisterValues registers, final OfflineModel model)
        {
            this.factory = factory;
            this.memory = memory;
            this.registers = registers;
            this.port = model.port();
        }

        /** @return 1 ok, 0 fault, -1 not answered (read outside the image at {@link ImageMemory#lastOutsideAddress()}). */
        int answer(final DmaRequest request, final RequestOutcome outcome)
        {
            final long before = memory.outsideReads();
            final boolean translated = translate(port, request, outcome);
            if (memory.outsideReads() != before)
            {
                errors++;
                port = factory.create(memory, registers).port();
                return -1;
            }
            if (translated)
            {
                ok++;
                return 1;
            }
            faults++;
            return 0;
        }
    }

    private static void translateAll(final Answers answers, final RequestReader reader, final Writer out,
        final Map<String, long[]> faults) throws IOException
    {
        final DmaRequest request = new DmaRequest();
        final RequestOutcome outcome = new RequestOutcome();
        final String[] echo = new String[RequestReader.COLUMNS.length];
        final StringBuilder line = new StringBuilder(128);
        out.write(RESULT_HEADER);
        out.write('\n');
        while (reader.next(request, echo))
        {
            final int answer = answers.answer(request, outcome);
            line.setLength(0);
            line.append(echo[0]).append(',').append(echo[1]).append(',').append(echo[2]).append(',').append(echo[3]).append(',');
            if (answer > 0)
            {
                line.append("ok,0x").append(Long.toHexString(outcome.outputAddress())).append(',')
                    .append(Numbers.size(outcome.pageSizeLg2())).append(',')
                    .append((outcome.permissions() & Permissions.READ) != 0 ? "r" : "")
                    .append((outcome.permissions() & Permissions.WRITE) != 0 ? "w" : "").append(',');
            }
            else if (answer == 0)
            {
                final FaultKind fault = outcome.fault();
                faults.computeIfAbsent(fault.faultName(), name -> new long[1])[0]++;
                line.append("fault,,,,").append(fault.faultName());
            }
            else
            {
                line.append("error,,,,outside the image at ").append(Numbers.hex(answers.memory.lastOutsideAddress()));
            }
            line.append('\n');
            out.append(line);
        }
    }

    /**
     * One request through the port. An {@code rw} request (an atomic or a read-modify-write) needs both
     * permissions: it goes through as a read and, if that is allowed, as a read-write access, so a read fault is
     * reported as such even by a model that checks only the write of a read-write request.
     */
    static boolean translate(final IommuPort port, final DmaRequest request, final RequestOutcome outcome)
    {
        if (request.access() == Permissions.READ_WRITE)
        {
            request.access(Permissions.READ);
            final boolean readable = port.handle(request, outcome);
            request.access(Permissions.READ_WRITE);
            if (!readable)
            {
                return false;
            }
        }
        return port.handle(request, outcome);
    }
}
