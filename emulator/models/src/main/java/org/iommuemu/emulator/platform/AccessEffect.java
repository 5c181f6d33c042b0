package org.iommuemu.emulator.platform;

/**
 * What a request that completed did besides the access it asked for, as the security check behind the IOMMU names
 * it: a T=0 write that poisoned TD private memory, a T=0 read of private memory answered with zeros. Not a fault:
 * the request succeeded on the bus, and {@link RequestOutcome#isOk()} stays true; the effect says what that success
 * did to memory. Implemented by enums, so an outcome carries its effect without allocating, and statistics and
 * result files group effects by {@link #effectName()}.
 */
public interface AccessEffect
{
    /** The name, upper case with underscores, as result files and summaries print it. */
    String effectName();
}
