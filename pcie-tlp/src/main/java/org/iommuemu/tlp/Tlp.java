package org.iommuemu.tlp;

import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.DirectBuffer;

/**
 * A decoded TLP: where its prefixes, header, OHC, data and digest/trailer lie in a buffer, plus flyweights
 * that wrap themselves over them when asked for. It is the caller-owned, re-pointed result of {@link TlpDecoder}: allocate one per
 * thread, decode into it again and again, allocate nothing per TLP (Aeron's {@code Header} pattern).
 * <p>
 * All {@code *Offset()} values are absolute offsets in {@link #buffer()}; {@link #errorOffset()} is relative
 * to the first byte of the TLP. Offsets of absent parts are {@link #ABSENT}; the view of an absent part (or of
 * any part after a failed decode) must not be used.
 * <p>
 * The decoder stores only what validation produced (a handful of ints); the rest is derived when asked for:
 * header, data and digest offsets from the prefix count and header length, and the PASID and IDE prefixes by
 * reading the prefixes on first use (remembered until the next decode). The buffer must therefore not change
 * between decode and use, as for the flyweight views. Not thread-safe, like the views.
 */
public final class Tlp
{
    /** Offset of a part the TLP does not have. */
    public static final int ABSENT = -1;

    private final TlpHeader header = new TlpHeader();
    private final RequestHeader request = new RequestHeader();
    private final ConfigRequestHeader config = new ConfigRequestHeader();
    private final CompletionHeader completion = new CompletionHeader();
    private final MessageHeader message = new MessageHeader();
    private final PasidPrefix pasidPrefix = new PasidPrefix();
    private final IdePrefix idePrefix = new IdePrefix();
    private final FlitHeaderBase flitHeader = new FlitHeaderBase();
    private final OhcA1 ohcA1 = new OhcA1();
    private final OhcC ohcC = new OhcC();

    /*
     * Layout of state: what a decode learns that fits in a few bits, in one field so that the decoder's hot path
     * writes one int instead of a store per property. Kind and error are ordinals (no reference stores, so no GC
     * write barriers per TLP); the header length is in DW.
     */
    static final int KIND_MASK = 0x1F;
    static final int ERROR_SHIFT = 5;
    static final int ERROR_MASK = 0xF << ERROR_SHIFT;
    static final int HEADER_DW_SHIFT = 9;
    static final int HEADER_DW_MASK = 0x7 << HEADER_DW_SHIFT;
    static final int FLIT = 1 << 12;
    static final int DIGEST = 1 << 13;
    /** {@link #pasidPrefixOffset} and {@link #idePrefixOffset} are known (found on first use, not at decode). */
    static final int PREFIXES_FOUND = 1 << 14;

    /** Kinds by ordinal, padded to the mask so that the lookup needs no range check. */
    private static final TlpKind[] KINDS = new TlpKind[KIND_MASK + 1];
    /** Errors by ordinal, padded likewise. */
    private static final TlpError[] ERRORS = new TlpError[(ERROR_MASK >>> ERROR_SHIFT) + 1];

    static
    {
        Arrays.fill(KINDS, TlpKind.RESERVED);
        for (final TlpKind kind : TlpKind.values())
        {
            KINDS[kind.ordinal()] = kind;
        }
        Arrays.fill(ERRORS, TlpError.NONE);
        for (final TlpError error : TlpError.values())
        {
            ERRORS[error.ordinal()] = error;
        }
        if (TlpKind.values().length > KINDS.length || TlpError.values().length > ERRORS.length ||
            0 != TlpError.NONE.ordinal())
        {
            throw new AssertionError("Tlp.state cannot hold every TlpKind and TlpError");
        }
    }

    /** Value of {@link #state} after a reset of a non-flit TLP: kind RESERVED, error NONE, no header, no digest. */
    static final int RESET_STATE = TlpKind.RESERVED.ordinal();

    DirectBuffer buffer;
    int offset;
    int length;
    int capturedLength;
    /** Kind, error, header length, flit, digest and whether the prefixes were looked at; see the masks above. */
    int state;
    /** Meaningful only while the state holds an error. */
    int errorOffset;
    int prefixCount;
    /** Valid only with {@link #PREFIXES_FOUND}. */
    int pasidPrefixOffset;
    /** Valid only with {@link #PREFIXES_FOUND}. */
    int idePrefixOffset;
    int dataLength;
    /*
     * Flit only (the non-flit hot path does not write them; the getters check FLIT). dataOffset is where data
     * would start, after header and OHC, and so where the digest is when there is no data; without OHC (non-flit)
     * it follows from the header and is not stored.
     */
    int dataOffset;
    int ohcOffset;
    int ohcAOffset;
    int ohcCOffset;
    int trailerLength;

    void reset(final DirectBuffer buffer, final int offset, final int length, final boolean flit)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        state = RESET_STATE | (flit ? FLIT : 0);
        errorOffset = 0;
        prefixCount = 0;
        ohcOffset = ABSENT;
        ohcAOffset = ABSENT;
        ohcCOffset = ABSENT;
        dataLength = 0;
        dataOffset = ABSENT;
        capturedLength = length;
        trailerLength = 0;
    }

    /**
     * The whole result of a successful non-flit decode in one call (the decoder's fast path): keeps that path's
     * bytecode small enough for C2 to inline it into callers.
     */
    void decoded(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int capturedLength,
        final int state,
        final int prefixCount,
        final int dataLength)
    {
        if (this.buffer != buffer)
        {
            this.buffer = buffer;
        }
        this.offset = offset;
        this.length = length;
        this.capturedLength = capturedLength;
        this.state = state;
        this.prefixCount = prefixCount;
        this.dataLength = dataLength;
    }

    TlpError fail(final TlpError error, final int absoluteOffset)
    {
        state = (state & ~ERROR_MASK) | (error.ordinal() << ERROR_SHIFT);
        this.errorOffset = absoluteOffset - offset;
        return error;
    }

    /**
     * Records the header found after the {@link #prefixCount} prefixes (so at {@code offset + 4 * prefixCount},
     * which is not stored).
     */
    void header(final TlpKind kind, final int headerLength)
    {
        state = (state & ~(KIND_MASK | HEADER_DW_MASK)) | kind.ordinal() |
            ((headerLength / Flyweight.DW) << HEADER_DW_SHIFT);
    }

    /** @return where data starts (or would), after header and OHC: where the digest is when there is no data. */
    private int dataStart()
    {
        return isFlit() ? dataOffset : offset + prefixCount * Flyweight.DW + headerLength();
    }

    /** @return true when the last decode found no error. */
    public boolean isValid()
    {
        return 0 == (state & ERROR_MASK);
    }

    /** @return the error of the last decode, {@link TlpError#NONE} when valid. */
    public TlpError error()
    {
        return ERRORS[(state & ERROR_MASK) >>> ERROR_SHIFT];
    }

    /** @return byte offset of the error from the first byte of the TLP. */
    public int errorOffset()
    {
        return isValid() ? 0 : errorOffset;
    }

    /** @return the buffer the TLP was decoded from. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** @return offset of the TLP's first byte (first prefix, or header). */
    public int offset()
    {
        return offset;
    }

    /** @return length of the TLP on the wire in bytes, prefixes through digest/trailer. */
    public int length()
    {
        return length;
    }

    /** @return bytes of the TLP present in the buffer; less than {@link #length()} for a snap-length capture. */
    public int capturedLength()
    {
        return capturedLength;
    }

    /** @return true when a capture kept fewer bytes than the TLP had on the wire. */
    public boolean isTruncatedCapture()
    {
        return capturedLength < length;
    }

    /** @return bytes of data present in the buffer, at most {@link #dataLength()}. */
    public int capturedDataLength()
    {
        return 0 == dataLength ? 0 : Math.min(dataLength, offset + capturedLength - dataStart());
    }

    /** @return true for a flit-mode TLP. */
    public boolean isFlit()
    {
        return (state & FLIT) != 0;
    }

    /** @return the kind, from byte 0 of a non-flit header; {@link TlpKind#RESERVED} for flit mode. */
    public TlpKind kind()
    {
        return KINDS[state & KIND_MASK];
    }

    /** @return the number of one-DW prefixes before the header (local prefixes in flit mode). */
    public int prefixCount()
    {
        return prefixCount;
    }

    /** @return offset of the header (header base in flit mode). */
    public int headerOffset()
    {
        return 0 == (state & HEADER_DW_MASK) ? ABSENT : offset + prefixCount * Flyweight.DW;
    }

    /** @return header length in bytes (header base only, in flit mode). */
    public int headerLength()
    {
        return (state & HEADER_DW_MASK) >>> (HEADER_DW_SHIFT - 2);
    }

    /** @return offset of the first OHC DW, or {@link #ABSENT}. */
    public int ohcOffset()
    {
        return isFlit() ? ohcOffset : ABSENT;
    }

    /** @return offset of the data, or {@link #ABSENT}. */
    public int dataOffset()
    {
        return dataLength > 0 ? dataStart() : ABSENT;
    }

    /** @return bytes of data. */
    public int dataLength()
    {
        return dataLength;
    }

    /** @return offset of the ECRC (non-flit, TD = 1; or flit TS = 001), or {@link #ABSENT}. */
    public int digestOffset()
    {
        return hasDigest() ? dataStart() + dataLength : ABSENT;
    }

    /** @return true when an ECRC is present. */
    public boolean hasDigest()
    {
        return (state & DIGEST) != 0;
    }

    /** @return the ECRC value, read big-endian; only meaningful when {@link #hasDigest()}. */
    public int digest()
    {
        return buffer.getInt(dataStart() + dataLength, ByteOrder.BIG_ENDIAN);
    }

    /** @return bytes of flit-mode trailer (ECRC or MAC/PCRC). */
    public int trailerLength()
    {
        return isFlit() ? trailerLength : 0;
    }

    /** @return DW0 view of the non-flit header. */
    public TlpHeader header()
    {
        header.wrap(buffer, headerOffset());
        return header;
    }

    /** @return request view of the header (valid when {@code kind().isAddressRouted()}). */
    public RequestHeader request()
    {
        request.wrap(buffer, headerOffset());
        return request;
    }

    /** @return configuration request view of the header (valid when {@code kind().isConfig()}). */
    public ConfigRequestHeader config()
    {
        config.wrap(buffer, headerOffset());
        return config;
    }

    /** @return completion view of the header (valid when {@code kind().isCompletion()}). */
    public CompletionHeader completion()
    {
        completion.wrap(buffer, headerOffset());
        return completion;
    }

    /** @return message view of the header (valid when {@code kind().isMessage()}). */
    public MessageHeader message()
    {
        message.wrap(buffer, headerOffset());
        return message;
    }

    /** @return flit-mode header base view (valid when {@link #isFlit()}). */
    public FlitHeaderBase flitHeader()
    {
        flitHeader.wrap(buffer, headerOffset());
        return flitHeader;
    }

    /**
     * Finds the PASID and IDE prefixes when first asked instead of at decode: the decoder's fast path then only
     * counts prefixes, and a TLP whose prefixes nobody looks at costs nothing more. The first prefix with each
     * byte 0 counts, as the spec allows one of each; flit mode has neither (its local prefixes are something
     * else).
     */
    private void findPrefixes()
    {
        int pasid = ABSENT;
        int ide = ABSENT;
        if (!isFlit())
        {
            // backwards, so the first of each kind is the one kept; by index, so no offset arithmetic can overflow
            for (int i = prefixCount - 1; i >= 0; i--)
            {
                final int pos = offset + i * Flyweight.DW;
                final int byte0 = buffer.getByte(pos) & 0xFF;
                if (PasidPrefix.BYTE0 == byte0)
                {
                    pasid = pos;
                }
                else if (IdePrefix.BYTE0 == byte0)
                {
                    ide = pos;
                }
            }
        }
        pasidPrefixOffset = pasid;
        idePrefixOffset = ide;
        state |= PREFIXES_FOUND;
    }

    private int pasidPrefixOffset()
    {
        if (0 == (state & PREFIXES_FOUND))
        {
            findPrefixes();
        }
        return pasidPrefixOffset;
    }

    private int idePrefixOffset()
    {
        if (0 == (state & PREFIXES_FOUND))
        {
            findPrefixes();
        }
        return idePrefixOffset;
    }

    /** @return true when a PASID prefix was found (non-flit). */
    public boolean hasPasidPrefix()
    {
        return ABSENT != pasidPrefixOffset();
    }

    /** @return the PASID prefix view. */
    public PasidPrefix pasidPrefix()
    {
        pasidPrefix.wrap(buffer, pasidPrefixOffset());
        return pasidPrefix;
    }

    /** @return true when an IDE prefix was found (non-flit). */
    public boolean hasIdePrefix()
    {
        return ABSENT != idePrefixOffset();
    }

    /** @return the IDE prefix view. */
    public IdePrefix idePrefix()
    {
        idePrefix.wrap(buffer, idePrefixOffset());
        return idePrefix;
    }

    /** @return true when OHC-A is present (flit mode). */
    public boolean hasOhcA()
    {
        return isFlit() && ohcAOffset != ABSENT;
    }

    /** @return OHC-A viewed as OHC-A1. */
    public OhcA1 ohcA1()
    {
        ohcA1.wrap(buffer, ohcAOffset);
        return ohcA1;
    }

    /** @return true when OHC-C is present (flit mode). */
    public boolean hasOhcC()
    {
        return isFlit() && ohcCOffset != ABSENT;
    }

    /** @return the OHC-C view. */
    public OhcC ohcC()
    {
        ohcC.wrap(buffer, ohcCOffset);
        return ohcC;
    }

    /** @return true when a PASID travels with the TLP, in a prefix (non-flit) or in OHC-A1 with PV (flit). */
    public boolean pasidValid()
    {
        return isFlit() ? hasOhcA() && ohcA1().pasidValid() : hasPasidPrefix();
    }

    /** @return the PASID when {@link #pasidValid()}, else -1. */
    public int pasid()
    {
        if (!pasidValid())
        {
            return -1;
        }
        return isFlit() ? ohcA1().pasid() : pasidPrefix().pasid();
    }

    /** @return the TDISP T bit from the IDE prefix (non-flit) or OHC-C (flit); false when neither is present. */
    public boolean teeOriginated()
    {
        if (isFlit())
        {
            return hasOhcC() && ohcC().t();
        }
        return hasIdePrefix() && idePrefix().t();
    }

    /** @return the decoded TLP on one line (allocates; for debugging and messages). */
    @Override
    public String toString()
    {
        return TlpFormatter.format(this, new StringBuilder()).toString();
    }
}
