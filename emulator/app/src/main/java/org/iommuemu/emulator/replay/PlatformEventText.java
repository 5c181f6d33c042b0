package org.iommuemu.emulator.replay;

import org.iommuemu.emulator.scenario.GuestAccessFault;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.sevtio.TioCommand;
import org.iommuemu.emulator.sevtio.TioStatus;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tlp.RequesterId;

/**
 * How the summary and the report print a {@link PlatformEvent}: one sentence in words (requesters as
 * {@code bus:dev.fn}, SEAMCALL results by status name with their RCX and RDX), prefixed with where in the traffic it
 * happened ({@code setup:} or {@code before TLP n:}). Every kind of event goes through the {@link PlatformEvent.Visitor},
 * so a new kind cannot be printed as a Java {@code toString}.
 */
public final class PlatformEventText implements PlatformEvent.Visitor<String>
{
    private static final PlatformEventText INSTANCE = new PlatformEventText();

    private PlatformEventText()
    {
    }

    /** The event's line: where it happened, then what. */
    public static String line(final PlatformEvent event)
    {
        return (event.beforeTlp() == PlatformEvent.SETUP ? "setup" : "before TLP " + event.beforeTlp()) + ": " + sentence(event);
    }

    /** What happened, without where. */
    public static String sentence(final PlatformEvent event)
    {
        return event.accept(INSTANCE);
    }

    @Override
    public String bindMachineCheck(final PlatformEvent.TdiBindMachineCheck e)
    {
        return String.format("TDI %s bind: machine check, cause %d %s (private MMIO %s) at 0x%x; TDI in ERROR", bdf(e.requesterId()),
            e.cause(), e.causeName(), e.cached() ? "still reachable through a cached IOMMU translation: unmapped without invalidation" :
                "still mapped by the hypervisor", e.address());
    }

    @Override
    public String bindRefused(final PlatformEvent.TdiBindRefused e)
    {
        if (e.status() == TdiStatus.STALE_TRANSLATION)
        {
            return String.format("TDI %s bind refused: STALE_TRANSLATION (a cached IOMMU translation still reaches private " +
                "MMIO at 0x%x; invalidate, then bind again)", bdf(e.requesterId()), e.staleAddress());
        }
        return String.format("TDI %s bind refused: %s", bdf(e.requesterId()), e.status());
    }

    @Override
    public String bound(final PlatformEvent.TdiBound e)
    {
        return String.format("TDI %s bound (CONFIG_LOCKED)", bdf(e.requesterId()));
    }

    @Override
    public String transition(final PlatformEvent.TdiTransition e)
    {
        return String.format("TDI %s %s: %s (%s)", bdf(e.requesterId()), e.operation(), e.status(), e.state());
    }

    @Override
    public String mmioMapped(final PlatformEvent.MmioMapped e)
    {
        return String.format("private MMIO hpa 0x%x mapped at gpa 0x%x (0x%x bytes) for TDI %s", e.hpa(), e.gpa(), e.size(),
            bdf(e.requesterId()));
    }

    @Override
    public String mmioMapRefused(final PlatformEvent.MmioMapRefused e)
    {
        return String.format("TDH.MMIO.MAP gpa 0x%x hpa 0x%x refused: the TDX module returned %s (RCX 0x%x, RDX 0x%x); TDI %s is %s",
            e.gpa(), e.hpa(), TdxStatus.name(e.status()), e.rcx(), e.rdx(), bdf(e.requesterId()), e.tdiState());
    }

    @Override
    public String tdAccess(final PlatformEvent.TdAccess e)
    {
        final String access = String.format("TD %d %s gpa 0x%x (%d bytes)", e.td(), e.write() ? "write" : "read", e.gpa(), e.size());
        switch (e.result())
        {
            case MACHINE_CHECK:
                return String.format("%s: machine check, cause %d %s at 0x%x", access, e.cause(), e.causeName(), e.address());
            case EPT_VIOLATION:
                return String.format("%s: EPT violation (%s); nothing accessed", access, e.walkFault());
            case ZEROS:
                return String.format("%s: zeros (a shared-KeyID read of private memory at 0x%x)", access, e.address());
            case NO_VCPU:
                return access + ": not made (the TD is past TDH.MNG.VPFLUSHDONE: no vCPU of it runs)";
            default:
                return String.format("%s: ok at 0x%x", access, e.address());
        }
    }

    private static String bdf(final int requesterId)
    {
        return RequesterId.toBdf(requesterId);
    }

    @Override
    public String kvmDirtyLog(final PlatformEvent.KvmDirtyLog e)
    {
        return "KVM dirty logging on domain " + e.domain() + ": " + e.leaves() + " EPT leaves write-protected" +
            (e.sharedWithIommu() ? " (the IOMMU's table: device writes now fault)" : " (KVM's own table; the IOMMU's is untouched)");
    }

    @Override
    public String tioStep(final PlatformEvent.TioStep e)
    {
        final String state = e.state() == null ? "no TDI" : e.state().toString();
        if (e.command() < 0)
        {
            return String.format("TDI %s: the device reported a TDISP error (%s)", bdf(e.requesterId()), state);
        }
        if (e.guestRequest())
        {
            return String.format("TDI %s guest SDTE_WRITE: %s (%s)", bdf(e.requesterId()), TioStatus.sdteName(e.status()), state);
        }
        if (e.command() == TioCommand.TIO_ASID_FENCE_STATUS)
        {
            return String.format("TDI %s %s: %s (%s)", bdf(e.requesterId()), TioCommand.name(e.command()),
                e.status() == 1 ? "fenced" : "not fenced", state);
        }
        return String.format("TDI %s %s: %s (%s)", bdf(e.requesterId()), TioCommand.name(e.command()), TioStatus.name(e.status()), state);
    }

    @Override
    public String guestRmpInstruction(final PlatformEvent.GuestRmpInstruction e)
    {
        final String what = e.instruction() == PlatformEvent.RmpInstruction.PVALIDATE ?
            String.format("guest %d PVALIDATE %s gpa 0x%x (spa 0x%x, %s)", e.asid(), e.validate() ? "validate" : "rescind", e.gpa(),
                e.spa(), e.pageSizeLg2() == 21 ? "2M" : "4K") :
            String.format("%s spa 0x%x", e.instruction(), e.spa());
        final String retry = e.retry() ? " (retry)" : "";
        switch (e.result())
        {
            case GuestRmpResult.NESTED_PAGE_FAULT:
                return String.format("%s%s: #NPF 0x%x (%s)", what, retry, e.exitInfo1(), GuestAccessFault.bits(e.exitInfo1()));
            case GuestRmpResult.VMM_COMMUNICATION_EXCEPTION:
                return String.format("%s%s: #VC", what, retry);
            case GuestRmpResult.GENERAL_PROTECTION:
                return String.format("%s%s: #GP", what, retry);
            default:
                return String.format("%s%s: %s", what, retry, RmpReturnCode.name(e.returnCode()));
        }
    }

    @Override
    public String pageStateChange(final PlatformEvent.PageStateChange e)
    {
        final StringBuilder b = new StringBuilder(String.format("guest %d page-state change gpa 0x%x size 0x%x to %s: %d RMPUPDATE, " +
            "%d PSMASH, %d PVALIDATE", e.asid(), e.gpa(), e.size(), e.toPrivate() ? "private" : "shared", e.rmpUpdates(), e.psmashes(),
            e.pvalidates()));
        if (e.iommuPagesUnmapped() > 0 || e.iommuPagesMapped() > 0 || e.invalidations() > 0)
        {
            b.append(String.format("; the VMM's IOMMU mapping followed: %d pages unmapped, %d mapped, %d invalidations",
                e.iommuPagesUnmapped(), e.iommuPagesMapped(), e.invalidations()));
        }
        if (!e.completed())
        {
            b.append(String.format("; stopped at gpa 0x%x: %s", e.failedGpa(), e.failedExitInfo1() != 0 ?
                String.format("#NPF 0x%x (%s)", e.failedExitInfo1(), GuestAccessFault.bits(e.failedExitInfo1())) :
                e.failedReturnCode() >= 0 ? RmpReturnCode.name(e.failedReturnCode()) : "not in the guest's memory"));
        }
        return b.toString();
    }

    @Override
    public String tdConversion(final PlatformEvent.TdConversion e)
    {
        final StringBuilder b = new StringBuilder(String.format("TD %d converts gpa 0x%x size 0x%x to %s in place: %d SEAMCALLs", e.td(),
            e.gpa(), e.size(), e.toPrivate() ? "private" : "shared", e.seamcalls()));
        if (e.iommuPagesUnmapped() > 0 || e.iommuPagesMapped() > 0 || e.invalidations() > 0)
        {
            b.append(String.format("; the VMM's IOMMU mapping followed: %d pages unmapped, %d mapped, %d invalidations",
                e.iommuPagesUnmapped(), e.iommuPagesMapped(), e.invalidations()));
        }
        if (!e.completed())
        {
            b.append(String.format("; stopped at gpa 0x%x: %s", e.failedGpa(), e.failedStatus() < 0 ? "not in the TD's memory" :
                TdxStatus.name(e.failedStatus())));
        }
        return b.toString();
    }

    @Override
    public String seamcall(final PlatformEvent.Seamcall e)
    {
        final StringBuilder b = new StringBuilder().append("TD ").append(e.td()).append(' ').append(e.leaf());
        final boolean reclaim = e.call() == Scenario.SeamcallCall.RECLAIM;
        final boolean everyPage = reclaim && e.page() == Scenario.SeamcallAction.EVERY_PAGE;
        if (e.level() >= 0)
        {
            b.append(String.format(" gpa 0x%x %s", e.gpa(), e.level() == 0 ? "4K" : e.level() == 1 ? "2M" : "1G"));
        }
        else if (reclaim)
        {
            b.append(everyPage ? " of every page" : String.format(" page 0x%x", e.page()));
        }
        b.append(": ").append(TdxStatus.name(e.status()));
        final boolean error = TdxStatus.isError(e.status());
        if (everyPage)
        {
            b.append(error ? String.format(" (after %d pages reclaimed; rdx 0x%x)", e.rcx(), e.rdx()) :
                String.format(" (%d pages, the TDR 0x%x last: the TD is gone)", e.rcx(), e.rdx()));
        }
        else if (error)
        {
            b.append(String.format(" (rcx 0x%x, rdx 0x%x)", e.rcx(), e.rdx()));
        }
        else if (reclaim)
        {
            b.append(String.format(" (page type %d, owner TDR 0x%x)", e.rcx(), e.rdx()));
        }
        else if (e.call() == Scenario.SeamcallCall.TRACK)
        {
            b.append(" (epoch ").append(e.rcx()).append(')');
        }
        if (e.trustedIotlbDropped() > 0)
        {
            b.append("; ").append(e.trustedIotlbDropped()).append(" trusted IOTLB entr").append(e.trustedIotlbDropped() == 1 ? "y" : "ies")
                .append(" dropped");
        }
        return b.toString();
    }

    @Override
    public String dirtyTracking(final PlatformEvent.DirtyTracking e)
    {
        if (e.amdvi())
        {
            if (e.accessOnly())
            {
                return String.format("access tracking turned on for domain %d (%d device table entr%s with HAD = 01b: A only)",
                    e.domain(), e.entriesRewritten(), e.entriesRewritten() == 1 ? "y" : "ies");
            }
            return String.format("dirty tracking turned %s for domain %d (%d device table entr%s with HAD = %s)%s",
                e.enabled() ? "on" : "off", e.domain(), e.entriesRewritten(), e.entriesRewritten() == 1 ? "y" : "ies",
                e.enabled() ? "11b" : "00b",
                e.enabled() ? String.format("; stale dirty bits cleared over %d KiB", e.staleDirtyBytes() >> 10) : "");
        }
        return String.format("dirty tracking turned %s for domain %d (%d PASID entr%s with SSADE %s)%s", e.enabled() ? "on" : "off",
            e.domain(),
            e.entriesRewritten(), e.entriesRewritten() == 1 ? "y" : "ies", e.enabled() ? "set" : "cleared",
            e.enabled() ? String.format("; stale dirty bits cleared over %d KiB", e.staleDirtyBytes() >> 10) : "");
    }

    @Override
    public String dirtyBitmap(final PlatformEvent.DirtyBitmap e)
    {
        return String.format("dirty bitmap of domain %d [0x%x, +0x%x): %d dirty lea%s, %d KiB (%d pages of 4K)%s%s%s", e.domain(), e.iova(),
            e.length(), e.dirtyLeaves(), e.dirtyLeaves() == 1 ? "f" : "ves", e.dirtyBytes() >> 10, e.dirtyBytes() >> 12,
            e.trackingOn() ? "" : " (tracking off)", e.cleared() ? "; cleared" : "; not cleared",
            !e.cleared() ? "" : e.flushed() ? ", IOTLB flushed" : ", no IOTLB flush (cached translations still say dirty)");
    }

    @Override
    public String pageRequestOverflow(final PlatformEvent.PageRequestOverflow e)
    {
        return e.set() ? "page request queue overflow (PRS.PRO): page requests not queued until software empties the queue" :
            "page request queue overflow cleared by software (queue empty)";
    }
}
