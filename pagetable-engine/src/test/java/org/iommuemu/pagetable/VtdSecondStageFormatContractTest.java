package org.iommuemu.pagetable;

import java.util.stream.Stream;

import org.iommuemu.pagetable.format.VtdSecondStageFormat;

class VtdSecondStageFormatContractTest extends PageTableFormatContract
{
    protected Stream<PageTableFormat> formats()
    {
        return Stream.of(
            new VtdSecondStageFormat(3), new VtdSecondStageFormat(4), new VtdSecondStageFormat(5),
            new VtdSecondStageFormat(2, 39, false, false, false, 1L << 21),
            new VtdSecondStageFormat(4, 46, false, true, true, 1L << 21),
            new VtdSecondStageFormat(4, 52, true, true, false, 0));
    }
}
