package org.iommuemu.pagetable;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * The outcome of one walk, owned by the caller and re-pointed on every walk (Aeron's {@code Header}
 * pattern): nothing is allocated per walk.
 * <p>
 * On success {@link #fault()} is {@link WalkFault#NONE} and the output address, page size and effective
 * permissions describe the translation. On a {@link WalkFault#PERMISSION} fault they still describe the
 * translation that was found. Either way {@link #level()} is the level of the last entry read and
 * {@link #entryAddress(int)} lists every entry read, in order.
 */
public final class WalkResult
{
    /** More than any format's level count: a walk reads at most one entry per level. */
    public static final int MAX_ENTRIES = 8;

    private static final WalkFault[] FAULTS = WalkFault.values();

    /** Entry addresses are 8-byte aligned, so bits 2:0 of a record's first word hold the entry's level. */
    private static final long LEVEL_BITS = 7;

    /** Bytes of one recorded entry: its address with the level in bits 2:0, then its value. */
    static final int RECORD_SIZE_LG2 = 4;

    // The walker writes the entry records directly and publishes the rest once, at the end of a walk: keeping
    // its state in locals instead of these fields halves the cost of a hot walk. Each entry's address and level
    // share one word (the level in the alignment bits). The records are off-heap, at fixed offsets from a
    // pointer the walker advances, so recording an entry is two plain stores with no array bounds checks: a walk
    // records at most one entry per level, at most {@code Walker.MAX_LEVEL + 1} in all, fewer than MAX_ENTRIES.
    private final ByteBuffer recordStorage = ByteBuffer.allocateDirect((MAX_ENTRIES << RECORD_SIZE_LG2) + 16);
    /** Native address of record 0 (16-byte aligned); the storage is referenced above for this object's life. */
    final long records = (BufferUtil.address(recordStorage) + 15) & -16L;
    private int entryCount;
    private long inputAddress;
    private int access;
    private int faultOrdinal;
    private long outputAddress;
    private int pageSizeLg2;
    private int permissions;
    private int level;

    /**
     * What the walker needs before a walk and only reads again at its end: the request, the permissions granted
     * above the first table and the entries already recorded. Kept here rather than passed along so that the
     * walker's core takes six arguments, all of which the JIT passes in registers.
     */
    int permissionsAbove;

    /** Start (or, after a level skip, continue) a walk: {@code entriesSoFar} entries are already recorded. */
    void begin(final long inputAddress, final int access, final int permissionsAbove, final int entriesSoFar)
    {
        this.inputAddress = inputAddress;
        this.access = access;
        this.permissionsAbove = permissionsAbove;
        this.entryCount = entriesSoFar;
    }

    /**
     * Publish a walk's outcome after {@link #begin} (which stored the request): {@code entryCount} entries are
     * already recorded.
     */
    void finish(final int entryCount, final WalkFault fault, final int level, final long outputAddress,
        final int pageSizeLg2, final int permissions)
    {
        this.entryCount = entryCount;
        this.faultOrdinal = fault.ordinal();
        this.level = level;
        this.outputAddress = outputAddress;
        this.pageSizeLg2 = pageSizeLg2;
        this.permissions = permissions;
    }

    /** True when the walk produced a translation that allows the access. */
    public boolean isOk()
    {
        return faultOrdinal == 0;
    }

    public WalkFault fault()
    {
        return FAULTS[faultOrdinal];
    }

    public long inputAddress()
    {
        return inputAddress;
    }

    /** The {@link Permissions} bits the walk was asked to check. */
    public int access()
    {
        return access;
    }

    /** Translated address of the input (page base plus offset); meaningful when a leaf was found. */
    public long outputAddress()
    {
        return outputAddress;
    }

    /** log2 of the size of the leaf that translated the input. */
    public int pageSizeLg2()
    {
        return pageSizeLg2;
    }

    /** Effective permissions: the AND over every entry on the path. */
    public int permissions()
    {
        return permissions;
    }

    /** Level of the last entry read (where the walk stopped); -1 if none was read. */
    public int level()
    {
        return level;
    }

    /** Number of entries read. */
    public int entryCount()
    {
        return entryCount;
    }

    /** Physical address of the i-th entry read. */
    public long entryAddress(final int i)
    {
        return addressLevel(i) & ~LEVEL_BITS;
    }

    /** Value of the i-th entry read. */
    public long entryValue(final int i)
    {
        checkIndex(i);
        return UnsafeApi.getLong(null, records + ((long)i << RECORD_SIZE_LG2) + 8);
    }

    /** Level of the i-th entry read. */
    public int entryLevel(final int i)
    {
        return (int)(addressLevel(i) & LEVEL_BITS);
    }

    private long addressLevel(final int i)
    {
        checkIndex(i);
        return UnsafeApi.getLong(null, records + ((long)i << RECORD_SIZE_LG2));
    }

    private void checkIndex(final int i)
    {
        if (i < 0 || i >= entryCount)
        {
            throw new IndexOutOfBoundsException("entry " + i + " of " + entryCount);
        }
    }

    public String toString()
    {
        final StringBuilder sb = new StringBuilder(128);
        sb.append("WalkResult{iova=0x").append(Long.toHexString(inputAddress))
            .append(", access=").append(Permissions.toString(access))
            .append(", fault=").append(fault());
        if (pageSizeLg2 != 0)
        {
            sb.append(", oa=0x").append(Long.toHexString(outputAddress))
                .append(", sizeLg2=").append(pageSizeLg2)
                .append(", perms=").append(Permissions.toString(permissions));
        }
        sb.append(", level=").append(level).append(", entries=[");
        for (int i = 0; i < entryCount; i++)
        {
            sb.append(i == 0 ? "" : ", ").append("L").append(entryLevel(i)).append("@0x")
                .append(Long.toHexString(entryAddress(i))).append("=0x").append(Long.toHexString(entryValue(i)));
        }
        return sb.append("]}").toString();
    }
}
