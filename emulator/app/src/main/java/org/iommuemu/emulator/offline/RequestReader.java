package org.iommuemu.emulator.offline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.util.Arrays;
import java.util.Locale;

import org.iommuemu.emulator.config.InputDataException;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tlp.trace.BoundedLineReader;

/**
 * Reads a requests file one line at a time (a million requests are never held in memory):
 * <pre>
 * requester_id,pasid,iova,access
 * 0x0010,,0x40001000,r
 * 00:02.0,0x5,0x1000,rw
 * </pre>
 * The header names the columns (any order, case-insensitive; all four are required, unknown ones are an error).
 * requester_id is {@code 0x} hexadecimal or a BDF ({@code 00:02.0}, {@code 0000:00:02.0}); pasid is empty (no
 * PASID), {@code 0x} hexadecimal or decimal, at most 20 bits; iova is {@code 0x} hexadecimal or decimal, 64 bits;
 * access is {@code r}, {@code w} or {@code rw}. Blank lines and lines starting with {@code #} are not requests.
 * Fields may be surrounded by spaces or double quotes. A malformed line (bad field, not UTF-8, longer than
 * {@link #MAX_LINE} bytes) is an {@link InputDataException} naming the file, line and field; nothing is skipped.
 */
public final class RequestReader
{
    public static final String[] COLUMNS = {"requester_id", "pasid", "iova", "access"};
    /** Longest line accepted: a request is some 60 bytes, so a longer line is not a request. */
    static final int MAX_LINE = 4096;
    private static final int REQUESTER_ID = 0;
    private static final int PASID = 1;
    private static final int IOVA = 2;
    private static final int ACCESS = 3;

    private final BoundedLineReader in;
    private final String name;
    private final int[] columnOf = new int[COLUMNS.length];
    private final String[] fields;
    private int lineNumber;
    private long records;

    public RequestReader(final InputStream in, final String name) throws IOException
    {
        this.in = new BoundedLineReader(in, MAX_LINE);
        this.name = name;
        String header;
        do
        {
            header = readLine();
            if (header == null)
            {
                throw new InputDataException(name + ": empty; the first line must be the header " + String.join(",", COLUMNS));
            }
        }
        while (isBlankOrComment(header));
        final String[] names = header.split(",", -1);
        Arrays.fill(columnOf, -1);
        for (int i = 0; i < names.length; i++)
        {
            final String column = unquote(names[i]).toLowerCase(Locale.ROOT);
            int index = -1;
            for (int c = 0; c < COLUMNS.length; c++)
            {
                if (COLUMNS[c].equals(column))
                {
                    index = c;
                }
            }
            if (index < 0)
            {
                throw new InputDataException(name + ":" + lineNumber + ": header column \"" + names[i].trim() +
                    "\" is not one of " + String.join(",", COLUMNS) + (column.startsWith("0x") ? " (is the header row missing?)" : ""));
            }
            if (columnOf[index] >= 0)
            {
                throw new InputDataException(name + ":" + lineNumber + ": header column \"" + column + "\" appears twice");
            }
            columnOf[index] = i;
        }
        for (int c = 0; c < COLUMNS.length; c++)
        {
            if (columnOf[c] < 0)
            {
                throw new InputDataException(name + ":" + lineNumber + ": the header lacks the column \"" + COLUMNS[c] + "\"");
            }
        }
        fields = new String[names.length];
    }

    /**
     * Read the next request into {@code request} and its normalised fields into {@code echo} (requester_id, pasid,
     * iova, access).
     *
     * @return false at the end of the file.
     */
    public boolean next(final DmaRequest request, final String[] echo) throws IOException
    {
        String line;
        do
        {
            line = readLine();
            if (line == null)
            {
                return false;
            }
        }
        while (isBlankOrComment(line));
        int start = 0;
        int count = 0;
        while (true)
        {
            final int comma = line.indexOf(',', start);
            if (count == fields.length)
            {
                throw error("has more than the header's " + fields.length + " fields");
            }
            fields[count++] = unquote(comma < 0 ? line.substring(start) : line.substring(start, comma));
            if (comma < 0)
            {
                break;
            }
            start = comma + 1;
        }
        if (count != fields.length)
        {
            throw error("has " + count + " field" + (count == 1 ? "" : "s") + ", the header " + fields.length);
        }
        request.clear();
        final String requesterText = fields[columnOf[REQUESTER_ID]];
        try
        {
            request.requesterId(Numbers.parseRequesterId(requesterText));
        }
        catch (final IllegalArgumentException ex)
        {
            throw error("field requester_id: " + ex.getMessage());
        }
        final String pasidText = fields[columnOf[PASID]];
        if (!pasidText.isEmpty())
        {
            final long pasid;
            try
            {
                pasid = Numbers.parseNumber(pasidText);
            }
            catch (final NumberFormatException ex)
            {
                throw error("field pasid: \"" + pasidText + "\" is not a number (0x hex or decimal; empty for none)");
            }
            if (pasid > 0xFFFFF)
            {
                throw error("field pasid: \"" + pasidText + "\" is wider than a 20-bit PASID");
            }
            request.pasid((int)pasid);
        }
        final String iovaText = fields[columnOf[IOVA]];
        try
        {
            request.address(Numbers.parseNumber(iovaText));
        }
        catch (final NumberFormatException ex)
        {
            throw error("field iova: \"" + iovaText + "\" is not a 64-bit number (0x hex or decimal)");
        }
        final String accessText = fields[columnOf[ACCESS]].toLowerCase(Locale.ROOT);
        final int access = switch (accessText)
        {
            case "r" -> Permissions.READ;
            case "w" -> Permissions.WRITE;
            case "rw", "wr" -> Permissions.READ_WRITE;
            default -> throw error("field access: \"" + fields[columnOf[ACCESS]] + "\" is not r, w or rw");
        };
        request.access(access);
        records++;
        echo[0] = Numbers.requesterId(request.requesterId());
        echo[1] = request.hasPasid() ? Numbers.hex(request.pasid()) : "";
        echo[2] = Numbers.hex(request.address());
        echo[3] = access == Permissions.READ_WRITE ? "rw" : access == Permissions.READ ? "r" : "w";
        return true;
    }

    /** The line number of the request {@link #next} returned last. */
    int lineNumber()
    {
        return lineNumber;
    }

    long records()
    {
        return records;
    }

    private InputDataException error(final String reason)
    {
        return new InputDataException(name + ":" + lineNumber + ": " + reason);
    }

    /** The next line as text, or null at the end. */
    private String readLine() throws IOException
    {
        final int length = in.next();
        if (length == BoundedLineReader.END)
        {
            return null;
        }
        lineNumber = (int)in.lineNumber();
        if (length == BoundedLineReader.TOO_LONG)
        {
            throw error("longer than " + MAX_LINE + " bytes: not a request line");
        }
        try
        {
            return in.utf8();
        }
        catch (final CharacterCodingException ex)
        {
            throw error("not UTF-8 text");
        }
    }

    private static boolean isBlankOrComment(final String line)
    {
        final String trimmed = line.trim();
        return trimmed.isEmpty() || trimmed.startsWith("#");
    }

    private static String unquote(final String field)
    {
        final String trimmed = field.trim();
        return trimmed.length() >= 2 && trimmed.startsWith("\"") && trimmed.endsWith("\"") ?
            trimmed.substring(1, trimmed.length() - 1).trim() : trimmed;
    }
}
