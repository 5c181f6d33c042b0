package org.iommuemu.emulator.cosim.client;

/**
 * The peer's address space as a {@link CosimClient} serves it to the emulator: the guest-memory channel's READs and
 * WRITEs (docs/protocol.md 5). Called on the client's network thread; implementations answer at once.
 */
public interface GuestMemory
{
    /**
     * @return the response code: 0 ok, 1 generic error, 2 address error (dst is then ignored).
     */
    int read(long address, byte[] dst, int length);

    /** @return the response code. */
    int write(long address, byte[] src, int length);
}
