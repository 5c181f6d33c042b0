package org.iommuemu.emulator.cosim.wire;

/**
 * SYNC (remote-port 4.3 {@code rp_pkt_sync}; docs/protocol.md 6.4), 28 bytes; and CFG ({@code rp_pkt_cfg}), 25 bytes,
 * which remote-port defines but does not implement.
 * <pre>
 * SYNC: @20 u64 timestamp
 * CFG:  @20 u32 opt   @24 u8 set
 * </pre>
 */
public final class SyncLayout
{
    public static final int TIMESTAMP_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int LENGTH = TIMESTAMP_OFFSET + 8;
    public static final int CFG_OPT_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int CFG_SET_OFFSET = CFG_OPT_OFFSET + 4;
    public static final int CFG_LENGTH = CFG_SET_OFFSET + 1;

    private SyncLayout()
    {
    }
}
