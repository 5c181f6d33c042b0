package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * OHC-C, the flit-mode Orthogonal Header Content that every IDE TLP carries: the T bit and the stream
 * identity a non-flit TLP carries in an {@link IdePrefix} (PCIe Base Spec 2.2.1.2, 6.33.4). It has no M or P
 * bits; TS says whether a MAC and PCRC follow. The bit positions are this codec's choice (UNVERIFIED, see
 * {@link UnverifiedLayout}).
 *
 * <pre>
 *   31              24  23  22  21  20  19  18  16 15             8 7              0
 *  +------------------+---+---+---+---+---+------+----------------+----------------+
 *  |Requester Segment |Rsv|RSV|XT | T | K |SubStr|PR_Sent_Counter |   Stream ID    |
 *  +------------------+---+---+---+---+---+------+----------------+----------------+
 * </pre>
 *
 * Sub-Stream 111 in flit mode means "carries OHC-C but is not an IDE TLP".
 */
public final class OhcC extends Flyweight
{
    /** Length of OHC-C. */
    public static final int LENGTH = DW;
    /** Stream ID. */
    public static final int STREAM_ID = UnverifiedLayout.OHC_C_STREAM_ID;
    /** PR_Sent_Counter. */
    public static final int PR_SENT_COUNTER = UnverifiedLayout.OHC_C_PR_SENT_COUNTER;
    /** Sub-Stream. */
    public static final int SUB_STREAM = UnverifiedLayout.OHC_C_SUB_STREAM;
    /** K. */
    public static final int K = UnverifiedLayout.OHC_C_K;
    /** T. */
    public static final int T = UnverifiedLayout.OHC_C_T;
    /** XT. */
    public static final int XT = UnverifiedLayout.OHC_C_XT;
    /** Requester Segment Valid. */
    public static final int RSV = UnverifiedLayout.OHC_C_RSV;
    /** Requester Segment. */
    public static final int REQUESTER_SEGMENT = UnverifiedLayout.OHC_C_REQUESTER_SEGMENT;
    /** Sub-Stream value of a TLP that carries OHC-C without being an IDE TLP. */
    public static final int SUB_STREAM_NOT_IDE = 0b111;
    private static final int DW0 = 0;

    /** {@inheritDoc} */
    @Override
    public OhcC wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes the whole OHC-C.
     *
     * @param t                     T.
     * @param xt                    XT.
     * @param k                     K.
     * @param subStream             Sub-Stream.
     * @param streamId              Stream ID.
     * @param prSentCounter         PR_Sent_Counter.
     * @param requesterSegmentValid RSV.
     * @param requesterSegment      Requester Segment.
     * @return this.
     */
    public OhcC set(
        final boolean t,
        final boolean xt,
        final boolean k,
        final int subStream,
        final int streamId,
        final int prSentCounter,
        final boolean requesterSegmentValid,
        final int requesterSegment)
    {
        int dw = BitField.set(0, T, t);
        dw = BitField.set(dw, XT, xt);
        dw = BitField.set(dw, K, k);
        dw = BitField.set(dw, SUB_STREAM, subStream);
        dw = BitField.set(dw, STREAM_ID, streamId);
        dw = BitField.set(dw, PR_SENT_COUNTER, prSentCounter);
        dw = BitField.set(dw, RSV, requesterSegmentValid);
        dw = BitField.set(dw, REQUESTER_SEGMENT, requesterSegment);
        dw(DW0, dw);
        return this;
    }

    /** @return T. */
    public boolean t()
    {
        return flag(DW0, T);
    }

    /** @return XT. */
    public boolean xt()
    {
        return flag(DW0, XT);
    }

    /** @return K. */
    public boolean k()
    {
        return flag(DW0, K);
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

    /** @return RSV. */
    public boolean requesterSegmentValid()
    {
        return flag(DW0, RSV);
    }

    /** @return Requester Segment. */
    public int requesterSegment()
    {
        return field(DW0, REQUESTER_SEGMENT);
    }
}
