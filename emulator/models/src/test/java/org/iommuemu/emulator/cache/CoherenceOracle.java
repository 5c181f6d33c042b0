package org.iommuemu.emulator.cache;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a cached IOMMU may answer for each page of a window: hardware may cache any translation the tables held at
 * some moment since the last invalidation that covered the page, and nothing else. The oracle keeps, per page, the
 * set of output pages (or {@link #UNMAPPED}) the tables held since then; an invalidation resets it to the current
 * value. A translation must be in the set; a fault is allowed only when the set holds {@link #UNMAPPED} (faults
 * are not cached). Used by the cache properties of both models.
 */
public final class CoherenceOracle
{
    /** The page was not mapped. */
    public static final long UNMAPPED = -1;

    private final long[] current;
    private final List<Set<Long>> allowed = new ArrayList<>();

    public CoherenceOracle(final int pages)
    {
        current = new long[pages];
        for (int page = 0; page < pages; page++)
        {
            current[page] = UNMAPPED;
            allowed.add(new HashSet<>(Set.of(UNMAPPED)));
        }
    }

    /** The tables now map {@code page} to {@code outputPage} (or {@link #UNMAPPED}). */
    public void tables(final int page, final long outputPage)
    {
        current[page] = outputPage;
        allowed.get(page).add(outputPage);
    }

    /** An invalidation covered {@code page}. */
    public void invalidated(final int page)
    {
        allowed.set(page, new HashSet<>(Set.of(current[page])));
    }

    public void invalidatedAll()
    {
        for (int page = 0; page < current.length; page++)
        {
            invalidated(page);
        }
    }

    /** Check one answer: {@code ok} with {@code outputPage}, or a fault. */
    public void check(final int page, final boolean ok, final long outputPage, final String where)
    {
        final Set<Long> answers = allowed.get(page);
        if (ok)
        {
            assertTrue(answers.contains(outputPage), where + ": page " + page + " translated to 0x" + Long.toHexString(outputPage) +
                ", which the tables did not give since its last invalidation (they gave " + text(answers) + ")");
        }
        else
        {
            assertTrue(answers.contains(UNMAPPED), where + ": page " + page + " faulted although the tables mapped it all " +
                "along since its last invalidation (" + text(answers) + ")");
        }
    }

    private static String text(final Set<Long> values)
    {
        final StringBuilder text = new StringBuilder();
        for (final long value : values)
        {
            text.append(text.length() == 0 ? "" : " ").append(value == UNMAPPED ? "unmapped" : "0x" + Long.toHexString(value));
        }
        return text.toString();
    }
}
