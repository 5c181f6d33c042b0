package org.iommuemu.tlp.trace;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpError;

/**
 * Reads a pcie-tlp pcapng file (see {@link PcapngTraceWriter} and docs/trace-format.md) through a memory map,
 * one Enhanced Packet Block per {@link #next()}, allocating nothing per record. Sections of either byte
 * order and several interfaces are accepted. The non-packet blocks of the specification (name resolution,
 * interface statistics, journal export, decryption secrets, custom) are counted as ignored, with their offsets;
 * a block of any other type (a Simple Packet Block, or a type the specification does not define, which may be a
 * packet whose type was damaged) is a bad record ({@link TraceError#UNKNOWN_BLOCK}). A section of a major
 * version other than 1 ends reading ({@link TraceError#UNSUPPORTED_VERSION}).
 * <p>
 * Errors name the record index (count of packet blocks, and of blocks of unknown type, before it), the byte offset
 * in the file and the
 * reason. A bad magic number always throws at open. A block whose length cannot be trusted (truncated,
 * past the end of the file, inconsistent) ends reading: it throws in {@link ErrorPolicy#STOP} mode and is
 * counted as skipped, with {@link TraceSummary#stoppedEarly()}, in {@link ErrorPolicy#SKIP_BAD} mode. A
 * packet block with a foreign link type, a bad pseudo-header or an undecodable TLP is skipped in
 * {@link ErrorPolicy#SKIP_BAD} mode and reading goes on.
 */
public final class PcapngTraceReader extends MappedTraceReader
{
    private final PseudoHeader pseudoHeader = new PseudoHeader();
    private final int[] linkTypes = new int[Pcapng.MAX_INTERFACES];
    private final int[] timestampExponents = new int[Pcapng.MAX_INTERFACES];
    private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    private int interfaceCount;
    private long position;
    private long recordIndex;

    /**
     * Maps the file and checks its magic number.
     *
     * @param path   of the file.
     * @param policy on bad records.
     * @throws TraceFormatException when the file is not pcapng.
     * @throws IOException          when it cannot be opened.
     */
    public PcapngTraceReader(final Path path, final ErrorPolicy policy) throws IOException
    {
        super(path, policy);
        if (input.size() < 4 ||
            input.window(0, 4).getInt(0, ByteOrder.LITTLE_ENDIAN) != Pcapng.SHB_TYPE)
        {
            throw badMagic("not a pcapng file (no Section Header Block 0x0A0D0D0A at offset 0)");
        }
    }

    /** {@inheritDoc} */
    @Override
    public boolean next() throws IOException
    {
        while (!done)
        {
            final long size = input.size();
            if (position == size)
            {
                done = true;
                break;
            }
            final long start = position;
            if (size - start < Pcapng.MIN_BLOCK_LENGTH)
            {
                fail(TraceError.TRUNCATED_BLOCK, recordIndex, start, "file ends " + (size - start) + " bytes into a block header");
                continue;
            }
            UnsafeBuffer block = input.window(start, Pcapng.MIN_BLOCK_LENGTH);
            final int type = block.getInt(Pcapng.BLOCK_TYPE_OFFSET, order);
            if (Pcapng.SHB_TYPE == type)
            {
                final int magic = block.getInt(Pcapng.SHB_MAGIC_OFFSET, ByteOrder.LITTLE_ENDIAN);
                if (Pcapng.BYTE_ORDER_MAGIC == magic)
                {
                    order = ByteOrder.LITTLE_ENDIAN;
                }
                else if (Pcapng.BYTE_ORDER_MAGIC == Integer.reverseBytes(magic))
                {
                    order = ByteOrder.BIG_ENDIAN;
                }
                else
                {
                    throw new TraceFormatException(source, TraceError.BAD_MAGIC, recordIndex, start + 8,
                        "bad byte-order magic 0x" + Integer.toHexString(magic) + " in Section Header Block");
                }
            }
            final long length = block.getInt(Pcapng.BLOCK_LENGTH_OFFSET, order) & 0xFFFF_FFFFL;
            if (length < Pcapng.MIN_BLOCK_LENGTH || (length & 3) != 0 || length > MappedInput.MAX_WINDOW)
            {
                fail(TraceError.BAD_BLOCK_LENGTH, recordIndex, start, "block total length " + length + " is invalid");
                continue;
            }
            if (start + length > size)
            {
                fail(TraceError.BLOCK_PAST_EOF, recordIndex, start, "block of " + length + " bytes runs " +
                    (start + length - size) + " bytes past the end of the file (" + size + " bytes)");
                continue;
            }
            block = input.window(start, (int)length);
            final long trailer = block.getInt((int)length - 4, order) & 0xFFFF_FFFFL;
            if (trailer != length)
            {
                fail(TraceError.BAD_BLOCK_LENGTH, recordIndex, start, "block total length " + length +
                    " differs from the trailing copy " + trailer);
                continue;
            }
            position = start + length;
            switch (type)
            {
                case Pcapng.SHB_TYPE:
                    onSection(block, (int)length, start);
                    break;
                case Pcapng.IDB_TYPE:
                    onInterface(block, (int)length, start);
                    break;
                case Pcapng.EPB_TYPE:
                    if (onPacket(block, (int)length, start))
                    {
                        return true;
                    }
                    break;
                default:
                    onOtherBlock(type, start);
                    break;
            }
        }
        return false;
    }

    private void onSection(final UnsafeBuffer block, final int length, final long start) throws TraceFormatException
    {
        if (length < Pcapng.SHB_MIN_LENGTH)
        {
            fail(TraceError.BAD_BLOCK_LENGTH, recordIndex, start, "Section Header Block of " + length + " bytes is shorter than " +
                Pcapng.SHB_MIN_LENGTH);
            return;
        }
        final int major = block.getShort(Pcapng.SHB_MAJOR_OFFSET, order) & 0xFFFF;
        if (Pcapng.MAJOR_VERSION != major)
        {
            // The layout of every block of the section depends on the version: nothing after this can be read.
            fail(TraceError.UNSUPPORTED_VERSION, recordIndex, start + Pcapng.SHB_MAJOR_OFFSET, "pcapng section of major version " +
                major + " (this reader knows version " + Pcapng.MAJOR_VERSION + ")");
            return;
        }
        interfaceCount = 0;
    }

    /** A block that is not SHB, IDB or EPB: a non-packet block of the specification is ignored, any other is bad. */
    private void onOtherBlock(final int type, final long start) throws TraceFormatException
    {
        if (Pcapng.isNonPacketBlock(type))
        {
            if (summary.wantsIgnoredReason())
            {
                summary.onIgnored("block type 0x" + Integer.toHexString(type) + " at byte offset " + start +
                    " (not a packet block)");
            }
            else
            {
                summary.onIgnored();
            }
            return;
        }
        final long index = recordIndex++;
        skip(TraceError.UNKNOWN_BLOCK, index, start, Pcapng.SPB_TYPE == type || Pcapng.PB_TYPE == type ?
            "a " + (Pcapng.SPB_TYPE == type ? "Simple" : "(obsolete)") + " Packet Block, which this reader does not read" :
            "unknown block type 0x" + Integer.toHexString(type) + " (a damaged packet block?)");
    }

    private void onInterface(final UnsafeBuffer block, final int length, final long start) throws TraceFormatException
    {
        if (length < Pcapng.IDB_MIN_LENGTH)
        {
            // Packets name interfaces by their order: one lost description would misattribute every later packet.
            fail(TraceError.BAD_BLOCK_LENGTH, recordIndex, start, "Interface Description Block of " + length +
                " bytes is shorter than " + Pcapng.IDB_MIN_LENGTH);
            return;
        }
        if (interfaceCount == Pcapng.MAX_INTERFACES)
        {
            summary.onIgnored("Interface Description Block at byte offset " + start + ": more than " + Pcapng.MAX_INTERFACES +
                " interfaces in one section");
            return;
        }
        int exponent = 6;
        int at = Pcapng.IDB_OPTIONS_OFFSET;
        while (at + 4 <= length - 4)
        {
            final int code = block.getShort(at, order) & 0xFFFF;
            final int optionLength = block.getShort(at + 2, order) & 0xFFFF;
            if (Pcapng.OPT_ENDOFOPT == code || at + 4 + optionLength > length - 4)
            {
                break;
            }
            if (Pcapng.OPT_IF_TSRESOL == code && optionLength >= 1)
            {
                final int value = block.getByte(at + 4) & 0xFF;
                exponent = (value & 0x80) != 0 ? -1 : value;
            }
            at += 4 + Pcapng.pad4(optionLength);
        }
        linkTypes[interfaceCount] = block.getShort(Pcapng.IDB_LINKTYPE_OFFSET, order) & 0xFFFF;
        timestampExponents[interfaceCount] = exponent;
        interfaceCount++;
    }

    private boolean onPacket(final UnsafeBuffer block, final int length, final long start) throws IOException
    {
        final long index = recordIndex++;
        if (length < Pcapng.EPB_MIN_LENGTH)
        {
            return skip(TraceError.BAD_BLOCK_LENGTH, index, start, "Enhanced Packet Block of " + length +
                " bytes is shorter than " + Pcapng.EPB_MIN_LENGTH);
        }
        final int interfaceId = block.getInt(Pcapng.EPB_INTERFACE_OFFSET, order);
        if (interfaceId < 0 || interfaceId >= interfaceCount)
        {
            return skip(TraceError.UNSUPPORTED_LINK_TYPE, index, start, "packet names interface " + interfaceId +
                " but the section describes " + interfaceCount);
        }
        if (Pcapng.LINKTYPE_PCIE_TLP != linkTypes[interfaceId])
        {
            return skip(TraceError.UNSUPPORTED_LINK_TYPE, index, start, "link type " + linkTypes[interfaceId] +
                " is not pcie-tlp (" + Pcapng.LINKTYPE_PCIE_TLP + ")");
        }
        final int exponent = timestampExponents[interfaceId];
        if (TraceRecord.MICROSECONDS != exponent && TraceRecord.NANOSECONDS != exponent && TraceRecord.PICOSECONDS != exponent)
        {
            return skip(TraceError.BAD_TIMESTAMP, index, start, exponent < 0 ? "binary if_tsresol is not supported" :
                "if_tsresol 10^-" + exponent + " s is not us, ns or ps");
        }
        final int captured = block.getInt(Pcapng.EPB_CAPTURED_LENGTH_OFFSET, order);
        final int original = block.getInt(Pcapng.EPB_ORIGINAL_LENGTH_OFFSET, order);
        if (captured < 0 || Pcapng.EPB_DATA_OFFSET + (long)Pcapng.pad4(captured) + 4 > length)
        {
            return skip(TraceError.BAD_BLOCK_LENGTH, index, start, "captured length " + captured +
                " does not fit the block of " + length + " bytes");
        }
        if (original < captured)
        {
            return skip(TraceError.BAD_BLOCK_LENGTH, index, start + Pcapng.EPB_ORIGINAL_LENGTH_OFFSET, "original length " +
                (original & 0xFFFF_FFFFL) + " is smaller than the captured length " + captured);
        }
        if (captured < PseudoHeader.LENGTH)
        {
            return skip(TraceError.BAD_PSEUDO_HEADER, index, start + Pcapng.EPB_DATA_OFFSET,
                "packet of " + captured + " bytes is shorter than the pseudo-header");
        }
        pseudoHeader.wrap(block, Pcapng.EPB_DATA_OFFSET);
        if (PseudoHeader.VERSION_1 != pseudoHeader.version())
        {
            return skip(TraceError.BAD_PSEUDO_HEADER, index, start + Pcapng.EPB_DATA_OFFSET,
                "pseudo-header version " + pseudoHeader.version() + " is not " + PseudoHeader.VERSION_1);
        }
        final long timestamp = ((block.getInt(Pcapng.EPB_TS_HIGH_OFFSET, order) & 0xFFFF_FFFFL) << 32) |
            (block.getInt(Pcapng.EPB_TS_LOW_OFFSET, order) & 0xFFFF_FFFFL);
        if (timestamp < 0)
        {
            return skip(TraceError.BAD_TIMESTAMP, index, start + Pcapng.EPB_TS_HIGH_OFFSET, "timestamp 0x" +
                Long.toHexString(timestamp) + " does not fit 63 bits");
        }
        final int tlpOffset = Pcapng.EPB_DATA_OFFSET + PseudoHeader.LENGTH;
        final int tlpCaptured = captured - PseudoHeader.LENGTH;
        final int tlpWire = Math.max(original - PseudoHeader.LENGTH, tlpCaptured);
        record.position(index, start);
        record.set(timestamp, exponent, pseudoHeader.direction(), pseudoHeader.port())
            .ide(pseudoHeader.ideValid(), pseudoHeader.t(), pseudoHeader.streamId())
            .tlpBytes(pseudoHeader.flit(), block, tlpOffset, tlpCaptured, tlpWire);
        final TlpError error = record.decode();
        if (TlpError.NONE != error)
        {
            final Tlp tlp = record.tlp();
            // The offset counts on the wire; a truncated capture does not hold bytes past tlpCaptured.
            return skip(TraceError.UNDECODABLE_TLP, index, start + tlpOffset + Math.min(tlp.errorOffset(), tlpCaptured),
                error.description() + " at TLP byte " + tlp.errorOffset());
        }
        summary.onDecoded(record.tlp().isTruncatedCapture(), tlpCaptured);
        return true;
    }
}
