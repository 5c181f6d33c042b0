package org.iommuemu.emulator.amdvi;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * SEV-TIO secure device table entry (sDTE): 512 bits as eight little-endian quadwords, one per DeviceID, 64 bytes
 * apart from the secure device table's base. The entry lives in firmware-owned memory: the PSP writes it (with the
 * fields a guest's TIO_MSG_SDTE_WRITE request asks for) and the IOMMU reads it for requests with T = 1; the host
 * cannot write it. Quadwords 0-2 use the positions of the ordinary {@link DeviceTableEntry} for the fields the two
 * share (V, GV, GLX, GCR3 root, IR, IW, DomainID, I, GPM).
 * <pre>
 * q0:  63  62  61  60:58       57:56 55  54   53  52  51:7  6:4   3:1  0
 *     +---+---+---+-----------+-----+---+----+---+---+-----+-----+----+---+
 *     |rsv|IW |IR |GCR3[14:12]| GLX |GV |GIOV|rsv|PPR| rsv |CXLIO|rsv | V |
 *     +---+---+---+-----------+-----+---+----+---+---+-----+-----+----+---+
 * q1:  63:43       42  41:40 39  38   37:33 32  31:16        15:0
 *     +-----------+----+-----+---+---+-----+---+------------+----------+
 *     |GCR3[51:31]|SATS| rsv |SD |EX | rsv | I |GCR3[30:15] | DomainID |
 *     +-----------+----+-----+---+---+-----+---+------------+----------+
 * q2:  63:60 59  58:56 55:54 53:52 51:6 (guest interrupt table)  5   4:1       0
 *     |     |HPTMode|   | GPM |     |                            |   |IntTabLen|GIV|
 * q3:  63:56 55  54:51  50:49 48  47  46:32     31:16            15      14:12 11:0
 *     +-----+----+-----+-----+---+---+---------+----------------+-------+-----+------+
 *     | SA  |rsv |AttrV| VMPL|rsv| 1 | guest id| guest device id|vIOMMU | rsv | ASID |
 *     +-----+----+-----+-----+---+---+---------+----------------+-------+-----+------+
 *      (AttrV is bit 246 = q3 bit 54)
 * q4:  IDE stream id[8] (one byte per traffic class)
 * q5:  63:37 rsv | 36:32 root-port id | 31:1 vTOM[51:21] (2 MiB units) | 0 vTOM enable
 * q6, q7: reserved
 * </pre>
 * Absolute bits, from the guest driver's {@code struct sdte} (confidential-io-extras.md 1.5, P-GTIO): V 0, CXLIO 6:4,
 * PPR 52, GIOV 54, GV 55, GLX 57:56, GCR3 root 60:58 / 95:80 / 127:107, IR 61, IW 62, DomainID 79:64, I 96, EX/SD
 * 102/103 (in the struct's order, which differs from the DTE's: UNVERIFIED), SATS 106, GIV 128, guest IntTabLen
 * 132:129, guest interrupt table 179:134, GPM 183:182, HPTMode 187, ASID 203:192, vIOMMU enable 207, guest device
 * id 223:208, guest id 238:224 (bit 239 must be 1), VMPL 242:241, AttrV 246, SA 255:248, IDE stream ids 319:256,
 * vTOM enable 320, vTOM[51:21] 351:321, root-port id 356:352. There is no host page-table root (bits 51:7 are
 * reserved): only the host (v1) table of the ordinary DTE translates.
 * <p>
 * Static decoders of one quadword, builders for the fields a guest's SDTE_WRITE and the PSP set, and
 * {@link #address}; allocation-free.
 */
public final class SecureDeviceTableEntry
{
    public static final int SIZE = 64;
    public static final int SIZE_LG2 = 6;
    public static final int QUADWORDS = SIZE / 8;

    // Quadword 0 (positions shared with the DTE).
    public static final long V = 1L;
    public static final int CXLIO_SHIFT = 4;
    public static final long CXLIO = 7L << CXLIO_SHIFT;
    public static final long PPR = 1L << 52;
    public static final long GIOV = DeviceTableEntry.GIOV;
    public static final long GV = DeviceTableEntry.GV;
    public static final long GLX = DeviceTableEntry.GLX;
    public static final long GCR3_14_12 = DeviceTableEntry.GCR3_14_12;
    public static final long IR = DeviceTableEntry.IR;
    public static final long IW = DeviceTableEntry.IW;
    /** Quadword 0 bits a guest's SDTE_WRITE may set in this model (V, IR, IW); the rest it must leave zero. */
    public static final long GUEST_QUADWORD0 = V | IR | IW;

    // Quadword 1.
    public static final long DOMAIN_ID = DeviceTableEntry.DOMAIN_ID;
    public static final long I = DeviceTableEntry.I;

    // Quadword 2.
    public static final long GPM = DeviceTableEntry.GPM;

    // Quadword 3 (absolute bits 255:192).
    public static final int ASID_SHIFT = 0;
    public static final int ASID_WIDTH = 12;
    public static final long ASID = ((1L << ASID_WIDTH) - 1) << ASID_SHIFT;
    public static final long VIOMMU_ENABLE = 1L << 15;
    public static final int GUEST_DEVICE_ID_SHIFT = 16;
    public static final long GUEST_DEVICE_ID = 0xFFFFL << GUEST_DEVICE_ID_SHIFT;
    public static final int GUEST_ID_SHIFT = 32;
    public static final long GUEST_ID = 0x7FFFL << GUEST_ID_SHIFT;
    /** Bit 239: "must be 1" in the guest driver's struct. */
    public static final long GUEST_ID_MUST_BE_ONE = 1L << 47;
    public static final int VMPL_SHIFT = 49;
    public static final long VMPL = 3L << VMPL_SHIFT;
    public static final long ATTRV = 1L << 54;
    public static final int SA_SHIFT = 56;
    public static final long SA = 0xFFL << SA_SHIFT;
    /** Quadword 3 bits a guest's SDTE_WRITE may set: VMPL (the PSP fills ASID and the root port). */
    public static final long GUEST_QUADWORD3 = VMPL;

    // Quadword 5 (absolute bits 383:320).
    public static final long VTOM_ENABLE = 1L;
    public static final int VTOM_SHIFT = 1;
    public static final int VTOM_WIDTH = 31;
    public static final long VTOM = ((1L << VTOM_WIDTH) - 1) << VTOM_SHIFT;
    /** vTOM counts 2 MiB units: the field holds address bits 51:21. */
    public static final int VTOM_UNIT_LG2 = 21;
    public static final int ROOT_PORT_SHIFT = 32;
    public static final long ROOT_PORT = 0x1FL << ROOT_PORT_SHIFT;
    /** Quadword 5 bits a guest's SDTE_WRITE may set: vTOM and its enable. */
    public static final long GUEST_QUADWORD5 = VTOM_ENABLE | VTOM;
    /** The largest vTOM the field holds: all ones (address bits 51:21 set), "everything private". */
    public static final long VTOM_ALL = VTOM >>> VTOM_SHIFT << VTOM_UNIT_LG2;

    private SecureDeviceTableEntry()
    {
    }

    /** Address of a device's entry. */
    public static long address(final long tableBase, final int deviceId)
    {
        return tableBase + ((long)(deviceId & 0xFFFF) << SIZE_LG2);
    }

    /** Quadword {@code index} of the entry at {@code entryAddress}: one fetch, seen by the memory's listener. */
    public static long readQuadword(final PhysicalMemory memory, final long entryAddress, final int index)
    {
        return memory.readEntry(entryAddress + ((long)index << 3));
    }

    public static boolean valid(final long q0)
    {
        return (q0 & V) != 0;
    }

    /** IR and IW as {@link DeviceTableEntry#permissions(long)} gives them for the host walk. */
    public static int permissions(final long q0)
    {
        return DeviceTableEntry.permissions(q0);
    }

    public static boolean guestTranslationValid(final long q0)
    {
        return (q0 & GV) != 0;
    }

    public static int asid(final long q3)
    {
        return (int)((q3 & ASID) >>> ASID_SHIFT);
    }

    public static int vmpl(final long q3)
    {
        return (int)((q3 & VMPL) >>> VMPL_SHIFT);
    }

    public static int guestDeviceId(final long q3)
    {
        return (int)((q3 & GUEST_DEVICE_ID) >>> GUEST_DEVICE_ID_SHIFT);
    }

    public static boolean vtomEnabled(final long q5)
    {
        return (q5 & VTOM_ENABLE) != 0;
    }

    /** vTOM as an address (bits 51:21; 2 MiB aligned). */
    public static long vtom(final long q5)
    {
        return ((q5 & VTOM) >>> VTOM_SHIFT) << VTOM_UNIT_LG2;
    }

    public static int rootPort(final long q5)
    {
        return (int)((q5 & ROOT_PORT) >>> ROOT_PORT_SHIFT);
    }

    /** Quadword 0 of a guest's SDTE_WRITE: V, IR, IW. */
    public static long guestQuadword0(final boolean valid, final boolean read, final boolean write)
    {
        return (valid ? V : 0) | (read ? IR : 0) | (write ? IW : 0);
    }

    /** Quadword 3 fields: ASID (PSP), guest device id, VMPL (guest), and the must-be-one bit 239. */
    public static long quadword3(final int asid, final int guestDeviceId, final int vmpl)
    {
        return ((long)asid << ASID_SHIFT & ASID) | ((long)guestDeviceId << GUEST_DEVICE_ID_SHIFT & GUEST_DEVICE_ID) |
            GUEST_ID_MUST_BE_ONE | ((long)vmpl << VMPL_SHIFT & VMPL);
    }

    /**
     * Quadword 5 fields: vTOM (an address; bits below 2 MiB are dropped, bits above 51 saturate to all ones) with its
     * enable, and the root port (PSP).
     */
    public static long quadword5(final boolean vtomEnabled, final long vtom, final int rootPort)
    {
        final long units = Long.compareUnsigned(vtom, VTOM_ALL) >= 0 ? (VTOM >>> VTOM_SHIFT) : vtom >>> VTOM_UNIT_LG2;
        return (vtomEnabled ? VTOM_ENABLE : 0) | (units << VTOM_SHIFT & VTOM) | ((long)rootPort << ROOT_PORT_SHIFT & ROOT_PORT);
    }

    /** Write all eight quadwords of an entry. */
    public static void write(final PhysicalMemory memory, final long entryAddress, final long q0, final long q1, final long q2,
        final long q3, final long q4, final long q5)
    {
        memory.writeEntry(entryAddress, q0);
        memory.writeEntry(entryAddress + 8, q1);
        memory.writeEntry(entryAddress + 16, q2);
        memory.writeEntry(entryAddress + 24, q3);
        memory.writeEntry(entryAddress + 32, q4);
        memory.writeEntry(entryAddress + 40, q5);
        memory.writeEntry(entryAddress + 48, 0);
        memory.writeEntry(entryAddress + 56, 0);
    }
}
