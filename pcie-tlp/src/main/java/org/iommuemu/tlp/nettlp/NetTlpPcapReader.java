package org.iommuemu.tlp.nettlp;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.tlp.TlpError;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.MappedInput;
import org.iommuemu.tlp.trace.MappedTraceReader;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceRecord;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Imports a NetTLP capture: a classic pcap (us or ns timestamps, either byte order) of Ethernet frames,
 * optionally 802.1Q/802.1ad tagged, carrying IPv4 / UDP to a NetTLP port, whose payload is a 6-byte NetTLP
 * header and then one TLP in wire order (NetTLP libtlp {@code struct nettlp_hdr}).
 *
 * <pre>
 *  pcap record: | ts_sec u32 | ts_frac u32 | incl_len u32 | orig_len u32 | frame ... |
 *  frame:       Ethernet (14) [VLAN tag (4)]* | IPv4 (IHL x 4) | UDP (8) | seq u16 | tstamp u32 | TLP ...
 *  UDP port:    12288 + (tag &amp; 0xF) on either side
 * </pre>
 *
 * The TLP's wire length is the UDP length less 14; a frame cut by the capture's snap length yields a TLP
 * with {@link org.iommuemu.tlp.Tlp#isTruncatedCapture()} set (the P4600/X520 captures were taken with a
 * 128-byte snap length). Frames that are not NetTLP (ARP, other UDP) are counted as ignored.
 * Direction: frames whose IPv4 source is {@link #DEFAULT_DOWNSTREAM_SOURCE} (or the address given) are
 * labelled downstream, all others upstream; NetTLP itself does not record a direction. Record indexes are
 * pcap frame indexes (0-based), so they match a packet list in Wireshark less one.
 */
public final class NetTlpPcapReader extends MappedTraceReader
{
    /** NetTLP UDP base port. */
    public static final int PORT_BASE = 12288;
    /** NetTLP ports span 16 values (tag &amp; 0xF). */
    public static final int PORT_COUNT = 16;
    /** Length of the NetTLP header. */
    public static final int NETTLP_HEADER_LENGTH = 6;
    /** IPv4 192.168.10.1, the address whose frames are labelled downstream by default. */
    public static final int DEFAULT_DOWNSTREAM_SOURCE = 0xC0A80A01;

    private static final int MAGIC_US = 0xA1B2C3D4;
    private static final int MAGIC_NS = 0xA1B23C4D;
    private static final int GLOBAL_HEADER_LENGTH = 24;
    private static final int LINKTYPE_OFFSET = 20;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int RECORD_HEADER_LENGTH = 16;
    private static final int TS_SEC_OFFSET = 0;
    private static final int TS_FRAC_OFFSET = 4;
    private static final int INCL_LEN_OFFSET = 8;
    private static final int ORIG_LEN_OFFSET = 12;
    private static final int ETHER_HEADER_LENGTH = 14;
    private static final int ETHERTYPE_OFFSET = 12;
    private static final int VLAN_TAG_LENGTH = 4;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88A8;
    private static final int ETHERTYPE_QINQ_OLD = 0x9100;
    private static final int IPV4_MIN_HEADER = 20;
    private static final int IPV4_PROTOCOL_OFFSET = 9;
    private static final int IPV4_SOURCE_OFFSET = 12;
    private static final int IP_PROTOCOL_UDP = 17;
    private static final int UDP_HEADER_LENGTH = 8;
    private static final int UDP_SOURCE_PORT_OFFSET = 0;
    private static final int UDP_DESTINATION_PORT_OFFSET = 2;
    private static final int UDP_LENGTH_OFFSET = 4;

    private final int downstreamSource;
    private final ByteOrder order;
    private final boolean nanoseconds;
    private long position = GLOBAL_HEADER_LENGTH;
    private long frameIndex;

    /**
     * Opens with the default downstream source address.
     *
     * @param path   of the pcap.
     * @param policy on bad records.
     * @throws IOException when the file cannot be opened or is not an Ethernet pcap.
     */
    public NetTlpPcapReader(final Path path, final ErrorPolicy policy) throws IOException
    {
        this(path, policy, DEFAULT_DOWNSTREAM_SOURCE);
    }

    /**
     * @param path             of the pcap.
     * @param policy           on bad records.
     * @param downstreamSource IPv4 address (as an int, big-endian order) whose frames are downstream.
     * @throws IOException when the file cannot be opened or is not an Ethernet pcap.
     */
    public NetTlpPcapReader(final Path path, final ErrorPolicy policy, final int downstreamSource) throws IOException
    {
        super(path, policy);
        this.downstreamSource = downstreamSource;
        if (input.size() < GLOBAL_HEADER_LENGTH)
        {
            throw badMagic("file of " + input.size() +
                " bytes is shorter than a pcap header");
        }
        final UnsafeBuffer header = input.window(0, GLOBAL_HEADER_LENGTH);
        final int magic = header.getInt(0, ByteOrder.LITTLE_ENDIAN);
        if (MAGIC_US == magic || MAGIC_NS == magic)
        {
            order = ByteOrder.LITTLE_ENDIAN;
            nanoseconds = MAGIC_NS == magic;
        }
        else if (MAGIC_US == Integer.reverseBytes(magic) || MAGIC_NS == Integer.reverseBytes(magic))
        {
            order = ByteOrder.BIG_ENDIAN;
            nanoseconds = MAGIC_NS == Integer.reverseBytes(magic);
        }
        else
        {
            throw badMagic("not a pcap file (magic 0x" + Integer.toHexString(magic) + ")");
        }
        final int linkType = header.getInt(LINKTYPE_OFFSET, order) & 0x0FFF_FFFF;
        if (LINKTYPE_ETHERNET != linkType)
        {
            input.close();
            throw new TraceFormatException(source, TraceError.UNSUPPORTED_LINK_TYPE, 0, LINKTYPE_OFFSET,
                "link type " + linkType + " is not Ethernet (1)");
        }
    }

    /**
     * @param ipv4 dotted quad.
     * @return the address as an int, first octet in the high byte.
     */
    public static int parseIpv4(final String ipv4)
    {
        final String[] parts = ipv4.split("\\.");
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: " + ipv4);
        }
        int value = 0;
        for (final String part : parts)
        {
            final int octet = Integer.parseInt(part);
            if (octet < 0 || octet > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + ipv4);
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    /** {@inheritDoc} */
    @Override
    public boolean next() throws IOException
    {
        while (!done)
        {
            final long size = input.size();
            final long start = position;
            if (start == size)
            {
                done = true;
                break;
            }
            if (size - start < RECORD_HEADER_LENGTH)
            {
                fail(TraceError.TRUNCATED_BLOCK, frameIndex, start, "file ends " + (size - start) +
                    " bytes into a pcap record header");
                continue;
            }
            UnsafeBuffer frame = input.window(start, RECORD_HEADER_LENGTH);
            final long included = frame.getInt(INCL_LEN_OFFSET, order) & 0xFFFF_FFFFL;
            if (included > MappedInput.MAX_WINDOW - RECORD_HEADER_LENGTH)
            {
                fail(TraceError.BAD_BLOCK_LENGTH, frameIndex, start, "captured length " + included + " is implausible");
                continue;
            }
            if (start + RECORD_HEADER_LENGTH + included > size)
            {
                fail(TraceError.BLOCK_PAST_EOF, frameIndex, start, "record of " + included + " bytes runs " +
                    (start + RECORD_HEADER_LENGTH + included - size) + " bytes past the end of the file");
                continue;
            }
            frame = input.window(start, RECORD_HEADER_LENGTH + (int)included);
            position = start + RECORD_HEADER_LENGTH + included;
            final long index = frameIndex++;
            final long original = frame.getInt(ORIG_LEN_OFFSET, order) & 0xFFFF_FFFFL;
            if (original < included)
            {
                skip(TraceError.BAD_BLOCK_LENGTH, index, start + ORIG_LEN_OFFSET, "original length " + original +
                    " is smaller than the captured length " + included);
                continue;
            }
            final long fraction = frame.getInt(TS_FRAC_OFFSET, order) & 0xFFFF_FFFFL;
            if (fraction >= (nanoseconds ? 1_000_000_000L : 1_000_000L))
            {
                skip(TraceError.BAD_TIMESTAMP, index, start + TS_FRAC_OFFSET, "timestamp fraction " + fraction +
                    (nanoseconds ? " ns" : " us") + " is a second or more");
                continue;
            }
            if (onFrame(frame, RECORD_HEADER_LENGTH + (int)included, start, index))
            {
                return true;
            }
        }
        return false;
    }

    private boolean onFrame(final UnsafeBuffer frame, final int end, final long start, final long index)
        throws TraceFormatException
    {
        int at = RECORD_HEADER_LENGTH;
        if (end - at < ETHER_HEADER_LENGTH)
        {
            return ignore(index, "shorter than an Ethernet header");
        }
        int etherType = frame.getShort(at + ETHERTYPE_OFFSET, BIG_ENDIAN) & 0xFFFF;
        at += ETHER_HEADER_LENGTH;
        while ((ETHERTYPE_VLAN == etherType || ETHERTYPE_QINQ == etherType || ETHERTYPE_QINQ_OLD == etherType) &&
            end - at >= VLAN_TAG_LENGTH)
        {
            etherType = frame.getShort(at + 2, BIG_ENDIAN) & 0xFFFF;
            at += VLAN_TAG_LENGTH;
        }
        if (ETHERTYPE_IPV4 != etherType || end - at < IPV4_MIN_HEADER)
        {
            return ignore(index, ETHERTYPE_IPV4 != etherType ? "not IPv4" : "shorter than an IPv4 header");
        }
        final int versionIhl = frame.getByte(at) & 0xFF;
        final int ihl = (versionIhl & 0x0F) * 4;
        if ((versionIhl >>> 4) != 4 || ihl < IPV4_MIN_HEADER ||
            (frame.getByte(at + IPV4_PROTOCOL_OFFSET) & 0xFF) != IP_PROTOCOL_UDP || end - at < ihl + UDP_HEADER_LENGTH)
        {
            return ignore(index, "not a whole IPv4 UDP header");
        }
        final int sourceAddress = frame.getInt(at + IPV4_SOURCE_OFFSET, BIG_ENDIAN);
        at += ihl;
        final int sourcePort = frame.getShort(at + UDP_SOURCE_PORT_OFFSET, BIG_ENDIAN) & 0xFFFF;
        final int destinationPort = frame.getShort(at + UDP_DESTINATION_PORT_OFFSET, BIG_ENDIAN) & 0xFFFF;
        if (!isNetTlpPort(sourcePort) && !isNetTlpPort(destinationPort))
        {
            return ignore(index, "UDP to no NetTLP port");
        }
        final int udpLength = frame.getShort(at + UDP_LENGTH_OFFSET, BIG_ENDIAN) & 0xFFFF;
        final int tlpStart = at + UDP_HEADER_LENGTH + NETTLP_HEADER_LENGTH;
        final int wireLength = udpLength - UDP_HEADER_LENGTH - NETTLP_HEADER_LENGTH;
        if (wireLength <= 0 || tlpStart >= end)
        {
            return skip(TraceError.BAD_NETTLP_FRAME, index, start + at, "UDP length " + udpLength +
                " leaves no TLP after the NetTLP header");
        }
        final int captured = Math.min(wireLength, end - tlpStart);
        // A u32 of seconds times 10^9 plus less than a second stays below 2^63 (fractions were checked in next()).
        final long seconds = frame.getInt(TS_SEC_OFFSET, order) & 0xFFFF_FFFFL;
        final long fraction = frame.getInt(TS_FRAC_OFFSET, order) & 0xFFFF_FFFFL;
        final long timestampNs = seconds * 1_000_000_000L + (nanoseconds ? fraction : fraction * 1_000L);
        record.position(index, start);
        record.set(timestampNs, TraceRecord.NANOSECONDS,
            sourceAddress == downstreamSource ? Direction.DOWNSTREAM : Direction.UPSTREAM, 0)
            .ide(false, false, 0)
            .tlpBytes(false, frame, tlpStart, captured, wireLength);
        final TlpError error = record.decode();
        if (TlpError.NONE != error)
        {
            final int errorOffset = record.tlp().errorOffset();
            // The offset counts on the wire; a truncated capture does not hold bytes past the captured ones.
            return skip(TraceError.UNDECODABLE_TLP, index, start + tlpStart + Math.min(errorOffset, captured),
                error.description() + " at TLP byte " + errorOffset);
        }
        summary.onDecoded(record.tlp().isTruncatedCapture(), captured);
        return true;
    }

    /** A frame that is not NetTLP: counted as ignored, the first few with their reason. */
    private boolean ignore(final long index, final String why)
    {
        if (summary.wantsIgnoredReason())
        {
            summary.onIgnored("frame " + index + ": " + why);
        }
        else
        {
            summary.onIgnored();
        }
        return false;
    }

    private static boolean isNetTlpPort(final int port)
    {
        return port >= PORT_BASE && port < PORT_BASE + PORT_COUNT;
    }
}
