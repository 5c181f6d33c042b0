package org.iommuemu.emulator.timing;

/** The range checks the parameter records share; each names the field it rejects. */
final class Ranges
{
    private Ranges()
    {
    }

    static void nonNegative(final String field, final long value)
    {
        if (value < 0)
        {
            throw new ParameterException(field, "must not be negative, not " + value);
        }
    }

    static void positive(final String field, final long value)
    {
        if (value <= 0)
        {
            throw new ParameterException(field, "must be at least 1, not " + value);
        }
    }

    static void powerOfTwo(final String field, final long value)
    {
        if (value <= 0 || Long.bitCount(value) != 1)
        {
            throw new ParameterException(field, "must be a power of two, not " + value);
        }
    }

    static void probability(final String field, final double value)
    {
        if (!(value >= 0.0 && value <= 1.0))
        {
            throw new ParameterException(field, "must be between 0 and 1, not " + value);
        }
    }
}
