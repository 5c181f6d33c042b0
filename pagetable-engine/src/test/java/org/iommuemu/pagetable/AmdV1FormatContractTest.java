package org.iommuemu.pagetable;

import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.iommuemu.pagetable.format.AmdV1Format;

class AmdV1FormatContractTest extends PageTableFormatContract
{
    protected Stream<PageTableFormat> formats()
    {
        return Stream.concat(
            IntStream.rangeClosed(1, 6).mapToObj(AmdV1Format::new),
            Stream.of(new AmdV1Format(3, 48, false), new AmdV1Format(4, 44, true)));
    }
}
