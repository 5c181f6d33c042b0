package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The files one command reads and the files it will write, checked before anything is opened for writing: no
 * output may be one of the inputs (the same file by any name: a symbolic link, a hard link, {@code ./x} for
 * {@code x}), no two outputs may be the same file, a file output may not be a folder, and a report folder may not
 * hold an input among the files it would write. Every command that writes a file builds one of these first, so a
 * capture that cannot be taken again is never truncated by a mistyped option.
 * <p>
 * Existing files are compared with {@link Files#isSameFile} (file keys: device and inode on Unix, so hard links
 * match); a file that does not exist yet is compared by its real path (the real path of its nearest existing
 * folder, then the rest of the name), so two outputs named differently through a symbolic-link folder match too.
 * The check is a usage error (exit code 2): the command line names the collision.
 */
public final class CommandFiles
{
    private record Entry(String what, Path path)
    {
    }

    /** A folder whose files are named at run time (one per co-simulation session): any file matching {@code names}. */
    private record NamedFiles(String what, Path folder, Pattern names)
    {
    }

    private final List<Entry> inputs = new ArrayList<>();
    private final List<Entry> outputs = new ArrayList<>();
    private final List<Entry> folders = new ArrayList<>();
    private final List<NamedFiles> named = new ArrayList<>();

    /** A file the command reads; {@code what} names it in messages (an option or parameter); null paths are ignored. */
    public CommandFiles input(final String what, final Path path)
    {
        if (path != null)
        {
            inputs.add(new Entry(what, path));
        }
        return this;
    }

    /** A file the command creates or overwrites; null paths are ignored. */
    public CommandFiles output(final String what, final Path path)
    {
        if (path != null)
        {
            outputs.add(new Entry(what, path));
        }
        return this;
    }

    /** A folder the command creates if needed and writes {@code files} (relative names) into; null folders are ignored. */
    public CommandFiles outputFolder(final String what, final Path folder, final Collection<String> files)
    {
        if (folder != null)
        {
            folders.add(new Entry(what, folder));
            for (final String file : files)
            {
                outputs.add(new Entry(what + " (" + file + ")", folder.resolve(file)));
            }
        }
        return this;
    }

    /**
     * A folder the command creates if needed and writes files into whose names it learns as it runs, each matching
     * {@code names}: no input or other output may be such a file of the folder, by its name or by another name of
     * the same file. Null folders are ignored.
     */
    public CommandFiles outputFolder(final String what, final Path folder, final Pattern names)
    {
        if (folder != null)
        {
            folders.add(new Entry(what, folder));
            named.add(new NamedFiles(what, folder, names));
        }
        return this;
    }

    /**
     * Refuse the command line when an output collides with an input or another output.
     *
     * @throws IllegalArgumentException naming both options and the file.
     */
    public void check()
    {
        for (final Entry folder : folders)
        {
            if (Files.exists(folder.path) && !Files.isDirectory(folder.path))
            {
                final Entry input = find(inputs, folder.path);
                throw new IllegalArgumentException(folder.what + " " + folder.path + " is a file, not a folder" +
                    (input == null ? "" : " (it is the input " + input.what + ")") + "; nothing was written");
            }
        }
        for (final NamedFiles files : named)
        {
            checkNamed(files);
        }
        for (int i = 0; i < outputs.size(); i++)
        {
            final Entry output = outputs.get(i);
            final Entry input = find(inputs, output.path);
            if (input != null)
            {
                throw new IllegalArgumentException(output.what + " " + output.path + " is the input " + input.what +
                    (output.path.equals(input.path) ? "" : " " + input.path) +
                    ": a command never writes a file it reads; name another output (nothing was written)");
            }
            if (Files.isDirectory(output.path))
            {
                throw new IllegalArgumentException(output.what + " " + output.path + " is a folder, not a file");
            }
            for (int j = 0; j < i; j++)
            {
                if (same(outputs.get(j).path, output.path))
                {
                    throw new IllegalArgumentException(output.what + " and " + outputs.get(j).what + " are the same file " +
                        output.path + "; name different outputs (nothing was written)");
                }
            }
        }
    }

    /** No input or file output is one of the files {@code files} may write. */
    private void checkNamed(final NamedFiles files)
    {
        final List<Entry> others = new ArrayList<>(inputs);
        others.addAll(outputs);
        final List<Path> existing = new ArrayList<>();
        if (Files.isDirectory(files.folder))
        {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(files.folder))
            {
                for (final Path file : stream)
                {
                    if (files.names.matcher(file.getFileName().toString()).matches())
                    {
                        existing.add(file);
                    }
                }
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException(files.what + " " + files.folder + ": cannot list the folder: " + ex.getMessage());
            }
        }
        for (final Entry other : others)
        {
            final Path name = effective(other.path).getFileName();
            boolean collides = name != null && files.names.matcher(name.toString()).matches() &&
                same(other.path.toAbsolutePath().normalize().getParent(), files.folder);
            for (int i = 0; !collides && i < existing.size(); i++)
            {
                collides = same(existing.get(i), other.path);
            }
            if (collides)
            {
                throw new IllegalArgumentException(other.what + " " + other.path + " is one of the files " + files.what + " " +
                    files.folder + " may write (" + files.names.pattern() + "): a command never writes a file it reads or " +
                    "another output; name another folder (nothing was written)");
            }
        }
    }

    private static Entry find(final List<Entry> entries, final Path path)
    {
        for (final Entry entry : entries)
        {
            if (same(entry.path, path))
            {
                return entry;
            }
        }
        return null;
    }

    /** Whether two paths name the same file (existing: by file key; otherwise by real path). */
    static boolean same(final Path first, final Path second)
    {
        final Path a = effective(first);
        final Path b = effective(second);
        final boolean aExists = Files.exists(a);
        final boolean bExists = Files.exists(b);
        try
        {
            if (aExists && bExists)
            {
                return Files.isSameFile(a, b);
            }
            if (aExists != bExists)
            {
                return false;
            }
            return realPath(a).equals(realPath(b));
        }
        catch (final IOException ex)
        {
            // Cannot tell (a permission problem on a parent folder): compare the names as given.
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /**
     * The path as a write would reach it: as given when it exists; otherwise without {@code .} and {@code ..} (the
     * folders a write creates are real folders, so {@code new/../x} is {@code x}, although the operating system does
     * not resolve it before {@code new} exists).
     */
    private static Path effective(final Path path)
    {
        return Files.exists(path) ? path : path.toAbsolutePath().normalize();
    }

    /** The real path of the nearest existing ancestor, then the remaining names. */
    private static Path realPath(final Path path) throws IOException
    {
        final Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        final List<Path> rest = new ArrayList<>();
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS))
        {
            rest.add(0, existing.getFileName());
            existing = existing.getParent();
        }
        Path real = existing == null ? absolute.getRoot() : existing.toRealPath();
        for (final Path name : rest)
        {
            real = real.resolve(name);
        }
        return real;
    }
}
