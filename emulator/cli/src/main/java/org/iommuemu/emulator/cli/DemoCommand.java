package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.cli.trace.TraceInputOptions;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.replay.ReportWriter;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.Formats;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The bundled default job, the README's first command: replay the bundled seed 001 scenarios (an SNP guest's NIC
 * DMA through 2 MiB IOMMU pages over a PSMASHed range, and the same with forced-4K pages) on their bundled
 * traffic, print the comparison and write both reports. {@code --tour} shows the page-table engine instead: map
 * a guest's RAM into each format under the forced-4K and huge-page policies, compare table memory, walk depth
 * and IOTLB reach, split a 2 MiB leaf and merge it back, and the seed 001 story told through single requests.
 */
@Command(
    name = "demo",
    header = "Run the seed 001 story (huge vs 4K IOMMU pages) with a report.",
    mixinStandardHelpOptions = true,
    description = {
        "Replay the bundled seed 001 stories (huge versus forced-4K IOMMU pages) and write a comparison report.",
        "An SNP guest's passthrough NIC DMAs through 2 MiB or 4 KiB IOMMU pages over a range with one private page; the",
        "comparison is printed and written with both reports to iommu-emu-demo/ (index.html shows both runs). With --tour:",
        "the page-table engine tour (forced-4K versus huge pages in every format, a 2M->4K split, the seed 001 story",
        "request by request)."})
final class DemoCommand implements Callable<Integer>
{
    private static final long RAM_IOVA = 0x4000_0000L;
    private static final long RAM_PA = 0x1_0000_0000L;

    @Spec
    CommandSpec spec;

    @Option(names = "--tour", description = "Show the page-table engine tour instead of the replay.")
    boolean tour;

    @Option(names = "--report", paramLabel = "FOLDER", defaultValue = "iommu-emu-demo",
        description = "Report folder of the replay demo (its index.html shows both runs). Default: ${DEFAULT-VALUE}.")
    Path report;

    @Option(names = "--count", paramLabel = "TLPS", description = "TLPs of traffic (default: the scenarios' own count).")
    Long count;

    @Option(names = "--plots", paramLabel = "FORMATS", defaultValue = "png,svg",
        description = "Plot formats of the reports: png, svg, or png,svg. Default: ${DEFAULT-VALUE}.")
    String plots;

    @Option(names = "--progress", negatable = true,
        description = "Show progress with an estimated time left on stderr. Default: on when a console is attached.")
    Boolean progress;

    @Option(names = "--ram", paramLabel = "SIZE", defaultValue = "1280M",
        description = "Tour: guest RAM to map. Default: ${DEFAULT-VALUE}.")
    String ram;

    @Option(names = "--formats", paramLabel = "FORMAT[,FORMAT...]", split = ",", defaultValue = "amdv1:3,x86:4,vtd-ss:4,ept:4",
        description = "Tour: page-table formats to compare. Default: ${DEFAULT-VALUE}.")
    List<String> formats;

    @Option(names = "--iotlb-entries", paramLabel = "ENTRIES", defaultValue = "64",
        description = "Tour: IOTLB size used for the reach column (entries x average leaf size). Default: ${DEFAULT-VALUE}.")
    int iotlbEntries;

    public Integer call() throws IOException
    {
        if (!tour && !spec.commandLine().getParseResult().hasMatchedOption("--ram") &&
            !spec.commandLine().getParseResult().hasMatchedOption("--formats"))
        {
            final PrintWriter out = spec.commandLine().getOut();
            final Set<ReportWriter.ImageFormat> formats = ReplaySupport.imageFormats(plots);
            new CommandFiles().outputFolder("--report", report,
                ReplaySupport.comparisonFiles(List.of("seed001-huge", "seed001-4k"), formats)).check();
            out.println("iommu-emu demo: seed 001, an SNP guest's passthrough NIC; the IOMMU maps its DMA buffers with 2 MiB");
            out.println("pages (seed001-huge) or 4 KiB pages (seed001-4k) over a range where one 4 KiB page was made private.");
            out.println();
            final ReplaySupport.Context context = new ReplaySupport.Context(new TraceInputOptions(), count,
                out, spec.commandLine().getErr(), progress != null ? progress : System.console() != null, List.of());
            final ReplaySupport.Comparison comparison = ReplaySupport.compare(List.of(ReplaySupport.scenario("seed001-huge"),
                ReplaySupport.scenario("seed001-4k")), null, context, report, formats, null);
            out.println();
            out.println(Seed001Story.throughputCost(comparison.results().get(0), comparison.results().get(1)));
            final Path page = comparison.page();
            out.println();
            out.println("Open " + page + " for both runs side by side, overlaid on every plot.");
            out.println("Next: bin/iommu-emu replay --help, bin/iommu-emu compare --scenario nic-passthrough --policies huge,forced-4k,");
            out.println("bin/iommu-emu demo --tour (the page-table engine), docs/scenarios.md (the bundled scenarios).");
            return 0;
        }
        return tourOfTables();
    }

    private Integer tourOfTables()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final long length = Numbers.parse(ram, "--ram") & -4096L;
        if (length <= 0 || length > (64L << 30))
        {
            throw new IllegalArgumentException("--ram must be between 4K and 64G");
        }
        out.printf("iommu-emu demo: %s of guest RAM at IOVA %s -> PA %s, read-write, every 4 KiB page walked%n%n",
            Numbers.size(63 - Long.numberOfLeadingZeros(length)) + (Long.bitCount(length) > 1 ? "+" : ""),
            Numbers.hex(RAM_IOVA), Numbers.hex(RAM_PA));
        out.printf("%-10s %-9s %8s %8s %6s %4s %6s %11s %10s %13s %12s%n", "format", "policy", "leaves", "4K", "2M", "1G",
            "other", "table pages", "table KiB", "entries/walk", "IOTLB reach");
        PageTable keep = null;
        for (final String spec : formats)
        {
            final PageTableFormat format = Formats.parse(spec);
            for (final PageSizePolicy policy : new PageSizePolicy[] {PageSizePolicy.FORCED_4K, PageSizePolicy.LARGEST})
            {
                final PageTable domain = new PageTable(format,
                    new FrameAllocator(new SparseMemory(), WalkCommand.TABLE_POOL_BASE, WalkCommand.TABLE_POOL_SIZE));
                final MapStatus status = domain.map(RAM_IOVA, RAM_PA, length, Permissions.READ_WRITE, policy);
                if (status != MapStatus.OK)
                {
                    throw new IllegalStateException("mapping guest RAM in " + format + " failed: " + status);
                }
                final long[] bySize = new long[64];
                domain.forEachLeaf((iova, oa, sizeLg2, permissions, level) -> bySize[sizeLg2]++);
                long leaves = 0;
                for (final long count : bySize)
                {
                    leaves += count;
                }
                final long entriesRead = walkEveryPage(domain, length);
                final double reach = (double)Math.min(iotlbEntries, leaves) * length / leaves;
                out.printf("%-10s %-9s %8d %8d %6d %4d %6d %11d %10d %13.2f %12s%n", spec,
                    policy.name().toLowerCase(Locale.ROOT).replace('_', '-'), leaves, bySize[12], bySize[21], bySize[30],
                    leaves - bySize[12] - bySize[21] - bySize[30], domain.tablePages(), domain.tableBytes() >> 10,
                    (double)entriesRead / (length >> 12), humanBytes(reach));
                if (policy == PageSizePolicy.LARGEST && keep == null && bySize[21] > 0)
                {
                    keep = domain;
                }
            }
        }
        out.printf("%nformats: %s%n", String.join("; ", formats.stream().map(f -> f + " = " + Formats.parse(f)).toList()));
        out.printf("entries/walk: table entries read per 4 KiB page walked; IOTLB reach: %d entries x average leaf size%n",
            iotlbEntries);
        if (keep != null)
        {
            showSplit(out, keep);
        }
        Seed001Story.run(out);
        out.println();
        out.println("`walk --help` builds your own table; `demo` without --tour replays the seed 001 scenarios.");
        return 0;
    }

    private static long walkEveryPage(final PageTable domain, final long length)
    {
        final WalkResult result = new WalkResult();
        long entries = 0;
        for (long offset = 0; offset < length; offset += 4096)
        {
            if (!domain.translate(RAM_IOVA + offset, Permissions.WRITE, result) || result.outputAddress() != RAM_PA + offset)
            {
                throw new IllegalStateException("walk of " + Numbers.hex(RAM_IOVA + offset) + " gave " + result);
            }
            entries += result.entryCount();
        }
        return entries;
    }

    private static void showSplit(final PrintWriter out, final PageTable domain)
    {
        final long[] firstTwoMegabyteLeaf = {-1};
        domain.forEachLeaf((iova, oa, sizeLg2, permissions, level) ->
        {
            if (sizeLg2 == 21 && firstTwoMegabyteLeaf[0] < 0)
            {
                firstTwoMegabyteLeaf[0] = iova;
            }
        });
        final long page = firstTwoMegabyteLeaf[0] + 0x5000;
        final long before = domain.tablePages();
        final WalkResult result = new WalkResult();
        out.printf("%nSplit in %s: unmap the 4 KiB page %s inside the 2 MiB leaf at %s%n", domain.format(),
            Numbers.hex(page), Numbers.hex(firstTwoMegabyteLeaf[0]));
        domain.unmap(page, 4096);
        domain.translate(page + 4096, Permissions.READ, result);
        out.printf("  table pages %d -> %d; neighbour %s now maps through a %s leaf; %s itself: %s%n", before,
            domain.tablePages(), Numbers.hex(page + 4096), Numbers.size(result.pageSizeLg2()), Numbers.hex(page),
            domain.translate(page, Permissions.READ, result) ? "mapped" : result.fault().toString());
        domain.map(page, RAM_PA + (page - RAM_IOVA), 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K);
        final MapStatus merged = domain.merge(page, 21);
        domain.translate(page, Permissions.READ, result);
        out.printf("  remap it and merge: %s; table pages %d; %s maps through a %s leaf again%n", merged,
            domain.tablePages(), Numbers.hex(page), Numbers.size(result.pageSizeLg2()));
    }

    private static String humanBytes(final double bytes)
    {
        final String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    }
}
