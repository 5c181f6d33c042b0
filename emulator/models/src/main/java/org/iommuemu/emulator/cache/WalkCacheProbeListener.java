package org.iommuemu.emulator.cache;

/**
 * Hears every probe of a {@link PageWalkCache} (one lookup of one level's cache), so the timing model can charge
 * the walk caches' hit latency per probe as gem5's SMMUv3 walker does. Called on the walk path: implementations
 * must not allocate.
 */
@FunctionalInterface
public interface WalkCacheProbeListener
{
    /** Nobody listens. */
    WalkCacheProbeListener NONE = () ->
    {
    };

    /** One level's walk cache was looked up (hit or miss). */
    void onWalkCacheProbe();
}
