package org.iommuemu.pagetable;

import java.util.stream.Stream;

import org.iommuemu.pagetable.format.X86Format;

class X86FormatContractTest extends PageTableFormatContract
{
    protected Stream<PageTableFormat> formats()
    {
        return Stream.of(
            new X86Format(4), new X86Format(5),
            new X86Format(4, false, 52, true), new X86Format(5, false, 46, true),
            new X86Format(4, true, 48, false));
    }
}
