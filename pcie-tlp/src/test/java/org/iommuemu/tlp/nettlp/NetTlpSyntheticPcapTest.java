package org.iommuemu.tlp.nettlp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NetTLP import on pcaps built here: both magics and byte orders, VLAN stacks, foreign frames, bad input. */
class NetTlpSyntheticPcapTest
{
    private static final byte[] MRD = {0, 0, 0, 4, 0x1b, 0, 3, (byte)0xff, 0x2f, 0, 0x10, 0};

    @TempDir
    Path dir;

    private static byte[] frame(final int[] vlanTypes, final int source, final int port, final byte[] tlp,
        final int etherType, final int protocol)
    {
        final ByteBuffer b = ByteBuffer.allocate(200).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[12]);
        for (final int vlan : vlanTypes)
        {
            b.putShort((short)vlan).putShort((short)0x0064);
        }
        b.putShort((short)etherType);
        final int udpLength = 8 + 6 + tlp.length;
        b.put((byte)0x45).put((byte)0).putShort((short)(20 + udpLength)).putInt(0).put((byte)64)
            .put((byte)protocol).putShort((short)0).putInt(source).putInt(0xC0A80A02);
        b.putShort((short)port).putShort((short)port).putShort((short)udpLength).putShort((short)0);
        b.putShort((short)7).putInt(0x12345678).put(tlp);
        return Arrays.copyOf(b.array(), b.position());
    }

    private static byte[] pcap(final ByteOrder order, final boolean nanoseconds, final byte[]... frames)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer h = ByteBuffer.allocate(24).order(order);
        h.putInt(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(65535).putInt(1);
        out.writeBytes(h.array());
        int i = 0;
        for (final byte[] frame : frames)
        {
            final ByteBuffer r = ByteBuffer.allocate(16).order(order);
            r.putInt(100 + i).putInt(nanoseconds ? 5 : 7).putInt(frame.length).putInt(frame.length);
            out.writeBytes(r.array());
            out.writeBytes(frame);
            i++;
        }
        return out.toByteArray();
    }

    private NetTlpPcapReader open(final byte[] bytes, final ErrorPolicy policy) throws IOException
    {
        final Path file = dir.resolve("x.pcap");
        Files.write(file, bytes);
        return new NetTlpPcapReader(file, policy);
    }

    @Test
    void shouldReadBothByteOrdersVlanStacksAndIgnoreForeignFrames() throws IOException
    {
        for (final ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN})
        {
            for (final boolean ns : new boolean[] {false, true})
            {
                final byte[] file = pcap(order, ns,
                    frame(new int[0], 0xC0A80A01, 12291, MRD, 0x0800, 17),
                    frame(new int[] {0x88A8, 0x8100}, 0xC0A80A03, 12303, MRD, 0x0800, 17),
                    frame(new int[0], 0xC0A80A03, 53, MRD, 0x0800, 17),
                    frame(new int[0], 0xC0A80A03, 12288, MRD, 0x0806, 17),
                    frame(new int[0], 0xC0A80A03, 12288, MRD, 0x0800, 6));
                try (NetTlpPcapReader reader = open(file, ErrorPolicy.STOP))
                {
                    assertTrue(reader.next());
                    assertEquals(Direction.DOWNSTREAM, reader.record().direction());
                    assertEquals(TlpKind.MRD, reader.record().tlp().kind());
                    assertEquals(100_000_000_000L + (ns ? 5 : 7_000), reader.record().timestamp());
                    assertEquals(0, reader.record().recordIndex());
                    assertTrue(reader.next());
                    assertEquals(Direction.UPSTREAM, reader.record().direction());
                    assertEquals(1, reader.record().recordIndex());
                    assertEquals(0x2f001000L, reader.record().tlp().request().address());
                    assertFalse(reader.next());
                    assertEquals(2, reader.summary().decoded());
                    assertEquals(3, reader.summary().ignored());
                }
            }
        }
    }

    @Test
    void shouldRejectWrongMagicAndLinkType() throws IOException
    {
        final byte[] file = pcap(ByteOrder.LITTLE_ENDIAN, true, frame(new int[0], 1, 12288, MRD, 0x0800, 17));
        file[0] = 0x0A;
        TraceFormatException ex = assertThrows(TraceFormatException.class, () -> open(file, ErrorPolicy.STOP));
        assertEquals(TraceError.BAD_MAGIC, ex.error());
        final byte[] other = pcap(ByteOrder.LITTLE_ENDIAN, true, frame(new int[0], 1, 12288, MRD, 0x0800, 17));
        other[20] = 105;
        ex = assertThrows(TraceFormatException.class, () -> open(other, ErrorPolicy.STOP));
        assertEquals(TraceError.UNSUPPORTED_LINK_TYPE, ex.error());
    }

    @Test
    void shouldReportRecordPastEndOfFileAndUndecodableTlp() throws IOException
    {
        final byte[] good = frame(new int[0], 1, 12288, MRD, 0x0800, 17);
        final byte[] reserved = MRD.clone();
        reserved[0] = (byte)0xA0;
        final byte[] file = pcap(ByteOrder.LITTLE_ENDIAN, true, good,
            frame(new int[0], 1, 12288, reserved, 0x0800, 17), good);
        final int secondRecord = 24 + 16 + good.length;
        TraceFormatException ex = assertThrows(TraceFormatException.class, () ->
        {
            try (NetTlpPcapReader reader = open(file, ErrorPolicy.STOP))
            {
                while (reader.next())
                {
                    assertTrue(reader.record().tlp().isValid());
                }
            }
        });
        assertEquals(TraceError.UNDECODABLE_TLP, ex.error());
        assertEquals(1, ex.recordIndex());
        assertEquals(secondRecord + 16 + 14 + 20 + 8 + 6, ex.byteOffset());
        try (NetTlpPcapReader reader = open(file, ErrorPolicy.SKIP_BAD))
        {
            int n = 0;
            while (reader.next())
            {
                n++;
            }
            assertEquals(2, n);
            assertEquals(1, reader.summary().skipped());
        }

        final byte[] twoGood = pcap(ByteOrder.LITTLE_ENDIAN, true, good, good);
        final byte[] cut = Arrays.copyOf(twoGood, twoGood.length - 5);
        ex = assertThrows(TraceFormatException.class, () ->
        {
            try (NetTlpPcapReader reader = open(cut, ErrorPolicy.STOP))
            {
                while (reader.next())
                {
                    assertTrue(reader.record().tlp().isValid());
                }
            }
        });
        assertEquals(TraceError.BLOCK_PAST_EOF, ex.error());
        assertEquals(1, ex.recordIndex());
        assertEquals(secondRecord, ex.byteOffset());
        try (NetTlpPcapReader reader = open(cut, ErrorPolicy.SKIP_BAD))
        {
            while (reader.next())
            {
                assertTrue(reader.record().tlp().isValid());
            }
            assertTrue(reader.summary().stoppedEarly());
            assertEquals(2, reader.summary().read());
            assertEquals(1, reader.summary().decoded());
            assertEquals(1, reader.summary().skipped());
        }
    }
}
