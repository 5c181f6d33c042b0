package org.iommuemu.pagetable;

import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.format.EptFormat;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based tests of the one mapper against a reference model (an array of 4 KiB pages), every format: any
 * sequence of map (largest or forced-4K pages), unmap, protect, split and merge over a 4 MiB window (two 2 MiB
 * items, so huge leaves, splits and merges happen) leaves the table translating every page of the window exactly
 * as the model says: the same output address and the same read/write permissions, or not present. A map over a
 * mapped page is refused and changes nothing; split and merge never change a translation.
 */
class MapperProperties
{
    private static final long WINDOW = 0x4000_0000L;
    private static final int PAGES = 1024;
    private static final long PA_BASE = 0x1_0000_0000L;
    private static final long POOL = 0x8_0000_0000L;

    enum Kind
    {
        MAP_LARGEST, MAP_4K, UNMAP, PROTECT, SPLIT, MERGE
    }

    /** One operation; {@code count} is clipped to the window. */
    record Op(Kind kind, int start, int count, int paShift, boolean readOnly)
    {
        int pages()
        {
            return Math.max(1, Math.min(count, PAGES - start));
        }
    }

    @Provide
    Arbitrary<String> formats()
    {
        return Arbitraries.of("amdv1:3", "amdv1:4", "x86:4", "vtd-ss:4", "ept:4");
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        final Arbitrary<Integer> start = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.integers().between(0, PAGES - 1)),
            Tuple.of(2, Arbitraries.of(0, 512)),
            Tuple.of(1, Arbitraries.integers().between(0, 7).map(i -> i * 64)));
        final Arbitrary<Integer> count = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.integers().between(1, 24)),
            Tuple.of(2, Arbitraries.of(512, 1024)),
            Tuple.of(1, Arbitraries.integers().between(1, PAGES)));
        final Arbitrary<Integer> shift = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.of(0, 512, 4096)),
            Tuple.of(1, Arbitraries.integers().between(1, 600)));
        return Combinators.combine(Arbitraries.of(Kind.values()), start, count, shift, Arbitraries.of(true, false))
            .as(Op::new).list().ofMinSize(1).ofMaxSize(25);
    }

    private static PageTableFormat format(final String name)
    {
        return switch (name)
        {
            case "amdv1:3" -> new AmdV1Format(3);
            case "amdv1:4" -> new AmdV1Format(4);
            case "x86:4" -> new X86Format(4);
            case "vtd-ss:4" -> new VtdSecondStageFormat(4);
            default -> new EptFormat(4);
        };
    }

    @Property(tries = 80)
    void everyOperationKeepsTheTableEqualToTheReferenceModel(@ForAll("formats") final String name,
        @ForAll("operations") final List<Op> operations)
    {
        final PageTable table = new PageTable(format(name), new FrameAllocator(new SparseMemory(), POOL, 256L << 20));
        final long[] pa = new long[PAGES];
        final int[] permissions = new int[PAGES];
        Arrays.fill(pa, -1);
        int step = 0;
        for (final Op op : operations)
        {
            step++;
            final long iova = WINDOW + ((long)op.start() << 12);
            final int pages = op.pages();
            final long length = (long)pages << 12;
            final int perms = op.readOnly() ? Permissions.READ : Permissions.READ_WRITE;
            switch (op.kind())
            {
                case MAP_LARGEST, MAP_4K ->
                {
                    boolean overlap = false;
                    for (int i = 0; i < pages; i++)
                    {
                        overlap |= pa[op.start() + i] >= 0;
                    }
                    final long outputAddress = PA_BASE + ((long)(op.start() + op.paShift()) << 12);
                    final MapStatus status = table.map(iova, outputAddress, length, perms,
                        op.kind() == Kind.MAP_4K ? PageSizePolicy.FORCED_4K : PageSizePolicy.LARGEST);
                    if (overlap)
                    {
                        assertNotEquals(MapStatus.OK, status, "step " + step + " " + op + ": a map over a mapped page");
                    }
                    else
                    {
                        assertEquals(MapStatus.OK, status, "step " + step + " " + op);
                        for (int i = 0; i < pages; i++)
                        {
                            pa[op.start() + i] = outputAddress + ((long)i << 12);
                            permissions[op.start() + i] = perms;
                        }
                    }
                }
                case UNMAP ->
                {
                    assertEquals(MapStatus.OK, table.unmap(iova, length), "step " + step + " " + op);
                    Arrays.fill(pa, op.start(), op.start() + pages, -1);
                }
                case PROTECT ->
                {
                    assertEquals(MapStatus.OK, table.protect(iova, length, perms), "step " + step + " " + op);
                    for (int i = op.start(); i < op.start() + pages; i++)
                    {
                        permissions[i] = perms;
                    }
                }
                case SPLIT -> table.split(iova, 12);
                case MERGE -> table.merge(iova, 21);
                default -> throw new IllegalStateException();
            }
            assertMatches(table, pa, permissions, name + " step " + step + " " + op);
        }
    }

    private static void assertMatches(final PageTable table, final long[] pa, final int[] permissions, final String where)
    {
        final WalkResult result = new WalkResult();
        for (int page = 0; page < PAGES; page++)
        {
            final long iova = WINDOW + ((long)page << 12) + 0x18;
            final boolean ok = table.translate(iova, 0, result);
            if (pa[page] < 0)
            {
                assertTrue(!ok, where + ": page " + page + " is not mapped in the model but translates to 0x" +
                    Long.toHexString(result.outputAddress()));
                continue;
            }
            assertTrue(ok, where + ": page " + page + " is mapped in the model but faults " + result.fault());
            assertEquals(pa[page] + 0x18, result.outputAddress(), where + ": page " + page);
            assertEquals(permissions[page], result.permissions() & Permissions.READ_WRITE, where + ": permissions of page " + page);
        }
    }
}
