package org.iommuemu.emulator.cosim;

import org.iommuemu.emulator.amdvi.AmdViFault;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.emulator.vtd.TrustedDmaFault;
import org.iommuemu.emulator.vtd.VtdFaultReason;

/**
 * Faults on the wire: a family and an architectural code (docs/protocol.md 7.1), and back. The server encodes a
 * model's {@link FaultKind}; a Java client decodes it to the same constant.
 */
public final class FaultFamily
{
    private FaultFamily()
    {
    }

    /** The family of a model's fault ({@link TranslateWords#FAMILY_NONE} for null). */
    public static int of(final FaultKind fault)
    {
        if (fault == null)
        {
            return TranslateWords.FAMILY_NONE;
        }
        if (fault instanceof AmdViFault)
        {
            return TranslateWords.FAMILY_AMDVI_EVENT;
        }
        if (fault instanceof VtdFaultReason)
        {
            return TranslateWords.FAMILY_VTD_REASON;
        }
        if (fault instanceof TrustedDmaFault)
        {
            return TranslateWords.FAMILY_TDX;
        }
        return TranslateWords.FAMILY_OTHER;
    }

    /** The fault a family and code name, or null when none does. */
    public static FaultKind kind(final int family, final int code)
    {
        final FaultKind[] candidates;
        switch (family)
        {
            case TranslateWords.FAMILY_AMDVI_EVENT:
                candidates = AmdViFault.values();
                break;
            case TranslateWords.FAMILY_VTD_REASON:
                candidates = VtdFaultReason.values();
                break;
            case TranslateWords.FAMILY_TDX:
                candidates = TrustedDmaFault.values();
                break;
            default:
                return null;
        }
        for (final FaultKind kind : candidates)
        {
            if (kind.faultCode() == code)
            {
                return kind;
            }
        }
        return null;
    }
}
