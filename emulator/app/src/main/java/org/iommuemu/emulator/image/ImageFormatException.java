package org.iommuemu.emulator.image;

/**
 * A memory image that cannot be used: unknown or unsupported format, a truncated header, a segment beyond the
 * end of the file. The message names the file and, where there is one, the offset or segment. An
 * {@link IllegalArgumentException} so the command line reports it as bad input (exit code 2).
 */
public final class ImageFormatException extends IllegalArgumentException
{
    public ImageFormatException(final String message)
    {
        super(message);
    }
}
