package org.iommuemu.emulator.cache;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * The operations of the cache properties of both models ({@link CoherenceOracle}): maps (largest pages or forced
 * 4 KiB), unmaps, page and global invalidations and DMA over a window of {@link #PAGES} pages, as sequences jqwik
 * generates. Two mixes: {@link #sequences()} over the whole window, and {@link #denseSequences()}, most operations on 4
 * pages or within 32 (and the two 2 MiB blocks), so that most DMAs meet pages that were mapped, changed and
 * invalidated (in the first mix most DMAs meet pages never mapped, and a sequence that maps, reads, remaps,
 * invalidates and reads one page again is rare).
 */
public final class CoherenceOperations
{
    /** Pages of the window (two 2 MiB blocks). */
    public static final int PAGES = 1024;

    private CoherenceOperations()
    {
    }

    public enum Kind
    {
        MAP_LARGEST, MAP_4K, UNMAP, INVALIDATE_PAGES, INVALIDATE_ALL, DMA, DMA_BURST
    }

    /** One operation from page {@code start}, over {@code count} pages where it takes a range. */
    public record Op(Kind kind, int start, int count, int paShift)
    {
        /** The pages of the range, cut at the window's end. */
        public int pages()
        {
            return Math.max(1, Math.min(count, PAGES - start));
        }
    }

    /** Sequences of 1 to 60 operations spread over the window. */
    public static Arbitrary<List<Op>> sequences()
    {
        final Arbitrary<Integer> start = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.integers().between(0, PAGES - 1)),
            Tuple.of(2, Arbitraries.of(0, 512)));
        final Arbitrary<Integer> count = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.integers().between(1, 16)),
            Tuple.of(1, Arbitraries.of(512, 1024)));
        return combine(start, count, 2, Arbitraries.of(Kind.DMA, Kind.DMA_BURST)).list().ofMinSize(1).ofMaxSize(60);
    }

    /** Sequences of 10 to 80 operations, most on a few pages. */
    public static Arbitrary<List<Op>> denseSequences()
    {
        final Arbitrary<Integer> start = Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.integers().between(0, 3)),
            Tuple.of(3, Arbitraries.integers().between(0, 31)),
            Tuple.of(1, Arbitraries.integers().between(0, PAGES - 1)),
            Tuple.of(1, Arbitraries.of(0, 512)));
        final Arbitrary<Integer> count = Arbitraries.frequencyOf(
            Tuple.of(4, Arbitraries.integers().between(1, 16)),
            Tuple.of(1, Arbitraries.of(512, 1024)));
        return combine(start, count, 3, Arbitraries.just(Kind.DMA)).list().ofMinSize(10).ofMaxSize(80);
    }

    private static Arbitrary<Op> combine(final Arbitrary<Integer> start, final Arbitrary<Integer> count, final int tableWeight,
        final Arbitrary<Kind> dma)
    {
        return Combinators.combine(Arbitraries.frequencyOf(
                Tuple.of(tableWeight, Arbitraries.of(Kind.MAP_LARGEST, Kind.MAP_4K, Kind.UNMAP)),
                Tuple.of(1, Arbitraries.of(Kind.INVALIDATE_PAGES, Kind.INVALIDATE_ALL)),
                Tuple.of(4, dma)),
                start, count, Arbitraries.of(0, 512, 2048, 7))
            .as(Op::new);
    }
}
