package org.iommuemu.emulator.scenario;

import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.sevtio.SevTioFirmware;
import org.iommuemu.tdx.TdispState;

/**
 * A scenario's SEV-SNP guests and SEV-TIO state (the {@code snp} section, docs/scenarios.md): each guest with its ASID,
 * vCPUs, memory (the nested page table's GPA-to-SPA mappings with each range's RMP state) and how the VMM maps that
 * memory for the guest's assigned devices (seed 002); and SEV-TIO's TDIs with their guest, root port, vTOM and
 * starting TDISP state. Needs {@code platform.snp: true}.
 *
 * @param guests the SNP guests.
 * @param tio    SEV-TIO, or null when the platform has none.
 */
public record SnpSpec(List<GuestSpec> guests, TioSpec tio)
{
    /** The RMP state a range of guest memory starts in. */
    public enum PageState
    {
        /** Assigned to the guest at its GPA and validated (PVALIDATE): ordinary private memory. */
        PRIVATE,
        /** Assigned to the guest, not validated yet (after the hypervisor's RMPUPDATE, before the guest's PVALIDATE). */
        UNVALIDATED,
        /** Hypervisor-owned: shared with the host (bounce buffers, the GHCB). */
        SHARED
    }

    /**
     * An SNP guest.
     *
     * @param asid       its ASID (1-1023).
     * @param vcpus      the vCPU numbers that belong to it (guest CPU access records name them).
     * @param nptLevels  4 or 5: the nested page table's levels.
     * @param memory     its memory: GPA ranges, their SPAs and RMP states.
     * @param rmpPageLg2 12 or 21: the RMP entries its private memory gets (4 KiB or 2 MiB).
     * @param dma        how the VMM maps its memory for devices, or null when it does not.
     */
    public record GuestSpec(int asid, List<Integer> vcpus, int nptLevels, List<GuestRam> memory, int rmpPageLg2,
        DmaMappingSpec dma, int line)
    {
    }

    /** A range of guest memory: {@code [gpa, gpa + size)} at {@code [spa, spa + size)}, starting in {@code state}. */
    public record GuestRam(long gpa, long spa, long size, PageState state)
    {
    }

    /** The VMM's DMA mapping of a guest's memory: into {@code domain} at IOVA = GPA, by {@code mode}. */
    public record DmaMappingSpec(int domain, Scenario.VmmDmaMapping mode)
    {
    }

    /**
     * SEV-TIO.
     *
     * @param vtomSharedAddress what a T = 1 request at or above vTOM is translated at ({@link AmdViOptions}).
     * @param fenceRule         which events fence a guest's ASID on a root port.
     */
    public record TioSpec(AmdViOptions.VtomSharedAddress vtomSharedAddress, SevTioFirmware.AsidFenceRule fenceRule,
        List<TdiSpec> tdis)
    {
    }

    /**
     * A device's TDI under SEV-TIO.
     *
     * @param asid       the guest it is bound to.
     * @param rootPort   the root port it sits behind (TIO_DEV_CREATE).
     * @param vtom       the vTOM the guest writes into its secure DTE: T = 1 addresses below it are private;
     *                   {@link #VTOM_DISABLED} turns the split off (everything private).
     * @param vmpl       the VMPL of the secure DTE.
     * @param startState CONFIG_UNLOCKED (TDI created), CONFIG_LOCKED (bound) or RUN (bound, started and accepted: the
     *                   guest wrote its secure DTE) at setup.
     * @param tFromState the device sends T = 1 while its TDI is in RUN (whatever the trace's T bit says).
     */
    public record TdiSpec(int requesterId, int asid, int rootPort, long vtom, int vmpl, TdispState startState,
        boolean tFromState, int line)
    {
        /** {@link #vtom} of a secure DTE whose vTOM is disabled. */
        public static final long VTOM_DISABLED = -1;
    }
}
