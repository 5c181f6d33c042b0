package org.iommuemu.emulator.image;

import org.iommuemu.emulator.config.InputDataException;

/**
 * A memory image that cannot be used: unknown or unsupported format, a truncated header, a segment beyond the
 * end of the file. The message names the file and, where there is one, the offset or segment. The command line
 * reports it as bad input data (exit code 1).
 */
public final class ImageFormatException extends InputDataException
{
    public ImageFormatException(final String message)
    {
        super(message);
    }
}
