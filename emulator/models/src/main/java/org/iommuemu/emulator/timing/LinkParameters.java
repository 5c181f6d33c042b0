package org.iommuemu.emulator.timing;

/**
 * The link between a device (gem5's device interface, the TBU role) and the IOMMU (gem5's SMMU, the TCU
 * role). Each direction is a pipeline: {@code serialization} cycles on a count-1 resource, then
 * {@code latency - serialization} cycles of delay (gem5 SMMUv3, timing-perf.md 1.1).
 *
 * @param toIommuLatency   cycles from the device to the IOMMU, serialization included.
 * @param fromIommuLatency cycles from the IOMMU back to the device, serialization included.
 * @param serialization    cycles one request holds the link before the next may enter.
 * @param portWidthBytes   bytes per beat on the IOMMU's input port; a write of n bytes takes ceil(n / width)
 *                         beats when {@code carriesPayload}, a read request one.
 * @param carriesPayload   whether a write's payload passes through the IOMMU's port (gem5's SMMUv3 sits in the
 *                         data path); when false every request takes one beat: the x86 IOMMUs translate the
 *                         request's address for the root complex and the payload waits in the root port
 *                         (assumption, UNVERIFIED: neither vendor documents the IOMMU's internal interface).
 */
public record LinkParameters(int toIommuLatency, int fromIommuLatency, int serialization, int portWidthBytes,
    boolean carriesPayload)
{
    /** gem5 SMMUv3 {@code ifc_smmu_lat} = 8 cycles (timing-perf.md 1.1). */
    public static final int GEM5_IFC_SMMU_LAT = 8;
    /** gem5 SMMUv3 {@code smmu_ifc_lat} = 8 cycles (timing-perf.md 1.1). */
    public static final int GEM5_SMMU_IFC_LAT = 8;
    /** gem5 SMMUv3: a 1-cycle serialization on a count-1 semaphore per direction (timing-perf.md 1.1). */
    public static final int GEM5_LINK_SERIALIZATION = 1;
    /** gem5 SMMUv3 device interface {@code port_width} = 16 bytes per beat (timing-perf.md 1.1). */
    public static final int GEM5_PORT_WIDTH = 16;

    /** gem5 SMMUv3: the device interface forwards whole transactions, a write taking size / port_width beats. */
    public static final boolean GEM5_CARRIES_PAYLOAD = true;

    public static final LinkParameters DEFAULTS = new LinkParameters(GEM5_IFC_SMMU_LAT, GEM5_SMMU_IFC_LAT,
        GEM5_LINK_SERIALIZATION, GEM5_PORT_WIDTH, GEM5_CARRIES_PAYLOAD);

    public LinkParameters
    {
        Ranges.nonNegative("serialization", serialization);
        if (toIommuLatency < serialization)
        {
            throw new ParameterException("to-iommu-latency",
                "must be at least the serialization (" + serialization + " cycles), not " + toIommuLatency);
        }
        if (fromIommuLatency < serialization)
        {
            throw new ParameterException("from-iommu-latency",
                "must be at least the serialization (" + serialization + " cycles), not " + fromIommuLatency);
        }
        Ranges.powerOfTwo("port-width-bytes", portWidthBytes);
    }

    /** Beats a write of {@code bytes} occupies the device port. */
    public int writeBeats(final int bytes)
    {
        return (bytes + portWidthBytes - 1) / portWidthBytes;
    }
}
