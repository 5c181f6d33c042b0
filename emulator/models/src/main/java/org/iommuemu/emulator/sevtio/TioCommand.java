package org.iommuemu.emulator.sevtio;

/**
 * SEV-TIO commands of the secure processor (PSP/ASP), by their command codes: Linux's {@code enum sev_cmd} in the
 * SEV-TIO RFC v2 (the first six also upstream, {@code drivers/crypto/ccp/sev-dev-tio.c}); confidential-io-extras.md
 * 1.2. The public specification is AMD #58271 "SEV-TIO Firmware Interface" (not read). {@link SevTioFirmware} has one
 * method per command it models.
 */
public final class TioCommand
{
    public static final int TIO_STATUS = 0x0D0;
    public static final int TIO_INIT = 0x0D1;
    public static final int TIO_DEV_CREATE = 0x0D2;
    public static final int TIO_DEV_RECLAIM = 0x0D3;
    public static final int TIO_DEV_CONNECT = 0x0D4;
    public static final int TIO_DEV_DISCONNECT = 0x0D5;
    public static final int TIO_DEV_STATUS = 0x0D6;
    public static final int TIO_DEV_MEASUREMENTS = 0x0D7;
    public static final int TIO_DEV_CERTIFICATES = 0x0D8;
    public static final int TIO_TDI_CREATE = 0x0DA;
    public static final int TIO_TDI_RECLAIM = 0x0DB;
    public static final int TIO_TDI_BIND = 0x0DC;
    public static final int TIO_TDI_UNBIND = 0x0DD;
    public static final int TIO_TDI_REPORT = 0x0DE;
    public static final int TIO_TDI_STATUS = 0x0DF;
    public static final int TIO_GUEST_REQUEST = 0x0E0;
    public static final int TIO_ASID_FENCE_CLEAR = 0x0E1;
    public static final int TIO_ASID_FENCE_STATUS = 0x0E2;
    public static final int TIO_TDI_INFO = 0x0E3;
    public static final int TIO_ROLL_KEY = 0x0E4;

    private TioCommand()
    {
    }

    /** The command's name, or its code in hex when it is not one of these. */
    public static String name(final int code)
    {
        switch (code)
        {
            case TIO_STATUS: return "TIO_STATUS";
            case TIO_INIT: return "TIO_INIT";
            case TIO_DEV_CREATE: return "TIO_DEV_CREATE";
            case TIO_DEV_RECLAIM: return "TIO_DEV_RECLAIM";
            case TIO_DEV_CONNECT: return "TIO_DEV_CONNECT";
            case TIO_DEV_DISCONNECT: return "TIO_DEV_DISCONNECT";
            case TIO_DEV_STATUS: return "TIO_DEV_STATUS";
            case TIO_DEV_MEASUREMENTS: return "TIO_DEV_MEASUREMENTS";
            case TIO_DEV_CERTIFICATES: return "TIO_DEV_CERTIFICATES";
            case TIO_TDI_CREATE: return "TIO_TDI_CREATE";
            case TIO_TDI_RECLAIM: return "TIO_TDI_RECLAIM";
            case TIO_TDI_BIND: return "TIO_TDI_BIND";
            case TIO_TDI_UNBIND: return "TIO_TDI_UNBIND";
            case TIO_TDI_REPORT: return "TIO_TDI_REPORT";
            case TIO_TDI_STATUS: return "TIO_TDI_STATUS";
            case TIO_GUEST_REQUEST: return "TIO_GUEST_REQUEST";
            case TIO_ASID_FENCE_CLEAR: return "TIO_ASID_FENCE_CLEAR";
            case TIO_ASID_FENCE_STATUS: return "TIO_ASID_FENCE_STATUS";
            case TIO_TDI_INFO: return "TIO_TDI_INFO";
            case TIO_ROLL_KEY: return "TIO_ROLL_KEY";
            default: return String.format("0x%03x", code);
        }
    }
}
