package org.iommuemu.emulator.cosim.wire;

/**
 * READ and WRITE bus accesses (remote-port 4.3 {@code rp_pkt_busaccess} and {@code rp_pkt_busaccess_ext_base};
 * docs/protocol.md 6.2). The layout is chosen per packet by attribute bit 2 ({@link #ATTR_EXT_BASE}).
 * <pre>
 * base, 58 bytes:
 * @20 u64 timestamp   @28 u64 attributes   @36 u64 addr
 * @44 u32 len         @48 u32 width        @52 u32 stream_width
 * @56 u16 master_id   @58 data
 * extended, 80 bytes (attributes bit 2):
 * @56 u16 master_id[15:0]  @58 u16 master_id[31:16]  @60 u32 master_id[63:32]
 * @64 u32 data_offset      @68 u32 next_offset       @72 u32 byte_enable_offset  @76 u32 byte_enable_len
 * @data_offset data         @byte_enable_offset byte enables
 * attributes: bit 0 EOP, 1 SECURE, 2 EXT_BASE, 3 PHYS_ADDR, 4 IO; bits 11:8 response code
 * </pre>
 */
public final class BusAccessLayout
{
    public static final int TIMESTAMP_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int ATTRIBUTES_OFFSET = TIMESTAMP_OFFSET + 8;
    public static final int ADDR_OFFSET = ATTRIBUTES_OFFSET + 8;
    public static final int LEN_OFFSET = ADDR_OFFSET + 8;
    public static final int WIDTH_OFFSET = LEN_OFFSET + 4;
    public static final int STREAM_WIDTH_OFFSET = WIDTH_OFFSET + 4;
    public static final int MASTER_ID_OFFSET = STREAM_WIDTH_OFFSET + 4;
    /** Bytes of the base layout; its data follows at once. */
    public static final int BASE_LENGTH = MASTER_ID_OFFSET + 2;
    public static final int MASTER_ID_31_16_OFFSET = BASE_LENGTH;
    public static final int MASTER_ID_63_32_OFFSET = MASTER_ID_31_16_OFFSET + 2;
    public static final int DATA_OFFSET_OFFSET = MASTER_ID_63_32_OFFSET + 4;
    public static final int NEXT_OFFSET_OFFSET = DATA_OFFSET_OFFSET + 4;
    public static final int BYTE_ENABLE_OFFSET_OFFSET = NEXT_OFFSET_OFFSET + 4;
    public static final int BYTE_ENABLE_LEN_OFFSET = BYTE_ENABLE_OFFSET_OFFSET + 4;
    /** Bytes of the extended layout; senders put the data right after it. */
    public static final int EXTENDED_LENGTH = BYTE_ENABLE_LEN_OFFSET + 4;

    public static final long ATTR_EOP = 1;
    public static final long ATTR_SECURE = 1 << 1;
    public static final long ATTR_EXT_BASE = 1 << 2;
    public static final long ATTR_PHYS_ADDR = 1 << 3;
    public static final long ATTR_IO = 1 << 4;
    public static final int RESPONSE_SHIFT = 8;
    public static final long RESPONSE_MASK = 0xFL << RESPONSE_SHIFT;

    private BusAccessLayout()
    {
    }

    /** The response code of a response's attributes. */
    public static int responseCode(final long attributes)
    {
        return (int)((attributes & RESPONSE_MASK) >>> RESPONSE_SHIFT);
    }

    /** Attributes with {@code code} as the response code. */
    public static long withResponseCode(final long attributes, final int code)
    {
        return (attributes & ~RESPONSE_MASK) | (((long)code << RESPONSE_SHIFT) & RESPONSE_MASK);
    }
}
