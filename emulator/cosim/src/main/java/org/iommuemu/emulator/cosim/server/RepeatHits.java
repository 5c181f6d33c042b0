package org.iommuemu.emulator.cosim.server;

import org.iommuemu.emulator.cosim.codec.Ats;

/**
 * The ATS_REQs of a session whose model may need the peer (guest memory, or interrupts sent as MSI writes) that the
 * network thread may still answer itself (docs/protocol.md 1): repeats of a request whose last execution hit the
 * IOTLB, touched no guest memory, changed no cache and sent the peer nothing but its answer, with only such clean
 * requests carried out since. The model's path for such a request depends only on state that nothing since has
 * changed (the caches, the registers, the emulator's own memory, the timeline), so it hits again without a round
 * trip to the peer. Anything else the session carries out empties the set ({@link #clear}).
 * <p>
 * A request is keyed by every field that {@code Session.translate} reads except its id and timestamp: the channel,
 * the first and last 4 KiB page of the access, the length, the attributes and the four request words. A few entries
 * (a device's working set of pages); a full set replaces its oldest entry. Used only by the thread that owns the
 * session's model.
 */
final class RepeatHits
{
    /** Keys held at most. */
    static final int CAPACITY = 64;
    private static final int FIELDS = 9;

    private final long[] keys = new long[CAPACITY * FIELDS];
    private int size;
    private int next;

    /** Whether {@code ats} repeats a request held here. */
    boolean contains(final Ats ats)
    {
        for (int i = 0; i < size; i++)
        {
            if (matches(i * FIELDS, ats))
            {
                return true;
            }
        }
        return false;
    }

    /** Hold {@code ats} (it was carried out cleanly). */
    void add(final Ats ats)
    {
        if (contains(ats))
        {
            return;
        }
        final int at = next * FIELDS;
        keys[at] = ats.dev();
        keys[at + 1] = ats.address() >>> 12;
        keys[at + 2] = lastPage(ats);
        keys[at + 3] = ats.length();
        keys[at + 4] = ats.attributes();
        keys[at + 5] = ats.reserved(0);
        keys[at + 6] = ats.reserved(1);
        keys[at + 7] = ats.reserved(2);
        keys[at + 8] = ats.reserved(3);
        next = (next + 1) % CAPACITY;
        size = Math.min(size + 1, CAPACITY);
    }

    /** Something other than a clean repeat was carried out: no request held is known to hit any more. */
    void clear()
    {
        size = 0;
        next = 0;
    }

    int size()
    {
        return size;
    }

    private boolean matches(final int at, final Ats ats)
    {
        return keys[at] == ats.dev() && keys[at + 1] == ats.address() >>> 12 && keys[at + 2] == lastPage(ats) &&
            keys[at + 3] == ats.length() && keys[at + 4] == ats.attributes() && keys[at + 5] == ats.reserved(0) &&
            keys[at + 6] == ats.reserved(1) && keys[at + 7] == ats.reserved(2) && keys[at + 8] == ats.reserved(3);
    }

    /** The last 4 KiB page the access touches (its length as the session reads it, {@link Session#dmaLength}). */
    private static long lastPage(final Ats ats)
    {
        return (ats.address() + Session.dmaLength(ats) - 1) >>> 12;
    }
}
