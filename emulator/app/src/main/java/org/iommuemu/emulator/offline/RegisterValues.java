package org.iommuemu.emulator.offline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.config.InputDataException;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.tlp.trace.BoundedLineReader;

/**
 * Register values captured from a real IOMMU: {@code OFFSET=VALUE} pairs from {@code --regs FILE} lines and
 * {@code --reg} options, both hexadecimal (with or without 0x), offsets into the MMIO block as the spec numbers
 * them. A file allows blank lines and {@code #} comments (whole-line or trailing). A later value for the same
 * offset replaces an earlier one ({@code --reg} options are applied after the file, so they override it); each
 * value remembers where it came from so a model can name it in an error.
 */
public final class RegisterValues
{
    /** Longest line of a register file. */
    static final int MAX_LINE = 4096;

    /** One value and where it came from ("regs.txt:12", "--reg 0x18=1"). */
    record Value(int offset, long value, String source)
    {
        /**
         * An error about this value: bad input data (exit code 1) when it came from a register file, a usage error
         * (exit code 2) when it came from a {@code --reg} option.
         */
        RuntimeException error(final String reason)
        {
            return error(source, reason);
        }

        static RuntimeException error(final String source, final String reason)
        {
            return source.startsWith("--reg") ? new IllegalArgumentException(source + ": " + reason) :
                new InputDataException(source + ": " + reason);
        }
    }

    private final Map<Integer, Value> values = new LinkedHashMap<>();

    /** Parse {@code --regs FILE} (may be null) then the {@code --reg} options. */
    public static RegisterValues parse(final Path file, final List<String> options) throws IOException
    {
        final RegisterValues registers = new RegisterValues();
        if (file != null)
        {
            if (!Files.isRegularFile(file))
            {
                throw new IllegalArgumentException("--regs " + file + ": no such file");
            }
            try (InputStream stream = Files.newInputStream(file); BoundedLineReader in = new BoundedLineReader(stream, MAX_LINE))
            {
                int length;
                while ((length = in.next()) != BoundedLineReader.END)
                {
                    final long number = in.lineNumber();
                    if (length == BoundedLineReader.TOO_LONG)
                    {
                        throw new InputDataException(file + ":" + number + ": longer than " + MAX_LINE + " bytes: not a register value");
                    }
                    final String line;
                    try
                    {
                        line = in.utf8();
                    }
                    catch (final CharacterCodingException ex)
                    {
                        throw new InputDataException(file + ":" + number + ": not UTF-8 text");
                    }
                    final int hash = line.indexOf('#');
                    final String text = (hash < 0 ? line : line.substring(0, hash)).trim();
                    if (!text.isEmpty())
                    {
                        registers.add(text, file + ":" + number);
                    }
                }
            }
        }
        for (final String option : options)
        {
            registers.add(option.trim(), "--reg " + option);
        }
        return registers;
    }

    /** Add one {@code OFFSET=VALUE}; {@code source} names it in errors. */
    void add(final String text, final String source)
    {
        final int eq = text.indexOf('=');
        if (eq < 0)
        {
            throw Value.error(source, "\"" + text + "\" is not OFFSET=VALUE (both hexadecimal)");
        }
        final String offsetText = text.substring(0, eq).trim();
        final String valueText = text.substring(eq + 1).trim();
        final long offset;
        final long value;
        try
        {
            offset = Numbers.parseHex(offsetText);
        }
        catch (final NumberFormatException ex)
        {
            throw Value.error(source, "offset \"" + offsetText + "\" is not a hexadecimal number");
        }
        try
        {
            value = Numbers.parseHex(valueText);
        }
        catch (final NumberFormatException ex)
        {
            throw Value.error(source, "value \"" + valueText + "\" is not a hexadecimal number of up to 64 bits");
        }
        if (offset > Integer.MAX_VALUE)
        {
            throw Value.error(source, "offset " + offsetText + " is beyond any IOMMU's register block");
        }
        values.remove((int)offset);
        values.put((int)offset, new Value((int)offset, value, source));
    }

    /** The value at {@code offset}, or null. */
    Value get(final int offset)
    {
        return values.get(offset);
    }

    boolean contains(final int offset)
    {
        return values.containsKey(offset);
    }

    /** Every value, in the order given (a replaced value moves to where it was replaced). */
    List<Value> all()
    {
        return Collections.unmodifiableList(new ArrayList<>(values.values()));
    }

    boolean isEmpty()
    {
        return values.isEmpty();
    }
}
