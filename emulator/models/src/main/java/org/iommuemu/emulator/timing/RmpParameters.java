package org.iommuemu.emulator.timing;

/**
 * Cost of the SEV-SNP RMP check on a DMA write. No published figure exists (timing-perf.md 2); the working
 * assumption is one extra dependent, cacheable 16-byte load per 4 KiB page [S12, S13].
 *
 * @param fetchThroughMemory whether the RMP entry's line is priced by the memory model (so it can hit like any
 *                           table line), rather than by {@code fixedFetchLatency}.
 * @param fixedFetchLatency  cycles of an RMP entry fetch when {@code fetchThroughMemory} is off.
 * @param checkLatency       cycles of the checks after the fetch.
 */
public record RmpParameters(boolean fetchThroughMemory, int fixedFetchLatency, int checkLatency)
{
    /** One cacheable memory access per check (timing-perf.md 5.1, [S12, S13]; latency UNVERIFIED). */
    public static final boolean DEFAULT_FETCH_THROUGH_MEMORY = true;
    /** When fixed: a DRAM access, {@link MemoryParameters#DEFAULT_DRAM_LATENCY} (assumption). */
    public static final int DEFAULT_FIXED_FETCH_LATENCY = MemoryParameters.DEFAULT_DRAM_LATENCY;
    /** Assumption: 1 cycle of checks, like gem5's 1 cycle after each PTE fetch (UNVERIFIED). */
    public static final int DEFAULT_CHECK_LATENCY = 1;

    public static final RmpParameters DEFAULTS =
        new RmpParameters(DEFAULT_FETCH_THROUGH_MEMORY, DEFAULT_FIXED_FETCH_LATENCY, DEFAULT_CHECK_LATENCY);

    public RmpParameters
    {
        Ranges.nonNegative("fixed-fetch-latency", fixedFetchLatency);
        Ranges.nonNegative("check-latency", checkLatency);
    }
}
