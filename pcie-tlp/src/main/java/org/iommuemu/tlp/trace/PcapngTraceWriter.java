package org.iommuemu.tlp.trace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Writes a pcie-tlp pcapng file: one Section Header Block, one Interface Description Block with link type
 * {@link Pcapng#LINKTYPE_PCIE_TLP} and if_tsresol 9 (ns) or 12 (ps), then one Enhanced Packet Block per TLP
 * whose packet data is a {@link PseudoHeader} followed by the TLP bytes in wire order. Blocks are little-endian
 * (the byte-order magic says so); the pseudo-header and TLP are big-endian as on the wire. Memory use is one
 * fixed 1 MiB staging buffer.
 */
public final class PcapngTraceWriter implements TraceWriter
{
    private static final int STAGING = 1 << 20;
    private static final byte[] USER_APPL = "iommu-emu pcie-tlp".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IF_NAME = "pcie-tlp".getBytes(StandardCharsets.US_ASCII);

    private final FileChannel channel;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer out = new UnsafeBuffer(staging);
    private final PseudoHeader pseudoHeader = new PseudoHeader();
    private final int timestampExponent;
    private int position;
    private long records;

    /**
     * Creates (or truncates) the file and writes the section and interface headers.
     *
     * @param path              of the file.
     * @param timestampExponent {@link TraceRecord#NANOSECONDS} or {@link TraceRecord#PICOSECONDS}.
     * @throws IOException when the file cannot be created.
     */
    public PcapngTraceWriter(final Path path, final int timestampExponent) throws IOException
    {
        if (timestampExponent != TraceRecord.NANOSECONDS && timestampExponent != TraceRecord.PICOSECONDS)
        {
            throw new IllegalArgumentException("pcie-tlp pcapng uses ns (9) or ps (12), not 10^-" + timestampExponent);
        }
        this.timestampExponent = timestampExponent;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        writeSectionHeader();
        writeInterfaceDescription();
    }

    private int option(final int at, final int code, final byte[] value)
    {
        out.putShort(at, (short)code, LITTLE_ENDIAN);
        out.putShort(at + 2, (short)value.length, LITTLE_ENDIAN);
        out.putBytes(at + 4, value);
        final int end = at + 4 + Pcapng.pad4(value.length);
        out.setMemory(at + 4 + value.length, end - (at + 4 + value.length), (byte)0);
        return end;
    }

    private void writeSectionHeader()
    {
        final int start = position;
        out.putInt(start + Pcapng.BLOCK_TYPE_OFFSET, Pcapng.SHB_TYPE, LITTLE_ENDIAN);
        out.putInt(start + Pcapng.SHB_MAGIC_OFFSET, Pcapng.BYTE_ORDER_MAGIC, LITTLE_ENDIAN);
        out.putShort(start + Pcapng.SHB_MAJOR_OFFSET, (short)1, LITTLE_ENDIAN);
        out.putShort(start + Pcapng.SHB_MINOR_OFFSET, (short)0, LITTLE_ENDIAN);
        out.putLong(start + Pcapng.SHB_SECTION_LENGTH_OFFSET, -1L, LITTLE_ENDIAN);
        int at = option(start + Pcapng.SHB_OPTIONS_OFFSET, Pcapng.OPT_SHB_USERAPPL, USER_APPL);
        at = option(at, Pcapng.OPT_ENDOFOPT, new byte[0]);
        finishBlock(start, at);
    }

    private void writeInterfaceDescription()
    {
        final int start = position;
        out.putInt(start + Pcapng.BLOCK_TYPE_OFFSET, Pcapng.IDB_TYPE, LITTLE_ENDIAN);
        out.putShort(start + Pcapng.IDB_LINKTYPE_OFFSET, (short)Pcapng.LINKTYPE_PCIE_TLP, LITTLE_ENDIAN);
        out.putShort(start + Pcapng.IDB_RESERVED_OFFSET, (short)0, LITTLE_ENDIAN);
        out.putInt(start + Pcapng.IDB_SNAPLEN_OFFSET, Pcapng.SNAPLEN, LITTLE_ENDIAN);
        int at = option(start + Pcapng.IDB_OPTIONS_OFFSET, Pcapng.OPT_IF_NAME, IF_NAME);
        at = option(at, Pcapng.OPT_IF_TSRESOL, new byte[] {(byte)timestampExponent});
        at = option(at, Pcapng.OPT_ENDOFOPT, new byte[0]);
        finishBlock(start, at);
    }

    private void finishBlock(final int start, final int trailerAt)
    {
        final int total = trailerAt + 4 - start;
        out.putInt(start + Pcapng.BLOCK_LENGTH_OFFSET, total, LITTLE_ENDIAN);
        out.putInt(trailerAt, total, LITTLE_ENDIAN);
        position = start + total;
    }

    /** {@inheritDoc} */
    @Override
    public void write(final TraceRecord record) throws IOException
    {
        final int captured = PseudoHeader.LENGTH + record.capturedLength();
        final int original = PseudoHeader.LENGTH + Math.max(record.wireLength(), record.capturedLength());
        if (captured > Pcapng.SNAPLEN)
        {
            throw new IllegalArgumentException("TLP of " + record.capturedLength() + " bytes exceeds the snap length");
        }
        final int blockLength = Pcapng.EPB_DATA_OFFSET + Pcapng.pad4(captured) + 4;
        if (position + blockLength > STAGING)
        {
            flush();
        }
        final long timestamp;
        try
        {
            TraceRecord.checkTimestamp(record);
            timestamp = record.timestampIn(timestampExponent);
        }
        catch (final ArithmeticException ex)
        {
            throw new IllegalArgumentException("timestamp " + record.timestamp() + " x 10^-" +
                record.timestampExponent() + " s does not fit a 64-bit count of 10^-" + timestampExponent + " s", ex);
        }
        final int start = position;
        out.putInt(start + Pcapng.BLOCK_TYPE_OFFSET, Pcapng.EPB_TYPE, LITTLE_ENDIAN);
        out.putInt(start + Pcapng.EPB_INTERFACE_OFFSET, 0, LITTLE_ENDIAN);
        out.putInt(start + Pcapng.EPB_TS_HIGH_OFFSET, (int)(timestamp >>> 32), LITTLE_ENDIAN);
        out.putInt(start + Pcapng.EPB_TS_LOW_OFFSET, (int)timestamp, LITTLE_ENDIAN);
        out.putInt(start + Pcapng.EPB_CAPTURED_LENGTH_OFFSET, captured, LITTLE_ENDIAN);
        out.putInt(start + Pcapng.EPB_ORIGINAL_LENGTH_OFFSET, original, LITTLE_ENDIAN);
        final int data = start + Pcapng.EPB_DATA_OFFSET;
        pseudoHeader.wrap(out, data).set(record.direction(), record.port(), record.flit(), record.ideValid(),
            record.t(), record.streamId());
        out.putBytes(data + PseudoHeader.LENGTH, record.buffer(), record.tlpOffset(), record.capturedLength());
        final int padded = data + Pcapng.pad4(captured);
        out.setMemory(data + captured, padded - (data + captured), (byte)0);
        finishBlock(start, padded);
        records++;
    }

    /** {@inheritDoc} */
    @Override
    public long recordsWritten()
    {
        return records;
    }

    private void flush() throws IOException
    {
        staging.clear().limit(position);
        while (staging.hasRemaining())
        {
            channel.write(staging);
        }
        position = 0;
    }

    @Override
    public void close() throws IOException
    {
        try
        {
            flush();
        }
        finally
        {
            channel.close();
        }
    }
}
