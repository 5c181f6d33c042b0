package org.iommuemu.emulator.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.config.Numbers;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Build a page table from {@code --map} options and print how each IOVA walks. */
@Command(
    name = "walk",
    header = "Build a page table and walk addresses through it.",
    mixinStandardHelpOptions = true,
    description = {
        "Build a page table in emulated memory and walk IOVAs through it, printing each translation or fault",
        "and, with --entries, every entry the walker read.",
        "Example: walk --format amdv1:3 --map 0x40000000=0x80000000+6M --map 0x1000=0x5000+4K:r 0x40001234 0x40201000 0x1000"})
final class WalkCommand implements Callable<Integer>
{
    /** Table pages live here, away from the output addresses a user is likely to map. */
    static final long TABLE_POOL_BASE = 0xF_0000_0000L;
    static final long TABLE_POOL_SIZE = 1L << 30;

    @Spec
    CommandSpec spec;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "amdv1:3",
        description = "Page-table format NAME[:LEVELS]: amdv1 (modes 1-6), x86 (4/5), vtd-ss (2-5), ept (4/5). Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--policy", paramLabel = "POLICY", defaultValue = "largest",
        description = "Page-size policy: largest (huge pages where alignment allows) or forced-4k. Default: ${DEFAULT-VALUE}.")
    String policy;

    @Option(names = "--map", paramLabel = "IOVA=PA+LEN[:PERMS]",
        description = "A mapping, repeatable. PERMS are letters r w x u (default rw). Without --map a sample layout is used.")
    List<String> maps = new ArrayList<>();

    @Option(names = "--access", paramLabel = "LETTERS", defaultValue = "r",
        description = "Access to check: letters r w x u. Default: ${DEFAULT-VALUE}.")
    String access;

    @Option(names = "--entries", description = "Also print every entry the walker read.")
    boolean entries;

    @Parameters(paramLabel = "IOVA", description = "Input addresses to walk. Without any, a few around each mapping.")
    List<String> iovas = new ArrayList<>();

    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PageTableFormat pageTableFormat = Formats.parse(format);
        final PageSizePolicy pageSizePolicy = PageSizePolicy.parse(policy);
        final int accessBits = Permissions.parse(access);
        final PageTable domain = new PageTable(pageTableFormat,
            new FrameAllocator(new SparseMemory(), TABLE_POOL_BASE, TABLE_POOL_SIZE));

        final List<String> layout = maps.isEmpty() ? List.of("0x40000000=0x180000000+6M", "0x1000=0x5000+8K:r") : maps;
        final List<Long> inputs = new ArrayList<>();
        out.println("format " + pageTableFormat + ", policy " + pageSizePolicy.name().toLowerCase(Locale.ROOT));
        for (final String map : layout)
        {
            final long[] parsed = parseMap(map);
            final MapStatus status = domain.map(parsed[0], parsed[1], parsed[2], (int)parsed[3], pageSizePolicy);
            out.printf("map %s -> %s length %s %s: %s%n", Numbers.hex(parsed[0]), Numbers.hex(parsed[1]),
                Numbers.hex(parsed[2]), Permissions.toString((int)parsed[3]), status);
            if (status != MapStatus.OK)
            {
                throw new IllegalArgumentException("--map " + map + " failed: " + status);
            }
            inputs.add(parsed[0]);
            inputs.add(parsed[0] + parsed[2] - 8);
            inputs.add(parsed[0] + parsed[2]);
        }
        out.printf("table pages: %d (%d KiB)%n", domain.tablePages(), domain.tableBytes() >> 10);
        if (!iovas.isEmpty())
        {
            inputs.clear();
            iovas.forEach(text -> inputs.add(Numbers.parse(text, "IOVA")));
        }

        final WalkResult result = new WalkResult();
        for (final long iova : inputs)
        {
            final boolean ok = domain.translate(iova, accessBits, result);
            if (ok)
            {
                out.printf("%-20s -> %-20s %4s %s level %d%n", Numbers.hex(iova), Numbers.hex(result.outputAddress()),
                    Numbers.size(result.pageSizeLg2()), Permissions.toString(result.permissions()), result.level());
            }
            else
            {
                out.printf("%-20s fault %s at level %d%n", Numbers.hex(iova), result.fault(), result.level());
            }
            if (entries)
            {
                for (int i = 0; i < result.entryCount(); i++)
                {
                    out.printf("    L%d entry @%s = %s%n", result.entryLevel(i), Numbers.hex(result.entryAddress(i)),
                        String.format("0x%016x", result.entryValue(i)));
                }
            }
        }
        return 0;
    }

    private static long[] parseMap(final String text)
    {
        final int eq = text.indexOf('=');
        final int plus = text.indexOf('+', eq + 1);
        if (eq < 0 || plus < 0)
        {
            throw new IllegalArgumentException("--map \"" + text + "\" is not IOVA=PA+LEN[:PERMS]");
        }
        final int colon = text.indexOf(':', plus + 1);
        final long iova = Numbers.parse(text.substring(0, eq), "--map IOVA");
        final long pa = Numbers.parse(text.substring(eq + 1, plus), "--map PA");
        final long length = Numbers.parse(colon < 0 ? text.substring(plus + 1) : text.substring(plus + 1, colon), "--map LEN");
        final int permissions = colon < 0 ? Permissions.READ_WRITE : Permissions.parse(text.substring(colon + 1));
        return new long[] {iova, pa, length, permissions};
    }
}
