package org.iommuemu.tlp;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Frames and validates one TLP in a buffer into a caller-owned {@link Tlp}. Static, allocation-free and
 * exception-free: bad bytes give a {@link TlpError} and the offset where the problem was found.
 *
 * <pre>
 *  non-flit:  [prefix DW]* header(3DW|4DW) [data: Length DW if Fmt[1]] [ECRC DW if TD]
 *  flit:      [local prefix DW]* header base(3DW|4DW) [OHC: A,B,C,E] [data] [trailer per TS]
 * </pre>
 *
 * Checks, in order: truncated prefix/header, prefix with no header after it, reserved Fmt/Type, I/O and
 * configuration Length = 1, 4DW memory request below 4 GiB, then the byte count against Length, TD and TS
 * (too few bytes: {@link TlpError#TRUNCATED_DATA}; too many: {@link TlpError#LENGTH_MISMATCH}).
 * <p>
 * Non-flit {@code decode} has a fast path for what DMA traffic is made of (issue 3: at least 50 M TLPs/s on one
 * core): at most two prefixes, a memory request, completion, message or AtomicOp header, the whole header
 * inside the buffer. It checks the range once and then reads the buffer without bounds checks, finds the
 * prefixes and the kind by table loads and computes every check without a branch (in a real mix the prefix
 * count, header size and kind are not predictable, and a mispredicted branch costs more than the arithmetic).
 * Only if all checks pass does it store the result; anything else, every error included, is decoded again by
 * the general path, which therefore alone decides errors and their offsets. {@code TlpDecoderDifferentialTest}
 * compares both with the decoder as it was before the fast path.
 */
public final class TlpDecoder
{
    private static final int PREFIX_FMT_MASK = 0xE0;
    private static final int PREFIX_FMT = TlpKind.FMT_PREFIX << 5;
    /** Byte of DW0 that holds the high bits of Length (and TD, EP, Attr, AT), where Length errors point. */
    private static final int LENGTH_FIELD_BYTE = 2;
    /** Byte of a flit header base that holds TS. */
    private static final int TS_FIELD_BYTE = 2;
    /** Offset of Address[63:32] in a 4DW request header (DW2). */
    private static final int ADDRESS_HIGH_BYTE = RequestHeader.DW2 * Flyweight.DW;
    private static final boolean NATIVE_BIG_ENDIAN = ByteOrder.nativeOrder() == BIG_ENDIAN;
    private static final int LENGTH_MASK = BitField.mask(TlpHeader.LENGTH);
    private static final int TD_SHIFT = BitField.shift(TlpHeader.TD);

    /*
     * KIND_TABLE: what the fast path of decode() needs to know of a header byte 0, one int per byte value: the
     * Tlp.state bits for kind and header length (copied as they are) and flags taken from TlpKind's own
     * predicates. One table load replaces a chain of enum field loads and branches on values that are
     * unpredictable in a mix. Prefix bytes go to the general path: as a header byte they only reach the table
     * with three or more prefixes, which the fast path leaves to decodeChecked anyway.
     */
    /**
     * Reserved kinds, prefixes, and I/O and configuration requests (Length must be 1): rare in the DMA traffic an
     * IOMMU sees, so they are left to decodeChecked, which keeps the common path shorter.
     */
    private static final int ENTRY_GENERAL_PATH = 1 << 16;
    /** A memory request with a 4DW header: Address[63:32] must not be zero. */
    private static final int ENTRY_MEMORY_4DW = 1 << 17;
    /** Sign bit: set for a kind with data, so that {@code entry >> 31} is the mask of the data length. */
    private static final int ENTRY_DATA_SHIFT = 31;
    private static final int[] KIND_TABLE = new int[256];
    private static final int PREFIX_COUNT_MASK = 0b11;
    private static final int PREFIX_MORE_SHIFT = 2;
    /** See {@link #prefixes(long, int)}: index Fmt(DW0) | Fmt(DW1) << 3 | Fmt(DW2) << 6. */
    private static final int PREFIX_TABLE_LENGTH = 512;
    private static final byte[] PREFIX_TABLE = new byte[PREFIX_TABLE_LENGTH];

    static
    {
        for (int byte0 = 0; byte0 < 256; byte0++)
        {
            final TlpKind kind = TlpKind.of(byte0);
            final boolean fourDw = (byte0 & TlpHeader.BYTE0_4DW) != 0;
            final int headerLength = fourDw ? TlpHeader.HEADER_4DW_LENGTH : TlpHeader.HEADER_3DW_LENGTH;
            KIND_TABLE[byte0] = kind.ordinal() | ((headerLength / Flyweight.DW) << Tlp.HEADER_DW_SHIFT) |
                (kind.isReserved() || kind.isPrefix() || kind.isIo() || kind.isConfig() ? ENTRY_GENERAL_PATH : 0) |
                (kind.isMemory() && fourDw ? ENTRY_MEMORY_4DW : 0) |
                (kind.hasData() ? 1 << ENTRY_DATA_SHIFT : 0);
        }
        for (int index = 0; index < PREFIX_TABLE.length; index++)
        {
            final boolean prefix0 = TlpKind.FMT_PREFIX == (index & 0b111);
            final boolean prefix1 = prefix0 && TlpKind.FMT_PREFIX == ((index >>> 3) & 0b111);
            final boolean prefix2 = prefix1 && TlpKind.FMT_PREFIX == (index >>> 6);
            PREFIX_TABLE[index] =
                (byte)((prefix0 ? 1 : 0) + (prefix1 ? 1 : 0) + (prefix2 ? 1 << PREFIX_MORE_SHIFT : 0));
        }
    }

    private TlpDecoder()
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
    public static TlpError decode(final DirectBuffer buffer, final int offset, final int length, final Tlp tlp)
    {
        return decode(buffer, offset, length, length, tlp);
    }

    /**
     * Decodes a non-flit TLP of which a capture kept only the first {@code capturedLength} bytes of
     * {@code wireLength} (a pcap snap length). Prefixes and header must be captured; Length, TD and the 4 GiB
     * rule are checked against the wire length, and {@link Tlp#capturedDataLength()} says how much data is
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
        final DirectBuffer buffer, final int offset, final int capturedLength, final int wireLength, final Tlp tlp)
    {
        final int captured = Math.min(capturedLength, wireLength);
        if (offset < 0 || captured < TlpHeader.HEADER_3DW_LENGTH || offset > buffer.capacity() - captured)
        {
            return decodeChecked(buffer, offset, capturedLength, wireLength, tlp);
        }
        // [offset, offset + captured) is inside the buffer: this one check stands for the bounds checks of every read
        // below (an out-of-range call goes to the general path, which throws where it always did).
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset() + offset;

        // At least 12 bytes: DW0 to DW2 are present, so up to two prefixes and the header's byte 0 are found
        // without a loop. Prefix count and header size are unpredictable in a real mix: no branches on them.
        final int prefixes =
            prefixes(bigEndianLong(array, address), UnsafeApi.getByte(array, address + 2 * Flyweight.DW));
        final int prefixCount = prefixes & PREFIX_COUNT_MASK;
        final int dw0 = bigEndianInt(array, address + prefixCount * Flyweight.DW);
        final int entry = KIND_TABLE[dw0 >>> 24];
        final int headerLength = (entry & Tlp.HEADER_DW_MASK) >>> (Tlp.HEADER_DW_SHIFT - 2);
        // Address[63:32] of a 4DW header, only compared with zero (so in any byte order); the offset is clamped into
        // the TLP so the read is safe even when the header does not fit (the value is then unused: that TLP fails
        // below).
        final int addressHigh = UnsafeApi.getInt(
            array, address + Math.min(prefixCount * Flyweight.DW + ADDRESS_HIGH_BYTE, captured - Flyweight.DW));
        final int invalid = (prefixes >>> PREFIX_MORE_SHIFT) | invalid(entry, addressHigh);
        final int dataLength = dataLength(entry, dw0);
        final int td = (dw0 >>> TD_SHIFT) & 1;
        // Relative to offset, so nothing overflows whatever the lengths passed in; the general path computes the
        // wire end as an int, so a TLP whose wire end would pass Integer.MAX_VALUE is left to it too.
        final int headerEnd = prefixCount * Flyweight.DW + headerLength;
        if (0 != invalid || headerEnd > captured ||
            headerEnd + dataLength + td * TlpHeader.DIGEST_LENGTH != wireLength ||
            offset > Integer.MAX_VALUE - wireLength)
        {
            return decodeChecked(buffer, offset, capturedLength, wireLength, tlp);
        }

        // The digest is there only if the capture kept the whole TLP.
        tlp.decoded(buffer, offset, wireLength, captured,
            (entry & (Tlp.KIND_MASK | Tlp.HEADER_DW_MASK)) | ((td & isEqual(captured, wireLength)) * Tlp.DIGEST),
            prefixCount, dataLength);
        return TlpError.NONE;
    }

    /**
     * The general decode: any number of prefixes, any range (an out-of-range one throws as a buffer access
     * would), every error with its offset. {@link #decode(DirectBuffer, int, int, int, Tlp)} comes here for all
     * that its fast path does not take, so this defines the behaviour the fast path must match.
     */
    private static TlpError decodeChecked(
        final DirectBuffer buffer, final int offset, final int capturedLength, final int wireLength, final Tlp tlp)
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
        tlp.header(kind, headerLength);

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
        tlp.dataLength = dataLength;
        if (td && expectedEnd <= end)
        {
            tlp.state |= Tlp.DIGEST;
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
    public static TlpError decodeFlit(final DirectBuffer buffer, final int offset, final int length, final Tlp tlp)
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
        tlp.header(TlpKind.RESERVED, headerLength);
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
        tlp.dataOffset = dataOffset;
        tlp.dataLength = dataLength;
        tlp.trailerLength = trailerDw * Flyweight.DW;
        if (1 == trailerDw)
        {
            tlp.state |= Tlp.DIGEST;
        }
        return TlpError.NONE;
    }

    /**
     * @param dw01  DW0 and DW1 of the TLP, big-endian.
     * @param byte8 byte 0 of DW2.
     * @return the number of prefixes among DW0 and DW1 (0 to 2), plus {@code 1 << PREFIX_MORE_SHIFT} when DW2
     * is a prefix too (three or more prefixes: left to the general path): one load from {@link #PREFIX_TABLE}
     * indexed by the three Fmt fields.
     */
    private static int prefixes(final long dw01, final int byte8)
    {
        // the final mask is redundant but lets C2 drop the range check
        return PREFIX_TABLE[((int)(dw01 >>> 61) | ((int)(dw01 >>> 26) & 0b111_000) | ((byte8 << 1) & 0b111_000_000)) &
            (PREFIX_TABLE_LENGTH - 1)];
    }

    /**
     * @param entry       of {@link #KIND_TABLE} for the header's byte 0.
     * @param addressHigh DW2 of the header (Address[63:32] for a 4DW memory request), in any byte order.
     * @return non-zero when the kind is one the fast path leaves to the general one (reserved, I/O,
     * configuration) or a 4DW memory request has an address below 4 GiB; without a branch.
     */
    private static int invalid(final int entry, final int addressHigh)
    {
        return (entry & ENTRY_GENERAL_PATH) | (entry & ENTRY_MEMORY_4DW & ~nonZeroMask(addressHigh));
    }

    /**
     * @param entry of {@link #KIND_TABLE} for the header's byte 0.
     * @param dw0   of the header.
     * @return bytes of data: Length DW, 0 meaning 1024, i.e. ((Length - 1) mod 1024) + 1; zero for a kind
     * without data; without a branch.
     */
    private static int dataLength(final int entry, final int dw0)
    {
        return ((((dw0 - 1) & LENGTH_MASK) + 1) * Flyweight.DW) & (entry >> ENTRY_DATA_SHIFT);
    }

    /**
     * @param value    0 to 255 (or any value with {@code expected} non-negative and {@code value ^ expected}
     *                 not {@link Integer#MIN_VALUE}).
     * @param expected value to compare with.
     * @return 1 when equal, else 0; without a branch.
     */
    private static int isEqual(final int value, final int expected)
    {
        return ((value ^ expected) - 1) >>> 31;
    }

    /**
     * @param value any int.
     * @return -1 (all bits set) when non-zero, else 0; without a branch.
     */
    private static int nonZeroMask(final int value)
    {
        return (value | -value) >> 31;
    }

    /**
     * Unchecked read: the caller has checked the range once for the whole header.
     *
     * @param array   of a heap buffer, null for off-heap memory ({@link DirectBuffer#byteArray()}).
     * @param address of the first byte ({@link DirectBuffer#addressOffset()} plus the index).
     * @return the 8 bytes there, big-endian.
     */
    private static long bigEndianLong(final byte[] array, final long address)
    {
        final long value = UnsafeApi.getLong(array, address);
        return NATIVE_BIG_ENDIAN ? value : Long.reverseBytes(value);
    }

    /**
     * Unchecked read, as {@link #bigEndianLong(byte[], long)}.
     *
     * @param array   of a heap buffer, null for off-heap memory.
     * @param address of the first byte.
     * @return the 4 bytes there, big-endian.
     */
    private static int bigEndianInt(final byte[] array, final long address)
    {
        final int value = UnsafeApi.getInt(array, address);
        return NATIVE_BIG_ENDIAN ? value : Integer.reverseBytes(value);
    }
}
