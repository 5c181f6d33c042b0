package org.iommuemu.emulator.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * How an image file is compressed, recognised by its magic bytes, never by its name: gzip (RFC 1952, 1F 8B) and
 * xz (FD '7zXZ' 00). Several concatenated gzip members or xz streams read as one image, as {@code gunzip} and
 * {@code xz -d} do.
 */
public enum ImageCompression
{
    NONE,
    GZIP,
    XZ;

    /** Bytes of the longest magic {@link #detect} looks at. */
    public static final int MAGIC_LENGTH = 8;

    private static final byte[] GZIP_MAGIC = {0x1F, (byte)0x8B};
    private static final byte[] XZ_MAGIC = {(byte)0xFD, '7', 'z', 'X', 'Z', 0};
    private static final byte[] ZSTD_MAGIC = {0x28, (byte)0xB5, 0x2F, (byte)0xFD};
    private static final byte[] BZIP2_MAGIC = {'B', 'Z', 'h'};
    private static final byte[] LZ4_MAGIC = {0x04, 0x22, 0x4D, 0x18};

    /**
     * The compression of a file that starts with {@code head} ({@code length} valid bytes).
     *
     * @throws ImageFormatException for a compression that is recognised but not supported (zstd, bzip2, lz4).
     */
    public static ImageCompression detect(final byte[] head, final int length, final String fileName)
    {
        if (startsWith(head, length, GZIP_MAGIC))
        {
            return GZIP;
        }
        if (startsWith(head, length, XZ_MAGIC))
        {
            return XZ;
        }
        final String other = startsWith(head, length, ZSTD_MAGIC) ? "zstd" : startsWith(head, length, BZIP2_MAGIC) ? "bzip2" :
            startsWith(head, length, LZ4_MAGIC) ? "lz4" : null;
        if (other != null)
        {
            throw new ImageFormatException(fileName + ": " + other + "-compressed images are not supported " +
                "(gzip and xz are); decompress it first");
        }
        return NONE;
    }

    /** A decompressing stream over {@code in} (which it closes). */
    public InputStream decompress(final InputStream in) throws IOException
    {
        return switch (this)
        {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case XZ -> new XZInputStream(in);
        };
    }

    /** A compressing stream over {@code out} (which it closes); xz at preset 1, gzip at its default level. */
    public OutputStream compress(final OutputStream out) throws IOException
    {
        return switch (this)
        {
            case NONE -> out;
            case GZIP -> new GZIPOutputStream(out, 1 << 16);
            case XZ -> new XZOutputStream(out, new LZMA2Options(1));
        };
    }

    static boolean startsWith(final byte[] head, final int length, final byte[] magic)
    {
        if (length < magic.length)
        {
            return false;
        }
        for (int i = 0; i < magic.length; i++)
        {
            if (head[i] != magic[i])
            {
                return false;
            }
        }
        return true;
    }
}
