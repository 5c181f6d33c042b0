package org.iommuemu.emulator.platform;

/**
 * A message TLP from a device to the IOMMU, whatever carried it (a trace's Msg, a co-simulation frame): a PRI Page
 * Request (PCIe Base Spec 10.4.1: the page, read and write, Last in the group, the PRG index, a PASID with its Execute
 * and Privileged flags) or an ATS Invalidate Completion (10.3.2: the ITag vector and the completion count). Mutable
 * and reused per message, like {@link DmaRequest}: the message path allocates nothing.
 */
public final class DeviceMessage
{
    /** What the message is. */
    public enum Kind
    {
        /** PRI Page Request (Message Code 0x04). */
        PAGE_REQUEST,
        /** ATS Invalidate Completion (Message Code 0x02). */
        ATS_INVALIDATE_COMPLETION
    }

    private Kind kind = Kind.PAGE_REQUEST;
    private int requesterId;
    private int pasid = DmaRequest.NO_PASID;
    private boolean privileged;
    private boolean execute;
    private long address;
    private boolean read;
    private boolean write;
    private boolean last;
    private int prgIndex;
    private int itagVector;
    private int completionCount;

    /** A Page Request; {@code pasid} is {@link DmaRequest#NO_PASID} for none. */
    public DeviceMessage pageRequest(final int requesterId, final int pasid, final long address, final boolean read, final boolean write,
        final boolean last, final int prgIndex, final boolean execute, final boolean privileged)
    {
        this.kind = Kind.PAGE_REQUEST;
        this.requesterId = requesterId & 0xFFFF;
        this.pasid = pasid;
        this.address = address & ~0xFFFL;
        this.read = read;
        this.write = write;
        this.last = last;
        this.prgIndex = prgIndex & 0x1FF;
        this.execute = execute;
        this.privileged = privileged;
        return this;
    }

    /** An Invalidate Completion: the ITags it completes ({@code itagVector} bit n = ITag n) and CC (1-8). */
    public DeviceMessage invalidateCompletion(final int requesterId, final int itagVector, final int completionCount)
    {
        this.kind = Kind.ATS_INVALIDATE_COMPLETION;
        this.requesterId = requesterId & 0xFFFF;
        this.pasid = DmaRequest.NO_PASID;
        this.itagVector = itagVector;
        this.completionCount = completionCount;
        return this;
    }

    public Kind kind()
    {
        return kind;
    }

    public int requesterId()
    {
        return requesterId;
    }

    /** The PASID, or {@link DmaRequest#NO_PASID}. */
    public int pasid()
    {
        return pasid;
    }

    public boolean hasPasid()
    {
        return pasid != DmaRequest.NO_PASID;
    }

    public boolean privileged()
    {
        return privileged;
    }

    public boolean execute()
    {
        return execute;
    }

    /** The page address (bits 11:0 clear). */
    public long address()
    {
        return address;
    }

    public boolean read()
    {
        return read;
    }

    public boolean write()
    {
        return write;
    }

    /** L: the last request of its page request group. */
    public boolean last()
    {
        return last;
    }

    /** PRG index, 9 bits. */
    public int prgIndex()
    {
        return prgIndex;
    }

    public int itagVector()
    {
        return itagVector;
    }

    public int completionCount()
    {
        return completionCount;
    }
}
