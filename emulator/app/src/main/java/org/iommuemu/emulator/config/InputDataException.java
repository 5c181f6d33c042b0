package org.iommuemu.emulator.config;

/**
 * The content of an input file is bad: a requests line, a register file line, a memory image, a trace record the
 * replay cannot represent. The message names the file and the line, record index or offset, then the reason, in
 * words (never a Java class name or a parser's internals). The command line reports it with exit code 1 (bad input
 * data), apart from the mistakes on the command line itself (exit code 2): see README.md, "Exit codes".
 */
public class InputDataException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public InputDataException(final String message)
    {
        super(message);
    }

    public InputDataException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
