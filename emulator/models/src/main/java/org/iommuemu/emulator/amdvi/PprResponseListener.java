package org.iommuemu.emulator.amdvi;

/**
 * Told of every COMPLETE_PPR_REQUEST the AMD-Vi model executes: the PRI Page Response (PRG Response message) the IOMMU
 * then sends to the device, with the request's tag (its PRG index) and the status software gave (Linux
 * {@code PPR_SUCCESS} 0, {@code PPR_INVALID} 1, {@code PPR_FAILURE} 0xF). The platform listens to report them; a
 * co-simulation would forward them. Called on the command path: must not block.
 */
@FunctionalInterface
public interface PprResponseListener
{
    PprResponseListener NONE = (deviceId, pasid, tag, status) -> { };

    /**
     * @param pasid the PASID the response carries, or -1 without GN.
     */
    void pageResponse(int deviceId, int pasid, int tag, int status);
}
