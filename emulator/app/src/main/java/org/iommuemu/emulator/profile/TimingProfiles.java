package org.iommuemu.emulator.profile;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.iommuemu.emulator.config.YamlSection;
import org.iommuemu.emulator.timing.TimingProfile;

/**
 * Where {@link TimingProfile}s come from: YAML files (schema in docs/timing.md), bundled with the emulator or on
 * disk. A file may omit any parameter (the base's value applies) and may name a bundled base with
 * {@code extends:}. The models take a built profile; only the application reads files.
 */
public final class TimingProfiles
{
    /**
     * Names {@link #bundled(String)} accepts: gem5's defaults, the AMD-like and Intel-like profiles, and the profiles
     * {@code calibrate --fit} fitted to published measurements (docs/timing.md, "Calibration").
     */
    public static final List<String> BUNDLED = List.of("gem5-smmuv3", "amd", "intel", "pcie-bench-bdw", "pcie-bench-hsw-2620v3",
        "pcie-bench-hsw-2637v3", "pcie-bench-ivb", "pcie-bench-snb", "farshin-200g");

    private TimingProfiles()
    {
    }

    /** A profile shipped with the emulator, by name: one of {@link #BUNDLED}. */
    public static TimingProfile bundled(final String name)
    {
        return ProfileReader.bundled(name, Set.of(name));
    }

    /** A profile file; its name defaults to the file name without {@code .yaml}. */
    public static TimingProfile load(final Path file)
    {
        final String fileName = file.getFileName().toString();
        final String baseName = fileName.endsWith(ProfileReader.EXTENSION) ?
            fileName.substring(0, fileName.length() - ProfileReader.EXTENSION.length()) : fileName;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            return ProfileReader.read(reader, file.toString(), baseName, Set.of());
        }
        catch (final NoSuchFileException ex)
        {
            throw new TimingProfileException(file.toString(), TimingProfileException.NO_LINE, "", "no such file", ex);
        }
        catch (final IOException ex)
        {
            // A file that cannot be opened or read (a name too long, a folder, no permission) is a profile error
            // like any other, so a scenario naming it reports its own line (found by fuzzing the scenario parser).
            final String reason = ex instanceof FileSystemException fs && fs.getReason() != null ?
                fs.getReason() : YamlSection.describe(ex);
            throw new TimingProfileException(file.toString(), TimingProfileException.NO_LINE, "", "cannot read: " + reason, ex);
        }
    }

    /**
     * A profile from YAML text.
     *
     * @param source names the text in error messages (a file name, say), and the profile if it has no {@code name:}.
     */
    public static TimingProfile parse(final Reader yaml, final String source)
    {
        return ProfileReader.read(yaml, source, source, Set.of());
    }
}
