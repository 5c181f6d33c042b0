package org.iommuemu.emulator.amdvi;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Guest physical memory as a nested (v2 over v1) walk sees it: every entry read at a GPA is first translated by
 * the device's host (v1) table, then read from system memory. This is how nested translation composes the two
 * walks with the one generic {@link Walker}: the guest walk runs over this view, so each guest table fetch
 * costs a host walk (no nested-walk cache yet), exactly as the two-dimensional walk of the hardware.
 * <p>
 * A host walk that fails does not throw: the view remembers the failure ({@link #faulted()},
 * {@link #hostWalk()}) and returns an empty entry, so the guest walk stops with NOT_PRESENT and the caller
 * reports the host fault instead. Table fetches need host READ permission.
 * <p>
 * Only entry reads are meaningful; the bulk and write methods are not used by walks and throw (an emulator
 * bug if reached). Re-pointed per request; allocation-free.
 */
final class HostTranslatedMemory implements PhysicalMemory
{
    private final PhysicalMemory memory;
    private final WalkResult hostWalk = new WalkResult();
    private PageTableFormat format;
    private long root;
    private int initialPermissions;
    private boolean faulted;
    private long faultAddress;

    HostTranslatedMemory(final PhysicalMemory memory)
    {
        this.memory = memory;
    }

    /** Translate through the host table {@code format} at {@code root}, starting from the DTE's permissions. */
    HostTranslatedMemory point(final PageTableFormat format, final long root, final int initialPermissions)
    {
        this.format = format;
        this.root = root;
        this.initialPermissions = initialPermissions;
        this.faulted = false;
        this.faultAddress = 0;
        return this;
    }

    /** Translate one GPA with {@code access}; false (and {@link #faulted()}) when the host table refuses it. */
    boolean translate(final long gpa, final int access)
    {
        if (Walker.walk(format, memory, root, gpa, access, initialPermissions, hostWalk))
        {
            return true;
        }
        faulted = true;
        faultAddress = gpa;
        return false;
    }

    /** Whether a host walk failed since {@link #point}. */
    boolean faulted()
    {
        return faulted;
    }

    /** The GPA whose host walk failed. */
    long faultAddress()
    {
        return faultAddress;
    }

    /** The last host walk (the failed one after a fault). */
    WalkResult hostWalk()
    {
        return hostWalk;
    }

    public long readEntry(final long address)
    {
        if (faulted || !translate(address, Permissions.READ))
        {
            return 0;
        }
        return memory.readEntry(hostWalk.outputAddress());
    }

    public void writeEntry(final long address, final long value)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory reads entries only");
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public void zero(final long address, final long length)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public MemoryAccessListener listener()
    {
        return memory.listener();
    }

    public void listener(final MemoryAccessListener listener)
    {
        throw new UnsupportedOperationException("set the listener on system memory");
    }

    public long residentFrames()
    {
        return memory.residentFrames();
    }
}
