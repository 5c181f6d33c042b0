package org.iommuemu.emulator.platform;

import org.iommuemu.pagetable.Permissions;

/**
 * One request from a device as an IOMMU sees it, whatever carried it (a decoded TLP, a co-simulation frame, a
 * row of a requests file): requester ID, optional PASID with its execute and privileged flags, address, length,
 * access, the PCIe address type and the TDISP T bit. Mutable and reused per request (a flyweight over fields),
 * so the request path allocates nothing.
 */
public final class DmaRequest
{
    /** The value of {@link #pasid()} when the request carries no PASID. */
    public static final int NO_PASID = -1;

    private int requesterId;
    private int pasid = NO_PASID;
    private long address;
    private int length = 4;
    private int access = Permissions.READ;
    private boolean privileged;
    private AddressType addressType = AddressType.UNTRANSLATED;
    private boolean trusted;
    private boolean reservedAt;

    /** Reset to an untranslated 4-byte read with no PASID, T = 0. */
    public DmaRequest clear()
    {
        requesterId = 0;
        pasid = NO_PASID;
        address = 0;
        length = 4;
        access = Permissions.READ;
        privileged = false;
        addressType = AddressType.UNTRANSLATED;
        trusted = false;
        reservedAt = false;
        return this;
    }

    /** Shorthand for an untranslated read or write with no PASID and T = 0. */
    public DmaRequest set(final int requesterId, final long address, final boolean write)
    {
        clear();
        this.requesterId = requesterId & 0xFFFF;
        this.address = address;
        this.access = write ? Permissions.WRITE : Permissions.READ;
        return this;
    }

    /**
     * Every field at once, no PASID and not privileged (the replay's per-TLP conversion; one call instead of seven).
     *
     * @param access {@link Permissions} bits.
     */
    public DmaRequest set(final int requesterId, final long address, final int length, final int access,
        final AddressType addressType, final boolean trusted)
    {
        this.requesterId = requesterId & 0xFFFF;
        this.pasid = NO_PASID;
        this.address = address;
        this.length = Math.max(1, length);
        this.access = access & Permissions.ALL;
        this.privileged = false;
        this.addressType = addressType;
        this.trusted = trusted;
        this.reservedAt = false;
        return this;
    }

    /**
     * Whether the TLP's AT field held the reserved value 11: its {@link #addressType()} is then the one a reader chose
     * for it (the replay: untranslated); the models do not read this, it is there so that results can show it.
     */
    public boolean reservedAt()
    {
        return reservedAt;
    }

    public DmaRequest reservedAt(final boolean reservedAt)
    {
        this.reservedAt = reservedAt;
        return this;
    }

    public int requesterId()
    {
        return requesterId;
    }

    public DmaRequest requesterId(final int requesterId)
    {
        this.requesterId = requesterId & 0xFFFF;
        return this;
    }

    /** The PASID, or {@link #NO_PASID}. */
    public int pasid()
    {
        return pasid;
    }

    public boolean hasPasid()
    {
        return pasid != NO_PASID;
    }

    public DmaRequest pasid(final int pasid)
    {
        this.pasid = pasid < 0 ? NO_PASID : pasid & 0xFFFFF;
        return this;
    }

    public long address()
    {
        return address;
    }

    public DmaRequest address(final long address)
    {
        this.address = address;
        return this;
    }

    /** Length in bytes (at least 1). */
    public int length()
    {
        return length;
    }

    public DmaRequest length(final int length)
    {
        this.length = Math.max(1, length);
        return this;
    }

    /** {@link Permissions} bits the request needs: READ, WRITE, and EXECUTE when the PASID's ER flag is set. */
    public int access()
    {
        return access;
    }

    public DmaRequest access(final int access)
    {
        this.access = access & Permissions.ALL;
        return this;
    }

    public boolean isWrite()
    {
        return (access & Permissions.WRITE) != 0;
    }

    /** The PASID prefix's Privileged Mode Requested flag (supervisor access). */
    public boolean privileged()
    {
        return privileged;
    }

    public DmaRequest privileged(final boolean privileged)
    {
        this.privileged = privileged;
        return this;
    }

    public AddressType addressType()
    {
        return addressType;
    }

    public DmaRequest addressType(final AddressType addressType)
    {
        this.addressType = addressType;
        return this;
    }

    /** The TDISP T bit: the request comes from a TDI in the TEE. */
    public boolean trusted()
    {
        return trusted;
    }

    public DmaRequest trusted(final boolean trusted)
    {
        this.trusted = trusted;
        return this;
    }

    public String toString()
    {
        return "DmaRequest{rid=0x" + Integer.toHexString(requesterId) + (hasPasid() ? ", pasid=0x" + Integer.toHexString(pasid) : "") +
            ", addr=0x" + Long.toHexString(address) + ", len=" + length + ", access=" + Permissions.toString(access) +
            ", " + addressType + (trusted ? ", T=1" : "") + (privileged ? ", priv" : "") + "}";
    }
}
