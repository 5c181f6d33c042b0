package org.iommuemu.tlp.trace;

import org.agrona.DirectBuffer;
import org.iommuemu.tlp.BitField;
import org.iommuemu.tlp.Flyweight;

/**
 * The 8-byte pseudo-header in front of the TLP bytes in every pcie-tlp pcapng Enhanced Packet Block
 * (docs/trace-format.md). Big-endian whatever the section's byte order, like the TLP after it.
 *
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------+-------+-+-+-+-+-------------------------------+
 *  |  Version = 1  | Rsvd  |T|I|F|U|         Port / link id        |  DW0
 *  +---------------+-------+-+-+-+-+-------------------------------+
 *  |   Stream ID   |                   Reserved (0)                |  DW1
 *  +---------------+-----------------------------------------------+
 *   U = upstream (device to Root Complex); F = flit-mode TLP; I = out-of-band IDE fields valid;
 *   T = TDISP T bit, with Stream ID, for a non-flit IDE TLP whose source stripped the IDE prefix.
 * </pre>
 *
 * When the TLP bytes carry an IDE prefix or OHC-C, those are authoritative and I should be 0.
 */
public final class PseudoHeader extends Flyweight
{
    /** Length of the pseudo-header. */
    public static final int LENGTH = 8;
    /** Current version. */
    public static final int VERSION_1 = 1;
    /** Version. */
    public static final int VERSION = BitField.of(24, 8);
    /** T bit (valid when I is set). */
    public static final int T = BitField.of(19, 1);
    /** I: out-of-band IDE fields valid. */
    public static final int IDE_VALID = BitField.of(18, 1);
    /** F: flit mode. */
    public static final int FLIT = BitField.of(17, 1);
    /** U: upstream. */
    public static final int UPSTREAM = BitField.of(16, 1);
    /** Port / link id. */
    public static final int PORT = BitField.of(0, 16);
    /** Stream ID (valid when I is set). */
    public static final int STREAM_ID = BitField.of(24, 8);
    private static final int DW0 = 0;
    private static final int DW1 = 1;

    /** {@inheritDoc} */
    @Override
    public PseudoHeader wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes the whole pseudo-header.
     *
     * @param direction of the TLP.
     * @param port      port or link id, 16 bits.
     * @param flit      true for a flit-mode TLP.
     * @param ideValid  true when t and streamId are meaningful.
     * @param t         T bit.
     * @param streamId  IDE stream ID.
     * @return this.
     */
    public PseudoHeader set(
        final Direction direction,
        final int port,
        final boolean flit,
        final boolean ideValid,
        final boolean t,
        final int streamId)
    {
        int dw0 = BitField.set(0, VERSION, VERSION_1);
        dw0 = BitField.set(dw0, UPSTREAM, Direction.UPSTREAM == direction);
        dw0 = BitField.set(dw0, FLIT, flit);
        dw0 = BitField.set(dw0, IDE_VALID, ideValid);
        dw0 = BitField.set(dw0, T, ideValid && t);
        dw0 = BitField.set(dw0, PORT, port);
        dw(DW0, dw0);
        dw(DW1, BitField.set(0, STREAM_ID, ideValid ? streamId : 0));
        return this;
    }

    /** @return version. */
    public int version()
    {
        return field(DW0, VERSION);
    }

    /** @return direction. */
    public Direction direction()
    {
        return flag(DW0, UPSTREAM) ? Direction.UPSTREAM : Direction.DOWNSTREAM;
    }

    /** @return port / link id. */
    public int port()
    {
        return field(DW0, PORT);
    }

    /** @return flit mode. */
    public boolean flit()
    {
        return flag(DW0, FLIT);
    }

    /** @return out-of-band IDE fields valid. */
    public boolean ideValid()
    {
        return flag(DW0, IDE_VALID);
    }

    /** @return T bit. */
    public boolean t()
    {
        return flag(DW0, T);
    }

    /** @return stream ID. */
    public int streamId()
    {
        return field(DW1, STREAM_ID);
    }
}
