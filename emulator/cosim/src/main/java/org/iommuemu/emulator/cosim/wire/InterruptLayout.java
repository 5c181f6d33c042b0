package org.iommuemu.emulator.cosim.wire;

/**
 * INTERRUPT (remote-port 4.3 {@code rp_pkt_interrupt}; docs/protocol.md 6.3), 41 bytes.
 * <pre>
 * @20 u64 timestamp   @28 u64 vector   @36 u32 line   @40 u8 val
 * </pre>
 */
public final class InterruptLayout
{
    public static final int TIMESTAMP_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int VECTOR_OFFSET = TIMESTAMP_OFFSET + 8;
    public static final int LINE_OFFSET = VECTOR_OFFSET + 8;
    public static final int VAL_OFFSET = LINE_OFFSET + 4;
    public static final int LENGTH = VAL_OFFSET + 1;

    private InterruptLayout()
    {
    }
}
