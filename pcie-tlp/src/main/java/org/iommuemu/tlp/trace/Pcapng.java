package org.iommuemu.tlp.trace;

/**
 * Layout constants of the pcapng blocks this module reads and writes (IETF draft-ietf-opsawg-pcapng), and the
 * pcie-tlp link type. Offsets are from the start of a block.
 *
 * <pre>
 *  every block:  | Block Type u32 | Block Total Length u32 | body ... | Block Total Length u32 |
 *  SHB (0x0A0D0D0A): Byte-Order Magic u32 0x1A2B3C4D, Major u16 = 1, Minor u16 = 0, Section Length i64, options
 *  IDB (1):  LinkType u16, Reserved u16, SnapLen u32, options (if_tsresol = code 9, 1 byte)
 *  EPB (6):  Interface ID u32, Timestamp high u32, Timestamp low u32, Captured Length u32,
 *            Original Length u32, Packet Data (padded to 4), options
 * </pre>
 */
public final class Pcapng
{
    /**
     * Link type of pcie-tlp packets: LINKTYPE_USER3 (150), from the private-use range 147-162. Files meant for
     * people outside the project should move to a registered link type.
     */
    public static final int LINKTYPE_PCIE_TLP = 150;

    /** Block type: Section Header Block. */
    public static final int SHB_TYPE = 0x0A0D0D0A;
    /** Block type: Interface Description Block. */
    public static final int IDB_TYPE = 0x00000001;
    /** Block type: Simple Packet Block. */
    public static final int SPB_TYPE = 0x00000003;
    /** Block type: Enhanced Packet Block. */
    public static final int EPB_TYPE = 0x00000006;
    /** Block type: obsolete Packet Block. */
    public static final int PB_TYPE = 0x00000002;
    /** Block type: Name Resolution Block. */
    public static final int NRB_TYPE = 0x00000004;
    /** Block type: Interface Statistics Block. */
    public static final int ISB_TYPE = 0x00000005;
    /** Block type: Systemd Journal Export Block. */
    public static final int SJE_TYPE = 0x00000009;
    /** Block type: Decryption Secrets Block. */
    public static final int DSB_TYPE = 0x0000000A;
    /** Block type: Custom Block (copyable). */
    public static final int CB_COPY_TYPE = 0x00000BAD;
    /** Block type: Custom Block (not copyable). */
    public static final int CB_NO_COPY_TYPE = 0x40000BAD;
    /** The only SHB major version this reader knows. */
    public static final int MAJOR_VERSION = 1;
    /** Byte-order magic. */
    public static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;

    /** Offset of the block type. */
    public static final int BLOCK_TYPE_OFFSET = 0;
    /** Offset of the block total length. */
    public static final int BLOCK_LENGTH_OFFSET = BLOCK_TYPE_OFFSET + 4;
    /** Offset of the block body. */
    public static final int BLOCK_BODY_OFFSET = BLOCK_LENGTH_OFFSET + 4;
    /** Smallest block: type, length, trailing length. */
    public static final int MIN_BLOCK_LENGTH = BLOCK_BODY_OFFSET + 4;

    /** SHB: byte-order magic. */
    public static final int SHB_MAGIC_OFFSET = BLOCK_BODY_OFFSET;
    /** SHB: major version. */
    public static final int SHB_MAJOR_OFFSET = SHB_MAGIC_OFFSET + 4;
    /** SHB: minor version. */
    public static final int SHB_MINOR_OFFSET = SHB_MAJOR_OFFSET + 2;
    /** SHB: section length. */
    public static final int SHB_SECTION_LENGTH_OFFSET = SHB_MINOR_OFFSET + 2;
    /** SHB: first option. */
    public static final int SHB_OPTIONS_OFFSET = SHB_SECTION_LENGTH_OFFSET + 8;

    /** IDB: link type. */
    public static final int IDB_LINKTYPE_OFFSET = BLOCK_BODY_OFFSET;
    /** IDB: reserved. */
    public static final int IDB_RESERVED_OFFSET = IDB_LINKTYPE_OFFSET + 2;
    /** IDB: snap length. */
    public static final int IDB_SNAPLEN_OFFSET = IDB_RESERVED_OFFSET + 2;
    /** IDB: first option. */
    public static final int IDB_OPTIONS_OFFSET = IDB_SNAPLEN_OFFSET + 4;

    /** EPB: interface id. */
    public static final int EPB_INTERFACE_OFFSET = BLOCK_BODY_OFFSET;
    /** EPB: timestamp high 32 bits. */
    public static final int EPB_TS_HIGH_OFFSET = EPB_INTERFACE_OFFSET + 4;
    /** EPB: timestamp low 32 bits. */
    public static final int EPB_TS_LOW_OFFSET = EPB_TS_HIGH_OFFSET + 4;
    /** EPB: captured length. */
    public static final int EPB_CAPTURED_LENGTH_OFFSET = EPB_TS_LOW_OFFSET + 4;
    /** EPB: original length. */
    public static final int EPB_ORIGINAL_LENGTH_OFFSET = EPB_CAPTURED_LENGTH_OFFSET + 4;
    /** EPB: packet data. */
    public static final int EPB_DATA_OFFSET = EPB_ORIGINAL_LENGTH_OFFSET + 4;

    /** Smallest Section Header Block: header, magic, versions, section length, trailer. */
    public static final int SHB_MIN_LENGTH = SHB_OPTIONS_OFFSET + 4;
    /** Smallest Interface Description Block. */
    public static final int IDB_MIN_LENGTH = IDB_OPTIONS_OFFSET + 4;
    /** Smallest Enhanced Packet Block (no packet data). */
    public static final int EPB_MIN_LENGTH = EPB_DATA_OFFSET + 4;

    /** Option code: end of options. */
    public static final int OPT_ENDOFOPT = 0;
    /** Option code: shb_userappl. */
    public static final int OPT_SHB_USERAPPL = 4;
    /** Option code: if_name. */
    public static final int OPT_IF_NAME = 2;
    /** Option code: if_tsresol. */
    public static final int OPT_IF_TSRESOL = 9;

    /** Snap length written in IDBs. */
    public static final int SNAPLEN = 65535;
    /** Interfaces tracked per section. */
    public static final int MAX_INTERFACES = 256;

    private Pcapng()
    {
    }

    /**
     * @param type a block type.
     * @return true for the block types of the pcapng specification that carry no packet (name resolution,
     *         interface statistics, journal export, decryption secrets, custom blocks): a reader counts them as
     *         ignored.
     */
    public static boolean isNonPacketBlock(final int type)
    {
        return NRB_TYPE == type || ISB_TYPE == type || SJE_TYPE == type || DSB_TYPE == type || CB_COPY_TYPE == type ||
            CB_NO_COPY_TYPE == type;
    }

    /**
     * @param length of a field.
     * @return length rounded up to a multiple of 4.
     */
    public static int pad4(final int length)
    {
        return (length + 3) & ~3;
    }
}
