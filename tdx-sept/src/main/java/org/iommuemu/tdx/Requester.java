package org.iommuemu.tdx;

/** Who makes a memory access, as the integrity checks and machine-check records name it. */
public final class Requester
{
    /** The host CPU (VMM or kernel), using a non-private KeyID. */
    public static final int HOST_CPU = 0;
    /** A device DMA on the untrusted path (T=0, the VMM's IOMMU tables). */
    public static final int UNTRUSTED_DEVICE = 1;
    /** The TD itself (its vCPUs, through the S-EPT with its private KeyID). */
    public static final int TD = 2;
    /** A TDI in RUN sending T=1 requests, translated through the TD's S-EPT. */
    public static final int TRUSTED_DEVICE = 3;

    private Requester()
    {
    }

    public static boolean isTrusted(final int kind)
    {
        return kind == TD || kind == TRUSTED_DEVICE;
    }

    public static String name(final int kind)
    {
        switch (kind)
        {
            case HOST_CPU: return "HOST_CPU";
            case UNTRUSTED_DEVICE: return "UNTRUSTED_DEVICE";
            case TD: return "TD";
            case TRUSTED_DEVICE: return "TRUSTED_DEVICE";
            default: return "UNKNOWN(" + kind + ")";
        }
    }
}
