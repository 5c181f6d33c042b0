package org.iommuemu.tdx;

/**
 * What a host (or untrusted-device) read of TD private memory gives. The architected behaviour is
 * UNVERIFIED (shared/reference/vtd-tdx.md 6), so it is a switch.
 */
public enum HostReadMode
{
    /** The read returns a fixed pattern (zeros) and no machine check: the expected architected behaviour. */
    ZEROS,
    /** The read raises a machine check (how a platform that does not return zeros would behave). */
    MACHINE_CHECK
}
