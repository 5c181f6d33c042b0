package org.iommuemu.tlp.trace;

/** Which way a TLP travelled on the link. */
public enum Direction
{
    /** From the Root Complex toward the device (host writes, completions to device reads). */
    DOWNSTREAM("down"),
    /** From the device toward the Root Complex (DMA, completions to host reads); what an IOMMU sees. */
    UPSTREAM("up");

    private final String token;

    Direction(final String token)
    {
        this.token = token;
    }

    /** @return the word used in the text trace format. */
    public String token()
    {
        return token;
    }

    /**
     * @param token "down" or "up".
     * @return the direction, or null when the token is neither.
     */
    public static Direction ofToken(final String token)
    {
        if ("down".equals(token))
        {
            return DOWNSTREAM;
        }
        if ("up".equals(token))
        {
            return UPSTREAM;
        }
        return null;
    }
}
