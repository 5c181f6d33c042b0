package org.iommuemu.emulator.timing;

/**
 * How much work the IOMMU overlaps; a request that finds every slot busy queues in FIFO order (gem5
 * {@code doSemaphoreDown}, timing-perf.md 1.2).
 *
 * @param translationsInFlight       translations the IOMMU holds at once (gem5 SMMU {@code xlate_slots}).
 * @param deviceTranslationsInFlight translations one device interface holds at once (gem5 device-interface
 *                                   {@code xlate_slots}).
 * @param concurrentWalkers          page-table walks at once (gem5 {@code ptw_slots}).
 * @param pteRequestsPerCycle        table reads the walker may issue per cycle (gem5's count-1
 *                                   {@code requestPortSem}).
 * @param mergeDuplicateMisses       a second miss to the same 4 KiB page waits for the first walk and
 *                                   looks up again (gem5 hazard).
 * @param orderSameId                a transaction waits for earlier ones with the same order ID (gem5 AXI-ID
 *                                   hazard).
 */
public record ConcurrencyParameters(int translationsInFlight, int deviceTranslationsInFlight, int concurrentWalkers,
    int pteRequestsPerCycle, boolean mergeDuplicateMisses, boolean orderSameId)
{
    /** gem5 SMMU {@code xlate_slots = 64} (timing-perf.md 1.1). */
    public static final int GEM5_XLATE_SLOTS = 64;
    /** gem5 device-interface {@code xlate_slots = 16} (timing-perf.md 1.1). */
    public static final int GEM5_IFC_XLATE_SLOTS = 16;
    /** gem5 {@code ptw_slots = 16} (timing-perf.md 1.1). */
    public static final int GEM5_PTW_SLOTS = 16;
    /** gem5 {@code requestPortSem}: count 1, 1 cycle per read request (timing-perf.md 1.2). */
    public static final int GEM5_REQUEST_PORT_SLOTS = 1;
    /** gem5's 4 KiB duplicate-miss hazard and AXI-ID ordering hazard are on (timing-perf.md 1.2, 5.1). */
    public static final boolean GEM5_HAZARDS = true;

    public static final ConcurrencyParameters DEFAULTS = new ConcurrencyParameters(GEM5_XLATE_SLOTS,
        GEM5_IFC_XLATE_SLOTS, GEM5_PTW_SLOTS, GEM5_REQUEST_PORT_SLOTS, GEM5_HAZARDS, GEM5_HAZARDS);

    public ConcurrencyParameters
    {
        Ranges.positive("translations-in-flight", translationsInFlight);
        Ranges.positive("device-translations-in-flight", deviceTranslationsInFlight);
        Ranges.positive("concurrent-walkers", concurrentWalkers);
        Ranges.positive("pte-requests-per-cycle", pteRequestsPerCycle);
        if (concurrentWalkers > translationsInFlight)
        {
            throw new ParameterException("concurrent-walkers", "must not exceed translations-in-flight (" +
                translationsInFlight + "): every walk holds a translation slot, not " + concurrentWalkers);
        }
    }
}
