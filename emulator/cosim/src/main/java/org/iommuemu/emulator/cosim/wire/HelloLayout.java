package org.iommuemu.emulator.cosim.wire;

/**
 * HELLO (remote-port 4.3 {@code rp_pkt_hello}; docs/protocol.md 6.1): the version, then where the capability list
 * is. The sender appends its capabilities right after the fixed part.
 * <pre>
 * @20 u16 major      @22 u16 minor
 * @24 u32 caps offset, from the packet start (32)
 * @28 u16 caps count @30 u16 reserved
 * @32 u32 cap[0] ... cap[count - 1]
 * </pre>
 */
public final class HelloLayout
{
    public static final int MAJOR_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int MINOR_OFFSET = MAJOR_OFFSET + 2;
    public static final int CAPS_OFFSET_OFFSET = MINOR_OFFSET + 2;
    public static final int CAPS_COUNT_OFFSET = CAPS_OFFSET_OFFSET + 4;
    public static final int RESERVED_OFFSET = CAPS_COUNT_OFFSET + 2;
    /** The fixed part's end, where senders put the capabilities. */
    public static final int LENGTH = RESERVED_OFFSET + 2;
    /** The least a HELLO can carry: the version (remote-port's decoder asserts this much). */
    public static final int MINIMUM_LENGTH = CAPS_OFFSET_OFFSET;
    public static final int CAP_SIZE = 4;

    private HelloLayout()
    {
    }
}
