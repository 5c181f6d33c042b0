package org.iommuemu.emulator.sevtio;

/**
 * Status codes the secure processor returns for SEV-TIO commands: SEV's own codes from Linux's
 * {@code include/uapi/linux/psp-sev.h} ({@code SEV_RET_*}) and the ones SEV-TIO added (confidential-io-extras.md 1.2),
 * plus the status of a guest's SDTE_WRITE request, which has its own small set (1.5).
 */
public final class TioStatus
{
    public static final int SUCCESS = 0x00;
    /** SEV_RET_INVALID_PLATFORM_STATE: TIO is not enabled (no SEV-TIO support, TIO_INIT not done). */
    public static final int INVALID_PLATFORM_STATE = 0x01;
    /** SEV_RET_INVALID_GUEST: the guest context (gctx) names no SNP guest. */
    public static final int INVALID_GUEST = 0x10;
    public static final int INCORRECT_BUFFER_LENGTH = 0x30;
    public static final int EXPAND_BUFFER_LENGTH_REQUEST = 0x31;
    public static final int SPDM_REQUEST = 0x32;
    public static final int SPDM_ERROR = 0x33;
    public static final int ERR_IN_DEV_CONN = 0x35;
    public static final int INVALID_DEV_CTX = 0x36;
    public static final int INVALID_TDI_CTX = 0x37;
    public static final int INVALID_TDI = 0x38;
    public static final int RECLAIM_REQUIRED = 0x39;
    public static final int IN_USE = 0x3A;
    public static final int INVALID_DEV_STATE = 0x3B;
    public static final int INVALID_TDI_STATE = 0x3C;
    public static final int DEV_CERT_CHANGED = 0x3D;
    public static final int RESYNC_REQ = 0x3E;
    public static final int RESPONSE_TOO_LARGE = 0x3F;

    /** TIO_MSG_SDTE_WRITE response statuses (the guest's request, 1.5). */
    public static final int SDTE_SUCCESS = 0;
    public static final int SDTE_INVALID_TDI = 1;
    public static final int SDTE_TDI_NOT_BOUND = 2;
    public static final int SDTE_RESERVED = 3;

    /** TIO_TDI_INFO's tdi_status (1.4). */
    public static final int TDI_UNBOUND = 0;
    public static final int TDI_BIND_LOCKED = 1;
    public static final int TDI_BIND_RUN = 2;

    private TioStatus()
    {
    }

    /** The name of a command status. */
    public static String name(final int status)
    {
        switch (status)
        {
            case SUCCESS: return "SUCCESS";
            case INVALID_PLATFORM_STATE: return "INVALID_PLATFORM_STATE";
            case INVALID_GUEST: return "INVALID_GUEST";
            case INCORRECT_BUFFER_LENGTH: return "INCORRECT_BUFFER_LENGTH";
            case EXPAND_BUFFER_LENGTH_REQUEST: return "EXPAND_BUFFER_LENGTH_REQUEST";
            case SPDM_REQUEST: return "SPDM_REQUEST";
            case SPDM_ERROR: return "SPDM_ERROR";
            case ERR_IN_DEV_CONN: return "ERR_IN_DEV_CONN";
            case INVALID_DEV_CTX: return "INVALID_DEV_CTX";
            case INVALID_TDI_CTX: return "INVALID_TDI_CTX";
            case INVALID_TDI: return "INVALID_TDI";
            case RECLAIM_REQUIRED: return "RECLAIM_REQUIRED";
            case IN_USE: return "IN_USE";
            case INVALID_DEV_STATE: return "INVALID_DEV_STATE";
            case INVALID_TDI_STATE: return "INVALID_TDI_STATE";
            case DEV_CERT_CHANGED: return "DEV_CERT_CHANGED";
            case RESYNC_REQ: return "RESYNC_REQ";
            case RESPONSE_TOO_LARGE: return "RESPONSE_TOO_LARGE";
            default: return String.format("0x%02x", status);
        }
    }

    /** The name of an SDTE_WRITE response status. */
    public static String sdteName(final int status)
    {
        switch (status)
        {
            case SDTE_SUCCESS: return "SUCCESS";
            case SDTE_INVALID_TDI: return "INVALID_TDI";
            case SDTE_TDI_NOT_BOUND: return "TDI_NOT_BOUND";
            case SDTE_RESERVED: return "RESERVED";
            default: return Integer.toString(status);
        }
    }
}
