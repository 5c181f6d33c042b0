package org.iommuemu.emulator.profile;

import org.iommuemu.emulator.config.ConfigException;

/**
 * A profile file that cannot be used: YAML syntax, an unknown key, a wrong type or an out-of-range value.
 * The message reads {@code source:line: field.path: reason}, for example
 * {@code amd.yaml:14: caches.iotlb.ways: must divide entries (64), not 3}.
 */
public final class TimingProfileException extends ConfigException
{
    private static final long serialVersionUID = 1L;

    public TimingProfileException(final String source, final int line, final String fieldPath, final String reason)
    {
        super(source, line, fieldPath, reason);
    }

    public TimingProfileException(final String source, final int line, final String fieldPath, final String reason,
        final Throwable cause)
    {
        super(source, line, fieldPath, reason, cause);
    }
}
