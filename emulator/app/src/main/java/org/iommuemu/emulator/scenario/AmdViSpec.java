package org.iommuemu.emulator.scenario;

import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.pagetable.PageSizePolicy;

/**
 * The AMD-Vi specifics of a scenario (the {@code amdvi} section, docs/scenarios.md): the features the platform's EFR
 * offers beyond translation (hardware dirty tracking, peripheral page requests), and guest (v2) translation: guest
 * tables (x86-64 format, 4 or 5 levels), guest-only or nested over a host domain, and the devices whose DTEs point at a
 * GCR3 table with those tables per PASID. Needs {@code platform.iommu: amdvi}.
 *
 * @param dirtyTracking EFR.HASup and HDSup: DTE.HAD may enable host access/dirty updates (set-dirty-tracking).
 * @param pageRequests  EFR.PPRSup and a PPR log, serviced by the OS's handler after each page request.
 * @param switches      the model's UNVERIFIED choices this section sets ({@link AmdViOptions}: a PASID request to a device
 *                      without guest translation, the address of a nested walk's host-stage fault, remapped interrupts,
 *                      ATS fault events); its vTOM choice is the {@code snp} section's and is not taken from here.
 * @param exclusion     the exclusion range the firmware's IVMD would program, or null.
 */
public record AmdViSpec(boolean dirtyTracking, boolean pageRequests, List<GuestTableSpec> guestTables, List<GuestDeviceSpec> devices,
    AmdViOptions switches, ExclusionRange exclusion)
{
    /**
     * The exclusion range (Exclusion Base and Limit with ExEn, amdvi.md): untranslated requests without a PASID to
     * {@code [base, base + size)} bypass translation (still RMP-checked under SNP) for every device with {@code all}
     * (Allow), else for the listed devices, whose DTEs set EX (an IVMD exclusion range, as older Linux programmed it).
     */
    public record ExclusionRange(long base, long size, boolean all, List<Integer> devices)
    {
    }

    /** The model's options: this section's switches, with {@code base}'s vTOM choice (the {@code snp} section's). */
    public AmdViOptions options(final AmdViOptions base)
    {
        return switches.withVtomSharedAddress(base.vtomSharedAddress());
    }

    /**
     * A guest (v2) table: one PASID's address space, in the x86-64 format.
     *
     * @param id             its id (the timeline's map and unmap name it as a domain; distinct from the domains' ids).
     * @param levels         4 or 5.
     * @param nestedIn       the host (v1) domain its outputs and its own table pages are GPAs of, or {@link #NOT_NESTED}
     *                       (guest-only: its addresses are SPAs, and its devices' DTEs have Mode 0).
     * @param tableMemoryGpa nested: the first GPA of the guest RAM its table pages come from (the host domain must map
     *                       it contiguously); {@code tableMemorySize} its size.
     * @param mappings       IOVA (a guest virtual address) to output (a GPA when nested, else an SPA).
     * @param onDemand       a range the OS maps 4 KiB at a time when a page request asks for it, or null.
     */
    public record GuestTableSpec(int id, int levels, PageSizePolicy policy, int nestedIn, long tableMemoryGpa, long tableMemorySize,
        List<Scenario.Mapping> mappings, Scenario.Mapping onDemand, int line)
    {
        public static final int NOT_NESTED = -1;
    }

    /**
     * A device with guest translation.
     *
     * @param gcr3Levels 1-3: the GCR3 table's levels (GLX + 1).
     * @param giov       requests without a PASID use PASID 0's table.
     * @param pri        DTE.PPR: its page requests go to the PPR log.
     */
    public record GuestDeviceSpec(int requesterId, int gcr3Levels, boolean giov, boolean pri, List<PasidTable> pasids, int line)
    {
    }

    /** A PASID's guest table. */
    public record PasidTable(int pasid, int table)
    {
    }
}
