package org.iommuemu.emulator.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The version this build of iommu-emu carries (the project version, filtered into {@code iommu-emu/version.txt}). */
public final class BuildVersion
{
    private static final String VERSION = read();

    private BuildVersion()
    {
    }

    /** The version, like {@code 0.1.0-SNAPSHOT}; {@code unknown} when the resource is missing (an unfiltered build). */
    public static String current()
    {
        return VERSION;
    }

    private static String read()
    {
        try (InputStream in = BuildVersion.class.getResourceAsStream("/iommu-emu/version.txt"))
        {
            if (in == null)
            {
                return "unknown";
            }
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            return text.isEmpty() || text.startsWith("${") ? "unknown" : text;
        }
        catch (final IOException ex)
        {
            return "unknown";
        }
    }
}
