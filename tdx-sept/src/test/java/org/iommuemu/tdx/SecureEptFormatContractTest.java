package org.iommuemu.tdx;

import java.util.stream.Stream;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.PageTableFormatContract;

/** The shared format contract (every operation at every level, reserved bits, random steps) on the S-EPT. */
class SecureEptFormatContractTest extends PageTableFormatContract
{
    protected Stream<PageTableFormat> formats()
    {
        return Stream.of(new SecureEptFormat(4), new SecureEptFormat(5));
    }
}
