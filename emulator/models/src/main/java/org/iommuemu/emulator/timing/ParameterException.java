package org.iommuemu.emulator.timing;

/**
 * A timing parameter out of its range, thrown by the parameter records' constructors. {@link #field()} is the
 * parameter's name as a profile file spells it, so the profile reader can point at the line that set it.
 */
public final class ParameterException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String reason;

    public ParameterException(final String field, final String reason)
    {
        super(field + ": " + reason);
        this.field = field;
        this.reason = reason;
    }

    /** The parameter's key in its profile section, for example {@code ways}. */
    public String field()
    {
        return field;
    }

    /** What is wrong, without the field name. */
    public String reason()
    {
        return reason;
    }
}
