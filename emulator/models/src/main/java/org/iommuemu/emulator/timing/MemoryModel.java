package org.iommuemu.emulator.timing;

/**
 * How the timing model prices a table fetch (PTE, DTE/context entry, PASID entry, RMP entry). gem5 sends each
 * such read into its memory hierarchy; the emulator has none, so it uses one of these (timing-perf.md 1.2:
 * keep IOMMU-internal cycles apart from a pluggable memory latency).
 */
public enum MemoryModel
{
    /**
     * A fetch hits the LLC if its line is among the last {@code recent-lines} distinct lines fetched (LRU),
     * otherwise it goes to DRAM. Deterministic, and it gives walks the locality real tables have: neighbouring
     * pages share upper-level PTE lines.
     */
    RECENT_LINES,
    /**
     * A fetch hits the LLC with probability {@code llc-hit-probability}, drawn from a generator seeded with
     * {@code seed}: reproducible for a given trace, but blind to locality.
     */
    LLC_PROBABILITY
}
