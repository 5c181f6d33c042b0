package org.iommuemu.emulator.platform;

/**
 * Messages an IOMMU sends to devices: ATS Invalidate Requests when software invalidates a device TLB, PRI Page Group
 * Responses when software answers a page request group (or the hardware answers one itself). The platform listens to
 * report them; a co-simulation would forward them. Called on the path that produced the message: implementations
 * should not block. No-op defaults.
 */
public interface DeviceMessageListener
{
    /** A listener that ignores everything. */
    DeviceMessageListener NONE = new DeviceMessageListener()
    {
    };

    /**
     * An Invalidate Request to device {@code requesterId}: the untranslated range {@code [address, address + size)} of
     * {@code pasid} ({@link DmaRequest#NO_PASID}: every PASID; {@code global}: global mappings too), with ITag {@code itag}.
     */
    default void atsInvalidateRequest(final int requesterId, final int pasid, final long address, final long size, final boolean global,
        final int itag)
    {
    }

    /**
     * A Page Group Response to device {@code requesterId} for page request group {@code prgIndex} of {@code pasid}
     * ({@link DmaRequest#NO_PASID} for none): {@code responseCode} 0 success, 1 invalid request, 0xF failure;
     * {@code byHardware} when the IOMMU answered without software (page request queue overflow, or PRE clear).
     */
    default void prgResponse(final int requesterId, final int pasid, final int prgIndex, final int responseCode, final boolean byHardware)
    {
    }
}
