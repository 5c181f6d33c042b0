package org.iommuemu.emulator.timing;

/**
 * PCIe Address Translation Services: what a device's Translation Request and its Completion cost on the link,
 * on top of the IOMMU's own translation work (which the model charges separately).
 *
 * @param roundTrip cycles of the request and the completion on the link together.
 */
public record AtsParameters(int roundTrip)
{
    /**
     * Assumption (UNVERIFIED): one link crossing each way, gem5's 8 + 8 cycles. gem5 SMMUv3 models no ATS and
     * timing-perf.md has no measured ATS round trip.
     */
    public static final int DEFAULT_ROUND_TRIP = LinkParameters.GEM5_IFC_SMMU_LAT + LinkParameters.GEM5_SMMU_IFC_LAT;

    public static final AtsParameters DEFAULTS = new AtsParameters(DEFAULT_ROUND_TRIP);

    public AtsParameters
    {
        Ranges.nonNegative("round-trip", roundTrip);
    }
}
