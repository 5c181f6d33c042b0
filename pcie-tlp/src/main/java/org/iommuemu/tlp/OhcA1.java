package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * OHC-A1, the flit-mode Orthogonal Header Content for memory requests, address-routed messages and
 * Translation Requests: it carries the byte enables and the PASID that a non-flit TLP carries in DW1 and in a
 * {@link PasidPrefix} (PCIe Base Spec 2.2.1.2). The bit positions are this codec's choice (UNVERIFIED, see
 * {@link UnverifiedLayout}).
 *
 * <pre>
 *   31     28 27     24 23  22  21  20 19                                  0
 *  +---------+---------+---+---+---+---+--------------------------------------+
 *  | Last BE | 1st BE  |NW |PV |PMR|ER |             PASID[19:0]              |
 *  +---------+---------+---+---+---+---+--------------------------------------+
 * </pre>
 */
public final class OhcA1 extends Flyweight
{
    /** Length of OHC-A1. */
    public static final int LENGTH = DW;
    /** PASID. */
    public static final int PASID = UnverifiedLayout.OHC_A1_PASID;
    /** Execute Requested. */
    public static final int ER = UnverifiedLayout.OHC_A1_ER;
    /** Privileged Mode Requested. */
    public static final int PMR = UnverifiedLayout.OHC_A1_PMR;
    /** PASID Valid. */
    public static final int PV = UnverifiedLayout.OHC_A1_PV;
    /** No Write. */
    public static final int NW = UnverifiedLayout.OHC_A1_NW;
    /** First DW BE. */
    public static final int FIRST_BE = UnverifiedLayout.OHC_A1_FIRST_BE;
    /** Last DW BE. */
    public static final int LAST_BE = UnverifiedLayout.OHC_A1_LAST_BE;
    private static final int DW0 = 0;

    /** {@inheritDoc} */
    @Override
    public OhcA1 wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes the whole OHC-A1.
     *
     * @param pasidValid PV.
     * @param pasid      PASID.
     * @param er         Execute Requested.
     * @param pmr        Privileged Mode Requested.
     * @param nw         No Write.
     * @param firstBe    First DW BE.
     * @param lastBe     Last DW BE.
     * @return this.
     */
    public OhcA1 set(
        final boolean pasidValid,
        final int pasid,
        final boolean er,
        final boolean pmr,
        final boolean nw,
        final int firstBe,
        final int lastBe)
    {
        int dw = BitField.set(0, PV, pasidValid);
        dw = BitField.set(dw, PASID, pasid);
        dw = BitField.set(dw, ER, er);
        dw = BitField.set(dw, PMR, pmr);
        dw = BitField.set(dw, NW, nw);
        dw = BitField.set(dw, FIRST_BE, firstBe);
        dw = BitField.set(dw, LAST_BE, lastBe);
        dw(DW0, dw);
        return this;
    }

    /** @return PV. */
    public boolean pasidValid()
    {
        return flag(DW0, PV);
    }

    /** @return PASID. */
    public int pasid()
    {
        return field(DW0, PASID);
    }

    /** @return ER. */
    public boolean executeRequested()
    {
        return flag(DW0, ER);
    }

    /** @return PMR. */
    public boolean privilegedModeRequested()
    {
        return flag(DW0, PMR);
    }

    /** @return NW. */
    public boolean noWrite()
    {
        return flag(DW0, NW);
    }

    /** @return First DW BE. */
    public int firstBe()
    {
        return field(DW0, FIRST_BE);
    }

    /** @return Last DW BE. */
    public int lastBe()
    {
        return field(DW0, LAST_BE);
    }
}
