package org.iommuemu.pagetable;

import java.util.stream.Stream;

import org.iommuemu.pagetable.format.EptFormat;

class EptFormatContractTest extends PageTableFormatContract
{
    protected Stream<PageTableFormat> formats()
    {
        return Stream.of(new EptFormat(4), new EptFormat(5), new EptFormat(4, 46, false));
    }
}
