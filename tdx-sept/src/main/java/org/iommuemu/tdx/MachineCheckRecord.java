package org.iommuemu.tdx;

/**
 * A machine check the platform would raise, as a value: the physical address, who made the access, which
 * TD owns the memory, and why. Caller-owned and re-filled ({@link #set}); {@link #isValid()} says whether
 * the last operation produced one.
 */
public final class MachineCheckRecord
{
    /** A read by the TD or a trusted device consumed a poisoned line (reference 6). */
    public static final int CAUSE_POISON_CONSUMED = 1;
    /** A host or untrusted read of TD private memory with {@link HostReadMode#MACHINE_CHECK}. */
    public static final int CAUSE_HOST_READ_PRIVATE = 2;
    /** Seed 004: a hypervisor (KVM or IOMMU) shared mapping of private MMIO still existed at TDI bind. */
    public static final int CAUSE_SHARED_MMIO_MAPPING_AT_BIND = 3;
    /**
     * Seed 004 through a stale entry: no hypervisor table mapped the private MMIO at TDI bind, but a translation the
     * IOMMU cached from one still did ({@link StaleTranslationRule#MACHINE_CHECK}).
     */
    public static final int CAUSE_CACHED_MMIO_TRANSLATION_AT_BIND = 4;
    /** A T=0 request reached private MMIO of a locked TDI ({@link UntrustedMmioRule#MACHINE_CHECK}). */
    public static final int CAUSE_UNTRUSTED_PRIVATE_MMIO = 5;

    private boolean valid;
    private long address;
    private int requesterKind;
    private long requesterId;
    private int tdId;
    private int cause;

    public MachineCheckRecord set(final long address, final int requesterKind, final long requesterId, final int tdId,
        final int cause)
    {
        this.valid = true;
        this.address = address;
        this.requesterKind = requesterKind;
        this.requesterId = requesterId;
        this.tdId = tdId;
        this.cause = cause;
        return this;
    }

    public MachineCheckRecord clear()
    {
        valid = false;
        address = 0;
        requesterKind = 0;
        requesterId = 0;
        tdId = 0;
        cause = 0;
        return this;
    }

    public boolean isValid()
    {
        return valid;
    }

    public long address()
    {
        return address;
    }

    /** One of the {@link Requester} kinds. */
    public int requesterKind()
    {
        return requesterKind;
    }

    /** TD id for a TD access, PCI requester ID for a device, 0 for the host CPU. */
    public long requesterId()
    {
        return requesterId;
    }

    /** The TD whose memory or device is involved (0 if none). */
    public int tdId()
    {
        return tdId;
    }

    public int cause()
    {
        return cause;
    }

    public static String causeName(final int cause)
    {
        switch (cause)
        {
            case CAUSE_POISON_CONSUMED: return "POISON_CONSUMED";
            case CAUSE_HOST_READ_PRIVATE: return "HOST_READ_PRIVATE";
            case CAUSE_SHARED_MMIO_MAPPING_AT_BIND: return "SHARED_MMIO_MAPPING_AT_BIND";
            case CAUSE_CACHED_MMIO_TRANSLATION_AT_BIND: return "CACHED_MMIO_TRANSLATION_AT_BIND";
            case CAUSE_UNTRUSTED_PRIVATE_MMIO: return "UNTRUSTED_PRIVATE_MMIO";
            default: return "NONE";
        }
    }

    public String toString()
    {
        return valid ? "MachineCheck{" + causeName(cause) + " @0x" + Long.toHexString(address) + ", requester=" +
            Requester.name(requesterKind) + ":0x" + Long.toHexString(requesterId) + ", td=" + tdId + "}" : "MachineCheck{none}";
    }
}
