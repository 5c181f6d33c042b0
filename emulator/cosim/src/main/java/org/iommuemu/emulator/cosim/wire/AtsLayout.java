package org.iommuemu.emulator.cosim.wire;

/**
 * ATS_REQ and ATS_INV (remote-port 4.3 {@code rp_pkt_ats}; docs/protocol.md 6.5), 88 bytes. With the extension
 * {@link RemotePort#IE_TRANSLATE} the reserved words carry {@link TranslateWords}.
 * <pre>
 * @20 u64 timestamp   @28 u64 attributes (bit 0 exec, 1 read, 2 write)
 * @36 u64 addr        @44 u64 len          @52 u32 result (0 ok, 1 error)
 * @56 u64 reserved0   @64 u64 reserved1    @72 u64 reserved2    @80 u64 reserved3
 * </pre>
 */
public final class AtsLayout
{
    public static final int TIMESTAMP_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int ATTRIBUTES_OFFSET = TIMESTAMP_OFFSET + 8;
    public static final int ADDR_OFFSET = ATTRIBUTES_OFFSET + 8;
    public static final int LEN_OFFSET = ADDR_OFFSET + 8;
    public static final int RESULT_OFFSET = LEN_OFFSET + 8;
    public static final int RESERVED0_OFFSET = RESULT_OFFSET + 4;
    public static final int RESERVED_COUNT = 4;
    public static final int LENGTH = RESERVED0_OFFSET + RESERVED_COUNT * 8;

    public static final long ATTR_EXEC = 1;
    public static final long ATTR_READ = 1 << 1;
    public static final long ATTR_WRITE = 1 << 2;
    public static final int RESULT_OK = 0;
    public static final int RESULT_ERROR = 1;

    private AtsLayout()
    {
    }
}
