package org.iommuemu.emulator.timing;

/**
 * The timing profile: every number the cycle-approximate model charges, grouped by hardware role, in cycles of
 * {@link #clock()} unless a name says otherwise. Immutable and validated: each group's constructor rejects
 * out-of-range values. {@link #defaults()} are gem5 SMMUv3's defaults plus the memory latencies of
 * timing-perf.md 5.1; each default's constant cites its source.
 * <p>
 * Profiles are YAML files (schema in docs/timing.md), read by the application ({@code TimingProfiles} in the
 * app module): the models take a built profile and never parse one.
 *
 * @param name        the profile's name (the file's {@code name:}, else its base name).
 * @param description one line of what the profile models.
 */
public record TimingProfile(String name, String description, ClockParameters clock, LinkParameters link,
    CacheParameters caches, MemoryParameters memory, RmpParameters rmp, ConcurrencyParameters concurrency,
    WalkerParameters walker, AtsParameters ats)
{
    private static final TimingProfile DEFAULTS = new TimingProfile("defaults",
        "gem5 SMMUv3 defaults with the memory latencies of timing-perf.md 5.1", ClockParameters.DEFAULTS,
        LinkParameters.DEFAULTS, CacheParameters.DEFAULTS, MemoryParameters.DEFAULTS, RmpParameters.DEFAULTS,
        ConcurrencyParameters.DEFAULTS, WalkerParameters.DEFAULTS, AtsParameters.DEFAULTS);

    public TimingProfile
    {
        if (name == null || description == null || clock == null || link == null || caches == null ||
            memory == null || rmp == null || concurrency == null || walker == null || ats == null)
        {
            throw new IllegalArgumentException("a timing profile needs a name, a description and every group");
        }
    }

    /** The values a profile file falls back to. */
    public static TimingProfile defaults()
    {
        return DEFAULTS;
    }

    /** The same parameters under another name. */
    public TimingProfile withName(final String newName)
    {
        return new TimingProfile(newName, description, clock, link, caches, memory, rmp, concurrency, walker, ats);
    }

    /** The same parameters with another description. */
    public TimingProfile withDescription(final String newDescription)
    {
        return new TimingProfile(name, newDescription, clock, link, caches, memory, rmp, concurrency, walker, ats);
    }
}
