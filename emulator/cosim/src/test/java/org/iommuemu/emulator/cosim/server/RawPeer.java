package org.iommuemu.emulator.cosim.server;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

import io.netty.buffer.Unpooled;
import org.iommuemu.emulator.cosim.codec.BlockingIo;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.codec.RemotePortMessageDecoder;
import org.iommuemu.emulator.cosim.codec.RpPacket;

/**
 * A peer on a plain blocking socket, for the fault tests: it sends exactly the bytes it is told to (malformed ones
 * included), reads packets one at a time, and can vanish in the middle of an exchange.
 */
final class RawPeer implements AutoCloseable
{
    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private long offset;

    RawPeer(final String address) throws IOException
    {
        final String hostPort = address.substring("tcp:".length());
        final int colon = hostPort.lastIndexOf(':');
        socket = new Socket(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
    }

    /** Read the server's HELLO and send ours with {@code capabilities}. */
    Hello handshake(final int... capabilities) throws IOException
    {
        final Hello hello = (Hello)receive();
        send(new Hello().capabilities(capabilities));
        return hello;
    }

    void send(final RpPacket packet) throws IOException
    {
        BlockingIo.send(packet, out);
    }

    void sendBytes(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
    }

    /** The next packet from the server. */
    RpPacket receive() throws IOException
    {
        final byte[] packet = BlockingIo.receiveBytes(in);
        final RpPacket decoded = RemotePortMessageDecoder.decode(Unpooled.wrappedBuffer(packet), offset);
        offset += packet.length;
        return decoded;
    }

    /** True when the server has closed the connection (reads end of stream within the socket time-out). */
    boolean closedByServer()
    {
        try
        {
            while (true)
            {
                if (in.read() < 0)
                {
                    return true;
                }
            }
        }
        catch (final IOException ex)
        {
            return ex.getMessage() != null && ex.getMessage().contains("reset");
        }
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
