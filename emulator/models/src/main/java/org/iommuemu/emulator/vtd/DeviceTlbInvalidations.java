package org.iommuemu.emulator.vtd;

import org.agrona.collections.Int2IntHashMap;
import org.iommuemu.emulator.platform.DeviceMessageListener;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.tlp.AtsRange;

/**
 * The unit's side of ATS invalidation (PCIe Base Spec 10.3): a device-TLB invalidation descriptor (type 3, or the
 * PASID-based type 8) makes the unit send the device an Invalidate Request with an ITag (0-31) the device has no
 * request outstanding for; the device's Invalidate Completion returns the ITags it completed. The outstanding ITags of
 * each device are kept as a 32-bit mask; a completion that completes none is unexpected. When all 32 are outstanding
 * the lowest is used again and counted ({@link #itagsReused}). Invalidation waits do not wait for completions: the
 * model completes every descriptor at once, and the completions a trace carries are matched when they arrive (a
 * choice; ITE, the invalidation time-out, is not modelled).
 */
final class DeviceTlbInvalidations
{
    private static final int NO_MASK = 0;

    private final Int2IntHashMap outstanding = new Int2IntHashMap(NO_MASK);
    private DeviceMessageListener listener = DeviceMessageListener.NONE;
    private long requests;
    private long completions;
    private long unexpected;
    private long itagsReused;

    void listener(final DeviceMessageListener listener)
    {
        this.listener = listener;
    }

    /**
     * Send the Invalidate Request a device-TLB descriptor asks for: {@code address} with the S-bit size encoding
     * ({@code size}), for {@code pasid} (negative: none), global or not.
     */
    void invalidate(final int requesterId, final int pasid, final long address, final boolean size, final boolean global)
    {
        final int itag = allocate(requesterId);
        requests++;
        listener.atsInvalidateRequest(requesterId, pasid, AtsRange.base(address, size), AtsRange.size(address, size), global, itag);
    }

    /** An Invalidate Request seen in a trace (the host sent it): its ITag is outstanding. */
    void seen(final int requesterId, final int itag)
    {
        outstanding.put(requesterId, outstanding.get(requesterId) | (1 << (itag & 31)));
    }

    /** The device's Invalidate Completion for the ITags of {@code itagVector}. */
    MessageResult completed(final int requesterId, final int itagVector)
    {
        final int mask = outstanding.get(requesterId);
        if ((mask & itagVector) == 0)
        {
            unexpected++;
            return MessageResult.INVALIDATION_UNEXPECTED;
        }
        completions++;
        final int left = mask & ~itagVector;
        if (left == NO_MASK)
        {
            outstanding.remove(requesterId);
        }
        else
        {
            outstanding.put(requesterId, left);
        }
        return MessageResult.INVALIDATION_COMPLETED;
    }

    private int allocate(final int requesterId)
    {
        final int mask = outstanding.get(requesterId);
        int itag = Integer.numberOfTrailingZeros(~mask);
        if (itag == 32)
        {
            itag = 0;
            itagsReused++;
        }
        outstanding.put(requesterId, mask | (1 << itag));
        return itag;
    }

    /** ITags of {@code requesterId} with no completion yet, as a mask. */
    int outstanding(final int requesterId)
    {
        return outstanding.get(requesterId);
    }

    long requests()
    {
        return requests;
    }

    long completions()
    {
        return completions;
    }

    long unexpected()
    {
        return unexpected;
    }

    long itagsReused()
    {
        return itagsReused;
    }
}
