package org.iommuemu.emulator.calibration;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a fitted profile as a profile file ({@code calibrate --fit --write FILE}): {@code extends:} the base it was
 * fitted from, and the fitted values under their sections, with a header saying what they were fitted to and how
 * close the fit came. The file reads back with {@code TimingProfiles.load} to the same profile.
 */
public final class FittedProfileWriter
{
    private FittedProfileWriter()
    {
    }

    /**
     * The profile file text.
     *
     * @param base the bundled profile the fit started from (the file {@code extends:} it).
     */
    public static String text(final ProfileFit.Result fit, final MeasuredSystem system, final String base)
    {
        final StringBuilder b = new StringBuilder();
        b.append("# Fitted by `bin/iommu-emu calibrate --system ").append(system.name()).append(" --fit` (docs/timing.md,\n");
        b.append("# \"Calibration\") to the published points of ").append(system.description()).append(":\n");
        b.append(String.format(Locale.ROOT, "# %d points, RMS error %.1f%%, worst %+.1f%%, %d beyond %.0f%%.%n", fit.rows().size(),
            Calibration.rms(fit.rows()) * 100, Calibration.worst(fit.rows()) * 100, Calibration.beyondGoal(fit.rows()),
            Calibration.GOAL * 100));
        b.append("# Every value below is fitted (a free parameter: no vendor publishes it); everything else is ").append(base)
            .append("'s.\n");
        b.append("name: ").append(fit.profile().name()).append('\n');
        b.append("extends: ").append(base).append('\n');
        b.append("description: 'fitted to ").append(system.description().replace("'", "''")).append("'\n");
        final Map<String, Map<String, Integer>> sections = new LinkedHashMap<>();
        for (final Map.Entry<String, Integer> value : fit.values().entrySet())
        {
            final String[] key = value.getKey().split("\\.", 2);
            sections.computeIfAbsent(key[0], k -> new LinkedHashMap<>()).put(key[1], value.getValue());
        }
        for (final String section : List.of("memory", "concurrency"))
        {
            final Map<String, Integer> values = sections.remove(section);
            if (values == null)
            {
                continue;
            }
            b.append('\n').append(section).append(":\n");
            for (final Map.Entry<String, Integer> value : values.entrySet())
            {
                b.append("  ").append(value.getKey()).append(": ").append(value.getValue()).append("   # fitted\n");
            }
        }
        if (!sections.isEmpty())
        {
            throw new IllegalStateException("fitted parameters outside memory and concurrency: " + sections.keySet());
        }
        return b.toString();
    }

    /** Write {@link #text} to {@code file}; refuses to overwrite a file that is not a fitted profile. */
    public static void write(final ProfileFit.Result fit, final MeasuredSystem system, final String base, final Path file)
        throws IOException
    {
        if (Files.exists(file) && !Files.readString(file, StandardCharsets.UTF_8).startsWith("# Fitted by `bin/iommu-emu calibrate"))
        {
            throw new IllegalArgumentException(file + " exists and is not a fitted profile; not overwriting it");
        }
        Files.writeString(file, text(fit, system, base), StandardCharsets.UTF_8);
    }
}
