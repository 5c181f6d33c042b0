package org.iommuemu.emulator.vtd;

/**
 * Scalable-mode page request descriptor: 256 bits (four quadwords), written by the hardware to the page request queue
 * in memory for every PRI Page Request it accepts.
 * <pre>
 * q0:  63:54  53   52   51:32   31:16  15:10   9    8     7:0
 *     +------+----+----+-------+------+------+-----+----+------+
 *     | rsvd | PM | EXE| PASID |  RID | rsvd | PDP | PP | Type |
 *     +------+----+----+-------+------+------+-----+----+------+
 * q1:  63:12                          11:3       2      1    0
 *     +------------------------------+----------+------+----+----+
 *     | page address                 | PRG index| LPIG | WR | RD |
 *     +------------------------------+----------+------+----+----+
 * q2, q3: private data (0 here: the model's devices send none)
 * </pre>
 * PP: a PASID is present; PDP: private data present; LPIG: last page request in its group. Sources: Linux
 * drivers/iommu/intel/prq.c {@code struct page_req_dsc} (type 8 bits, pasid_present, rid, pasid, exe_req, pm_req;
 * rd_req, wr_req, lpig, prg_index, addr), {@code PRQ_RING_MASK} (32-byte descriptors). The Type value a page request
 * descriptor carries is not in the sources read: {@link #TYPE_PAGE_REQUEST} is 1 (UNVERIFIED; Linux does not check it).
 */
public final class PageRequestDescriptor
{
    public static final int SIZE = 32;
    /** UNVERIFIED: the Type of a page request descriptor. */
    public static final int TYPE_PAGE_REQUEST = 1;

    // q0
    public static final long TYPE = 0xFFL;
    public static final long PASID_PRESENT = 1L << 8;
    public static final long PRIVATE_DATA_PRESENT = 1L << 9;
    public static final int RID_SHIFT = 16;
    public static final int PASID_SHIFT = 32;
    public static final long PASID = 0xF_FFFFL << PASID_SHIFT;
    public static final long EXECUTE = 1L << 52;
    public static final long PRIVILEGED = 1L << 53;
    // q1
    public static final long READ = 1L;
    public static final long WRITE = 1L << 1;
    public static final long LAST = 1L << 2;
    public static final int PRG_INDEX_SHIFT = 3;
    public static final long PRG_INDEX = 0x1FFL << PRG_INDEX_SHIFT;
    public static final long ADDRESS = 0xFFFF_FFFF_FFFF_F000L;

    private PageRequestDescriptor()
    {
    }

    /** Quadword 0 of a page request; {@code pasid} negative for none. */
    public static long q0(final int requesterId, final int pasid, final boolean execute, final boolean privileged)
    {
        final long withPasid = PASID_PRESENT | ((pasid & 0xF_FFFFL) << PASID_SHIFT) | (execute ? EXECUTE : 0) |
            (privileged ? PRIVILEGED : 0);
        return TYPE_PAGE_REQUEST | ((long)(requesterId & 0xFFFF) << RID_SHIFT) | (pasid >= 0 ? withPasid : 0);
    }

    /** Quadword 1 of a page request. */
    public static long q1(final long address, final boolean read, final boolean write, final boolean last, final int prgIndex)
    {
        return (address & ADDRESS) | ((long)(prgIndex & 0x1FF) << PRG_INDEX_SHIFT) | (last ? LAST : 0) | (write ? WRITE : 0) |
            (read ? READ : 0);
    }

    public static int type(final long q0)
    {
        return (int)(q0 & TYPE);
    }

    public static int requesterId(final long q0)
    {
        return (int)(q0 >>> RID_SHIFT) & 0xFFFF;
    }

    /** The PASID, or -1 without PP. */
    public static int pasid(final long q0)
    {
        return (q0 & PASID_PRESENT) == 0 ? -1 : (int)((q0 & PASID) >>> PASID_SHIFT);
    }

    public static boolean execute(final long q0)
    {
        return (q0 & EXECUTE) != 0;
    }

    public static boolean privileged(final long q0)
    {
        return (q0 & PRIVILEGED) != 0;
    }

    public static long address(final long q1)
    {
        return q1 & ADDRESS;
    }

    public static boolean read(final long q1)
    {
        return (q1 & READ) != 0;
    }

    public static boolean write(final long q1)
    {
        return (q1 & WRITE) != 0;
    }

    public static boolean last(final long q1)
    {
        return (q1 & LAST) != 0;
    }

    public static int prgIndex(final long q1)
    {
        return (int)((q1 & PRG_INDEX) >>> PRG_INDEX_SHIFT);
    }
}
