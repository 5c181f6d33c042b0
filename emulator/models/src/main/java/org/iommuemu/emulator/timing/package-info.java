/**
 * The timing profile: every parameter the cycle-approximate timing model will charge (IOMMU clock, device link,
 * cache geometries, memory model for table fetches, RMP fetch, concurrency, walker cycles, ATS), grouped by
 * hardware role in immutable, validated records, with defaults that cite their sources (gem5 SMMUv3 and
 * timing-perf.md). {@link org.iommuemu.emulator.timing.TimingProfile} loads bundled or user YAML profiles and
 * reports bad ones with file, line and field path; {@link org.iommuemu.emulator.timing.CacheParameters} builds
 * the {@link org.iommuemu.emulator.cache.TranslationCache}s a profile describes. The timing model itself (cycle
 * accounting per TLP, queueing) is not here yet; see docs/timing.md.
 */
package org.iommuemu.emulator.timing;
