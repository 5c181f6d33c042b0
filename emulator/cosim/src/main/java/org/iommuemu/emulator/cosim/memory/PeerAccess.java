package org.iommuemu.emulator.cosim.memory;

/**
 * Round trips to the peer's address space, as the session offers them to {@link RemoteMemory}: one READ or WRITE on
 * the guest-memory channel, answered before the call returns. Called on the session's model thread only; the network
 * event loop never waits.
 */
public interface PeerAccess
{
    /**
     * Read {@code length} bytes (at most 4096, inside one 4 KiB page) at {@code address} into {@code dst[0..length)}.
     *
     * @return the peer's response code (0 ok); on anything but 0 {@code dst} holds zeros.
     * @throws PeerGoneException when the session is ending and no answer can come.
     */
    int read(long address, byte[] dst, int length);

    /**
     * Write {@code src[0..length)} (at most 4096 bytes, inside one 4 KiB page) at {@code address}.
     *
     * @return the peer's response code (0 ok).
     * @throws PeerGoneException when the session is ending and no answer can come.
     */
    int write(long address, byte[] src, int length);
}
