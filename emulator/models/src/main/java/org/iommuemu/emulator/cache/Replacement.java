package org.iommuemu.emulator.cache;

/** How a full set chooses its victim. */
public enum Replacement
{
    /** Least recently used (hits refresh an entry). */
    LRU,
    /** First in, first out (hits do not refresh). */
    FIFO,
    /** A per-set pointer that advances on every fill: gem5 SMMUv3's "rr" default. */
    ROUND_ROBIN,
    /** A deterministic pseudo-random way (seeded xorshift), so a run is reproducible. */
    RANDOM
}
