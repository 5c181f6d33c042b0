package org.iommuemu.emulator.cosim.memory;

/**
 * The peer disconnected (or the server is shutting down past its grace period) while the model waited for its memory:
 * the session's model stops where it is, and its platform is discarded with the session.
 */
public final class PeerGoneException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public PeerGoneException(final String message)
    {
        super(message);
    }
}
