package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * IDE End-to-End TLP prefix carrying the TDISP T bit, one DW, byte 0 = 0x92 (PCIe Base Spec 6.33.4). It must
 * come before every other End-to-End prefix. Field names follow the Intel Simics {@code pcie_ide_secured_t};
 * the bit positions are partly UNVERIFIED and live in {@link UnverifiedLayout}.
 *
 * <pre>
 *   31    29 28     24 23              16 15               8  7 6   4  3  2  1  0
 *  +--------+---------+------------------+------------------+--+-----+--+--+--+--+
 *  |Fmt 100 |Type10010| PR_Sent_Counter  |    Stream ID     |R |SubSt|P |M |K |T |
 *  +--------+---------+------------------+------------------+--+-----+--+--+--+--+
 * </pre>
 *
 * Sub-Stream: 000 posted, 001 non-posted, 010 completions.
 */
public final class IdePrefix extends Flyweight
{
    /** Length of the prefix. */
    public static final int LENGTH = DW;
    /** Byte 0 of an IDE prefix. */
    public static final int BYTE0 = 0x92;
    /** Fmt and Type. */
    public static final int FMT_TYPE = TlpHeader.FMT_TYPE;
    /** PR_Sent_Counter. */
    public static final int PR_SENT_COUNTER = UnverifiedLayout.IDE_PR_SENT_COUNTER;
    /** Stream ID. */
    public static final int STREAM_ID = UnverifiedLayout.IDE_STREAM_ID;
    /** Sub-Stream. */
    public static final int SUB_STREAM = UnverifiedLayout.IDE_SUB_STREAM;
    /** P, PCRC present. */
    public static final int P = UnverifiedLayout.IDE_P;
    /** M, MAC present. */
    public static final int M = UnverifiedLayout.IDE_M;
    /** K, key set. */
    public static final int K = UnverifiedLayout.IDE_K;
    /** T, the TLP originates in a TEE. */
    public static final int T = UnverifiedLayout.IDE_T;
    /** Sub-Stream: posted requests. */
    public static final int SUB_STREAM_POSTED = 0b000;
    /** Sub-Stream: non-posted requests. */
    public static final int SUB_STREAM_NON_POSTED = 0b001;
    /** Sub-Stream: completions. */
    public static final int SUB_STREAM_COMPLETION = 0b010;
    private static final int DW0 = 0;

    /** {@inheritDoc} */
    @Override
    public IdePrefix wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes the whole prefix.
     *
     * @param t             T bit.
     * @param k             key set.
     * @param m             MAC present.
     * @param p             PCRC present.
     * @param subStream     Sub-Stream.
     * @param streamId      Stream ID.
     * @param prSentCounter PR_Sent_Counter.
     * @return this.
     */
    public IdePrefix set(
        final boolean t,
        final boolean k,
        final boolean m,
        final boolean p,
        final int subStream,
        final int streamId,
        final int prSentCounter)
    {
        int dw = BitField.set(0, FMT_TYPE, BYTE0);
        dw = BitField.set(dw, T, t);
        dw = BitField.set(dw, K, k);
        dw = BitField.set(dw, M, m);
        dw = BitField.set(dw, P, p);
        dw = BitField.set(dw, SUB_STREAM, subStream);
        dw = BitField.set(dw, STREAM_ID, streamId);
        dw = BitField.set(dw, PR_SENT_COUNTER, prSentCounter);
        dw(DW0, dw);
        return this;
    }

    /** @return T. */
    public boolean t()
    {
        return flag(DW0, T);
    }

    /** @return K. */
    public boolean k()
    {
        return flag(DW0, K);
    }

    /** @return M. */
    public boolean m()
    {
        return flag(DW0, M);
    }

    /** @return P. */
    public boolean p()
    {
        return flag(DW0, P);
    }

    /** @return Sub-Stream. */
    public int subStream()
    {
        return field(DW0, SUB_STREAM);
    }

    /** @return Stream ID. */
    public int streamId()
    {
        return field(DW0, STREAM_ID);
    }

    /** @return PR_Sent_Counter. */
    public int prSentCounter()
    {
        return field(DW0, PR_SENT_COUNTER);
    }
}
