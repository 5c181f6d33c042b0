package org.iommuemu.emulator.cosim.client;

/** The server answered a request with an error, closed the session, or did not answer in time. */
public final class CosimException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public CosimException(final String message)
    {
        super(message);
    }

    public CosimException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
