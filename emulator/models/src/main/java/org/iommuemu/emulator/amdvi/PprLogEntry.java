package org.iommuemu.emulator.amdvi;

/**
 * AMD-Vi PPR (peripheral page request) log entry: 16 bytes, two little-endian quadwords, as Linux's
 * {@code amd_iommu_types.h} decodes it ({@code PPR_REQ_TYPE}, {@code PPR_FLAGS}, {@code PPR_DEVID}, {@code PPR_TAG},
 * {@code PPR_PASID1/2}, {@code PPR_FLAG_*}; the reference sheet has the log's registers but not the entry):
 * <pre>
 * q0:  63:60 type | 59:48 flags | 47:46 rsvd | 45:42 PASID[19:16] | 41:32 tag | 31:16 PASID[15:0] | 15:0 DeviceID
 * q1:  63:0 the page address (GVA with GN, else the untranslated address; bits 11:0 zero)
 * flags: 1 EXEC, 2 READ, 5 WRITE, 6 US (1 user, 0 supervisor), 7 RVSD (reserved bit not zero), 8 GN (PASID valid)
 * </pre>
 * Type 1 is a page fault request ({@code PPR_REQ_FAULT}), the only type Linux handles. The tag is the request's PRG
 * index (PCIe 10.4.1; 9 bits, COMPLETE_PPR_REQUEST echoes it). Static encoders and decoders; allocation-free.
 */
public final class PprLogEntry
{
    public static final int LENGTH = 16;
    public static final int TYPE_FAULT = 1;

    public static final int DEVICE_ID_SHIFT = 0;
    public static final long DEVICE_ID = 0xFFFFL << DEVICE_ID_SHIFT;
    public static final int PASID_LOW_SHIFT = 16;
    public static final long PASID_LOW = 0xFFFFL << PASID_LOW_SHIFT;
    public static final int TAG_SHIFT = 32;
    public static final long TAG = 0x3FFL << TAG_SHIFT;
    public static final int PASID_HIGH_SHIFT = 42;
    public static final long PASID_HIGH = 0xFL << PASID_HIGH_SHIFT;
    public static final int FLAGS_SHIFT = 48;
    public static final long FLAGS = 0xFFFL << FLAGS_SHIFT;
    public static final int TYPE_SHIFT = 60;
    public static final long TYPE = 0xFL << TYPE_SHIFT;

    public static final int FLAG_EXEC = 0x002;
    public static final int FLAG_READ = 0x004;
    public static final int FLAG_WRITE = 0x020;
    public static final int FLAG_US = 0x040;
    public static final int FLAG_RVSD = 0x080;
    public static final int FLAG_GN = 0x100;

    private PprLogEntry()
    {
    }

    /**
     * Quadword 0 of a page fault request.
     *
     * @param pasid the PASID, or -1 for none (GN clear).
     */
    public static long quadword0(final int deviceId, final int pasid, final int tag, final int flags)
    {
        final boolean gn = pasid >= 0;
        final long p = gn ? pasid : 0;
        return (deviceId & 0xFFFFL) | ((p & 0xFFFF) << PASID_LOW_SHIFT) | (((long)tag << TAG_SHIFT) & TAG) |
            (((p >>> 16) & 0xF) << PASID_HIGH_SHIFT) | (((long)(flags | (gn ? FLAG_GN : 0)) << FLAGS_SHIFT) & FLAGS) |
            ((long)TYPE_FAULT << TYPE_SHIFT);
    }

    public static int type(final long q0)
    {
        return (int)((q0 & TYPE) >>> TYPE_SHIFT);
    }

    public static int flags(final long q0)
    {
        return (int)((q0 & FLAGS) >>> FLAGS_SHIFT);
    }

    public static int deviceId(final long q0)
    {
        return (int)(q0 & DEVICE_ID);
    }

    public static int tag(final long q0)
    {
        return (int)((q0 & TAG) >>> TAG_SHIFT);
    }

    /** The PASID, or -1 when GN is clear. */
    public static int pasid(final long q0)
    {
        if ((flags(q0) & FLAG_GN) == 0)
        {
            return -1;
        }
        return (int)((q0 & PASID_HIGH) >>> PASID_HIGH_SHIFT) << 16 | (int)((q0 & PASID_LOW) >>> PASID_LOW_SHIFT);
    }
}
