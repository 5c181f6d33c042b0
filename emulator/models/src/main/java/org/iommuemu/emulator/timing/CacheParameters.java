package org.iommuemu.emulator.timing;

import java.util.List;
import java.util.Locale;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;

/**
 * One geometry per cache role the IOMMU models have. The defaults are gem5 SMMUv3's (timing-perf.md 1.1,
 * {@code src/dev/arm/SMMUv3.py}); gem5 has no ATS, so the device TLB copies its micro-TLB (assumption).
 *
 * @param microTlb  a small per-device TLB in front of the IOTLB (gem5 {@code utlb_*}).
 * @param iotlb     final translations (gem5's device-interface main TLB, {@code tlb_*}).
 * @param deviceTlb a device's ATS translation cache (ATC).
 * @param context   AMD-Vi device-table entries, VT-d context entries (gem5 config cache, {@code cfg_*}).
 * @param pasid     VT-d PASID-table entries, AMD-Vi GCR3 entries (gem5 keeps CDs in its config cache).
 * @param walk      the per-level page-walk caches (gem5 {@code walk_*}).
 * @param nested    stage-2 (GPA to SPA) results for nested walks (gem5 IPA cache, {@code ipa_*}).
 * @param seed      seed of {@link Replacement#RANDOM} in every cache built from this profile.
 */
public record CacheParameters(CacheGeometry microTlb, CacheGeometry iotlb, CacheGeometry deviceTlb,
    CacheGeometry context, CacheGeometry pasid, WalkCacheGeometry walk, CacheGeometry nested, long seed)
{
    // gem5 SMMUv3 defaults, timing-perf.md 1.1. Every gem5 cache defaults to 'rr' (round robin).
    public static final Replacement GEM5_POLICY = Replacement.ROUND_ROBIN;
    /** {@code utlb_entries}, {@code utlb_assoc} (0 = fully associative), {@code utlb_lat}, {@code utlb_slots}. */
    public static final int GEM5_UTLB_ENTRIES = 32;
    public static final int GEM5_UTLB_ASSOC = CacheGeometry.FULLY_ASSOCIATIVE;
    public static final int GEM5_UTLB_LAT = 1;
    public static final int GEM5_UTLB_SLOTS = 1;
    /** Device-interface {@code tlb_entries}, {@code tlb_assoc}, {@code tlb_lat}, {@code tlb_slots}. */
    public static final int GEM5_TLB_ENTRIES = 2048;
    public static final int GEM5_TLB_ASSOC = 4;
    public static final int GEM5_TLB_LAT = 3;
    public static final int GEM5_TLB_SLOTS = 3;
    /** {@code cfg_entries}, {@code cfg_assoc}, {@code cfg_lat}, {@code cfg_slots}. */
    public static final int GEM5_CFG_ENTRIES = 64;
    public static final int GEM5_CFG_ASSOC = 4;
    public static final int GEM5_CFG_LAT = 3;
    public static final int GEM5_CFG_SLOTS = 3;
    /** {@code ipa_entries}, {@code ipa_assoc}, {@code ipa_lat}, {@code ipa_slots}; {@code ipa_enable = False}. */
    public static final int GEM5_IPA_ENTRIES = 128;
    public static final int GEM5_IPA_ASSOC = 4;
    public static final int GEM5_IPA_LAT = 3;
    public static final int GEM5_IPA_SLOTS = 3;
    /** {@code walk_assoc}, {@code walk_lat}, {@code walk_slots}. */
    public static final int GEM5_WALK_ASSOC = 4;
    public static final int GEM5_WALK_LAT = 4;
    public static final int GEM5_WALK_SLOTS = 4;
    /** {@code walk_S1L0..walk_S1L3} and {@code walk_S2L0..walk_S2L3}, root first. */
    public static final List<Integer> GEM5_WALK_S1_LEVELS = List.of(4, 28, 348, 4);
    public static final List<Integer> GEM5_WALK_S2_LEVELS = List.of(4, 28, 92, 4);
    /** {@code wc_s1_levels = wc_s2_levels = 7}: bits 0..2, so only L0-L2 table pointers are cached. */
    public static final List<Integer> GEM5_WALK_CACHED_LEVELS = List.of(0, 1, 2);
    /** Seed of RANDOM replacement: an arbitrary fixed value so runs repeat (assumption). */
    public static final long DEFAULT_SEED = 1;

    public static final CacheParameters DEFAULTS = new CacheParameters(
        new CacheGeometry(true, GEM5_UTLB_ENTRIES, GEM5_UTLB_ASSOC, GEM5_POLICY, GEM5_UTLB_LAT, GEM5_UTLB_SLOTS),
        new CacheGeometry(true, GEM5_TLB_ENTRIES, GEM5_TLB_ASSOC, GEM5_POLICY, GEM5_TLB_LAT, GEM5_TLB_SLOTS),
        new CacheGeometry(false, GEM5_UTLB_ENTRIES, GEM5_UTLB_ASSOC, GEM5_POLICY, GEM5_UTLB_LAT, GEM5_UTLB_SLOTS),
        new CacheGeometry(true, GEM5_CFG_ENTRIES, GEM5_CFG_ASSOC, GEM5_POLICY, GEM5_CFG_LAT, GEM5_CFG_SLOTS),
        new CacheGeometry(false, GEM5_CFG_ENTRIES, GEM5_CFG_ASSOC, GEM5_POLICY, GEM5_CFG_LAT, GEM5_CFG_SLOTS),
        new WalkCacheGeometry(true, GEM5_WALK_ASSOC, GEM5_POLICY, GEM5_WALK_LAT, GEM5_WALK_SLOTS,
            GEM5_WALK_S1_LEVELS, GEM5_WALK_S2_LEVELS, GEM5_WALK_CACHED_LEVELS, GEM5_WALK_CACHED_LEVELS, false),
        new CacheGeometry(false, GEM5_IPA_ENTRIES, GEM5_IPA_ASSOC, GEM5_POLICY, GEM5_IPA_LAT, GEM5_IPA_SLOTS),
        DEFAULT_SEED);

    public CacheParameters
    {
        if (microTlb == null || iotlb == null || deviceTlb == null || context == null || pasid == null || walk == null ||
            nested == null)
        {
            throw new IllegalArgumentException("every cache role needs a geometry");
        }
    }

    /** The geometry of a role; the walk caches have several, see {@link #walk()}. */
    public CacheGeometry geometry(final CacheRole role)
    {
        switch (role)
        {
            case MICRO_TLB:
                return microTlb;
            case IOTLB:
                return iotlb;
            case DEVICE_TLB:
                return deviceTlb;
            case CONTEXT:
                return context;
            case PASID:
                return pasid;
            case NESTED:
                return nested;
            default:
                throw new IllegalArgumentException(role + " has one cache per level: use newWalkCache(stage, level)");
        }
    }

    /** A cache for a role, named after it, built whether or not the role is enabled. */
    public TranslationCache newCache(final CacheRole role)
    {
        return geometry(role).newCache(role.name().toLowerCase(Locale.ROOT), role, seed);
    }

    /** The walk cache of one (stage, level); see {@link WalkCacheGeometry#newCache}. */
    public TranslationCache newWalkCache(final int stage, final int level)
    {
        return walk.newCache(stage, level, seed);
    }
}
