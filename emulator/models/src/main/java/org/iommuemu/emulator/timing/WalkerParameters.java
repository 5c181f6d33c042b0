package org.iommuemu.emulator.timing;

/**
 * The page-table walker's own cycles per level, around each table fetch (gem5 SMMUv3 {@code cycleSem},
 * timing-perf.md 1.2): a walk costs the walk-cache probes plus, per level walked,
 * {@code cyclesBeforeFetch + fetch latency + cyclesAfterFetch}.
 *
 * @param cyclesBeforeFetch cycles before a PTE read is issued.
 * @param cyclesAfterFetch  cycles after the response (valid, leaf and permission checks).
 */
public record WalkerParameters(int cyclesBeforeFetch, int cyclesAfterFetch)
{
    /** gem5: 1 cycle on the global count-1 {@code cycleSem} before each {@code doReadPTE}. */
    public static final int GEM5_CYCLES_BEFORE_FETCH = 1;
    /** gem5: 1 cycle on {@code cycleSem} after the response. */
    public static final int GEM5_CYCLES_AFTER_FETCH = 1;

    public static final WalkerParameters DEFAULTS = new WalkerParameters(GEM5_CYCLES_BEFORE_FETCH, GEM5_CYCLES_AFTER_FETCH);

    public WalkerParameters
    {
        Ranges.nonNegative("cycles-before-fetch", cyclesBeforeFetch);
        Ranges.nonNegative("cycles-after-fetch", cyclesAfterFetch);
    }
}
