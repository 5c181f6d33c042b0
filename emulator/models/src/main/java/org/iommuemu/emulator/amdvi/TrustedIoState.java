package org.iommuemu.emulator.amdvi;

import org.iommuemu.tdx.TdispState;

/**
 * What the AMD-Vi model asks SEV-TIO's secure processor (the PSP firmware) about a request with T = 1, besides the
 * secure DTE it reads from memory: the TDISP state of the requester's TDI and whether its guest's ASID is fenced on
 * the device's root port. Implemented by the firmware model ({@code sevtio.SevTioFirmware}); the interface keeps
 * the IOMMU model free of the firmware's classes. Answers must not allocate.
 */
public interface TrustedIoState
{
    /** The TDISP state of the TDI of {@code requesterId}, or null when the requester has no TDI. */
    TdispState tdispState(int requesterId);

    /** Whether {@code asid}'s trusted DMA through {@code rootPort} is fenced (TIO_ASID_FENCE_STATUS 1). */
    boolean asidFenced(int rootPort, int asid);
}
