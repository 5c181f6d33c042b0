package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.AccessEffect;
import org.iommuemu.tdx.DmaOutcome;

/**
 * What a completed T=0 request did to TD private memory under {@code UntrustedDmaRule.POISON}, as an
 * {@link AccessEffect}: the {@link DmaOutcome} statuses of {@code TdxConnect.untrustedDma} that complete but are not
 * plain {@link DmaOutcome#OK} (shared/reference/vtd-tdx.md 6-7).
 */
public enum TrustedDmaEffect implements AccessEffect
{
    /** A T=0 write landed on TD private memory: it completed on the bus and poisoned the lines it touched. */
    POISONED_WRITE(DmaOutcome.WRITE_POISONED),
    /** A T=0 read of TD private memory was answered with zeros ({@code HostReadMode.ZEROS}). */
    READ_ZEROS(DmaOutcome.READ_ZEROS);

    private final int status;

    TrustedDmaEffect(final int status)
    {
        this.status = status;
    }

    /** The effect of a completed {@link DmaOutcome#status()}; null for {@link DmaOutcome#OK} and refusals. */
    public static TrustedDmaEffect of(final int status)
    {
        return status == DmaOutcome.WRITE_POISONED ? POISONED_WRITE : status == DmaOutcome.READ_ZEROS ? READ_ZEROS : null;
    }

    /** The {@link DmaOutcome} status this effect stands for. */
    public int status()
    {
        return status;
    }

    public String effectName()
    {
        return name();
    }
}
