package org.iommuemu.bench;

/**
 * The failed operations of a timed loop. A benchmark counts every operation whose status says it failed (a map,
 * split, PSMASH, DEMOTE, walk, translation or decode) and checks the count after each iteration, outside the
 * measurement: a failed operation is an error, not a fast result.
 */
public final class Failures
{
    private Failures()
    {
    }

    /**
     * Throw when {@code count} operations of {@code what} failed in the iteration that just ended.
     *
     * @param count how many failed.
     * @param what  names the operation for the message.
     */
    public static void verify(final long count, final String what)
    {
        if (count != 0)
        {
            throw new IllegalStateException(count + " " + what + " operations failed in this iteration");
        }
    }
}
