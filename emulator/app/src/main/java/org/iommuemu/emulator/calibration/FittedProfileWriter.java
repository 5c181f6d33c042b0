package org.iommuemu.emulator.calibration;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.iommuemu.emulator.timing.TimingProfile;

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
     * @param base        the bundled profile the file {@code extends:}.
     * @param baseProfile that profile: only what the fit changed from it is written.
     */
    public static String text(final ProfileFit.Result fit, final MeasuredSystem system, final String base,
        final TimingProfile baseProfile)
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
        // Every key the fit changed from the base: the fitted ones, and those a fitted one moved (an LLC latency kept at
        // or below a lower DRAM latency).
        final TimingProfile fitted = fit.profile();
        final Map<String, Integer> memory = new LinkedHashMap<>();
        memory.put("dma-read-latency", fitted.memory().dmaReadLatency() - baseProfile.memory().dmaReadLatency());
        memory.put("dram-latency", fitted.memory().dramLatency() - baseProfile.memory().dramLatency());
        memory.put("llc-hit-latency", fitted.memory().llcHitLatency() - baseProfile.memory().llcHitLatency());
        memory.put("recent-lines", fitted.memory().recentLines() - baseProfile.memory().recentLines());
        final Map<String, Integer> concurrency = new LinkedHashMap<>();
        concurrency.put("translations-in-flight", fitted.concurrency().translationsInFlight() -
            baseProfile.concurrency().translationsInFlight());
        concurrency.put("concurrent-walkers", fitted.concurrency().concurrentWalkers() - baseProfile.concurrency().concurrentWalkers());
        final Map<String, Integer> values = new LinkedHashMap<>();
        values.put("memory.dma-read-latency", fitted.memory().dmaReadLatency());
        values.put("memory.dram-latency", fitted.memory().dramLatency());
        values.put("memory.llc-hit-latency", fitted.memory().llcHitLatency());
        values.put("memory.recent-lines", fitted.memory().recentLines());
        values.put("concurrency.translations-in-flight", fitted.concurrency().translationsInFlight());
        values.put("concurrency.concurrent-walkers", fitted.concurrency().concurrentWalkers());
        for (final String section : List.of("memory", "concurrency"))
        {
            final Map<String, Integer> changes = section.equals("memory") ? memory : concurrency;
            boolean header = false;
            for (final Map.Entry<String, Integer> change : changes.entrySet())
            {
                final String key = section + "." + change.getKey();
                if (change.getValue() == 0 && !fit.values().containsKey(key))
                {
                    continue;
                }
                if (!header)
                {
                    b.append('\n').append(section).append(":\n");
                    header = true;
                }
                b.append("  ").append(change.getKey()).append(": ").append(values.get(key))
                    .append(fit.values().containsKey(key) ? "   # fitted\n" : "   # moved with a fitted value\n");
            }
        }
        return b.toString();
    }

    /** Write {@link #text} to {@code file}; refuses to overwrite a file that is not a fitted profile. */
    public static void write(final ProfileFit.Result fit, final MeasuredSystem system, final String base,
        final TimingProfile baseProfile, final Path file) throws IOException
    {
        checkWritable(file);
        Files.writeString(file, text(fit, system, base, baseProfile), StandardCharsets.UTF_8);
    }

    /**
     * Refuse {@code file} unless it is absent or a profile this class wrote (checked before a fit runs, and again
     * before writing).
     *
     * @throws IllegalArgumentException naming the file.
     */
    public static void checkWritable(final Path file) throws IOException
    {
        if (Files.exists(file) && (!Files.isRegularFile(file) ||
            !Files.readString(file, StandardCharsets.UTF_8).startsWith("# Fitted by `bin/iommu-emu calibrate")))
        {
            throw new IllegalArgumentException(file + " exists and is not a fitted profile; not overwriting it");
        }
    }
}
