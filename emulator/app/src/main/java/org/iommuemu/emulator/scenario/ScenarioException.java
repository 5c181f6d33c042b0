package org.iommuemu.emulator.scenario;

import org.iommuemu.emulator.config.ConfigException;

/**
 * A scenario file that cannot be used, or a scenario step the platform refused while building it. The message
 * reads {@code source:line: field.path: reason}, for example
 * {@code seed001.yaml:23: domains[0].mappings[1].size: expected a size like 4K, 2M, 1G or an integer, not '2X'}.
 */
public final class ScenarioException extends ConfigException
{
    private static final long serialVersionUID = 1L;

    public ScenarioException(final String source, final int line, final String fieldPath, final String reason)
    {
        super(source, line, fieldPath, reason);
    }

    public ScenarioException(final String source, final int line, final String fieldPath, final String reason,
        final Throwable cause)
    {
        super(source, line, fieldPath, reason, cause);
    }
}
