package org.iommuemu.tdx;

/**
 * The registers a SEAMCALL returns, owned by the caller and overwritten by each call (nothing is
 * allocated per call). {@link #status()} is RAX; {@link #rcx()} and {@link #rdx()} carry the extended error
 * information on S-EPT failures (entry, level_state) or the leaf's outputs on success.
 */
public final class SeamcallResult
{
    private long status;
    private long rcx;
    private long rdx;

    SeamcallResult set(final long status, final long rcx, final long rdx)
    {
        this.status = status;
        this.rcx = rcx;
        this.rdx = rdx;
        return this;
    }

    public long status()
    {
        return status;
    }

    public long rcx()
    {
        return rcx;
    }

    public long rdx()
    {
        return rdx;
    }

    public boolean isSuccess()
    {
        return status == TdxStatus.SUCCESS;
    }

    /** The status without the operand detail. */
    public long code()
    {
        return TdxStatus.code(status);
    }

    public String toString()
    {
        return "SeamcallResult{" + TdxStatus.name(status) + ", rcx=0x" + Long.toHexString(rcx) + ", rdx=0x" +
            Long.toHexString(rdx) + "}";
    }
}
