package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tdx.DmaOutcome;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tlp.TranslationCompletionEntry;

/**
 * The TDX Connect side of a VT-d unit (shared/reference/vtd-tdx.md 7): T=1 requests go to the TDX module's
 * trusted translation instead of the VMM's tables, and the output of a T=0 request is checked against TD private
 * memory under the {@code UntrustedDmaRule}. Refusals are {@link TrustedDmaFault}s; they write no VT-d fault
 * record and nothing of the trusted path enters the VMM's caches. One instance per unit, reused per request.
 */
final class TrustedPath
{
    private final TdxConnect tdx;
    private final DmaOutcome out = new DmaOutcome();

    TrustedPath(final TdxConnect tdx)
    {
        this.tdx = tdx;
    }

    /**
     * T=1 with TDX Connect: the TDX module's trusted path (the TD's S-EPT, or the shared EPT for shared GPAs).
     * A translation request is answered from it (W when a write would be allowed, R when a read would); other
     * requests go through {@code trustedDma}, which also checks memory integrity. Refusals are
     * {@link TrustedDmaFault}s and write no VT-d fault record.
     */
    boolean trusted(final DmaRequest request, final RequestOutcome outcome)
    {
        final int sid = request.requesterId();
        final boolean ok;
        if (request.addressType() == AddressType.TRANSLATION_REQUEST)
        {
            final boolean writable = tdx.translateTrusted(sid, request.address(), Permissions.READ_WRITE, out);
            ok = writable || tdx.translateTrusted(sid, request.address(), Permissions.READ, out);
            if (ok)
            {
                final long size = 1L << Math.max(PhysicalMemory.FRAME_SIZE_LG2, out.pageSizeLg2());
                outcome.completionEntry(TranslationCompletionEntry.compose(out.outputAddress() & -size, size,
                    TranslationCompletionEntry.R | (writable ? TranslationCompletionEntry.W : 0)));
            }
        }
        else
        {
            ok = tdx.trustedDma(sid, request.address(), request.length(), request.isWrite(), out);
        }
        outcome.translated(out.outputAddress(), Math.max(PhysicalMemory.FRAME_SIZE_LG2, out.pageSizeLg2()),
            ok ? request.access() | Permissions.READ : 0);
        if (!ok)
        {
            outcome.fault(tdxFault(out.status()), false);
        }
        return ok;
    }

    /** T=0 with TDX Connect: the output address is checked against TD private memory. */
    boolean untrustedChecked(final DmaRequest request, final RequestOutcome outcome)
    {
        if (request.addressType() == AddressType.TRANSLATION_REQUEST)
        {
            return true;
        }
        if (tdx.untrustedDma(request.requesterId(), outcome.outputAddress(), request.length(), request.isWrite(), out))
        {
            return true;
        }
        outcome.fault(tdxFault(out.status()), false);
        return false;
    }

    private static TrustedDmaFault tdxFault(final int status)
    {
        final TrustedDmaFault fault = TrustedDmaFault.of(status);
        return fault == null ? TrustedDmaFault.TDX_NOT_MAPPED : fault;
    }
}
