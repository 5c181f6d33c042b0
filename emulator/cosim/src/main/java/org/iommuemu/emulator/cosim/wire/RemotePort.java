package org.iommuemu.emulator.cosim.wire;

/**
 * Remote-port 4.3: the version, the commands, the header flags and the capabilities (Xilinx libsystemctlm-soc
 * {@code remote-port-proto.h}; docs/protocol.md 2-4), and the header every packet starts with.
 * <pre>
 *  0               1               2               3
 * +---------------------------------------------------------------+
 * |                         cmd (u32)                             |  @0
 * |                         len (u32): payload bytes after @20    |  @4
 * |                         id (u32)                              |  @8
 * |                         flags (u32)                           |  @12
 * |                         dev (u32): the channel                |  @16
 * +---------------------------------------------------------------+
 * </pre>
 * Every field is big-endian. The iommu-emu extension's numbers are in the private range 0x4945xxxx
 * ({@link #IE_TRANSLATE}, {@link #IE_TLP}, {@link #IE_CONTROL}, {@link #CMD_IE_TLP}, {@link #CMD_IE_STATS},
 * {@link #FLAG_IE_ERROR}).
 */
public final class RemotePort
{
    public static final int VERSION_MAJOR = 4;
    public static final int VERSION_MINOR = 3;

    public static final int CMD_OFFSET = 0;
    public static final int LEN_OFFSET = CMD_OFFSET + 4;
    public static final int ID_OFFSET = LEN_OFFSET + 4;
    public static final int FLAGS_OFFSET = ID_OFFSET + 4;
    public static final int DEV_OFFSET = FLAGS_OFFSET + 4;
    /** Bytes of the header; {@code len} counts the bytes after it. */
    public static final int HEADER_LENGTH = DEV_OFFSET + 4;

    public static final int CMD_NOP = 0;
    public static final int CMD_HELLO = 1;
    public static final int CMD_CFG = 2;
    public static final int CMD_READ = 3;
    public static final int CMD_WRITE = 4;
    public static final int CMD_INTERRUPT = 5;
    public static final int CMD_SYNC = 6;
    public static final int CMD_ATS_REQ = 7;
    public static final int CMD_ATS_INV = 8;
    /** Extension ({@link #IE_TLP}): raw TLP bytes in, the replay outcome out (docs/protocol.md 7.2). */
    public static final int CMD_IE_TLP = 0x4945_0101;
    /** Extension ({@link #IE_CONTROL}): the session's statistics as text (docs/protocol.md 7.3). */
    public static final int CMD_IE_STATS = 0x4945_0102;

    public static final int FLAG_OPTIONAL = 1;
    public static final int FLAG_RESPONSE = 1 << 1;
    /** The receiver need not answer; a response to it, if any, keeps this flag and is dropped. */
    public static final int FLAG_POSTED = 1 << 2;
    /** Extension ({@link #IE_CONTROL}): a response that reports an error (docs/protocol.md 9). */
    public static final int FLAG_IE_ERROR = 1 << 31;

    public static final int CAP_BUSACCESS_EXT_BASE = 1;
    public static final int CAP_BUSACCESS_EXT_BYTE_EN = 2;
    public static final int CAP_WIRE_POSTED_UPDATES = 3;
    public static final int CAP_ATS = 4;
    /** Extension: translation attributes and outcomes in the ATS packets' reserved words. */
    public static final int IE_TRANSLATE = 0x4945_0001;
    /** Extension: the IE_TLP command. */
    public static final int IE_TLP = 0x4945_0002;
    /** Extension: IE_STATS and error responses. */
    public static final int IE_CONTROL = 0x4945_0003;

    /** Bus response codes (attributes bits 11:8). */
    public static final int RESP_OK = 0;
    public static final int RESP_BUS_GENERIC_ERROR = 1;
    public static final int RESP_ADDR_ERROR = 2;

    private RemotePort()
    {
    }

    /** The command's name as logs print it. */
    public static String commandName(final int cmd)
    {
        switch (cmd)
        {
            case CMD_NOP:
                return "NOP";
            case CMD_HELLO:
                return "HELLO";
            case CMD_CFG:
                return "CFG";
            case CMD_READ:
                return "READ";
            case CMD_WRITE:
                return "WRITE";
            case CMD_INTERRUPT:
                return "INTERRUPT";
            case CMD_SYNC:
                return "SYNC";
            case CMD_ATS_REQ:
                return "ATS_REQ";
            case CMD_ATS_INV:
                return "ATS_INV";
            case CMD_IE_TLP:
                return "IE_TLP";
            case CMD_IE_STATS:
                return "IE_STATS";
            default:
                return "command 0x" + Integer.toHexString(cmd);
        }
    }

    /** A capability's name as logs print it. */
    public static String capabilityName(final int cap)
    {
        switch (cap)
        {
            case CAP_BUSACCESS_EXT_BASE:
                return "BUSACCESS_EXT_BASE";
            case CAP_BUSACCESS_EXT_BYTE_EN:
                return "BUSACCESS_EXT_BYTE_EN";
            case CAP_WIRE_POSTED_UPDATES:
                return "WIRE_POSTED_UPDATES";
            case CAP_ATS:
                return "ATS";
            case IE_TRANSLATE:
                return "IE_TRANSLATE";
            case IE_TLP:
                return "IE_TLP";
            case IE_CONTROL:
                return "IE_CONTROL";
            default:
                return "0x" + Integer.toHexString(cap);
        }
    }
}
