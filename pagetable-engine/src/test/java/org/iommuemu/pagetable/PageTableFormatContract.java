package org.iommuemu.pagetable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract every {@link PageTableFormat} meets, run on each configuration a subclass lists, in the
 * manner of generic_pt's kunit tests: every operation at every level and every page size, boundary
 * addresses, reserved-bit and width faults, and random map/unmap/protect/split/merge sequences checked
 * against a reference model (a map of 4 KiB pages) after every step.
 * <p>
 * Shipped in this module's test-jar so formats defined elsewhere (the S-EPT) run the same suite.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class PageTableFormatContract
{
    /** Table pages come from here, far from the output addresses the tests map. */
    protected static final long TABLE_POOL_BASE = 0x7_0000_0000L;
    protected static final long TABLE_POOL_SIZE = 64L << 20;

    private static final int[] PERMISSION_CANDIDATES = {
        Permissions.READ, Permissions.READ_WRITE, Permissions.READ | Permissions.EXECUTE,
        Permissions.ALL, Permissions.READ | Permissions.USER, Permissions.WRITE, Permissions.EXECUTE};

    /** The configurations to test. */
    protected abstract Stream<PageTableFormat> formats();

    protected static PageTable newDomain(final PageTableFormat format)
    {
        final SparseMemory memory = new SparseMemory();
        return new PageTable(format, new FrameAllocator(memory, TABLE_POOL_BASE, TABLE_POOL_SIZE));
    }

    /** An {@code index} override (the radix shortcut) equals the general formula at every level, for any input. */
    @ParameterizedTest
    @MethodSource("formats")
    void indexMatchesTheGeneralFormula(final PageTableFormat format)
    {
        final Random random = new Random(format.toString().hashCode() ^ 0x1DE8);
        for (int i = 0; i < 4000; i++)
        {
            final long input = i < 64 ? 1L << i ^ (i % 3 == 0 ? -1L : 0) : random.nextLong();
            for (int level = 0; level < format.levels(); level++)
            {
                final long expected = (input >>> format.itemSizeLg2(level)) & ((1L << format.itemsPerTableLg2(level)) - 1);
                assertEquals(expected, format.index(input, level), format + " level " + level + " input " + hex(input));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void levelsDecodeOneUnbrokenSpanOfInputBits(final PageTableFormat format)
    {
        assertEquals(PageTableFormat.GRANULE_LG2, format.itemSizeLg2(0));
        for (int level = 0; level < format.topLevel(); level++)
        {
            assertEquals(9, format.itemsPerTableLg2(level), "level " + level);
            assertEquals(format.itemSizeLg2(level) + format.itemsPerTableLg2(level), format.itemSizeLg2(level + 1));
        }
        final int top = format.topLevel();
        assertEquals(Math.min(64, format.inputAddressLg2()), format.itemSizeLg2(top) + format.itemsPerTableLg2(top));
    }

    @ParameterizedTest
    @MethodSource("formats")
    void possibleSizesStayInsideTheirTable(final PageTableFormat format)
    {
        assertTrue((format.allLeafSizes() & (1L << 12)) != 0, "every format maps 4 KiB");
        for (int level = 0; level < format.levels(); level++)
        {
            long sizes = format.leafSizes(level);
            while (sizes != 0)
            {
                final int lg2 = Long.numberOfTrailingZeros(sizes);
                sizes &= sizes - 1;
                assertTrue(lg2 >= format.itemSizeLg2(level), "size below the item at level " + level);
                assertTrue(lg2 < format.itemSizeLg2(level) + format.itemsPerTableLg2(level),
                    "a contiguous leaf must not span a whole table, level " + level);
                assertTrue(lg2 <= format.outputAddressLg2());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void emptyAndTableEntriesRoundTrip(final PageTableFormat format)
    {
        final long maxTable = (1L << format.outputAddressLg2()) - 4096;
        for (int level = 0; level < format.levels(); level++)
        {
            assertEquals(PageTableFormat.KIND_EMPTY, format.kind(format.emptyEntry(level), level));
            if (level == 0)
            {
                continue;
            }
            for (final long address : new long[] {0, 0x1000, maxTable})
            {
                final long entry = format.makeTable(address, level);
                assertEquals(PageTableFormat.KIND_TABLE, format.kind(entry, level), hex(entry));
                assertEquals(WalkFault.NONE, format.validate(entry, level, PageTableFormat.KIND_TABLE));
                assertEquals(address, format.tableAddress(entry, level));
                assertEquals(level - 1, format.nextLevel(entry, level));
                assertEquals(Permissions.ALL, format.permissions(entry, level), "tables leave permissions to the leaves");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void leafEntriesRoundTripAtEveryLevelSizeAndBoundary(final PageTableFormat format)
    {
        for (int level = 0; level < format.levels(); level++)
        {
            long sizes = format.leafSizes(level);
            while (sizes != 0)
            {
                final int lg2 = Long.numberOfTrailingZeros(sizes);
                sizes &= sizes - 1;
                final long maxOa = (1L << format.outputAddressLg2()) - (1L << lg2);
                for (final long oa : new long[] {0, maxOa})
                {
                    for (final int permissions : expressiblePermissions(format))
                    {
                        final long attributes = format.attributesFor(permissions);
                        final long entry = format.makeLeaf(oa, lg2, level, attributes);
                        final String what = format + " level " + level + " size 2^" + lg2 + " oa " + hex(oa) + " = " + hex(entry);
                        assertEquals(PageTableFormat.KIND_LEAF, format.kind(entry, level), what);
                        assertEquals(WalkFault.NONE, format.validate(entry, level, PageTableFormat.KIND_LEAF), what);
                        assertEquals(lg2, format.leafSizeLg2(entry, level), what);
                        assertEquals(oa, format.leafAddress(entry, level, lg2), what);
                        assertEquals(permissions | format.impliedPermissions(), format.permissions(entry, level), what);
                        assertEquals(attributes, format.attributes(entry, level), what);
                    }
                }
                if (lg2 == format.itemSizeLg2(level))
                {
                    // The split fills a table by adding the item size to the first leaf: check that against
                    // building each leaf (brute force).
                    final long attributes = format.attributesFor(Permissions.READ_WRITE);
                    final long first = format.makeLeaf(0x40000000L & -(1L << lg2), lg2, level, attributes);
                    for (int i = 1; i < 512; i += 73)
                    {
                        final long expected = format.makeLeaf((0x40000000L & -(1L << lg2)) + ((long)i << lg2), lg2, level, attributes);
                        if (((0x40000000L & -(1L << lg2)) + ((long)i << lg2)) >>> format.outputAddressLg2() == 0)
                        {
                            assertEquals(expected, first + ((long)i << lg2), "linear address field at level " + level);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void fusedTableStepMatchesTheSeparateFunctions(final PageTableFormat format)
    {
        // The walker's fused step against its definition (brute force), on valid tables and leaves, every
        // single-bit change of them, and random words.
        final Random random = new Random(format.toString().hashCode());
        for (int level = 0; level < format.levels(); level++)
        {
            final List<Long> entries = new ArrayList<>();
            entries.add(format.emptyEntry(level));
            if (level > 0)
            {
                entries.add(format.makeTable(0x1234_5000L & ((1L << format.outputAddressLg2()) - 1), level));
            }
            long sizes = format.leafSizes(level);
            while (sizes != 0)
            {
                final int lg2 = Long.numberOfTrailingZeros(sizes);
                sizes &= sizes - 1;
                for (final int permissions : expressiblePermissions(format))
                {
                    entries.add(format.makeLeaf(0, lg2, level, format.attributesFor(permissions)));
                }
            }
            final int seeds = entries.size();
            for (int i = 0; i < seeds; i++)
            {
                for (int bit = 0; bit < 64; bit++)
                {
                    entries.add(entries.get(i) ^ (1L << bit));
                }
            }
            for (int i = 0; i < 2000; i++)
            {
                entries.add(random.nextLong());
            }
            for (final long entry : entries)
            {
                assertEquals(PageTableFormat.composedTableStep(format, entry, level), format.tableStep(entry, level),
                    format + " level " + level + " entry " + hex(entry));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void pathPermissionsEqualTheAndOfEveryEntrysPermissions(final PageTableFormat format)
    {
        // The walker folds a path into the AND and the OR of its raw entries; decoding those must give what
        // ANDing the permissions of each entry gives. Valid entries only (tables and leaves from the format's
        // own constructors, with every expressible permission set, and their valid single-bit variants).
        final Random random = new Random(format.toString().hashCode() * 31L);
        final List<Long> valid = new ArrayList<>();
        final List<Integer> validLevels = new ArrayList<>();
        for (int level = 0; level < format.levels(); level++)
        {
            final List<Long> candidates = new ArrayList<>();
            if (level > 0)
            {
                candidates.add(format.makeTable(0x1234_5000L & ((1L << format.outputAddressLg2()) - 1), level));
            }
            long sizes = format.leafSizes(level);
            while (sizes != 0)
            {
                final int lg2 = Long.numberOfTrailingZeros(sizes);
                sizes &= sizes - 1;
                for (final int permissions : expressiblePermissions(format))
                {
                    candidates.add(format.makeLeaf(0, lg2, level, format.attributesFor(permissions)));
                }
            }
            final int seeds = candidates.size();
            for (int i = 0; i < seeds; i++)
            {
                for (int bit = 0; bit < 64; bit++)
                {
                    candidates.add(candidates.get(i) ^ (1L << bit));
                }
            }
            for (final long entry : candidates)
            {
                final int kind = format.kind(entry, level);
                if (kind != PageTableFormat.KIND_EMPTY && format.validate(entry, level, kind) == WalkFault.NONE)
                {
                    valid.add(entry);
                    validLevels.add(level);
                }
            }
        }
        assertTrue(valid.size() > 10, format + ": too few valid entries to test");
        for (int i = 0; i < 20_000; i++)
        {
            final int length = 1 + random.nextInt(6);
            long all = -1L;
            long any = 0;
            int expected = Permissions.ALL;
            final StringBuilder path = new StringBuilder();
            for (int j = 0; j < length; j++)
            {
                final int pick = random.nextInt(valid.size());
                final long entry = valid.get(pick);
                all &= entry;
                any |= entry;
                expected &= format.permissions(entry, validLevels.get(pick));
                path.append(' ').append(hex(entry));
            }
            assertEquals(expected, format.pathPermissions(all, any, 0), format + " path" + path);
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void mapWalkUnmapEveryLevelSizeAndBoundary(final PageTableFormat format)
    {
        final WalkResult result = new WalkResult();
        for (int level = 0; level < format.levels(); level++)
        {
            long sizes = format.leafSizes(level);
            while (sizes != 0)
            {
                final int lg2 = Long.numberOfTrailingZeros(sizes);
                sizes &= sizes - 1;
                final long size = 1L << lg2;
                for (final long iova : boundaryInputs(format, size))
                {
                    for (final long oa : new long[] {0, (1L << format.outputAddressLg2()) - size})
                    {
                        final PageTable domain = newDomain(format);
                        final String what = format + " level " + level + " size 2^" + lg2 + " iova " + hex(iova) + " oa " + hex(oa);
                        assertEquals(MapStatus.OK, domain.map(iova, oa, size, Permissions.READ, 1L << lg2), what);
                        assertEquals(format.topLevel() - level + 1, domain.tablePages(), what);

                        final long offset = size - 8;
                        assertTrue(domain.translate(iova + offset, Permissions.READ, result), what + " " + result);
                        assertEquals(oa + offset, result.outputAddress(), what);
                        assertEquals(lg2, result.pageSizeLg2(), what);
                        assertEquals(level, result.level(), what);
                        assertEquals(format.topLevel() - level + 1, result.entryCount(), what);
                        assertEquals(domain.root() + 8L * format.index(iova + offset, format.topLevel()), result.entryAddress(0));
                        assertTrue(domain.translate(iova, Permissions.READ, result), what);
                        assertEquals(oa, result.outputAddress(), what);

                        assertFalse(domain.translate(iova, Permissions.WRITE, result), what);
                        assertEquals(WalkFault.PERMISSION, result.fault(), what);

                        final List<long[]> leaves = leaves(domain);
                        assertEquals(1, leaves.size(), what);
                        assertEquals(iova, leaves.get(0)[0], what);
                        assertEquals(oa, leaves.get(0)[1], what);
                        assertEquals(lg2, leaves.get(0)[2], what);

                        assertEquals(MapStatus.OK, domain.unmap(iova, size), what);
                        assertEquals(size, domain.affectedBytes(), what);
                        assertFalse(domain.translate(iova, Permissions.READ, result), what);
                        assertEquals(WalkFault.NOT_PRESENT, result.fault(), what);
                        assertEquals(1, domain.tablePages(), "only the root remains: " + what);
                        assertEquals(1, domain.allocator().allocatedFrames(), what);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void everyReservedBitFaultsAtEveryLevel(final PageTableFormat format)
    {
        final WalkResult result = new WalkResult();
        for (int leafLevel = 0; leafLevel < format.levels(); leafLevel++)
        {
            final long sizes = format.leafSizes(leafLevel);
            if ((sizes & (1L << format.itemSizeLg2(leafLevel))) == 0)
            {
                continue;
            }
            final int lg2 = format.itemSizeLg2(leafLevel);
            final PageTable domain = newDomain(format);
            final long iova = 0x1234L << lg2 & maxInput(format) & -(1L << lg2);
            assertEquals(MapStatus.OK, domain.map(iova, 0, 1L << lg2, Permissions.READ_WRITE, 1L << lg2));
            assertTrue(domain.translate(iova, Permissions.READ, result), result.toString());
            for (int i = 0; i < result.entryCount(); i++)
            {
                final int level = result.entryLevel(i);
                final long address = result.entryAddress(i);
                final long original = result.entryValue(i);
                final int kind = format.kind(original, level);
                long reserved = format.reservedMask(level, kind, kind == PageTableFormat.KIND_LEAF ? lg2 : 0);
                while (reserved != 0)
                {
                    final long bit = Long.lowestOneBit(reserved);
                    reserved &= reserved - 1;
                    domain.memory().writeEntry(address, original | bit);
                    final WalkResult faulted = new WalkResult();
                    assertFalse(domain.translate(iova, Permissions.READ, faulted),
                        format + " level " + level + " bit " + Long.numberOfTrailingZeros(bit) + ": " + faulted);
                    assertEquals(WalkFault.RESERVED_BIT, faulted.fault(),
                        format + " level " + level + " bit " + Long.numberOfTrailingZeros(bit) + ": " + faulted);
                    assertEquals(level, faulted.level());
                    domain.memory().writeEntry(address, original);
                }
            }
            assertTrue(domain.translate(iova, Permissions.READ, result));
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void aFullWidthFormatTakesEveryInput(final PageTableFormat format)
    {
        Assumptions.assumeTrue(format.inputAddressLg2() >= 64, format + " has an input width below 64 bits");
        assertTrue(format.isValidInput(-1L));
        assertTrue(format.isValidInput(Long.MIN_VALUE));
    }

    @ParameterizedTest
    @MethodSource("formats")
    void inputsBeyondTheWidthFault(final PageTableFormat format)
    {
        final int width = format.inputAddressLg2();
        Assumptions.assumeTrue(width < 64, format + " takes every 64-bit input");
        final PageTable domain = newDomain(format);
        final WalkResult result = new WalkResult();
        final long beyond = format.signExtended() ? 1L << (width - 1) : 1L << width;
        assertFalse(domain.translate(beyond, Permissions.READ, result));
        assertEquals(WalkFault.ADDRESS_WIDTH, result.fault());
        assertEquals(0, result.entryCount(), "no entry is read for an input beyond the width");
        assertEquals(MapStatus.OUT_OF_RANGE, domain.map(beyond, 0, 4096, Permissions.READ, PageSizePolicy.LARGEST));
        assertEquals(MapStatus.OUT_OF_RANGE, domain.map(beyond - 4096, 0, 8192, Permissions.READ, PageSizePolicy.LARGEST));
        assertEquals(MapStatus.OUT_OF_RANGE, domain.map(0, (1L << format.outputAddressLg2()) - 4096, 8192,
            Permissions.READ, PageSizePolicy.LARGEST));
        assertEquals(1, domain.tablePages());
    }

    @ParameterizedTest
    @MethodSource("formats")
    void aTableThatPointsAtItselfCannotLoop(final PageTableFormat format)
    {
        final PageTable domain = newDomain(format);
        final WalkResult result = new WalkResult();
        for (int level = format.topLevel(); level > 0; level--)
        {
            domain.memory().writeEntry(domain.root() + 8L * format.index(0, level), format.makeTable(domain.root(), level));
        }
        domain.translate(0, Permissions.READ, result);
        assertTrue(result.entryCount() <= format.levels(), result.toString());
    }

    @ParameterizedTest
    @MethodSource("formats")
    void everyEntryReadIsReportedToTheMemoryListener(final PageTableFormat format)
    {
        final PageTable domain = newDomain(format);
        final long iova = 0x1F000L;
        assertEquals(MapStatus.OK, domain.map(iova, 0x9000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        final List<Long> reads = new ArrayList<>();
        domain.memory().listener(new MemoryAccessListener()
        {
            public void onEntryRead(final long address, final long value)
            {
                reads.add(address);
            }
        });
        final WalkResult result = new WalkResult();
        assertTrue(domain.translate(iova, Permissions.WRITE, result));
        assertEquals(result.entryCount(), reads.size());
        for (int i = 0; i < reads.size(); i++)
        {
            assertEquals(result.entryAddress(i), reads.get(i));
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void splitAndMergeEveryLeafSizeKeepTranslations(final PageTableFormat format)
    {
        final WalkResult result = new WalkResult();
        for (int level = 1; level < format.levels(); level++)
        {
            final int lg2 = format.itemSizeLg2(level);
            if ((format.leafSizes(level) & (1L << lg2)) == 0 || lg2 > 39)
            {
                continue;
            }
            final PageTable domain = newDomain(format);
            final long iova = 3L << lg2;
            final long oa = 5L << lg2;
            assertEquals(MapStatus.OK, domain.map(iova, oa, 1L << lg2, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
            final long pagesBefore = domain.tablePages();
            final long probe = iova + (1L << lg2) - 4096 * 3;
            assertEquals(MapStatus.OK, domain.split(probe, 12));
            assertTrue(domain.translate(probe, Permissions.WRITE, result), result.toString());
            assertEquals(12, result.pageSizeLg2());
            assertEquals(oa + (probe - iova), result.outputAddress());
            assertEquals(pagesBefore + level, domain.tablePages(), "one new table per level split");
            assertTrue(domain.translate(iova, Permissions.WRITE, result));
            assertEquals(oa, result.outputAddress());

            assertEquals(MapStatus.OK, domain.merge(probe, lg2));
            assertEquals(pagesBefore, domain.tablePages());
            assertTrue(domain.translate(probe, Permissions.WRITE, result));
            assertEquals(lg2, result.pageSizeLg2());
            assertEquals(oa + (probe - iova), result.outputAddress());
            assertEquals(domain.tablePages(), domain.allocator().allocatedFrames());
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void forcedFourKilobytePolicyNeverCreatesHugeLeaves(final PageTableFormat format)
    {
        assumeWidth(format, 32);
        final long length = 4L << 20;
        final PageTable small = newDomain(format);
        assertEquals(MapStatus.OK, small.map(0x4000_0000L, 0x8000_0000L, length, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        final List<long[]> smallLeaves = leaves(small);
        assertEquals(length >> 12, smallLeaves.size());
        smallLeaves.forEach(leaf -> assertEquals(12, leaf[2]));

        final PageTable huge = newDomain(format);
        assertEquals(MapStatus.OK, huge.map(0x4000_0000L, 0x8000_0000L, length, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        if ((format.allLeafSizes() & (1L << 21)) != 0)
        {
            assertTrue(leaves(huge).size() <= 2, "4 MiB aligned maps to at most two leaves when huge pages are allowed");
            assertTrue(huge.tablePages() < small.tablePages());
        }
        else
        {
            assertEquals(smallLeaves.size(), leaves(huge).size(), "without large pages both policies map 4 KiB");
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void mapOverAnExistingMappingFailsAndChangesNothing(final PageTableFormat format)
    {
        assumeWidth(format, 32);
        final PageTable domain = newDomain(format);
        assertEquals(MapStatus.OK, domain.map(0x20_0000L + 0x5000, 0x1000_0000L, 4096, Permissions.READ, PageSizePolicy.LARGEST));
        final List<long[]> before = leaves(domain);
        final long pagesBefore = domain.tablePages();
        assertEquals(MapStatus.EXISTS, domain.map(0, 0x4000_0000L, 8L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        assertLeavesEqual(before, leaves(domain));
        assertEquals(pagesBefore, domain.tablePages());
        assertEquals(pagesBefore, domain.allocator().allocatedFrames());
    }

    @ParameterizedTest
    @MethodSource("formats")
    void runningOutOfTablePagesFailsCleanly(final PageTableFormat format)
    {
        final SparseMemory memory = new SparseMemory();
        final FrameAllocator allocator = new FrameAllocator(memory, TABLE_POOL_BASE, 2 * 4096L);
        final PageTable domain = new PageTable(format, allocator);
        Assumptions.assumeTrue(format.levels() >= 3, "needs two table pages below the root");
        final MapStatus status = domain.map(0x1000L, 0x1000_0000L, 4096, Permissions.READ, PageSizePolicy.FORCED_4K);
        assertEquals(MapStatus.NO_MEMORY, status);
        assertEquals(1, domain.tablePages());
        assertEquals(1, allocator.allocatedFrames());
        assertTrue(leaves(domain).isEmpty());
    }

    @ParameterizedTest
    @MethodSource("formats")
    void partialUnmapOfAHugeLeafSplitsIt(final PageTableFormat format)
    {
        assumeWidth(format, 32);
        Assumptions.assumeTrue((format.allLeafSizes() & (1L << 21)) != 0, format + " has no 2 MiB leaves");
        final PageTable domain = newDomain(format);
        final WalkResult result = new WalkResult();
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8000_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.X86_SIZES));
        assertEquals(MapStatus.OK, domain.unmap(0x4000_0000L + 0x7000, 4096));
        assertEquals(4096, domain.affectedBytes());
        assertFalse(domain.translate(0x4000_0000L + 0x7000, Permissions.READ, result));
        assertEquals(WalkFault.NOT_PRESENT, result.fault());
        assertTrue(domain.translate(0x4000_0000L + 0x8000, Permissions.READ, result));
        assertEquals(0x8000_8000L, result.outputAddress());
        assertEquals(12, result.pageSizeLg2());
        assertEquals(511, leaves(domain).size());
    }

    @ParameterizedTest
    @MethodSource("formats")
    void randomOperationsMatchTheReferenceModelNearZero(final PageTableFormat format)
    {
        randomOperations(format, format.inputAddressLg2() < 32 ? 0 : 0x4000_0000L, 1);
    }

    @ParameterizedTest
    @MethodSource("formats")
    void randomOperationsMatchTheReferenceModelAtTheTopOfTheWidth(final PageTableFormat format)
    {
        randomOperations(format, maxInput(format) - window(format) + 1, 2);
    }

    // ----------------------------------------------------------------------------------------------------------

    /** The random-operation window: 64 MiB, or half the input space when that is smaller. */
    private static long window(final PageTableFormat format)
    {
        return Math.min(64L << 20, 1L << Math.min(62, format.inputAddressLg2() - 1));
    }

    // ------------------------------------------------------------------------------------------- access/dirty

    /** Marking a write walk sets A in every entry used and D in the leaf; the entries stay valid and translate the same. */
    @ParameterizedTest
    @MethodSource("formats")
    void markingAWalkSetsAccessedAndDirtyFlags(final PageTableFormat format)
    {
        Assumptions.assumeTrue(format.accessedFlag(0) != 0, format + " has no accessed flag");
        assumeWidth(format, 32);
        final PageTable domain = newDomain(format);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        final WalkResult read = new WalkResult();
        assertTrue(domain.translate(0x4000_0123L, Permissions.READ, read));
        assertEquals(read.entryCount(), AccessedDirty.mark(format, domain.memory(), read, false), "a read sets A in every entry");
        for (int i = 0; i < read.entryCount(); i++)
        {
            final long entry = domain.memory().readEntry(read.entryAddress(i));
            assertEquals(format.accessedFlag(read.entryLevel(i)), entry & format.accessedFlag(read.entryLevel(i)), "A at entry " + i);
        }
        final long leafAddress = read.entryAddress(read.entryCount() - 1);
        assertEquals(0, domain.memory().readEntry(leafAddress) & format.dirtyFlag(0), "a read leaves D clear");

        final WalkResult write = new WalkResult();
        assertTrue(domain.translate(0x4000_0123L, Permissions.WRITE, write), "A does not change the translation");
        assertEquals(read.outputAddress(), write.outputAddress());
        assertEquals(read.permissions(), write.permissions());
        assertEquals(1, AccessedDirty.mark(format, domain.memory(), write, true), "a write adds only the leaf's D");
        assertEquals(format.dirtyFlag(0), domain.memory().readEntry(leafAddress) & format.dirtyFlag(0));
        assertEquals(0, AccessedDirty.mark(format, domain.memory(), write, true), "every flag already set: no write");
        assertTrue(domain.translate(0x4000_0123L, Permissions.WRITE, write), "D does not change the translation");
        assertEquals(read.outputAddress(), write.outputAddress());
    }

    /** readDirty reports each dirty leaf's part of the range, clears whole leaves only, and never splits. */
    @ParameterizedTest
    @MethodSource("formats")
    void readDirtyReportsAndClearsDirtyLeaves(final PageTableFormat format)
    {
        Assumptions.assumeTrue(format.dirtyFlag(0) != 0, format + " has no dirty flag");
        assumeWidth(format, 32);
        final PageTable domain = newDomain(format);
        final long base = 0x4000_0000L;
        assertEquals(MapStatus.OK, domain.map(base, 0x8000_0000L, 16 * 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        final WalkResult walk = new WalkResult();
        for (final int page : new int[] {1, 2, 7, 15})
        {
            assertTrue(domain.translate(base + page * 4096L, Permissions.WRITE, walk));
            AccessedDirty.mark(format, domain.memory(), walk, true);
        }
        final List<String> found = new ArrayList<>();
        final DirtyVisitor record = (first, last, sizeLg2) -> found.add(hex(first - base) + "-" + hex(last - base) + "/" + sizeLg2);
        final long tables = domain.tablePages();
        assertEquals(MapStatus.OK, domain.readDirty(base, 16 * 4096, false, record));
        assertEquals(List.of("0x1000-0x1fff/12", "0x2000-0x2fff/12", "0x7000-0x7fff/12", "0xf000-0xffff/12"), found);
        found.clear();
        assertEquals(MapStatus.OK, domain.readDirty(base + 0x2000, 0x6000, true, record));
        assertEquals(List.of("0x2000-0x2fff/12", "0x7000-0x7fff/12"), found, "the scan is limited to its range");
        found.clear();
        assertEquals(MapStatus.OK, domain.readDirty(base, 16 * 4096, false, record));
        assertEquals(List.of("0x1000-0x1fff/12", "0xf000-0xffff/12"), found, "cleared in the range only");
        assertEquals(tables, domain.tablePages(), "a dirty scan allocates no table");
        assertEquals(MapStatus.MISALIGNED, domain.readDirty(base + 1, 4096, false, record));
    }

    /** A dirty huge leaf splits into dirty leaves, and a merge is dirty when any leaf it folds is. */
    @ParameterizedTest
    @MethodSource("formats")
    void splitAndMergeKeepDirtiness(final PageTableFormat format)
    {
        Assumptions.assumeTrue(format.dirtyFlag(0) != 0, format + " has no dirty flag");
        assumeWidth(format, 32);
        Assumptions.assumeTrue((format.allLeafSizes() & (1L << 21)) != 0, format + " has no 2 MiB leaves");
        final PageTable domain = newDomain(format);
        final long base = 0x4000_0000L;
        assertEquals(MapStatus.OK, domain.map(base, 0x8000_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.X86_SIZES));
        final WalkResult walk = new WalkResult();
        assertTrue(domain.translate(base + 0x1234, Permissions.WRITE, walk));
        assertEquals(21, walk.pageSizeLg2());
        AccessedDirty.mark(format, domain.memory(), walk, true);
        final long[] dirtyBytes = {0};
        final DirtyVisitor count = (first, last, sizeLg2) -> dirtyBytes[0] += last - first + 1;
        assertEquals(MapStatus.OK, domain.readDirty(base, 1 << 20, false, count));
        assertEquals(1 << 20, dirtyBytes[0], "half of a dirty 2 MiB leaf is reported as dirty");
        dirtyBytes[0] = 0;
        assertEquals(MapStatus.OK, domain.readDirty(base, 1 << 20, true, count));
        assertEquals(MapStatus.OK, domain.readDirty(base, 2 << 20, false, count));
        assertEquals((1 << 20) + (2 << 20), dirtyBytes[0], "a partly scanned leaf keeps its flag");

        assertEquals(MapStatus.OK, domain.split(base, 12));
        dirtyBytes[0] = 0;
        assertEquals(MapStatus.OK, domain.readDirty(base, 2 << 20, true, count));
        assertEquals(2 << 20, dirtyBytes[0], "every 4 KiB leaf of a dirty 2 MiB leaf is dirty");
        dirtyBytes[0] = 0;
        assertEquals(MapStatus.OK, domain.readDirty(base, 2 << 20, false, count));
        assertEquals(0, dirtyBytes[0], "all cleared");

        assertTrue(domain.translate(base + 0x5000, Permissions.WRITE, walk));
        AccessedDirty.mark(format, domain.memory(), walk, true);
        assertEquals(MapStatus.OK, domain.merge(base, 21));
        assertTrue(domain.translate(base, Permissions.READ, walk));
        assertEquals(21, walk.pageSizeLg2(), "merged back despite the differing A/D flags");
        dirtyBytes[0] = 0;
        assertEquals(MapStatus.OK, domain.readDirty(base, 2 << 20, false, count));
        assertEquals(2 << 20, dirtyBytes[0], "one dirty 4 KiB leaf makes the merged leaf dirty");
    }

    private static void assumeWidth(final PageTableFormat format, final int bits)
    {
        Assumptions.assumeTrue(format.inputAddressLg2() >= bits, format + " has fewer than " + bits + " input bits");
    }

    /**
     * Random map/unmap/protect/split/merge inside a 64 MiB window at {@code base}, checked after every step
     * against a map of 4 KiB pages (iova page -> output page | permissions).
     */
    private void randomOperations(final PageTableFormat format, final long base, final long seed)
    {
        final Random random = new Random(seed * 31 + format.toString().hashCode());
        final long span = window(format);
        final PageTable domain = newDomain(format);
        final Map<Long, Long> model = new HashMap<>();
        final int[] permissionChoices = expressiblePermissions(format);
        final long outputBase = 0x2_0000_0000L;
        final long sizesInWindow = format.allLeafSizes() & (span - 1);

        for (int step = 0; step < 250; step++)
        {
            final int op = random.nextInt(10);
            final String what;
            if (op < 4)
            {
                final int alignLg2 = randomSizeLg2(random, sizesInWindow);
                final long length = (1 + random.nextInt(3)) * (1L << alignLg2) + (random.nextInt(4) == 0 ? 4096L * random.nextInt(8) : 0);
                final long start = base + (random.nextLong() & (span - 1) & -(1L << alignLg2));
                final long clipped = Math.min(length, base + span - start);
                final long oa = outputBase + (random.nextLong() & (span * 4 - 1) & -(1L << alignLg2));
                final int permissions = permissionChoices[random.nextInt(permissionChoices.length)];
                final PageSizePolicy policy = random.nextBoolean() ? PageSizePolicy.LARGEST : PageSizePolicy.FORCED_4K;
                what = "map " + hex(start) + "+" + hex(clipped) + " -> " + hex(oa) + " " + Permissions.toString(permissions) + " " + policy;
                boolean overlaps = false;
                for (long page = start; page < start + clipped; page += 4096)
                {
                    overlaps |= model.containsKey(page);
                }
                final MapStatus status = domain.map(start, oa, clipped, permissions, policy);
                if (overlaps)
                {
                    assertEquals(MapStatus.EXISTS, status, what);
                }
                else
                {
                    assertEquals(MapStatus.OK, status, what);
                    for (long page = 0; page < clipped; page += 4096)
                    {
                        model.put(start + page, (oa + page) | (permissions | format.impliedPermissions()));
                    }
                }
            }
            else if (op < 6)
            {
                final long start = base + (random.nextLong() & (span - 1) & -4096L);
                final long length = Math.min(4096L * (1 + random.nextInt(1024)) * (random.nextBoolean() ? 1 : 8), base + span - start);
                what = "unmap " + hex(start) + "+" + hex(length);
                long expected = 0;
                for (long page = start; page < start + length; page += 4096)
                {
                    if (model.remove(page) != null)
                    {
                        expected += 4096;
                    }
                }
                assertEquals(MapStatus.OK, domain.unmap(start, length), what);
                assertEquals(expected, domain.affectedBytes(), what);
            }
            else if (op < 7)
            {
                final long start = base + (random.nextLong() & (span - 1) & -4096L);
                final long length = Math.min(4096L * (1 + random.nextInt(1024)), base + span - start);
                final int permissions = permissionChoices[random.nextInt(permissionChoices.length)];
                what = "protect " + hex(start) + "+" + hex(length) + " " + Permissions.toString(permissions);
                for (long page = start; page < start + length; page += 4096)
                {
                    final Long value = model.get(page);
                    if (value != null)
                    {
                        model.put(page, (value & -4096L) | permissions | format.impliedPermissions());
                    }
                }
                assertEquals(MapStatus.OK, domain.protect(start, length, permissions), what);
            }
            else if (op < 8)
            {
                final long iova = base + (random.nextLong() & (span - 1) & -4096L);
                final int target = randomSizeLg2(random, format.allLeafSizes() & ((1L << 21) - 1) | (1L << 12));
                what = "split " + hex(iova) + " to 2^" + target;
                final MapStatus status = domain.split(iova, target);
                assertEquals(model.containsKey(iova) ? MapStatus.OK : MapStatus.NOT_MAPPED, status, what);
            }
            else
            {
                final int lg2 = mergeableSize(random, format);
                if (lg2 < 0)
                {
                    continue;
                }
                final long iova = base + (random.nextLong() & (span - 1) & -(1L << lg2));
                what = "merge " + hex(iova) + " to 2^" + lg2;
                final boolean uniform = isUniform(model, iova, lg2);
                final MapStatus status = domain.merge(iova, lg2);
                assertEquals(uniform, status == MapStatus.OK, what + " -> " + status);
            }
            checkAgainstModel(domain, model, base, span, random, what);
        }
    }

    private static boolean isUniform(final Map<Long, Long> model, final long iova, final int lg2)
    {
        final Long first = model.get(iova);
        if (first == null || ((first & -4096L) & ((1L << lg2) - 1)) != 0)
        {
            return false;
        }
        for (long offset = 4096; offset < (1L << lg2); offset += 4096)
        {
            final Long value = model.get(iova + offset);
            if (value == null || value != first + offset)
            {
                return false;
            }
        }
        return true;
    }

    private static void checkAgainstModel(final PageTable domain, final Map<Long, Long> model, final long base,
        final long span, final Random random, final String what)
    {
        final Map<Long, Long> actual = new HashMap<>();
        domain.forEachLeaf((iova, oa, sizeLg2, permissions, level) ->
        {
            for (long offset = 0; offset < (1L << sizeLg2); offset += 4096)
            {
                actual.put(iova + offset, (oa + offset) | permissions);
            }
        });
        if (!actual.equals(model))
        {
            final Map<Long, Long> missing = new HashMap<>(model);
            actual.keySet().forEach(missing::remove);
            final Map<Long, Long> extra = new HashMap<>(actual);
            model.keySet().forEach(extra::remove);
            fail("after " + what + ": table and model differ; model has " + model.size() + " pages, table " + actual.size() +
                "; missing " + missing.size() + ", extra " + extra.size() + ", first differing page " +
                model.keySet().stream().filter(k ->
                    !model.get(k).equals(actual.get(k))).findFirst().map(PageTableFormatContract::hex).orElse("-"));
        }
        final WalkResult result = new WalkResult();
        for (int i = 0; i < 16; i++)
        {
            final long iova = base + (random.nextLong() & (span - 1) & -8L);
            final Long expected = model.get(iova & -4096L);
            final boolean ok = domain.translate(iova, Permissions.READ, result);
            if (expected == null)
            {
                assertFalse(ok, what);
                assertEquals(WalkFault.NOT_PRESENT, result.fault(), what);
            }
            else if ((expected & Permissions.READ) != 0)
            {
                assertTrue(ok, what + " " + result);
                assertEquals((expected & -4096L) | (iova & 4095), result.outputAddress(), what);
                assertEquals((int)(expected & 0xF), result.permissions(), what);
            }
        }
        final long[] counts = new long[2];
        domain.forEachTable((table, level, input) ->
        {
            counts[0]++;
            if (table != domain.root())
            {
                boolean empty = true;
                for (int i = 0; i < (1 << domain.format().itemsPerTableLg2(level)); i++)
                {
                    empty &= domain.format().kind(domain.memory().readEntry(table + 8L * i), level) == PageTableFormat.KIND_EMPTY;
                }
                if (empty)
                {
                    counts[1]++;
                }
            }
        });
        assertEquals(counts[0], domain.tablePages(), "table pages counted after " + what);
        assertEquals(counts[0], domain.allocator().allocatedFrames(), "frames allocated after " + what);
        assertEquals(0, counts[1], "empty tables left after " + what);
    }

    private static int randomSizeLg2(final Random random, final long sizes)
    {
        final int count = Long.bitCount(sizes);
        long remaining = sizes;
        int pick = random.nextInt(count);
        while (pick-- > 0)
        {
            remaining &= remaining - 1;
        }
        final int lg2 = Long.numberOfTrailingZeros(remaining);
        // Favour 4 KiB and the item sizes a little, so small and large structures both appear.
        return random.nextInt(3) == 0 ? 12 : lg2;
    }

    private static int mergeableSize(final Random random, final PageTableFormat format)
    {
        final List<Integer> sizes = new ArrayList<>();
        for (int level = 1; level < format.levels(); level++)
        {
            final int lg2 = format.itemSizeLg2(level);
            if ((format.leafSizes(level) & (1L << lg2)) != 0 && lg2 < 26)
            {
                sizes.add(lg2);
            }
        }
        return sizes.isEmpty() ? -1 : sizes.get(random.nextInt(sizes.size()));
    }

    /** Permission sets the format can express (the format's own attributesFor decides). */
    protected static int[] expressiblePermissions(final PageTableFormat format)
    {
        return Arrays.stream(PERMISSION_CANDIDATES).filter(permissions ->
        {
            try
            {
                format.attributesFor(permissions);
                return true;
            }
            catch (final IllegalArgumentException ex)
            {
                return false;
            }
        }).toArray();
    }

    /** Highest input address (inclusive) of the lower (or only) half of the input space. */
    protected static long maxInput(final PageTableFormat format)
    {
        final int width = format.inputAddressLg2();
        if (width >= 64)
        {
            return -1L;
        }
        return format.signExtended() ? (1L << (width - 1)) - 1 : (1L << width) - 1;
    }

    private static long[] boundaryInputs(final PageTableFormat format, final long size)
    {
        final long top = (maxInput(format) - size + 1) & -size;
        if (format.signExtended())
        {
            final long lowestUpper = -(1L << (format.inputAddressLg2() - 1));
            return new long[] {0, top, lowestUpper, -size};
        }
        return new long[] {0, top};
    }

    protected static List<long[]> leaves(final PageTable domain)
    {
        final List<long[]> leaves = new ArrayList<>();
        domain.forEachLeaf((iova, oa, sizeLg2, permissions, level) -> leaves.add(new long[] {iova, oa, sizeLg2, permissions, level}));
        return leaves;
    }

    private static void assertLeavesEqual(final List<long[]> expected, final List<long[]> actual)
    {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++)
        {
            assertEquals(Arrays.toString(expected.get(i)), Arrays.toString(actual.get(i)));
        }
    }

    protected static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }
}
