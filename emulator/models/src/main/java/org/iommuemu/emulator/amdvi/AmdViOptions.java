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
 * @param vtomSharedAddress  SEV-TIO: the address a T = 1 request at or above the secure DTE's vTOM (a shared access)
 *                           is translated at.
 * @param atsFaultEvents     whether an ATS Translation Request that finds no translation logs an IO_PAGE_FAULT.
 */
public record AmdViOptions(PasidWithoutGuest pasidWithoutGuest, NestedFaultAddress nestedFaultAddress,
    RemappedInterrupts remappedInterrupts, VtomSharedAddress vtomSharedAddress, AtsFaultEvents atsFaultEvents)
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

    /**
     * SEV-TIO: a T = 1 request at or above vTOM is a shared (unencrypted) access; the guest's DMA layer adds vTOM to
     * the addresses of shared buffers ({@code cc_shared_dma_offset}). Whether the IOMMU strips vTOM again or the VMM
     * maps the alias is UNVERIFIED (confidential-io-extras.md 1.5).
     */
    public enum VtomSharedAddress
    {
        /** The IOMMU translates GPA = address - vTOM through the host table (the fact sheet's reading). */
        STRIP,
        /** The IOMMU translates the address as it is: the VMM maps the alias (GPA + vTOM) in the host table. */
        ALIAS
    }

    /**
     * An ATS Translation Request that finds no translation (not present, not permitted, reserved bits, no table) is
     * answered R = W = 0 either way; whether the IOMMU also logs an IO_PAGE_FAULT (with TR) is UNVERIFIED: the event
     * format has the TR flag, and VirtualBox's model, citing the specification's section 2.1.3.2 "I/O Page Faults",
     * logs nothing for translation requests (docs/amdvi.md).
     */
    public enum AtsFaultEvents
    {
        /** Log an IO_PAGE_FAULT with TR (the model's behaviour before the switch existed). */
        LOG,
        /** Log nothing: the answer's R = W = 0 tells the device (VirtualBox's reading of section 2.1.3.2). */
        SILENT
    }

    public static final AmdViOptions DEFAULT = new AmdViOptions(PasidWithoutGuest.HOST_TRANSLATION,
        NestedFaultAddress.REQUEST_ADDRESS, RemappedInterrupts.FORWARD, VtomSharedAddress.STRIP, AtsFaultEvents.LOG);

    public AmdViOptions
    {
        if (pasidWithoutGuest == null || nestedFaultAddress == null || remappedInterrupts == null || vtomSharedAddress == null ||
            atsFaultEvents == null)
        {
            throw new IllegalArgumentException("every AMD-Vi option needs a value");
        }
    }

    public AmdViOptions withPasidWithoutGuest(final PasidWithoutGuest value)
    {
        return new AmdViOptions(value, nestedFaultAddress, remappedInterrupts, vtomSharedAddress, atsFaultEvents);
    }

    public AmdViOptions withNestedFaultAddress(final NestedFaultAddress value)
    {
        return new AmdViOptions(pasidWithoutGuest, value, remappedInterrupts, vtomSharedAddress, atsFaultEvents);
    }

    public AmdViOptions withRemappedInterrupts(final RemappedInterrupts value)
    {
        return new AmdViOptions(pasidWithoutGuest, nestedFaultAddress, value, vtomSharedAddress, atsFaultEvents);
    }

    public AmdViOptions withVtomSharedAddress(final VtomSharedAddress value)
    {
        return new AmdViOptions(pasidWithoutGuest, nestedFaultAddress, remappedInterrupts, value, atsFaultEvents);
    }

    public AmdViOptions withAtsFaultEvents(final AtsFaultEvents value)
    {
        return new AmdViOptions(pasidWithoutGuest, nestedFaultAddress, remappedInterrupts, vtomSharedAddress, value);
    }
}
