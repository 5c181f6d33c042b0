package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * PASID End-to-End TLP prefix, one DW, byte 0 = 0x91 (PCIe Base Spec 6.20.2). Layout from the Intel Simics
 * PCIe header ({@code pcie_pasid_info_t}) and a BSD-licensed PASID prefix injector, which agree.
 *
 * <pre>
 *   31    29 28     24 23  22 21  20 19                                     0
 *  +--------+---------+------+---+---+---------------------------------------+
 *  |Fmt 100 |Type10001| Rsvd |PMR|ER |              PASID[19:0]              |
 *  +--------+---------+------+---+---+---------------------------------------+
 * </pre>
 */
public final class PasidPrefix extends Flyweight
{
    /** Length of the prefix. */
    public static final int LENGTH = DW;
    /** Byte 0 of a PASID prefix. */
    public static final int BYTE0 = 0x91;
    /** Fmt and Type. */
    public static final int FMT_TYPE = TlpHeader.FMT_TYPE;
    /** PASID. */
    public static final int PASID = BitField.of(0, 20);
    /** Execute Requested. */
    public static final int EXECUTE_REQUESTED = BitField.of(20, 1);
    /** Privileged Mode Requested. */
    public static final int PRIVILEGED_MODE_REQUESTED = BitField.of(21, 1);
    private static final int DW0 = 0;

    /** {@inheritDoc} */
    @Override
    public PasidPrefix wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes the whole prefix.
     *
     * @param pasid                   20-bit PASID.
     * @param executeRequested        ER.
     * @param privilegedModeRequested PMR.
     * @return this.
     */
    public PasidPrefix set(final int pasid, final boolean executeRequested, final boolean privilegedModeRequested)
    {
        int dw = BitField.set(0, FMT_TYPE, BYTE0);
        dw = BitField.set(dw, PASID, pasid);
        dw = BitField.set(dw, EXECUTE_REQUESTED, executeRequested);
        dw = BitField.set(dw, PRIVILEGED_MODE_REQUESTED, privilegedModeRequested);
        dw(DW0, dw);
        return this;
    }

    /** @return PASID. */
    public int pasid()
    {
        return field(DW0, PASID);
    }

    /** @return Execute Requested. */
    public boolean executeRequested()
    {
        return flag(DW0, EXECUTE_REQUESTED);
    }

    /** @return Privileged Mode Requested. */
    public boolean privilegedModeRequested()
    {
        return flag(DW0, PRIVILEGED_MODE_REQUESTED);
    }
}
