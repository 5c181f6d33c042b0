package org.iommuemu.pagetable.format;

import java.util.List;
import java.util.Locale;

import org.iommuemu.pagetable.PageTableFormat;

/**
 * Named format configurations for command lines and scenario files: {@code NAME[:LEVELS]}, for example
 * {@code amdv1:3} (AMD-Vi v1, DTE Mode 3), {@code x86:4}, {@code vtd-ss:4}, {@code ept:5}. Without a level
 * count each format takes the one Linux uses by default.
 */
public final class Formats
{
    /** The format names {@link #parse} accepts, with their default level counts. */
    public static final List<String> NAMES = List.of("amdv1 (modes 1-6, default 3)", "x86 (4 or 5, default 4)",
        "vtd-ss (2-5, default 4)", "ept (4 or 5, default 4)");

    private Formats()
    {
    }

    public static PageTableFormat parse(final String spec)
    {
        final String text = spec.trim().toLowerCase(Locale.ROOT);
        final int colon = text.indexOf(':');
        final String name = colon < 0 ? text : text.substring(0, colon);
        int levels = -1;
        if (colon >= 0)
        {
            try
            {
                levels = Integer.parseInt(text.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("format \"" + spec + "\": the level count after ':' is not a number");
            }
            if (levels < 1)
            {
                // Without this a negative count would silently become the format's default.
                throw new IllegalArgumentException("format \"" + spec + "\": the level count after ':' must be positive, not " + levels);
            }
        }
        switch (name)
        {
            case "amdv1":
            case "amd-v1":
                return new AmdV1Format(levels < 0 ? 3 : levels);
            case "x86":
            case "x86-64":
            case "amdv2":
            case "vtd-fs":
            case "npt":
                return new X86Format(levels < 0 ? 4 : levels);
            case "vtd-ss":
            case "vtdss":
                return new VtdSecondStageFormat(levels < 0 ? 4 : levels);
            case "ept":
                return new EptFormat(levels < 0 ? 4 : levels);
            default:
                throw new IllegalArgumentException("unknown page-table format \"" + spec + "\"; known: " + String.join(", ", NAMES));
        }
    }
}
