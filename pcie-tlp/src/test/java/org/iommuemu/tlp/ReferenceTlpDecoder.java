package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * {@link TlpDecoder} as it was before its fast path (issue 3): a prefix loop, {@link TlpKind} predicates and a
 * branch per check. Kept unchanged, over {@link ReferenceTlp}, as the reference of
 * {@link TlpDecoderDifferentialTest}.
 */
final class ReferenceTlpDecoder
{
    private static final int PREFIX_FMT_MASK = 0xE0;
    private static final int PREFIX_FMT = TlpKind.FMT_PREFIX << 5;
    /** Byte of DW0 that holds the high bits of Length (and TD, EP, Attr, AT), where Length errors point. */
    private static final int LENGTH_FIELD_BYTE = 2;
    /** Byte of a flit header base that holds TS. */
    private static final int TS_FIELD_BYTE = 2;
    /** Offset of Address[63:32] in a 4DW request header (DW2). */
    private static final int ADDRESS_HIGH_BYTE = RequestHeader.DW2 * Flyweight.DW;

    private ReferenceTlpDecoder()
    {
    }

    /**
     * Decodes a non-flit TLP occupying exactly {@code [offset, offset + length)}.
     *
     * @param buffer holding the TLP.
     * @param offset of its first byte.
     * @param length of the TLP in bytes.
     * @param tlp    result, re-pointed at the parts found.
     * @return {@link TlpError#NONE} or the first error; also in {@code tlp.error()}.
     */
    public static TlpError decode(final DirectBuffer buffer, final int offset, final int length, final ReferenceTlp tlp)
    {
        return decode(buffer, offset, length, length, tlp);
    }

    /**
     * Decodes a non-flit TLP of which a capture kept only the first {@code capturedLength} bytes of
     * {@code wireLength} (a pcap snap length). Prefixes and header must be captured; Length, TD and the 4 GiB
     * rule are checked against the wire length, and {@link ReferenceTlp#capturedDataLength()} says how much data is
     * present.
     *
     * @param buffer         holding the TLP.
     * @param offset         of its first byte.
     * @param capturedLength bytes present in the buffer.
     * @param wireLength     bytes the TLP had on the wire, at least {@code capturedLength}.
     * @param tlp            result.
     * @return {@link TlpError#NONE} or the first error.
     */
    public static TlpError decode(
        final DirectBuffer buffer, final int offset, final int capturedLength, final int wireLength, final ReferenceTlp tlp)
    {
        tlp.reset(buffer, offset, wireLength, false);
        tlp.capturedLength = Math.min(capturedLength, wireLength);
        final int end = offset + tlp.capturedLength;
        int pos = offset;
        while (pos < end && (buffer.getByte(pos) & PREFIX_FMT_MASK) == PREFIX_FMT)
        {
            if (end - pos < Flyweight.DW)
            {
                return tlp.fail(TlpError.TRUNCATED_HEADER, end);
            }
            final int byte0 = buffer.getByte(pos) & 0xFF;
            if (PasidPrefix.BYTE0 == byte0 && ReferenceTlp.ABSENT == tlp.pasidPrefixOffset)
            {
                tlp.pasidPrefixOffset = pos;
            }
            else if (IdePrefix.BYTE0 == byte0 && ReferenceTlp.ABSENT == tlp.idePrefixOffset)
            {
                tlp.idePrefixOffset = pos;
            }
            tlp.prefixCount++;
            pos += Flyweight.DW;
        }
        if (pos == end)
        {
            return tlp.fail(tlp.prefixCount > 0 ? TlpError.PREFIX_WITHOUT_HEADER : TlpError.TRUNCATED_HEADER, pos);
        }
        final TlpKind kind = TlpKind.of(buffer.getByte(pos));
        if (kind.isReserved())
        {
            return tlp.fail(TlpError.RESERVED_FMT_TYPE, pos);
        }
        final int headerLength = TlpHeader.headerLength(buffer, pos);
        if (end - pos < headerLength)
        {
            return tlp.fail(TlpError.TRUNCATED_HEADER, end);
        }
        tlp.kind = kind;
        tlp.headerOffset = pos;
        tlp.headerLength = headerLength;

        final int dw0 = buffer.getInt(pos, BIG_ENDIAN);
        final int lengthField = BitField.get(dw0, TlpHeader.LENGTH);
        if ((kind.isIo() || kind.isConfig()) && 1 != lengthField)
        {
            return tlp.fail(TlpError.IO_CONFIG_LENGTH, pos + LENGTH_FIELD_BYTE);
        }
        if (kind.isMemory() && TlpHeader.HEADER_4DW_LENGTH == headerLength)
        {
            final int addressHigh = buffer.getInt(pos + ADDRESS_HIGH_BYTE, BIG_ENDIAN);
            if (0 == addressHigh)
            {
                return tlp.fail(TlpError.ADDRESS_4DW_BELOW_4GIB, pos + ADDRESS_HIGH_BYTE);
            }
        }

        final int dataLength = kind.hasData() ?
            (0 == lengthField ? TlpHeader.MAX_LENGTH_DW : lengthField) * Flyweight.DW : 0;
        final boolean td = BitField.isSet(dw0, TlpHeader.TD);
        final int dataOffset = pos + headerLength;
        final int wireEnd = offset + wireLength;
        final long expectedEnd = (long)dataOffset + dataLength + (td ? TlpHeader.DIGEST_LENGTH : 0);
        if (expectedEnd > wireEnd)
        {
            return tlp.fail(TlpError.TRUNCATED_DATA, wireEnd);
        }
        if (expectedEnd < wireEnd)
        {
            return tlp.fail(TlpError.LENGTH_MISMATCH, (int)expectedEnd);
        }
        if (dataLength > 0)
        {
            tlp.dataOffset = dataOffset;
            tlp.dataLength = dataLength;
            tlp.capturedDataLength = Math.min(dataLength, end - dataOffset);
        }
        if (td && expectedEnd <= end)
        {
            tlp.digestOffset = dataOffset + dataLength;
        }
        return TlpError.NONE;
    }

    /**
     * Decodes a flit-mode TLP occupying exactly {@code [offset, offset + length)}. Layout choices are those of
     * {@link FlitHeaderBase} and {@link UnverifiedLayout}.
     *
     * @param buffer holding the TLP.
     * @param offset of its first byte.
     * @param length of the TLP in bytes.
     * @param tlp    result.
     * @return {@link TlpError#NONE} or the first error.
     */
    public static TlpError decodeFlit(final DirectBuffer buffer, final int offset, final int length, final ReferenceTlp tlp)
    {
        tlp.reset(buffer, offset, length, true);
        tlp.capturedLength = length;
        final int end = offset + length;
        int pos = offset;
        while (pos < end && (buffer.getByte(pos) & PREFIX_FMT_MASK) == PREFIX_FMT)
        {
            if (end - pos < Flyweight.DW)
            {
                return tlp.fail(TlpError.TRUNCATED_HEADER, end);
            }
            tlp.prefixCount++;
            pos += Flyweight.DW;
        }
        if (pos == end)
        {
            return tlp.fail(tlp.prefixCount > 0 ? TlpError.PREFIX_WITHOUT_HEADER : TlpError.TRUNCATED_HEADER, pos);
        }
        final int type = buffer.getByte(pos) & 0xFF;
        final int headerLength = (type & FlitHeaderBase.TYPE_4DW_BIT) != 0 ?
            TlpHeader.HEADER_4DW_LENGTH : TlpHeader.HEADER_3DW_LENGTH;
        if (end - pos < headerLength)
        {
            return tlp.fail(TlpError.TRUNCATED_HEADER, end);
        }
        final int dw0 = buffer.getInt(pos, BIG_ENDIAN);
        final int ohc = BitField.get(dw0, FlitHeaderBase.OHC);
        final int trailerDw = FlitHeaderBase.trailerLengthDw(BitField.get(dw0, FlitHeaderBase.TS));
        if (trailerDw < 0)
        {
            return tlp.fail(TlpError.RESERVED_TRAILER_SIZE, pos + TS_FIELD_BYTE);
        }
        tlp.headerOffset = pos;
        tlp.headerLength = headerLength;
        final int ohcOffset = pos + headerLength;
        final int ohcLength = FlitHeaderBase.ohcLengthDw(ohc) * Flyweight.DW;
        if (end - ohcOffset < ohcLength)
        {
            return tlp.fail(TlpError.TRUNCATED_HEADER, end);
        }
        if (ohcLength > 0)
        {
            tlp.ohcOffset = ohcOffset;
            int ohcPos = ohcOffset;
            if ((ohc & FlitHeaderBase.OHC_A) != 0)
            {
                tlp.ohcAOffset = ohcPos;
                ohcPos += Flyweight.DW;
            }
            if ((ohc & FlitHeaderBase.OHC_B) != 0)
            {
                ohcPos += Flyweight.DW;
            }
            if ((ohc & FlitHeaderBase.OHC_C) != 0)
            {
                tlp.ohcCOffset = ohcPos;
            }
        }
        final int lengthField = BitField.get(dw0, FlitHeaderBase.LENGTH);
        final int dataLength = (type & FlitHeaderBase.TYPE_DATA_BIT) != 0 ?
            (0 == lengthField ? TlpHeader.MAX_LENGTH_DW : lengthField) * Flyweight.DW : 0;
        final int dataOffset = ohcOffset + ohcLength;
        final long expectedEnd = (long)dataOffset + dataLength + trailerDw * Flyweight.DW;
        if (expectedEnd > end)
        {
            return tlp.fail(TlpError.TRUNCATED_DATA, end);
        }
        if (expectedEnd < end)
        {
            return tlp.fail(TlpError.LENGTH_MISMATCH, (int)expectedEnd);
        }
        if (dataLength > 0)
        {
            tlp.dataOffset = dataOffset;
            tlp.dataLength = dataLength;
            tlp.capturedDataLength = dataLength;
        }
        tlp.trailerLength = trailerDw * Flyweight.DW;
        if (1 == trailerDw)
        {
            tlp.digestOffset = dataOffset + dataLength;
        }
        return TlpError.NONE;
    }
}
