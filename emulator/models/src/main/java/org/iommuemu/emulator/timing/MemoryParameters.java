package org.iommuemu.emulator.timing;

/**
 * Latency of the IOMMU's own memory reads: table fetches by the walker and the RMP entry fetch.
 *
 * @param model             which of the two models prices a fetch.
 * @param llcHitLatency     cycles of a fetch that hits the last-level cache.
 * @param dramLatency       cycles of a fetch that goes to DRAM.
 * @param llcHitProbability {@link MemoryModel#LLC_PROBABILITY}: chance a fetch hits the LLC.
 * @param seed              {@link MemoryModel#LLC_PROBABILITY}: seed of the draw.
 * @param recentLines       {@link MemoryModel#RECENT_LINES}: lines the model remembers; a power of two.
 * @param lineBytes         cache-line size; a power of two.
 * @param dmaReadLatency    cycles from a device's read leaving the IOMMU translated to its first completion leaving
 *                          the root port (the root complex and memory); the link crossings are {@code link}'s.
 */
public record MemoryParameters(MemoryModel model, int llcHitLatency, int dramLatency, double llcHitProbability,
    long seed, int recentLines, int lineBytes, int dmaReadLatency)
{
    /**
     * LLC hit 20 cycles (timing-perf.md 5.1): AnandTech's vendor L3 figures of 9.2-11 ns on client Zen parts
     * [S14], rounded up for a server fabric (UNVERIFIED).
     */
    public static final int DEFAULT_LLC_HIT_LATENCY = 20;
    /**
     * DRAM 100 cycles (timing-perf.md 5.1): AnandTech 66-74 ns on client parts [S14] plus server-fabric
     * overhead (UNVERIFIED); the dev VM measured 150-400 ns (MEASURED, nested paging included).
     */
    public static final int DEFAULT_DRAM_LATENCY = 100;
    /** Assumption (UNVERIFIED): most walker reads of hot tables hit the LLC; calibrate per workload. */
    public static final double DEFAULT_LLC_HIT_PROBABILITY = 0.9;
    /** Arbitrary fixed seed so runs repeat (assumption). */
    public static final long DEFAULT_SEED = 1;
    /** 1024 lines = 64 KiB of recently fetched table lines (assumption, UNVERIFIED; calibrate). */
    public static final int DEFAULT_RECENT_LINES = 1024;
    /** 64-byte lines, as on x86 (an RMP line holds 4 16-byte entries, timing-perf.md 2 [S12]). */
    public static final int DEFAULT_LINE_BYTES = 64;

    /**
     * 550 cycles: pcie-bench's mean 64-byte DMA read latency without an IOMMU was 600-612 ns on its Xeon E5 hosts
     * (lat_dma_sweep_rd_rnd_64, confidential-io-extras.md 4.1; 547 ns round trip, about 90% in PCIe and the host,
     * 4.3), less the two link crossings and the link time of the request and completion (assumption; the
     * calibration fits it per system).
     */
    public static final int DEFAULT_DMA_READ_LATENCY = 550;

    public static final MemoryParameters DEFAULTS = new MemoryParameters(MemoryModel.RECENT_LINES,
        DEFAULT_LLC_HIT_LATENCY, DEFAULT_DRAM_LATENCY, DEFAULT_LLC_HIT_PROBABILITY, DEFAULT_SEED, DEFAULT_RECENT_LINES,
        DEFAULT_LINE_BYTES, DEFAULT_DMA_READ_LATENCY);

    public MemoryParameters
    {
        if (model == null)
        {
            throw new ParameterException("model", "must be given");
        }
        Ranges.nonNegative("llc-hit-latency", llcHitLatency);
        if (dramLatency < llcHitLatency)
        {
            throw new ParameterException("dram-latency",
                "must be at least the LLC hit latency (" + llcHitLatency + " cycles), not " + dramLatency);
        }
        Ranges.probability("llc-hit-probability", llcHitProbability);
        Ranges.powerOfTwo("recent-lines", recentLines);
        Ranges.powerOfTwo("line-bytes", lineBytes);
        Ranges.nonNegative("dma-read-latency", dmaReadLatency);
    }
}
