package org.iommuemu.pagetable;

/**
 * Permission and access bits shared by every format. A walk ANDs the permissions of every entry it reads;
 * an access is allowed when every bit it asks for survives. {@link #USER} is a permission ("user mode may
 * access") and, in an access, a request from user mode (privileged requests leave it clear).
 * <p>
 * The bit positions are part of the contract: formats decode R/W/X bits onto them with shifts instead of
 * branches (READ bit 0, WRITE bit 1, EXECUTE bit 2, USER bit 3). The format contract tests pin them.
 */
public final class Permissions
{
    public static final int READ = 1;
    public static final int WRITE = 1 << 1;
    public static final int EXECUTE = 1 << 2;
    public static final int USER = 1 << 3;
    public static final int ALL = READ | WRITE | EXECUTE | USER;
    public static final int READ_WRITE = READ | WRITE;

    private Permissions()
    {
    }

    /** Short form such as {@code rw-u} for logs and reports. */
    public static String toString(final int permissions)
    {
        final char[] chars = {
            (permissions & READ) != 0 ? 'r' : '-',
            (permissions & WRITE) != 0 ? 'w' : '-',
            (permissions & EXECUTE) != 0 ? 'x' : '-',
            (permissions & USER) != 0 ? 'u' : '-'};
        return new String(chars);
    }

    /** Parse {@code r}, {@code w}, {@code x}, {@code u} letters in any order ({@code -} ignored). */
    public static int parse(final CharSequence text)
    {
        int permissions = 0;
        for (int i = 0; i < text.length(); i++)
        {
            switch (Character.toLowerCase(text.charAt(i)))
            {
                case 'r' -> permissions |= READ;
                case 'w' -> permissions |= WRITE;
                case 'x' -> permissions |= EXECUTE;
                case 'u' -> permissions |= USER;
                case '-' -> { }
                default -> throw new IllegalArgumentException(
                    "permission letter '" + text.charAt(i) + "' in \"" + text + "\" is not one of r, w, x, u, -");
            }
        }
        return permissions;
    }
}
