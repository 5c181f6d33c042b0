package org.iommuemu.bench.cache;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.iommuemu.bench.Failures;
import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The generic translation cache as an IOTLB of gem5's default geometry (2048 entries, 4-way, LRU): a hit
 * among 1024 resident 4 KiB translations, and a miss followed by a fill over 64 Ki pages (every lookup
 * misses and evicts).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class TranslationCacheBenchmark
{
    private static final long TAG = CacheTag.of(1, CacheTag.NO_PASID, 0, false, 0);

    private TranslationCache iotlb;
    private long[] residentKeys;
    private long[] missKeys;
    private int cursor;
    /** Timed lookups of resident translations that missed (checked per iteration). */
    private long failures;

    @Setup(Level.Trial)
    public void build()
    {
        iotlb = new TranslationCache("iotlb", CacheRole.IOTLB, 2048, 4, Replacement.LRU, 3, 1);
        residentKeys = new long[1024];
        for (int i = 0; i < residentKeys.length; i++)
        {
            residentKeys[i] = CacheKey.of(0x4000_0000L + ((long)i << 12), 12);
            iotlb.insert(TAG, residentKeys[i], 0x9_0000_0000L + ((long)i << 12), 3);
        }
        final Random random = new Random(3);
        missKeys = new long[1 << 16];
        for (int i = 0; i < missKeys.length; i++)
        {
            missKeys[i] = CacheKey.of(0x80_0000_0000L + ((long)random.nextInt(1 << 24) << 12), 12);
        }
        for (final long key : residentKeys)
        {
            if (iotlb.lookup(TAG, key) == TranslationCache.MISS)
            {
                throw new IllegalStateException("setup: a resident translation was evicted");
            }
        }
    }

    @TearDown(Level.Iteration)
    public void verify()
    {
        Failures.verify(failures, "resident-translation lookup");
        failures = 0;
    }

    @Benchmark
    public long hit()
    {
        final int slot = iotlb.lookup(TAG, residentKeys[cursor++ & (residentKeys.length - 1)]);
        if (slot == TranslationCache.MISS)
        {
            failures++;
            return -1;
        }
        return iotlb.value(slot);
    }

    @Benchmark
    public int missThenFill()
    {
        final long key = missKeys[cursor++ & (missKeys.length - 1)];
        final int slot = iotlb.lookup(TAG, key);
        return slot != TranslationCache.MISS ? slot : iotlb.insert(TAG, key, key, 3);
    }
}
