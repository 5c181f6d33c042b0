package org.iommuemu.rmp;

/**
 * Caller-owned outcome of a guest-side RMP check or instruction, re-filled by every call (the Aeron
 * {@code Header} pattern: one instance per thread, no allocation per access).
 * <ul>
 * <li>{@link #OK}: the access is allowed, or the instruction ran and {@link #returnCode()} holds its EAX, except
 * that PVALIDATE with nothing to change reports {@link RmpReturnCode#NO_UPDATE} (255) with {@link #carry()} (CF):
 * Linux's {@code pvalidate()} turns CF into that software code, while the instruction itself leaves EAX 0 with CF set
 * (coconut-svsm's {@code pvalidate}); the reports show Linux's view.</li>
 * <li>{@link #NESTED_PAGE_FAULT}: #VMEXIT(NPF); {@link #exitInfo1()} holds the error code bits of
 * {@link PageFaultErrorCode}.</li>
 * <li>{@link #VMM_COMMUNICATION_EXCEPTION}: #VC; {@link #errorCode()} holds e.g. PAGE_NOT_VALIDATED.</li>
 * <li>{@link #GENERAL_PROTECTION}: #GP(0), e.g. PVALIDATE outside VMPL0.</li>
 * </ul>
 */
public final class GuestRmpResult
{
    public static final int OK = 0;
    public static final int NESTED_PAGE_FAULT = 1;
    public static final int VMM_COMMUNICATION_EXCEPTION = 2;
    public static final int GENERAL_PROTECTION = 3;

    private int kind;
    private int returnCode;
    private boolean carry;
    private long exitInfo1;
    private int errorCode;
    private long entryAddress = RmpTable.NOT_COVERED;

    public int kind()
    {
        return kind;
    }

    public boolean isOk()
    {
        return kind == OK;
    }

    public int returnCode()
    {
        return returnCode;
    }

    public boolean carry()
    {
        return carry;
    }

    public long exitInfo1()
    {
        return exitInfo1;
    }

    public int errorCode()
    {
        return errorCode;
    }

    /** The governing RMP entry the outcome was decided on, or {@link RmpTable#NOT_COVERED}. */
    public long entryAddress()
    {
        return entryAddress;
    }

    GuestRmpResult ok(final long entryAddress)
    {
        return set(OK, RmpReturnCode.SUCCESS, 0, 0, entryAddress);
    }

    GuestRmpResult returned(final int code, final long entryAddress)
    {
        set(OK, code, 0, 0, entryAddress);
        carry = code == RmpReturnCode.NO_UPDATE;
        return this;
    }

    GuestRmpResult nestedPageFault(final long exitInfo1, final long entryAddress)
    {
        return set(NESTED_PAGE_FAULT, RmpReturnCode.SUCCESS, exitInfo1, 0, entryAddress);
    }

    GuestRmpResult vmmCommunication(final int errorCode, final long entryAddress)
    {
        return set(VMM_COMMUNICATION_EXCEPTION, RmpReturnCode.SUCCESS, 0, errorCode, entryAddress);
    }

    GuestRmpResult generalProtection()
    {
        return set(GENERAL_PROTECTION, RmpReturnCode.SUCCESS, 0, 0, RmpTable.NOT_COVERED);
    }

    private GuestRmpResult set(
        final int kind, final int returnCode, final long exitInfo1, final int errorCode, final long entryAddress)
    {
        this.kind = kind;
        this.returnCode = returnCode;
        this.carry = false;
        this.exitInfo1 = exitInfo1;
        this.errorCode = errorCode;
        this.entryAddress = entryAddress;
        return this;
    }

    @Override
    public String toString()
    {
        switch (kind)
        {
            case OK: return "OK{" + RmpReturnCode.name(returnCode) + (carry ? ", CF" : "") + '}';
            case NESTED_PAGE_FAULT: return "NPF{exitInfo1=0x" + Long.toHexString(exitInfo1) + '}';
            case VMM_COMMUNICATION_EXCEPTION: return "#VC{0x" + Integer.toHexString(errorCode) + '}';
            default: return "#GP(0)";
        }
    }
}
