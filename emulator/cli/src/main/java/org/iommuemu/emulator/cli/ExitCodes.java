package org.iommuemu.emulator.cli;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.config.InputDataException;
import org.iommuemu.tlp.trace.TraceFormatException;

/**
 * The one exit-code convention of every command (README.md, "Exit codes"), and the words for the errors behind
 * them: a message names the file and where in it, then why, never a Java class name.
 * <ul>
 * <li>{@link #OK} 0: done (also when {@code --skip-bad} skipped records, or requests faulted: faults are answers);</li>
 * <li>{@link #BAD_INPUT} 1: an input file's content is bad (a trace record, a scenario or profile line, a requests
 * or register file line, a memory image, a request the image cannot answer), or a file could not be read or
 * written;</li>
 * <li>{@link #USAGE} 2: the command line is wrong (unknown option, bad option value, missing input file, an output
 * that is one of the inputs).</li>
 * </ul>
 */
public final class ExitCodes
{
    /** Done. */
    public static final int OK = 0;
    /** Bad input data, or an I/O failure. */
    public static final int BAD_INPUT = 1;
    /** Bad command line. */
    public static final int USAGE = 2;

    private ExitCodes()
    {
    }

    /** The exit code for an exception that ended a command, or -1 when it is not an input or usage error (a bug). */
    public static int of(final Throwable ex)
    {
        if (ex instanceof InputDataException || ex instanceof ConfigException || ex instanceof IOException ||
            ex instanceof UncheckedIOException)
        {
            return BAD_INPUT;
        }
        if (ex instanceof IllegalArgumentException)
        {
            return USAGE;
        }
        return -1;
    }

    /** The one-line message of an input, usage or I/O error. */
    public static String message(final Throwable ex)
    {
        if (ex instanceof UncheckedIOException unchecked)
        {
            return unchecked.getMessage() == null || unchecked.getCause() == null ? describe(unchecked.getCause()) :
                prefix(unchecked.getMessage(), unchecked.getCause());
        }
        if (ex instanceof TraceFormatException)
        {
            return ex.getMessage();
        }
        if (ex instanceof IOException io)
        {
            return describe(io);
        }
        return ex.getMessage();
    }

    private static String prefix(final String message, final IOException cause)
    {
        final String described = describe(cause);
        return described.startsWith(message) ? described : message + ": " + described;
    }

    /** An I/O error in words: which file, and what went wrong with it. */
    public static String describe(final IOException ex)
    {
        if (ex == null)
        {
            return "input/output error";
        }
        if (ex instanceof TraceFormatException)
        {
            return ex.getMessage();
        }
        if (ex instanceof NoSuchFileException e)
        {
            return e.getFile() + ": no such file or folder";
        }
        if (ex instanceof AccessDeniedException e)
        {
            return e.getFile() + ": permission denied";
        }
        if (ex instanceof FileAlreadyExistsException e)
        {
            return e.getFile() + ": already exists";
        }
        if (ex instanceof NotDirectoryException e)
        {
            return e.getFile() + ": not a folder";
        }
        if (ex instanceof CharacterCodingException)
        {
            return "not UTF-8 text";
        }
        if (ex instanceof FileSystemException e)
        {
            return (e.getFile() == null ? "" : e.getFile() + ": ") + (e.getReason() == null ? "input/output error" : e.getReason());
        }
        if (ex instanceof EOFException)
        {
            return ex.getMessage() == null ? "the file ends early" : ex.getMessage();
        }
        return ex.getMessage() == null ? "input/output error" : ex.getMessage();
    }
}
