package org.iommuemu.tlp;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * {@link Tlp} as it was before the decoder's fast path (issue 3): one field per property, all of them written by
 * every decode. Kept unchanged, with {@link ReferenceTlpDecoder}, as the reference that
 * {@link TlpDecoderDifferentialTest} compares the current decoder with.
 */
final class ReferenceTlp
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

    DirectBuffer buffer;
    int offset;
    int length;
    boolean flit;
    TlpError error = TlpError.NONE;
    int errorOffset;
    TlpKind kind = TlpKind.RESERVED;
    int prefixCount;
    int pasidPrefixOffset;
    int idePrefixOffset;
    int headerOffset;
    int headerLength;
    int ohcOffset;
    int ohcAOffset;
    int ohcCOffset;
    int dataOffset;
    int dataLength;
    int capturedLength;
    int capturedDataLength;
    int digestOffset;
    int trailerLength;

    void reset(final DirectBuffer buffer, final int offset, final int length, final boolean flit)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.flit = flit;
        error = TlpError.NONE;
        errorOffset = 0;
        kind = TlpKind.RESERVED;
        prefixCount = 0;
        pasidPrefixOffset = ABSENT;
        idePrefixOffset = ABSENT;
        headerOffset = ABSENT;
        headerLength = 0;
        ohcOffset = ABSENT;
        ohcAOffset = ABSENT;
        ohcCOffset = ABSENT;
        dataOffset = ABSENT;
        dataLength = 0;
        capturedLength = length;
        capturedDataLength = 0;
        digestOffset = ABSENT;
        trailerLength = 0;
    }

    TlpError fail(final TlpError error, final int absoluteOffset)
    {
        this.error = error;
        this.errorOffset = absoluteOffset - offset;
        return error;
    }

    /** @return true when the last decode found no error. */
    public boolean isValid()
    {
        return TlpError.NONE == error;
    }

    /** @return the error of the last decode, {@link TlpError#NONE} when valid. */
    public TlpError error()
    {
        return error;
    }

    /** @return byte offset of the error from the first byte of the TLP. */
    public int errorOffset()
    {
        return errorOffset;
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
        return capturedDataLength;
    }

    /** @return true for a flit-mode TLP. */
    public boolean isFlit()
    {
        return flit;
    }

    /** @return the kind, from byte 0 of a non-flit header; {@link TlpKind#RESERVED} for flit mode. */
    public TlpKind kind()
    {
        return kind;
    }

    /** @return the number of one-DW prefixes before the header (local prefixes in flit mode). */
    public int prefixCount()
    {
        return prefixCount;
    }

    /** @return offset of the header (header base in flit mode). */
    public int headerOffset()
    {
        return headerOffset;
    }

    /** @return header length in bytes (header base only, in flit mode). */
    public int headerLength()
    {
        return headerLength;
    }

    /** @return offset of the first OHC DW, or {@link #ABSENT}. */
    public int ohcOffset()
    {
        return ohcOffset;
    }

    /** @return offset of the data, or {@link #ABSENT}. */
    public int dataOffset()
    {
        return dataOffset;
    }

    /** @return bytes of data. */
    public int dataLength()
    {
        return dataLength;
    }

    /** @return offset of the ECRC (non-flit, TD = 1; or flit TS = 001), or {@link #ABSENT}. */
    public int digestOffset()
    {
        return digestOffset;
    }

    /** @return true when an ECRC is present. */
    public boolean hasDigest()
    {
        return digestOffset != ABSENT;
    }

    /** @return the ECRC value, read big-endian; only meaningful when {@link #hasDigest()}. */
    public int digest()
    {
        return buffer.getInt(digestOffset, ByteOrder.BIG_ENDIAN);
    }

    /** @return bytes of flit-mode trailer (ECRC or MAC/PCRC). */
    public int trailerLength()
    {
        return trailerLength;
    }

    /** @return DW0 view of the non-flit header. */
    public TlpHeader header()
    {
        header.wrap(buffer, headerOffset);
        return header;
    }

    /** @return request view of the header (valid when {@code kind().isAddressRouted()}). */
    public RequestHeader request()
    {
        request.wrap(buffer, headerOffset);
        return request;
    }

    /** @return configuration request view of the header (valid when {@code kind().isConfig()}). */
    public ConfigRequestHeader config()
    {
        config.wrap(buffer, headerOffset);
        return config;
    }

    /** @return completion view of the header (valid when {@code kind().isCompletion()}). */
    public CompletionHeader completion()
    {
        completion.wrap(buffer, headerOffset);
        return completion;
    }

    /** @return message view of the header (valid when {@code kind().isMessage()}). */
    public MessageHeader message()
    {
        message.wrap(buffer, headerOffset);
        return message;
    }

    /** @return flit-mode header base view (valid when {@link #isFlit()}). */
    public FlitHeaderBase flitHeader()
    {
        flitHeader.wrap(buffer, headerOffset);
        return flitHeader;
    }

    /** @return true when a PASID prefix was found (non-flit). */
    public boolean hasPasidPrefix()
    {
        return pasidPrefixOffset != ABSENT;
    }

    /** @return the PASID prefix view. */
    public PasidPrefix pasidPrefix()
    {
        pasidPrefix.wrap(buffer, pasidPrefixOffset);
        return pasidPrefix;
    }

    /** @return true when an IDE prefix was found (non-flit). */
    public boolean hasIdePrefix()
    {
        return idePrefixOffset != ABSENT;
    }

    /** @return the IDE prefix view. */
    public IdePrefix idePrefix()
    {
        idePrefix.wrap(buffer, idePrefixOffset);
        return idePrefix;
    }

    /** @return true when OHC-A is present (flit mode). */
    public boolean hasOhcA()
    {
        return ohcAOffset != ABSENT;
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
        return ohcCOffset != ABSENT;
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
        return flit ? hasOhcA() && ohcA1().pasidValid() : hasPasidPrefix();
    }

    /** @return the PASID when {@link #pasidValid()}, else -1. */
    public int pasid()
    {
        if (!pasidValid())
        {
            return -1;
        }
        return flit ? ohcA1().pasid() : pasidPrefix().pasid();
    }

    /** @return the TDISP T bit from the IDE prefix (non-flit) or OHC-C (flit); false when neither is present. */
    public boolean teeOriginated()
    {
        if (flit)
        {
            return hasOhcC() && ohcC().t();
        }
        return hasIdePrefix() && idePrefix().t();
    }
}
