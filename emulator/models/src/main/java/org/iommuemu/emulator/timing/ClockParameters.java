package org.iommuemu.emulator.timing;

/**
 * The IOMMU clock. Every latency in a profile is in cycles of this clock.
 *
 * @param frequencyGhz cycles per nanosecond.
 */
public record ClockParameters(double frequencyGhz)
{
    /**
     * 1 GHz, so 1 cycle = 1 ns: the assumption of timing-perf.md 5.1. gem5 SMMUv3 is a ClockedObject and takes its
     * clock domain's period; 1 GHz is typical of its example configs (UNVERIFIED).
     */
    public static final double DEFAULT_FREQUENCY_GHZ = 1.0;

    /** Bounds that catch a unit mistake (MHz or Hz written as GHz). */
    public static final double MIN_FREQUENCY_GHZ = 0.001;
    public static final double MAX_FREQUENCY_GHZ = 100.0;

    public static final ClockParameters DEFAULTS = new ClockParameters(DEFAULT_FREQUENCY_GHZ);

    public ClockParameters
    {
        if (!(frequencyGhz >= MIN_FREQUENCY_GHZ && frequencyGhz <= MAX_FREQUENCY_GHZ))
        {
            throw new ParameterException("frequency-ghz",
                "must be between " + MIN_FREQUENCY_GHZ + " and " + MAX_FREQUENCY_GHZ + " GHz, not " + frequencyGhz);
        }
    }

    public double nanosPerCycle()
    {
        return 1.0 / frequencyGhz;
    }

    public double cyclesToNanos(final long cycles)
    {
        return cycles / frequencyGhz;
    }
}
