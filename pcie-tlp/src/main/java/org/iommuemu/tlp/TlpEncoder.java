package org.iommuemu.tlp;

import org.agrona.MutableDirectBuffer;

/**
 * Builds whole TLPs (prefixes, header, zeroed or caller-filled data) through the flyweights, for generators,
 * importers and tests. Each method writes at {@code offset} and returns the number of bytes written; none
 * allocates. Byte enables are derived from the address and byte count as PCIe Base Spec 2.2.5 requires, and a
 * 4DW header is chosen exactly when the address is at or above 4 GiB.
 */
public final class TlpEncoder
{
    private static final long FOUR_GIB = 1L << 32;

    private final RequestHeader request = new RequestHeader();
    private final CompletionHeader completion = new CompletionHeader();
    private final PasidPrefix pasidPrefix = new PasidPrefix();
    private final IdePrefix idePrefix = new IdePrefix();
    private final FlitHeaderBase flitHeader = new FlitHeaderBase();
    private final OhcA1 ohcA1 = new OhcA1();
    private final OhcC ohcC = new OhcC();

    /**
     * Writes an IDE prefix.
     *
     * @param buffer    to write to.
     * @param offset    where the prefix goes.
     * @param t         T bit.
     * @param subStream Sub-Stream.
     * @param streamId  Stream ID.
     * @return {@link IdePrefix#LENGTH}.
     */
    public int idePrefix(
        final MutableDirectBuffer buffer, final int offset, final boolean t, final int subStream, final int streamId)
    {
        idePrefix.wrap(buffer, offset).set(t, false, false, false, subStream, streamId, 0);
        return IdePrefix.LENGTH;
    }

    /**
     * Writes a PASID prefix.
     *
     * @param buffer to write to.
     * @param offset where the prefix goes.
     * @param pasid  20-bit PASID.
     * @param exe    Execute Requested.
     * @param priv   Privileged Mode Requested.
     * @return {@link PasidPrefix#LENGTH}.
     */
    public int pasidPrefix(
        final MutableDirectBuffer buffer, final int offset, final int pasid, final boolean exe, final boolean priv)
    {
        pasidPrefix.wrap(buffer, offset).set(pasid, exe, priv);
        return PasidPrefix.LENGTH;
    }

    /**
     * @param address of the first byte.
     * @param bytes   count, 1 to 4096.
     * @return DWs the access covers.
     */
    public static int lengthDw(final long address, final int bytes)
    {
        return (int)((((address & 3) + bytes + 3) >>> 2));
    }

    /**
     * @param address of the first byte.
     * @param bytes   count.
     * @return First DW BE for an access starting there.
     */
    public static int firstBe(final long address, final int bytes)
    {
        final int start = (int)(address & 3);
        int be = (0xF << start) & 0xF;
        if (lengthDw(address, bytes) == 1)
        {
            final int end = start + bytes;
            be &= 0xF >>> (4 - end);
        }
        return be;
    }

    /**
     * @param address of the first byte.
     * @param bytes   count.
     * @return Last DW BE (0 for a one-DW access).
     */
    public static int lastBe(final long address, final int bytes)
    {
        if (lengthDw(address, bytes) == 1)
        {
            return 0;
        }
        final int end = (int)((address + bytes) & 3);
        return 0 == end ? 0xF : 0xF >>> (4 - end);
    }

    /**
     * Writes an MRd or MWr header; for a write, {@code lengthDw x 4} data bytes follow and are zeroed.
     *
     * @param buffer      to write to.
     * @param offset      where the header goes.
     * @param write       true for MWr.
     * @param requesterId Requester ID.
     * @param tag         10-bit tag.
     * @param address     of the first byte.
     * @param bytes       count, 1 to 4096, not crossing a 4 KiB boundary.
     * @return bytes written (header plus data).
     */
    public int memoryRequest(
        final MutableDirectBuffer buffer,
        final int offset,
        final boolean write,
        final int requesterId,
        final int tag,
        final long address,
        final int bytes)
    {
        if (bytes < 1 || bytes > 4096 || (address & ~0xFFFL) != ((address + bytes - 1) & ~0xFFFL))
        {
            throw new IllegalArgumentException("memory request of " + bytes + " bytes at 0x" +
                Long.toHexString(address) + " is empty, too long or crosses 4 KiB");
        }
        final boolean fourDw = Long.compareUnsigned(address, FOUR_GIB) >= 0;
        final int headerLength = fourDw ? TlpHeader.HEADER_4DW_LENGTH : TlpHeader.HEADER_3DW_LENGTH;
        buffer.setMemory(offset, headerLength, (byte)0);
        final int lengthDw = lengthDw(address, bytes);
        request.wrap(buffer, offset);
        request.kind(write ? TlpKind.MWR : TlpKind.MRD, fourDw);
        request.length(lengthDw);
        request.requesterId(requesterId).tag(tag).firstBe(firstBe(address, bytes)).lastBe(lastBe(address, bytes))
            .address(address);
        if (!write)
        {
            return headerLength;
        }
        buffer.setMemory(offset + headerLength, lengthDw * Flyweight.DW, (byte)0);
        return headerLength + lengthDw * Flyweight.DW;
    }

    /**
     * Writes a flit-mode MRd or MWr: the header base (3 DW below 4 GiB, else 4 DW; Type per {@link FlitHeaderBase#kindOf}),
     * OHC-A1 when there is a PASID or the byte enables are not all ones, OHC-C when the TLP is an IDE TLP (then a 3-DW
     * zero MAC trailer, TS = 101), then zeroed data for a write. The tag is not written (its flit-mode place is not in
     * the sources).
     *
     * @param pasid     PASID for OHC-A1, or -1 for none.
     * @param ide       whether the TLP is an IDE TLP carrying OHC-C with T = {@code t} and {@code streamId}.
     * @return bytes written.
     */
    public int flitMemoryRequest(
        final MutableDirectBuffer buffer,
        final int offset,
        final boolean write,
        final int requesterId,
        final long address,
        final int bytes,
        final int pasid,
        final boolean ide,
        final boolean t,
        final int streamId)
    {
        if (bytes < 1 || bytes > 4096 || (address & ~0xFFFL) != ((address + bytes - 1) & ~0xFFFL))
        {
            throw new IllegalArgumentException("memory request of " + bytes + " bytes at 0x" +
                Long.toHexString(address) + " is empty, too long or crosses 4 KiB");
        }
        final boolean fourDw = Long.compareUnsigned(address, FOUR_GIB) >= 0;
        final int headerLength = fourDw ? TlpHeader.HEADER_4DW_LENGTH : TlpHeader.HEADER_3DW_LENGTH;
        final int lengthDw = lengthDw(address, bytes);
        final int firstBe = firstBe(address, bytes);
        final int lastBe = lastBe(address, bytes);
        final boolean ohcA = pasid >= 0 || firstBe != 0xF || (lengthDw > 1 && lastBe != 0xF);
        final int type = write ? TlpKind.MWR.byte0(fourDw, 0) : fourDw ? TlpKind.MRD.byte0(true, 0) : UnverifiedLayout.FLIT_TYPE_MRD32;
        buffer.setMemory(offset, headerLength, (byte)0);
        flitHeader.wrap(buffer, offset);
        flitHeader.type(type).ohc((ohcA ? FlitHeaderBase.OHC_A : 0) | (ide ? FlitHeaderBase.OHC_C : 0))
            .ts(ide ? FlitHeaderBase.TS_MAC : FlitHeaderBase.TS_NONE).length(lengthDw & 0x3FF);
        flitHeader.requesterId(requesterId).address(address).at(0);
        int length = headerLength;
        if (ohcA)
        {
            ohcA1.wrap(buffer, offset + length).set(pasid >= 0, Math.max(pasid, 0), false, false, false, firstBe, lastBe);
            length += OhcA1.LENGTH;
        }
        if (ide)
        {
            ohcC.wrap(buffer, offset + length).set(t, false, false,
                write ? IdePrefix.SUB_STREAM_POSTED : IdePrefix.SUB_STREAM_NON_POSTED, streamId, 0, false, 0);
            length += OhcC.LENGTH;
        }
        if (write)
        {
            buffer.setMemory(offset + length, lengthDw * Flyweight.DW, (byte)0);
            length += lengthDw * Flyweight.DW;
        }
        if (ide)
        {
            buffer.setMemory(offset + length, 3 * Flyweight.DW, (byte)0);
            length += 3 * Flyweight.DW;
        }
        return length;
    }

    /**
     * Writes an ATS Translation Request: an MRd with AT = 01 for {@code entries} translations (Length =
     * 2 x entries), address bits 11:0 clear, NW in bit 0 of the low address DW.
     *
     * @param buffer      to write to.
     * @param offset      where the header goes.
     * @param requesterId Requester ID.
     * @param tag         10-bit tag.
     * @param address     untranslated address; bits 11:0 are dropped.
     * @param entries     translations wanted, at least 1.
     * @param noWrite     NW.
     * @return bytes written.
     */
    public int translationRequest(
        final MutableDirectBuffer buffer,
        final int offset,
        final int requesterId,
        final int tag,
        final long address,
        final int entries,
        final boolean noWrite)
    {
        final long page = address & ~0xFFFL;
        final boolean fourDw = Long.compareUnsigned(page, FOUR_GIB) >= 0;
        final int headerLength = fourDw ? TlpHeader.HEADER_4DW_LENGTH : TlpHeader.HEADER_3DW_LENGTH;
        buffer.setMemory(offset, headerLength, (byte)0);
        request.wrap(buffer, offset);
        request.kind(TlpKind.MRD, fourDw);
        request.at(TlpHeader.AT_TRANSLATION_REQUEST).length(2 * entries);
        request.requesterId(requesterId).tag(tag).firstBe(0xF).lastBe(0xF).address(page).noWrite(noWrite);
        return headerLength;
    }

    /**
     * Writes a successful CplD carrying ATS Translation Completion entries, left for the caller to fill with
     * {@link TranslationCompletionEntry} (they are zeroed, i.e. "no mapping").
     *
     * @param buffer      to write to.
     * @param offset      where the header goes.
     * @param completerId Completer ID (the translation agent).
     * @param requesterId Requester ID of the Translation Request.
     * @param tag         tag of the Translation Request.
     * @param entries     number of 8-byte entries.
     * @return bytes written; entries start at {@code offset + 12}.
     */
    public int translationCompletion(
        final MutableDirectBuffer buffer,
        final int offset,
        final int completerId,
        final int requesterId,
        final int tag,
        final int entries)
    {
        final int dataLength = entries * TranslationCompletionEntry.LENGTH;
        buffer.setMemory(offset, TlpHeader.HEADER_3DW_LENGTH + dataLength, (byte)0);
        completion.wrap(buffer, offset);
        completion.kind(TlpKind.CPLD, false);
        completion.length(dataLength / Flyweight.DW);
        completion.completerId(completerId).status(CompletionHeader.STATUS_SC).byteCount(dataLength)
            .requesterId(requesterId).tag(tag).lowerAddress(0);
        return TlpHeader.HEADER_3DW_LENGTH + dataLength;
    }
}
