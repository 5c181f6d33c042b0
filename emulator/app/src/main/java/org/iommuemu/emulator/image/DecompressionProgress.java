package org.iommuemu.emulator.image;

/** Told how far the decompression of a compressed image into its temporary file has come. */
public interface DecompressionProgress
{
    /** Reports nothing. */
    DecompressionProgress NONE = new DecompressionProgress()
    {
    };

    /**
     * @param compressedRead  bytes of the compressed file consumed so far.
     * @param compressedTotal size of the compressed file.
     * @param written         decompressed bytes written so far.
     */
    default void progress(final long compressedRead, final long compressedTotal, final long written)
    {
    }

    /** The decompression finished (or failed); a progress line may be erased. */
    default void done(final long written)
    {
    }
}
