package org.iommuemu.tdx;

import org.agrona.collections.LongHashSet;

/**
 * TDX private-memory integrity: poisoned 64-byte lines and the machine checks that consuming them raises.
 * <p>
 * Model (shared/reference/vtd-tdx.md 6; the architected behaviour is UNVERIFIED there, these are the
 * documented choices): private memory is every frame the {@link Pamt} records as a TD's page, S-EPT page or
 * TDR. A host or untrusted-device write to such a frame poisons every line it touches, whether it covers the
 * line or not (a full-line write clears the TD-owner bit so the TD's next read fails integrity; a partial
 * write poisons directly on erratum parts: both end as a poisoned line for the TD). A read by the TD or a
 * trusted device of a poisoned line yields a {@link MachineCheckRecord}; so does any read of a poisoned line.
 * A host read of an unpoisoned private line gives zeros or a machine check by {@link HostReadMode}. A
 * trusted full-line write (the TD, MOVDIR64B) clears the poison of that line.
 * <p>
 * This class checks; it moves no data. The caller does the access when the outcome allows it (and returns
 * zeros for {@link #READ_ZEROS}). Checks allocate nothing; poisoning may grow the poison set.
 */
public final class MemoryIntegrity
{
    public static final int LINE_SIZE_LG2 = 6;
    public static final int LINE_SIZE = 1 << LINE_SIZE_LG2;

    /** The access may proceed normally. */
    public static final int ACCESS_OK = 0;
    /** A host read of private memory: the caller returns zeros. */
    public static final int READ_ZEROS = 1;
    /** The access raised a machine check; the record says where and why. */
    public static final int MACHINE_CHECK = 2;
    /** A host or untrusted write landed on private memory and poisoned lines. */
    public static final int WRITE_POISONED = 3;

    private static final int FRAME_LG2 = 12;

    private final Pamt pamt;
    private final LongHashSet poisonedLines = new LongHashSet();
    private HostReadMode hostReadMode;

    public MemoryIntegrity(final Pamt pamt, final HostReadMode hostReadMode)
    {
        this.pamt = pamt;
        this.hostReadMode = hostReadMode;
    }

    public HostReadMode hostReadMode()
    {
        return hostReadMode;
    }

    public void hostReadMode(final HostReadMode mode)
    {
        this.hostReadMode = mode;
    }

    public boolean isPoisoned(final long address)
    {
        return poisonedLines.contains(address >>> LINE_SIZE_LG2);
    }

    public int poisonedLineCount()
    {
        return poisonedLines.size();
    }

    /**
     * A write of {@code length} bytes at {@code address}. Returns {@link #WRITE_POISONED} when an untrusted
     * requester touched private memory, else {@link #ACCESS_OK}.
     */
    public int write(final int requesterKind, final long address, final int length)
    {
        checkLength(length);
        final long end = address + length;
        final boolean trusted = Requester.isTrusted(requesterKind);
        int outcome = ACCESS_OK;
        long line = address & -LINE_SIZE;
        long privateFrame = -1;
        long checkedFrame = -1;
        for (; line < end; line += LINE_SIZE)
        {
            final long frame = line >>> FRAME_LG2;
            if (frame != checkedFrame)
            {
                checkedFrame = frame;
                privateFrame = pamt.isPrivateMemory(line) ? frame : -1;
            }
            if (frame != privateFrame)
            {
                continue;
            }
            if (!trusted)
            {
                poisonedLines.add(line >>> LINE_SIZE_LG2);
                outcome = WRITE_POISONED;
            }
            else if (line >= address && line + LINE_SIZE <= end)
            {
                poisonedLines.remove(line >>> LINE_SIZE_LG2);
            }
        }
        return outcome;
    }

    /**
     * A read of {@code length} bytes at {@code address} by a requester ({@link Requester} kind and id; the TD
     * id for TD and trusted-device reads). Returns {@link #ACCESS_OK}, {@link #READ_ZEROS} or
     * {@link #MACHINE_CHECK} with {@code machineCheck} filled (the first poisoned line).
     */
    public int read(final int requesterKind, final long requesterId, final long address, final int length,
        final MachineCheckRecord machineCheck)
    {
        checkLength(length);
        machineCheck.clear();
        final long end = address + length;
        final boolean trusted = Requester.isTrusted(requesterKind);
        boolean touchedPrivate = false;
        int privateOwner = 0;
        long checkedFrame = -1;
        boolean framePrivate = false;
        for (long line = address & -LINE_SIZE; line < end; line += LINE_SIZE)
        {
            final long frame = line >>> FRAME_LG2;
            if (frame != checkedFrame)
            {
                checkedFrame = frame;
                framePrivate = pamt.isPrivateMemory(line);
                if (framePrivate && !touchedPrivate)
                {
                    touchedPrivate = true;
                    privateOwner = pamt.owner(line);
                }
            }
            if (framePrivate && poisonedLines.contains(line >>> LINE_SIZE_LG2))
            {
                machineCheck.set(line, requesterKind, requesterId, pamt.owner(line), MachineCheckRecord.CAUSE_POISON_CONSUMED);
                return MACHINE_CHECK;
            }
        }
        if (trusted || !touchedPrivate)
        {
            return ACCESS_OK;
        }
        if (hostReadMode == HostReadMode.MACHINE_CHECK)
        {
            final long first = firstPrivate(address, end);
            machineCheck.set(first, requesterKind, requesterId, privateOwner, MachineCheckRecord.CAUSE_HOST_READ_PRIVATE);
            return MACHINE_CHECK;
        }
        return READ_ZEROS;
    }

    /** Forget the poison of a range: the module re-initialises a page it hands to a TD, or the host resets it. */
    public void clear(final long address, final long length)
    {
        if (poisonedLines.isEmpty())
        {
            return;
        }
        for (long line = address & -LINE_SIZE; line < address + length; line += LINE_SIZE)
        {
            poisonedLines.remove(line >>> LINE_SIZE_LG2);
        }
    }

    private long firstPrivate(final long address, final long end)
    {
        for (long line = address & -LINE_SIZE; line < end; line += LINE_SIZE)
        {
            if (pamt.isPrivateMemory(line))
            {
                return Math.max(line, address);
            }
        }
        return address;
    }

    private static void checkLength(final int length)
    {
        if (length <= 0)
        {
            throw new IllegalArgumentException("access length " + length + " is not positive");
        }
    }
}
