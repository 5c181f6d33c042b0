package org.iommuemu.emulator.amdvi;

/**
 * The AMD-Vi model's switches for behaviour the reference (amd-vi-rmp.md) marks UNVERIFIED or does not give;
 * each default is documented in docs/amdvi.md. Immutable; {@link #DEFAULT} is what the model does unless told.
 *
 * @param pasidWithoutGuest  a request with a PASID to a device whose DTE has no guest translation (GV = 0, or
 *                           Control.GTEn = 0).
 * @param nestedFaultAddress what an IO_PAGE_FAULT reports when the host (v1) stage of a nested walk fails.
 * @param remappedInterrupts an interrupt request from a device whose DTE asks for remapping (IV = 1,
 *                           IntCtl = 10b): interrupt remapping is not modelled.
 */
public record AmdViOptions(PasidWithoutGuest pasidWithoutGuest, NestedFaultAddress nestedFaultAddress,
    RemappedInterrupts remappedInterrupts)
{
    /** What a PASID request does on a device without guest translation. */
    public enum PasidWithoutGuest
    {
        /** Drop the PASID and translate through the host table (the model's behaviour before v2 existed). */
        HOST_TRANSLATION,
        /** Refuse it: INVALID_DEVICE_REQUEST. */
        INVALID_DEVICE_REQUEST
    }

    /** The address and tag of an IO_PAGE_FAULT raised by the host stage of a nested walk. */
    public enum NestedFaultAddress
    {
        /** The request's address (the GVA), GN = 1 with the PASID when the request had one. */
        REQUEST_ADDRESS,
        /** The GPA the host walk failed on, GN = 0 with the DomainID. */
        GUEST_PHYSICAL_ADDRESS
    }

    /** What a to-be-remapped interrupt does, as interrupt remapping is not modelled. */
    public enum RemappedInterrupts
    {
        /** Forward it unremapped. */
        FORWARD,
        /** Fault as if its interrupt table entry were missing: IO_PAGE_FAULT with the I flag. */
        IO_PAGE_FAULT
    }

    public static final AmdViOptions DEFAULT = new AmdViOptions(PasidWithoutGuest.HOST_TRANSLATION,
        NestedFaultAddress.REQUEST_ADDRESS, RemappedInterrupts.FORWARD);

    public AmdViOptions
    {
        if (pasidWithoutGuest == null || nestedFaultAddress == null || remappedInterrupts == null)
        {
            throw new IllegalArgumentException("every AMD-Vi option needs a value");
        }
    }

    public AmdViOptions withPasidWithoutGuest(final PasidWithoutGuest value)
    {
        return new AmdViOptions(value, nestedFaultAddress, remappedInterrupts);
    }

    public AmdViOptions withNestedFaultAddress(final NestedFaultAddress value)
    {
        return new AmdViOptions(pasidWithoutGuest, value, remappedInterrupts);
    }

    public AmdViOptions withRemappedInterrupts(final RemappedInterrupts value)
    {
        return new AmdViOptions(pasidWithoutGuest, nestedFaultAddress, value);
    }
}
